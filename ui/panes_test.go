package ui

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"
	"github.com/google/go-cmp/cmp"
	"github.com/rivo/tview"

	"github.com/stagescope/stagescope/analyze"
	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/layers"
	"github.com/stagescope/stagescope/layers/layerstest"
)

// TestPanes draws each pane, after keys sent to the handler, and compares
// the text with its golden file.
func TestPanes(t *testing.T) {
	tests := []struct {
		name string
		keys []any
		pane func(b *Browser) tview.Primitive
		w, h int
	}{
		{name: "screen", pane: func(b *Browser) tview.Primitive { return b.pages }, w: 120, h: 36},
		{name: "screen-small", keys: []any{tcell.KeyTab}, pane: func(b *Browser) tview.Primitive { return b.pages }, w: 80, h: 24},
		{name: "layers", pane: func(b *Browser) tview.Primitive { return b.layers }, w: 80, h: 8},
		{name: "layers-scrolled", keys: []any{'l', 'l', 'l', tcell.KeyLeft}, pane: func(b *Browser) tview.Primitive { return b.layers }, w: 80, h: 8},
		{name: "layers-narrow", pane: func(b *Browser) tview.Primitive { return b.layers }, w: 40, h: 8},
		{name: "summary", pane: func(b *Browser) tview.Primitive { return b.summary }, w: 70, h: 8},
		{name: "layer-details", keys: []any{'k', 'k'}, pane: func(b *Browser) tview.Primitive { return b.details }, w: 60, h: 12},
		{name: "tree", keys: []any{tcell.KeyTab}, pane: func(b *Browser) tview.Primitive { return b.tree }, w: 60, h: 10},
		{name: "tree-open-all", keys: []any{tcell.KeyTab, 'e'}, pane: func(b *Browser) tview.Primitive { return b.tree }, w: 60, h: 28},
		{name: "tree-open-one", keys: []any{tcell.KeyTab, tcell.KeyEnter, 'j', 'l'}, pane: func(b *Browser) tview.Primitive { return b.tree }, w: 60, h: 12},
		{name: "tree-by-name", keys: []any{tcell.KeyTab, 's'}, pane: func(b *Browser) tview.Primitive { return b.tree }, w: 60, h: 10},
		{name: "tree-layer1-only", keys: []any{'k', 'k', 'a', tcell.KeyTab, 'e'}, pane: func(b *Browser) tview.Primitive { return b.tree }, w: 60, h: 14},
		{name: "tree-wasted", keys: []any{tcell.KeyTab, 'w'}, pane: func(b *Browser) tview.Primitive { return b.tree }, w: 60, h: 12},
		{name: "tree-leftovers", keys: []any{tcell.KeyTab, 'o'}, pane: func(b *Browser) tview.Primitive { return b.tree }, w: 60, h: 10},
		{name: "tree-unchanged-hidden", keys: []any{tcell.KeyTab, 'u'}, pane: func(b *Browser) tview.Primitive { return b.tree }, w: 60, h: 8},
		{name: "tree-attributes", keys: []any{tcell.KeyTab, 'e', 'b'}, pane: func(b *Browser) tview.Primitive { return b.tree }, w: 80, h: 14},
		{name: "tree-hiding-added-removed", keys: []any{tcell.KeyTab, 'e', '+', tcell.KeyCtrlR}, pane: func(b *Browser) tview.Primitive { return b.tree }, w: 70, h: 14},
		{name: "tree-filter-typing", keys: []any{'/', "lib"}, pane: func(b *Browser) tview.Primitive { return b.pages }, w: 100, h: 30},
		{name: "tree-filter-kept", keys: []any{'/', "*.h", tcell.KeyEnter}, pane: func(b *Browser) tview.Primitive { return b.tree }, w: 60, h: 8},
		{name: "tree-filter-dropped", keys: []any{'/', "*.h", tcell.KeyEscape}, pane: func(b *Browser) tview.Primitive { return b.tree }, w: 60, h: 8},
		{name: "file-details", keys: []any{tcell.KeyTab, 'e', 'j', 'j'}, pane: func(b *Browser) tview.Primitive { return b.details }, w: 70, h: 12},
		{name: "findings", pane: func(b *Browser) tview.Primitive { return b.findings }, w: 60, h: 12},
		{name: "findings-closed", keys: []any{tcell.KeyBacktab, tcell.KeyEnter}, pane: func(b *Browser) tview.Primitive { return b.findings }, w: 60, h: 12},
		{name: "group-details", keys: []any{tcell.KeyBacktab}, pane: func(b *Browser) tview.Primitive { return b.details }, w: 70, h: 6},
		{name: "finding-details", keys: []any{tcell.KeyBacktab, 'j'}, pane: func(b *Browser) tview.Primitive { return b.details }, w: 70, h: 12},
		{name: "finding-jump", keys: []any{tcell.KeyBacktab, 'G', 'k', 'k', tcell.KeyEnter}, pane: func(b *Browser) tview.Primitive { return b.pages }, w: 120, h: 36},
		{name: "help", keys: []any{'?'}, pane: func(b *Browser) tview.Primitive { return b.pages }, w: 100, h: 40},
		{name: "help-closed", keys: []any{'?', 'q'}, pane: func(b *Browser) tview.Primitive { return b.pages }, w: 100, h: 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := loadedBrowser(t)
			press(b, tt.keys...)
			golden(t, tt.name, screenText(t, tt.pane(b), tt.w, tt.h))
		})
	}
}

