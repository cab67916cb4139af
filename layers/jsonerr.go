package layers

import (
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// jsonProblem says what is wrong with a JSON document (a manifest, an
// index, a config) in the document's own terms: the key and what it holds
// instead of Go's struct and type names ("cannot unmarshal string into Go
// struct field dockerSaveEntry.Layers of type []string"), which mean
// nothing to the user. Errors that are not JSON errors pass unchanged.
func jsonProblem(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		where := "the document"
		if te.Field != "" {
			where = fmt.Sprintf("%q", te.Field)
		}
		return fmt.Errorf("%s holds %s where %s belongs", where, article(te.Value), jsonKind(te.Type))
	case errors.Is(err, io.ErrUnexpectedEOF), err != nil && strings.HasSuffix(err.Error(), "unexpected end of JSON input"):
		return errors.New("truncated JSON")
	case errors.As(err, &se):
		return fmt.Errorf("invalid JSON at byte %d: %s", se.Offset, strings.TrimPrefix(se.Error(), "json: "))
	}
	return err
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

// jsonKind names a Go type as the JSON it is read from.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "another value"
	}
	if reflect.PointerTo(t).Implements(textUnmarshaler) {
		return "a string" // digests, times, platforms: read from strings
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		e := jsonKind(t.Elem())
		for _, a := range []string{"a ", "an "} {
			if k, ok := strings.CutPrefix(e, a); ok && !strings.Contains(k, " ") {
				return "a list of " + k + "s"
			}
		}
		return "a list"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	// structs, maps, and types with their own decoding (digests, times)
	if t.Kind() == reflect.Struct || t.Kind() == reflect.Map {
		return "an object"
	}
	return "another value"
}

// article puts "a"/"an" before the JSON kind a decoder names ("string",
// "number", "array", "object", "bool").
func article(v string) string {
	switch v {
	case "array":
		return "a list"
	case "object":
		return "an object"
	case "bool":
		return "true or false"
	case "":
		return "another value"
	}
	if strings.HasPrefix(v, "number") {
		return "a number"
	}
	return "a " + v
}
