package report

import (
	"bufio"
	"bytes"
	"io"
	"reflect"
	"strings"

	json "github.com/goccy/go-json"
)

// Encode writes r to w as one JSON document and a newline, indented by
// indent ("" writes one line), byte for byte as an encoding/json Encoder
// with SetEscapeHTML(false) would. The findings' claims are written one
// at a time as their Claims make them, so that memory stays bounded by the
// largest other part of the report, not by the files the findings claim.
func Encode(w io.Writer, r *Report, indent string) error {
	e := &encoder{w: bufio.NewWriterSize(w, 64<<10), indent: indent, encs: map[string]*json.Encoder{}}
	e.value(reflect.ValueOf(r).Elem(), "")
	e.put('\n')
	if e.err != nil {
		return e.err
	}
	return e.w.Flush()
}

var claimsType = reflect.TypeFor[Claims]()

// streams tells whether values of t hold Claims, which the encoder writes
// itself.
func streams(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Struct:
		if t == claimsType {
			return true
		}
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() && streams(f.Type) {
				return true
			}
		}
	case reflect.Slice, reflect.Pointer:
		return streams(t.Elem())
	}
	return false
}

type encoder struct {
	w      *bufio.Writer
	indent string
	buf    bytes.Buffer
	encs   map[string]*json.Encoder // by prefix, all writing to buf
	err    error
}

// value writes v, whose first line is already indented by prefix.
func (e *encoder) value(v reflect.Value, prefix string) {
	if e.err != nil {
		return
	}
	t := v.Type()
	switch {
	case t == claimsType:
		c := v.Interface().(Claims)
		e.list(prefix, func(item func(any)) {
			for cl := range c.All() {
				item(cl)
			}
		})
	case !streams(t):
		e.plain(v.Interface(), prefix)
	case t.Kind() == reflect.Pointer:
		if v.IsNil() {
			e.puts("null")
			return
		}
		e.value(v.Elem(), prefix)
	case t.Kind() == reflect.Slice:
		if v.IsNil() {
			e.puts("null")
			return
		}
		e.list(prefix, func(item func(any)) {
			for i := range v.Len() {
				item(v.Index(i))
			}
		})
	default:
		e.object(v, prefix)
	}
}

// list writes an array of the items each yields: reflect.Values are
// written by value, anything else as plain JSON.
func (e *encoder) list(prefix string, each func(item func(any))) {
	inner := prefix + e.indent
	n := 0
	e.put('[')
	each(func(x any) {
		if n > 0 {
			e.put(',')
		}
		n++
		e.newline(inner)
		if v, ok := x.(reflect.Value); ok {
			e.value(v, inner)
			return
		}
		e.plain(x, inner)
	})
	if n > 0 {
		e.newline(prefix)
	}
	e.put(']')
}

// object writes a struct's exported fields as encoding/json does.
func (e *encoder) object(v reflect.Value, prefix string) {
	t := v.Type()
	inner := prefix + e.indent
	n := 0
	e.put('{')
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fv := v.Field(i)
		if strings.Contains(opts, "omitempty") && empty(fv) {
			continue
		}
		if n > 0 {
			e.put(',')
		}
		n++
		e.newline(inner)
		e.plain(name, inner)
		e.put(':')
		if e.indent != "" {
			e.put(' ')
		}
		e.value(fv, inner)
	}
	if n > 0 {
		e.newline(prefix)
	}
	e.put('}')
}

// put and puts write to the buffered writer, which keeps its first error
// and makes every later write a no-op: Encode's Flush returns it.
func (e *encoder) put(b byte)    { _ = e.w.WriteByte(b) }
func (e *encoder) puts(s string) { _, _ = e.w.WriteString(s) }

func (e *encoder) newline(prefix string) {
	if e.indent != "" {
		e.put('\n')
		e.puts(prefix)
	}
}

// plain writes x with the JSON encoder, its later lines indented by prefix.
func (e *encoder) plain(x any, prefix string) {
	enc, ok := e.encs[prefix]
	if !ok {
		enc = json.NewEncoder(&e.buf)
		enc.SetEscapeHTML(false)
		if e.indent != "" {
			enc.SetIndent(prefix, e.indent)
		}
		e.encs[prefix] = enc
	}
	e.buf.Reset()
	if err := enc.Encode(x); err != nil {
		e.err = err
		return
	}
	_, _ = e.w.Write(bytes.TrimSuffix(e.buf.Bytes(), []byte("\n"))) // see put
}

// empty is encoding/json's test for omitempty.
func empty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	case reflect.Interface, reflect.Pointer:
		return v.IsNil()
	}
	return false
}