// TestPanesWhileLoading draws the browser part way through reading: the
// layers read so far are there, the rest waits.
func TestPanesWhileLoading(t *testing.T) {
	a := fixture(t)
	b, err := newBrowser("fixture.tar")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "opening", screenText(t, b.pages, 100, 20))

	b.setProgress(layers.Progress{LayersDone: 0, LayersTotal: 4, BytesRead: 4096})
	for _, i := range []int{2, 0} {
		l := a.Image.Layers[i]
		b.addLayer(l)
	}
	b.setProgress(layers.Progress{LayersDone: 2, LayersTotal: 4, BytesRead: 70000})
	press(b, 'j', 'j') // the panes work while loading
	golden(t, "loading", screenText(t, b.pages, 100, 20))

	b.setProgress(layers.Progress{LayersDone: 4, LayersTotal: 4, BytesRead: 100000})
	st, _ := b.status()
	if want := "merging 4 layers…"; st != want {
		t.Errorf("status after the last layer = %q, want %q", st, want)
	}
	b.setAnalysis(a)
	if got, want := b.layers.sel, 2; got != want {
		t.Errorf("layer picked while loading = %d, want %d kept", got, want)
	}
	if got, want := b.tree.m.layer, 2; got != want {
		t.Errorf("tree layer = %d, want %d", got, want)
	}
}

// TestTinyScreens: the browser draws on any size without a panic, and at
// a usable size the panes reflow rather than vanish.
func TestTinyScreens(t *testing.T) {
	b := loadedBrowser(t)
	press(b, tcell.KeyTab, 'e', '?')
	for _, size := range [][2]int{{1, 1}, {2, 3}, {10, 5}, {30, 10}, {45, 15}} {
		screenText(t, b.pages, size[0], size[1])
	}
	press(b, tcell.KeyEscape)
	got := screenText(t, b.pages, 60, 20)
	for _, want := range []string{"Layers", "Files", "Findings", "Details"} {
		if !strings.Contains(got, want) {
			t.Errorf("at 60×20 the %s pane is gone:\n%s", want, got)
		}
	}
}

