package layers

import (
	"encoding/json"
	"errors"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// TestJSONProblem: errors about JSON documents name the document's keys and
// kinds, never Go's struct or type names.
func TestJSONProblem(t *testing.T) {
	for _, tt := range []struct {
		doc  string
		into any
		want string
	}{
		{`[{"Config":"c.json","Layers":"layer.tar"}]`, &[]dockerSaveEntry{}, `"Layers" holds a string where a list of strings belongs`},
		{`[{"Config":7}]`, &[]dockerSaveEntry{}, `"Config" holds a number where a string belongs`},
		{`{"rootfs":{"diff_ids":"x"}}`, &v1.ConfigFile{}, `"rootfs.diff_ids" holds a string where a list of strings belongs`},
		{`{"schemaVersion":"2"}`, &v1.IndexManifest{}, `"schemaVersion" holds a string where a number belongs`},
		{`[{"Config":`, &[]dockerSaveEntry{}, "truncated JSON"},
		{`[{"Config" "x"}]`, &[]dockerSaveEntry{}, "invalid JSON at byte 12: invalid character '\"' after object key"},
		{`{}`, &[]dockerSaveEntry{}, `the document holds an object where a list of objects belongs`},
	} {
		err := jsonProblem(json.Unmarshal([]byte(tt.doc), tt.into))
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s: got %v, want %q", tt.doc, err, tt.want)
		}
	}
	other := errors.New("disk on fire")
	if got := jsonProblem(other); !errors.Is(got, other) || got.Error() != other.Error() {
		t.Errorf("a non-JSON error changed: %v", got)
	}
}
