package ui

import (
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"
)

// TestFind: f finds as one types, from the cursor, through closed
// directories; n and N go round the matches in the tree's order; Esc
// drops the search.
func TestFind(t *testing.T) {
	b := loadedBrowser(t)
	selected := func() string {
		if n := b.tree.selectedNode(); n != nil {
			return n.Path()
		}
		return ""
	}
	tests := []struct {
		keys []any
		want string
	}{
		{[]any{'f', "gcc", tcell.KeyEnter}, "usr/bin/gcc"},
		{[]any{'n'}, "var/cache/apt/archives/gcc_12_amd64.deb"},
		{[]any{'n'}, "usr/bin/gcc"},
		{[]any{'N'}, "var/cache/apt/archives/gcc_12_amd64.deb"},
		{[]any{'N'}, "usr/bin/gcc"},
		{[]any{'f', tcell.KeyBackspace2, tcell.KeyBackspace2, tcell.KeyBackspace2, "*.js", tcell.KeyEnter}, "app/main.js"},
		{[]any{'n'}, "app/node_modules/left-pad/index.js"},
		{[]any{'f', tcell.KeyEscape, 'n'}, "app/node_modules/left-pad/index.js"},
	}
	for _, tt := range tests {
		press(b, tt.keys...)
		if got := selected(); got != tt.want {
			t.Fatalf("after %v: selected %q, want %q", tt.keys, got, tt.want)
		}
		if b.focus != paneTree {
			t.Fatalf("after %v: focus on %s, want the tree", tt.keys, paneNames[b.focus])
		}
	}
	if got := b.tree.search.pattern; got != "" {
		t.Errorf("search after Esc = %q, want none", got)
	}
}

// TestCopyPath: y puts the selected path on the terminal's clipboard and
// says so.
func TestCopyPath(t *testing.T) {
	b := loadedBrowser(t)
	s := tcell.NewSimulationScreen("UTF-8")
	if err := s.Init(); err != nil {
		t.Fatal(err)
	}
	defer s.Fini()
	b.screen = s
	press(b, 'f', "stdio", tcell.KeyEnter, 'y')
	if got, want := string(s.GetClipboardData()), "/usr/include/stdio.h"; got != want {
		t.Errorf("clipboard = %q, want %q", got, want)
	}
	if got := screenText(t, b.titleBar, 100, 1); !strings.Contains(got, "copied /usr/include/stdio.h") {
		t.Errorf("title bar = %q, want it to say what was copied", got)
	}
	press(b, 'j')
	if got := screenText(t, b.titleBar, 100, 1); strings.Contains(got, "copied") {
		t.Errorf("title bar after the next key = %q, want the notice gone", got)
	}
}
