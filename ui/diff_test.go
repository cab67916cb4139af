package ui

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"
	"github.com/google/go-cmp/cmp"

	"github.com/stagescope/stagescope/layers/layerstest"
)

// TestDiff diffs versions of files of a real image, read on demand from
// the layers that wrote them: two versions picked with d in Details'
// Versions list (an escape sequence in them drawn escaped), a version
// against its deletion, the tree's d (the version shown against the one
// before), a binary, and a file past the size limit.
func TestDiff(t *testing.T) {
	conf1 := "# app\nport=80\n\tname=\x1b]0;pwned\x07 demo\nlog=info\n"
	conf2 := "# app\nport=8080\n\tname=\x1b]0;pwned\x07 demo\nlog=info\nworkers=4\n"
	big := strings.Repeat("0123456789abcde\n", viewLimit/16+10)
	img := layerstest.Image(t,
		layerstest.Step{CreatedBy: "base", Files: []layerstest.File{
			{Name: "etc/app.conf", Body: conf1},
			{Name: "bin/tool", Body: "\x7fELF\x02\x01\x01\x00"},
			{Name: "big.txt", Body: big},
		}},
		layerstest.Step{CreatedBy: "configure", Files: []layerstest.File{
			{Name: "etc/app.conf", Body: conf2},
			{Name: "bin/tool", Body: "\x7fELF\x02\x01\x01\x00\x01"},
			{Name: "big.txt", Body: "small now\n" + big},
		}},
		layerstest.Step{CreatedBy: "cleanup", Files: []layerstest.File{layerstest.Whiteout("etc/app.conf")}},
	)
	type read struct {
		layer int
		path  string
	}
	var reads []read
	b, posted := viewerBrowser(t, "diff.tar", img, func(layer int, path string) { reads = append(reads, read{layer, path}) })
	// find selects the first path that matches in the tree.
	find := func(s string) { press(b, 'f', tcell.KeyEscape, 'f', s, tcell.KeyEnter) }
	// shown waits for the viewer's lines and returns the screen.
	shown := func(what string) string {
		t.Helper()
		if !b.viewerOpen || b.focus != paneViewer {
			t.Fatalf("%s: the viewer did not open (notice %q)", what, b.notice)
		}
		(<-posted)()
		return screenText(t, b.pages, 80, 16)
	}

	// app.conf, removed by the last layer: Details lists three versions,
	// the cursor on the newest (the deletion).
	find("app.conf")
	press(b, tcell.KeyTab)
	if b.focus != paneDetails {
		t.Fatalf("focus = %s, want Details", paneNames[b.focus])
	}
	press(b, 'k', 'd', 'k')
	golden(t, "details-versions-picked", screenText(t, b.details, 80, 12))
	press(b, 'd')
	golden(t, "diff-versions", shown("layers 0 and 1"))
	if got, want := fmt.Sprint(reads), "[{0 etc/app.conf} {1 etc/app.conf}]"; got != want {
		t.Errorf("reads = %v, want %v (each version from the layer that wrote it)", got, want)
	}
	press(b, tcell.KeyEscape)
	if b.viewerOpen || b.focus != paneDetails {
		t.Fatalf("Esc did not close the diff back to Details (focus %s)", paneNames[b.focus])
	}

	// Layer 1's version against its deletion by layer 2: every line goes.
	press(b, 'j', 'd', 'j', 'd')
	shown("layer 1 and the deletion")
	want := []string{
		"--- /etc/app.conf (layer 1)",
		"+++ /etc/app.conf (deleted by layer 2)",
		"@@ -1,5 +0,0 @@",
		"-# app",
		"-port=8080",
		"-    name=\x1b]0;pwned\x07 demo",
		"-log=info",
		"-workers=4",
	}
	if diff := cmp.Diff(want, b.viewer.lines); diff != "" {
		t.Errorf("diff against the deletion (-want +got):\n%s", diff)
	}
	press(b, tcell.KeyEscape)

	// d on a version, d on it again: the pick is dropped, nothing opens.
	press(b, 'd', 'd')
	if b.viewerOpen || b.details.mark >= 0 {
		t.Errorf("d twice on one version: viewer open %v, mark %d; want neither", b.viewerOpen, b.details.mark)
	}

	// The tree's d: the version shown against the one before it.
	tests := []struct {
		find string
		want []string // lines the diff holds
	}{
		{"tool", []string{"the versions are not both text: no line diff", "/bin/tool (layer 0): binary, 8 B (v views it as a hex dump)"}},
		{"big.txt", []string{"… only the first 1.0 MB of the 1.0 MB of /big.txt (layer 0) compared", "@@ -1,3 +1,4 @@", "+small now"}},
	}
	for _, tt := range tests {
		find(tt.find)
		press(b, 'd')
		shown(tt.find)
		got := strings.Join(b.viewer.lines, "\n")
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: the diff lacks %q:\n%s", tt.find, w, got)
			}
		}
		press(b, tcell.KeyEscape)
	}

	// d on a directory does nothing.
	find("etc")
	press(b, 'd')
	if b.viewerOpen {
		t.Error("d on a directory opened the viewer")
	}
}
