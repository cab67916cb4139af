package ui

import (
	"context"
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/stagescope/stagescope/analyze"
	"github.com/stagescope/stagescope/layers"
	"github.com/stagescope/stagescope/layers/layerstest"
)

// TestViewer opens files of a real image from the tree: a text file with
// an escape sequence in it (drawn escaped), a binary (a hex dump), a
// secret deleted in a later layer (read from the layer that wrote it), and
// a file past the size limit.
func TestViewer(t *testing.T) {
	img := layerstest.Image(t,
		layerstest.Step{CreatedBy: "base", Files: []layerstest.File{
			{Name: "etc/motd", Body: "hello\x1b]0;pwned\x07 world\n\tindented\n"},
			{Name: "bin/tool", Body: "\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00>\x00"},
			{Name: "app/.env", Body: "TOKEN=s3cr3t\n"},
			{Name: "big.txt", Body: strings.Repeat("0123456789abcde\n", viewLimit/16+10)},
		}},
		layerstest.Step{CreatedBy: "cleanup", Files: []layerstest.File{layerstest.Whiteout("app/.env")}},
	)
	var reads []int
	b, posted := viewerBrowser(t, "viewer.tar", img, func(layer int, _ string) { reads = append(reads, layer) })
	view := func(find string, key any) string {
		t.Helper()
		press(b, 'f', find, tcell.KeyEnter, key)
		if !b.viewerOpen || b.focus != paneViewer {
			t.Fatalf("%s: the viewer did not open", find)
		}
		(<-posted)()
		got := screenText(t, b.pages, 80, 12)
		press(b, tcell.KeyEscape)
		if b.viewerOpen || b.focus != paneTree {
			t.Fatalf("%s: Esc did not close the viewer", find)
		}
		press(b, 'f', tcell.KeyEscape) // drops the search
		return got
	}
	golden(t, "viewer-text", view("motd", 'v'))
	golden(t, "viewer-binary", view("tool", tcell.KeyEnter))
	golden(t, "viewer-deleted", view(".env", 'v'))
	if got, want := reads[len(reads)-1], 0; got != want {
		t.Errorf("the deleted .env was read from layer %d, want %d (the layer that wrote it)", got, want)
	}
	big := view("big.txt", 'v')
	if !strings.Contains(big, "big.txt · as layer 0 wrote it · 1.0 MB") {
		t.Errorf("big.txt's title:\n%s", big)
	}
	press(b, 'f', "big.txt", tcell.KeyEnter, 'v')
	(<-posted)()
	if n := len(b.viewer.lines); n != viewLimit/16+1 || !strings.HasPrefix(b.viewer.lines[n-1], "… the first 1.0 MB of 1.0 MB shown") {
		t.Errorf("big.txt: %d lines, the last %q; want the first MiB and a note", n, b.viewer.lines[n-1])
	}
}

func TestHexDump(t *testing.T) {
	got := hexDump([]byte("\x00\x01ABCDEFGHIJKLMNOPQ\xff"))
	want := []string{
		"00000000  00 01 41 42 43 44 45 46  47 48 49 4a 4b 4c 4d 4e  |..ABCDEFGHIJKLMN|",
		"00000010  4f 50 51 ff                                       |OPQ.|",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("hexDump:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// viewerBrowser is a browser on img, read and analyzed, whose viewer
// reads img's files (telling read which) and posts its updates on the
// channel returned instead of to an application.
func viewerBrowser(t *testing.T, ref string, img v1.Image, read func(layer int, path string)) (*Browser, chan func()) {
	t.Helper()
	li, err := layers.Read(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	b, err := newBrowser(ref)
	if err != nil {
		t.Fatal(err)
	}
	b.setAnalysis(analyze.Run(li))
	posted := make(chan func(), 1)
	b.viewer.post = func(f func()) { posted <- f }
	b.viewer.read = func(ctx context.Context, layer int, path string, limit int64) ([]byte, int64, error) {
		read(layer, path)
		return layers.ReadFile(ctx, img, layer, path, limit)
	}
	return b, posted
}