// snapshots merges the fixture image for real and returns the tree of
// layers 0..k for every k, as analyze.Read hands them to Events.Merged.
func snapshots(t *testing.T) []*fstree.Tree {
	t.Helper()
	var out []*fstree.Tree
	onMerged := analyze.OnMerged(func(_ int, snapshot func() *fstree.Tree) { out = append(out, snapshot()) })
	src := &layers.Source{Image: layerstest.Image(t, fixtureSteps()...)}
	if _, err := analyze.Read(context.Background(), src, onMerged); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestPreviewStatus: once the tree of the first layer, still being read,
// is on the screen, the title bar says the image is being read, even
// before the first progress report (a one-pass stream reports none until
// a layer ends); a preview withdrawn leaves the screen, and so does one
// whose layer failed to read.
func TestPreviewStatus(t *testing.T) {
	snaps := snapshots(t)
	a := fixture(t)
	b, err := newBrowser("-")
	if err != nil {
		t.Fatal(err)
	}
	status := func() string {
		st, _ := b.status()
		return st
	}
	if got, want := status(), "opening image…"; got != want {
		t.Errorf("status before anything is read = %q, want %q", got, want)
	}
	b.setPreviewTree(snaps[0], 0, 5)
	if got, want := status(), "reading image"; got != want {
		t.Errorf("status with a preview on the screen and no progress yet = %q, want %q", got, want)
	}
	b.setProgress(layers.Progress{BytesRead: 2_500_000})
	if got, want := status(), "reading image · 2.5 MB"; got != want {
		t.Errorf("status with a preview and bytes read of an unknown number of layers = %q, want %q", got, want)
	}

	for _, tt := range []struct {
		name string
		end  func()
	}{
		{"withdrawn", b.dropPreview},
		{"failed", func() {
			b.addLayer(a.Image.Layers[1]) // a layer above was read: the browser stays open
			b.fail(errors.New("reading layer 0 (sha256:ab12…): unexpected EOF"))
		}},
	} {
		b.setPreviewTree(snaps[0], 0, 5)
		if got := b.tree.m.tree.Layers; got != 1 {
			t.Fatalf("%s: the preview is not on the screen (a tree of %d layers)", tt.name, got)
		}
		tt.end()
		if got := b.tree.m.tree.Layers; got != 0 || b.previewEntries != 0 {
			t.Errorf("%s: the screen keeps the preview (a tree of %d layers, %d entries read)", tt.name, got, b.previewEntries)
		}
	}
}

// TestProgressiveTree: the tree is there as soon as the first layer is
// merged and follows the layers as they merge, keeping the open
// directories and the path under the cursor; a layer the user picks stays
// picked, through the finished analysis.
func TestProgressiveTree(t *testing.T) {
	snaps := snapshots(t)
	a := fixture(t)
	b, err := newBrowser("fixture.tar")
	if err != nil {
		t.Fatal(err)
	}
	b.setProgress(layers.Progress{LayersTotal: 4})
	b.addLayer(a.Image.Layers[0])
	b.setPartialTree(snaps[0])
	press(b, tcell.KeyTab, tcell.KeyEnter, 'j', 'l', 'j') // usr open, lib open, libc.so.6
	golden(t, "tree-partial", screenText(t, b.pages, 100, 24))
	if n := b.tree.selectedNode(); n == nil || n.Path() != "usr/lib/libc.so.6" {
		t.Fatalf("selected before layer 1 merged: %v, want usr/lib/libc.so.6", n)
	}

	b.addLayer(a.Image.Layers[1])
	b.setPartialTree(snaps[1])
	if got, want := b.tree.m.layer, 1; got != want {
		t.Errorf("tree layer after layer 1 merged: %d, want %d (the newest)", got, want)
	}
	if got, want := b.layers.sel, 1; got != want {
		t.Errorf("layers cursor after layer 1 merged: %d, want %d (it follows)", got, want)
	}
	if n := b.tree.selectedNode(); n == nil || n.Path() != "usr/lib/libc.so.6" {
		t.Errorf("selected after layer 1 merged: %v, want usr/lib/libc.so.6 kept", n)
	}
	// var (50 kB of apt cache) comes first now; usr and usr/lib stay open.
	want := []string{"+ var/ 50000 L1", "~ usr/ 42700 L0", "  ~ bin/ 31200 L0", "    lib/ 9000 L0", "      libc.so.6 9000 L0", "  + include/ 2500 L1", "  etc/ 10 L0", "  bin 0 L0", "  tmp/ 0 L0"}
	if diff := cmp.Diff(want, rowStrings(b.tree.m)); diff != "" {
		t.Errorf("rows after layer 1 merged (-want +got):\n%s", diff)
	}

	// The user picks layer 0: the tree stays there as layers merge.
	b.setFocus(paneLayers)
	press(b, 'k')
	b.setPartialTree(snaps[2])
	if got := b.tree.m.layer; got != 0 {
		t.Errorf("tree layer after the user picked 0 and layer 2 merged: %d, want 0", got)
	}
	if got, want := b.tree.makeTitle(), "Files · layers 0–0 · by size · 10 kB · 3 of 4 layers merged"; got != want {
		t.Errorf("title = %q, want %q", got, want)
	}
	b.setAnalysis(a)
	if got := b.tree.m.layer; got != 0 {
		t.Errorf("tree layer after the analysis: %d, want 0", got)
	}
	if n := b.tree.selectedNode(); n == nil || n.Path() != "usr/lib/libc.so.6" || n != a.Tree.Lookup("usr/lib/libc.so.6") {
		t.Errorf("selected after the analysis: %v, want the finished tree's usr/lib/libc.so.6", n)
	}
}
