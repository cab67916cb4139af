package readme

import (
	"os"
	"path/filepath"
	"testing"
)

func TestSample(t *testing.T) {
	doc := "# T\n\n<!-- sample: a -->\n```console\none\ntwo\n```\n\n<!-- sample: empty -->\n```\n```\ntail\n"
	tests := []struct {
		name, want, err string
	}{
		{name: "a", want: "one\ntwo\n"},
		{name: "empty", want: ""},
		{name: "nosuch", err: `no "<!-- sample: nosuch -->" line`},
	}
	for _, tt := range tests {
		got, start, end, err := Sample(doc, tt.name)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("Sample(%s): error %v, want %q", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want || doc[start:end] != tt.want {
			t.Errorf("Sample(%s) = %q, %v (doc[%d:%d] = %q); want %q", tt.name, got, err, start, end, doc[start:end], tt.want)
		}
	}
	for _, bad := range []string{"<!-- sample: x -->\nnot a fence\n", "<!-- sample: x -->\n```\nno end\n"} {
		if _, _, _, err := Sample(bad, "x"); err == nil {
			t.Errorf("Sample(%q) found a sample", bad)
		}
	}
}

// TestSyncUpdate: -update writes the sample, and the file then compares
// equal; the text around it is kept.
func TestSyncUpdate(t *testing.T) {
	p := filepath.Join(t.TempDir(), "README.md")
	if err := os.WriteFile(p, []byte("intro\n<!-- sample: s -->\n```\nold\n```\noutro\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	Sync(t, p, "s", "new 1\nnew 2", true)
	Sync(t, p, "s", "new 1\nnew 2\n", false)
	got, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if want := "intro\n<!-- sample: s -->\n```\nnew 1\nnew 2\n```\noutro\n"; string(got) != want {
		t.Errorf("file after -update = %q, want %q", got, want)
	}
}
