package ui

import (
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"github.com/stagescope/stagescope/layers"
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
		{name: "tree-filter-typing", keys: []any{'/', "lib"}, pane: func(b *Browser) tview.Primitive { return b.pages }, w: 100, h: 30},
		{name: "tree-filter-kept", keys: []any{'/', "*.h", tcell.KeyEnter}, pane: func(b *Browser) tview.Primitive { return b.tree }, w: 60, h: 8},
		{name: "tree-filter-dropped", keys: []any{'/', "*.h", tcell.KeyEscape}, pane: func(b *Browser) tview.Primitive { return b.tree }, w: 60, h: 8},
		{name: "file-details", keys: []any{tcell.KeyTab, 'e', 'j', 'j'}, pane: func(b *Browser) tview.Primitive { return b.details }, w: 70, h: 12},
		{name: "findings", pane: func(b *Browser) tview.Primitive { return b.findings }, w: 60, h: 12},
		{name: "findings-closed", keys: []any{tcell.KeyBacktab, tcell.KeyBacktab, tcell.KeyEnter}, pane: func(b *Browser) tview.Primitive { return b.findings }, w: 60, h: 12},
		{name: "group-details", keys: []any{tcell.KeyBacktab, tcell.KeyBacktab}, pane: func(b *Browser) tview.Primitive { return b.details }, w: 70, h: 6},
		{name: "finding-details", keys: []any{tcell.KeyBacktab, tcell.KeyBacktab, 'j'}, pane: func(b *Browser) tview.Primitive { return b.details }, w: 70, h: 12},
		{name: "finding-jump", keys: []any{tcell.KeyBacktab, tcell.KeyBacktab, 'G', 'k', 'k', 'k', 'k', tcell.KeyEnter}, pane: func(b *Browser) tview.Primitive { return b.pages }, w: 120, h: 36},
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
