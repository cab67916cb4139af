package ui

import (
	"strings"
	"testing"
)

// TestDetailsHideSecretHashes: the Details pane shows the content hash of
// every version of a file, except of a file a secret rule matched (the
// fixture's app/.env, TOKEN=abc), whose hash gives a short secret back,
// and of every file while there is no analysis yet.
func TestDetailsHideSecretHashes(t *testing.T) {
	a := fixture(t)
	th := newTheme(false)
	for _, tc := range []struct {
		path     string
		analysed bool
		want     bool
	}{
		{"app/.env", true, false},
		{"app/main.js", true, true},
		{"app/main.js", false, false},
	} {
		n := a.Tree.Lookup(tc.path)
		if n == nil {
			t.Fatalf("%s not in the fixture's tree", tc.path)
		}
		da := a
		if !tc.analysed {
			da = nil
		}
		var text []string
		for _, l := range nodeDetails(&th, da, n, nodeInfo{}, nil, false, 0, len(a.Image.Layers)-1) {
			text = append(text, l.text)
		}
		if got := strings.Contains(strings.Join(text, "\n"), "xxh64:"); got != tc.want {
			t.Errorf("details of %s (analysed %v) show a content hash: %v, want %v\n%s", tc.path, tc.analysed, got, tc.want, strings.Join(text, "\n"))
		}
	}
}
