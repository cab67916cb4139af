package ui

import (
	"context"
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"
	"github.com/google/go-cmp/cmp"

	"github.com/stagescope/stagescope/analyze"
	"github.com/stagescope/stagescope/analyze/leftovers"
	"github.com/stagescope/stagescope/analyze/rules"
	"github.com/stagescope/stagescope/layers"
	"github.com/stagescope/stagescope/layers/layerstest"
)

// TestDetailsNamesTheChangingLayers: Details says in which layers a path
// was written or removed, not the whole range the tree compares ("added in
// layers 1–3" for a file layer 1 added).
func TestDetailsNamesTheChangingLayers(t *testing.T) {
	tests := []struct {
		path      string
		layer     int
		layerOnly bool
		want      string
	}{
		{path: "usr/bin/gcc", layer: 3, want: "file · 30 kB · added in layer 1"},
		{path: "usr/bin/gcc", layer: 1, want: "file · 30 kB · added in layer 1"},
		{path: "usr/bin/sh", layer: 3, want: "file · 1.2 kB · unchanged since layer 0"},
		{path: "usr/bin/sh", layer: 0, want: "file · 1.2 kB · added in layer 0"},
		{path: "etc/os-release", layer: 3, want: "file · 12 B · modified in layer 3"},
		{path: "etc/os-release", layer: 2, want: "file · 10 B · unchanged since layer 0"},
		{path: "app/.env", layer: 3, want: "file · 10 B · removed in layer 3"},
		{path: "app/main.js", layer: 3, want: "file · 700 B · added in layer 2"},
		{path: "etc/os-release", layer: 3, layerOnly: true, want: "file · 12 B · modified in layer 3"},
		{path: "usr/bin", layer: 3, want: "dir · 31 kB · modified below, in layers 1–3"},
		{path: "etc", layer: 3, layerOnly: true, want: "dir · 12 B · modified below, in layer 3"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			b := loadedBrowser(t)
			n := b.a.Tree.Lookup(tt.path)
			if n == nil {
				t.Fatalf("no %s in the fixture", tt.path)
			}
			b.tree.m.setLayer(tt.layer, tt.layerOnly)
			b.tree.show(n, tt.layer)
			if got := b.tree.selectedNode(); got != n {
				t.Fatalf("selected %v, want %s", got, tt.path)
			}
			if got := lineText(b.tree.describe(), "Kind"); got != tt.want {
				t.Errorf("Kind of %s as of layer %d = %q, want %q", tt.path, tt.layer, got, tt.want)
			}
		})
	}
}

// TestLayerDetailsOrdinal: the last of 4 layers is layer 3, "the 4th of 4",
// never "3 of 4".
func TestLayerDetailsOrdinal(t *testing.T) {
	b := loadedBrowser(t)
	for i, want := range []string{"0 (the 1st of 4)", "1 (the 2nd of 4)", "2 (the 3rd of 4)", "3 (the 4th of 4)"} {
		b.layers.sel = i
		if got := lineText(b.layers.describe(), "Layer"); got != want {
			t.Errorf("layer %d: Layer = %q, want %q", i, got, want)
		}
	}
}

// TestSmallScreenListsRows: at 60×15 the Layers and Findings panes keep
// rows to show (the Image pane gives way), and the Image pane grows back
// at 120×36.
func TestSmallScreenListsRows(t *testing.T) {
	b := loadedBrowser(t)
	for _, size := range [][2]int{{60, 15}, {80, 16}, {120, 36}} {
		got := screenText(t, b.pages, size[0], size[1])
		for _, want := range []string{"  2   4.6 kB", "  3   3.1 kB", "/app/.env"} {
			if !strings.Contains(got, want) {
				t.Errorf("at %d×%d no row %q:\n%s", size[0], size[1], want, got)
			}
		}
		_, _, _, h := b.layers.GetRect()
		if h < 6 {
			t.Errorf("at %d×%d the Layers pane is %d rows high, want at least 6 (a frame, the header and 3 layers)", size[0], size[1], h)
		}
	}
	if got := screenText(t, b.pages, 120, 36); !strings.Contains(got, "Runtime") {
		t.Errorf("at 120×36 the Image pane lost its lines:\n%s", got)
	}
}

// TestSecretsFirstInFindings: the secret category heads the Findings pane
// though its bytes are the fewest.
func TestSecretsFirstInFindings(t *testing.T) {
	m := newFindingsModel(fixture(t))
	var got []rules.Category
	for _, g := range m.groups {
		got = append(got, g.cat)
	}
	want := []rules.Category{rules.CatSecret, rules.CatWasted, rules.CatToolchain, rules.CatDevHeaders}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("category order (-want +got):\n%s", diff)
	}
}

// TestJumpKeepsTheParentInView: Enter on a finding above the tree's view
// puts the cursor on its path with the directory holding it on screen
// too, not on the top row with its directory scrolled off above it.
func TestJumpKeepsTheParentInView(t *testing.T) {
	b := loadedBrowser(t)
	press(b, tcell.KeyTab, 'e', 'G') // every directory open, the cursor at the bottom
	screenText(t, b.tree, 60, 11)    // a tree pane with 8 rows
	if b.tree.top < 6 {
		t.Fatalf("the tree did not scroll (top row %d): the test needs the jump target above the view", b.tree.top)
	}
	for i := range b.findings.m.rows {
		if f := b.findings.m.finding(i); f != nil && f.RuleID == "c-headers" {
			b.findings.sel = i
		}
	}
	b.findings.jump()
	if n := b.tree.selectedNode(); n == nil || n.Path() != "usr/include" {
		t.Fatalf("jump selected %v, want usr/include", n)
	}
	got := screenText(t, b.tree, 60, 11)
	for _, want := range []string{"▾ usr", "include"} {
		if !strings.Contains(got, want) {
			t.Errorf("after the jump %q is not in view:\n%s", want, got)
		}
	}
}

// TestOneIsSingular: counts of one read "1 file", "1 layer", "1 entry" in
// every pane and the title bar; no "1 files".
func TestOneIsSingular(t *testing.T) {
	img, err := layers.Read(context.Background(), layerstest.Image(t, layerstest.Step{
		CreatedBy: "COPY app /app", Files: []layerstest.File{{Name: "app", Body: "x"}},
	}), layers.WithParallelism(1))
	if err != nil {
		t.Fatal(err)
	}
	a := analyze.Run(img)
	a.Findings = []leftovers.Finding{{RuleID: "r", Category: rules.CatDocs, Severity: rules.SevInfo, Path: "app", Files: 1, Bytes: 1, HiddenBy: -1}}
	a.Leftovers.Files, a.Leftovers.Bytes = 1, 1
	b := browserOf(t, a)
	st, _ := b.status()
	texts := []string{st, b.findings.makeTitle(), lineText(b.layers.describe(), "Size"), lineText(b.layers.describe(), "Changes")}
	for _, l := range summaryLines(&b.th, "x", a) {
		texts = append(texts, l.text)
	}
	b.findings.sel = 0
	texts = append(texts, lineText(b.findings.describe(), "Bytes"))
	all := strings.Join(texts, "\n")
	for _, bad := range []string{"1 files", "1 layers", "1 entries", "1 findings"} {
		if strings.Contains(all, bad) {
			t.Errorf("%q in:\n%s", bad, all)
		}
	}
	for _, want := range []string{"1 layer · 1 file", "1 B in 1 file", "+1 file", "1 entry", "1 finding, 1 file, from 1 layer"} {
		if !strings.Contains(all, want) {
			t.Errorf("no %q in:\n%s", want, all)
		}
	}
}
