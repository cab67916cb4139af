package analyzetest

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// SchemaCoversType walks the Go wire type typ and the JSON Schema schema
// (named file in messages) side by side: every JSON field must be
// declared, every declared property must exist, and the fields without
// omitempty must be required. A field added to a wire type without its
// schema fails here, even when no test output happens to carry it.
func SchemaCoversType(t testing.TB, file string, schema []byte, typ reflect.Type) {
	t.Helper()
	var sch map[string]any
	if err := json.Unmarshal(schema, &sch); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	defs, _ := sch["$defs"].(map[string]any)
	c := schemaChecker{t: t, file: file, defs: defs}
	c.check(typ.Name(), typ, sch)
}

type schemaChecker struct {
	t    testing.TB
	file string
	defs map[string]any
}

func (c schemaChecker) resolve(where string, s map[string]any) map[string]any {
	ref, ok := s["$ref"].(string)
	if !ok {
		return s
	}
	d, ok := c.defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
	if !ok {
		c.t.Errorf("%s: unresolved $ref %q", where, ref)
		return map[string]any{}
	}
	return d
}

func (c schemaChecker) check(where string, typ reflect.Type, s map[string]any) {
	c.t.Helper()
	s = c.resolve(where, s)
	if typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	if elem, ok := lazyList(typ); ok {
		if s["type"] != "array" {
			c.t.Errorf("%s: %s is not an array in the schema", where, typ)
			return
		}
		items, _ := s["items"].(map[string]any)
		c.check(where+"[]", elem, items)
		return
	}
	switch typ.Kind() {
	case reflect.Struct:
		if !objectType(s["type"]) || s["additionalProperties"] != false {
			c.t.Errorf("%s: schema is not a closed object (type %v, additionalProperties %v)", where, s["type"], s["additionalProperties"])
		}
		props, _ := s["properties"].(map[string]any)
		var required []string
		reqs, _ := s["required"].([]any)
		for _, r := range reqs {
			required = append(required, r.(string))
		}
		seen := map[string]bool{}
		for i := range typ.NumField() {
			fl := typ.Field(i)
			if !fl.IsExported() {
				continue
			}
			tag := fl.Tag.Get("json")
			name, opts, _ := strings.Cut(tag, ",")
			if name == "-" {
				continue
			}
			if name == "" || fl.Anonymous {
				c.t.Errorf("%s.%s: wire fields need an explicit json name", where, fl.Name)
				continue
			}
			seen[name] = true
			ps, ok := props[name].(map[string]any)
			if !ok {
				c.t.Errorf("%s: field %q (%s.%s) is not in %s", where, name, typ.Name(), fl.Name, c.file)
				continue
			}
			omit := strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero")
			if req := slices.Contains(required, name); req == omit {
				c.t.Errorf("%s: %q required=%v in the schema, but omitempty=%v in %s", where, name, req, omit, typ.Name())
			}
			c.check(where+"."+name, fl.Type, ps)
		}
		for name := range props {
			if !seen[name] {
				c.t.Errorf("%s: schema property %q has no field in %s", where, name, typ.Name())
			}
		}
	case reflect.Slice:
		if s["type"] != "array" {
			c.t.Errorf("%s: %s is not an array in the schema", where, typ)
			return
		}
		items, _ := s["items"].(map[string]any)
		c.check(where+"[]", typ.Elem(), items)
	case reflect.String:
		c.scalar(where, typ, s, "string")
	case reflect.Bool:
		c.scalar(where, typ, s, "boolean")
	case reflect.Int, reflect.Int32, reflect.Int64:
		c.scalar(where, typ, s, "integer")
	case reflect.Float64:
		c.scalar(where, typ, s, "number")
	default:
		c.t.Errorf("%s: unexpected wire type %s", where, typ)
	}
}

// scalar checks that a schema admits values of one JSON type only.
func (c schemaChecker) scalar(where string, typ reflect.Type, s map[string]any, want string) {
	c.t.Helper()
	var vals []any
	if v, ok := s["const"]; ok {
		vals = append(vals, v)
	}
	if e, ok := s["enum"].([]any); ok {
		vals = append(vals, e...)
	}
	if len(vals) > 0 {
		for _, v := range vals {
			got := jsonType(v)
			if got == "integer" && want == "number" {
				got = "number"
			}
			if got != want {
				c.t.Errorf("%s: %s field admits %v (%s) in the schema", where, typ, v, jsonType(v))
			}
		}
		return
	}
	if s["type"] != want {
		c.t.Errorf("%s: %s field has schema type %v, want %s", where, typ, s["type"], want)
	}
}

func jsonType(v any) string {
	switch x := v.(type) {
	case string:
		return "string"
	case bool:
		return "boolean"
	case float64:
		if x == float64(int64(x)) {
			return "integer"
		}
		return "number"
	}
	return "null"
}

// objectType says whether a schema type is "object", or ["object", "null"]
// for a pointer that is null when absent.
func objectType(t any) bool {
	if ts, ok := t.([]any); ok {
		return len(ts) == 2 && slices.Contains(ts, any("object")) && slices.Contains(ts, any("null"))
	}
	return t == "object"
}

// lazyList tells whether typ is a list written by its own MarshalJSON and
// read by its All method, an iter.Seq of its elements (report.Claims), and
// returns the element type.
func lazyList(typ reflect.Type) (reflect.Type, bool) {
	if !typ.Implements(reflect.TypeFor[json.Marshaler]()) {
		return nil, false
	}
	m, ok := typ.MethodByName("All")
	if !ok || m.Type.NumOut() != 1 {
		return nil, false
	}
	seq := m.Type.Out(0) // func(yield func(T) bool)
	if seq.Kind() != reflect.Func || seq.NumIn() != 1 || seq.In(0).Kind() != reflect.Func || seq.In(0).NumIn() != 1 {
		return nil, false
	}
	return seq.In(0).In(0), true
}
