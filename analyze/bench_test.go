package analyze

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/analyze/fstree/fstreetest"
	"github.com/stagescope/stagescope/analyze/leftovers"
	"github.com/stagescope/stagescope/analyze/npm"
	"github.com/stagescope/stagescope/analyze/pkgdb"
	"github.com/stagescope/stagescope/layers"
)

// BenchmarkLeftoverRules runs the leftover pass (mostly matching every path
// against the rule table) over a merged tree of 200 k entries.
func BenchmarkLeftoverRules(b *testing.B) {
	ls := fstreetest.BenchLayers(200_000)
	img := &layers.Image{Layers: make([]layers.Layer, len(ls))}
	for i := range img.Layers {
		img.Layers[i].Index = i
	}
	t := fstreetest.Build(ls)
	a := &Analysis{Image: img, Tree: t, Metrics: fstree.Measure(t)}
	for b.Loop() {
		findLeftovers(a)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(fstreetest.Entries(ls)), "ns/entry")
}

// findLeftovers parses the package databases, runs the leftover pass and
// makes the suggestion, as Read does (without Measure beside them).
func findLeftovers(a *Analysis) {
	files := VisibleFiles(a.Image, a.Tree)
	pkgs := pkgdb.Installed(files)
	r := leftovers.Scan(leftovers.Input{Image: a.Image, Tree: a.Tree, Packages: pkgs, NodePackages: npm.NodePackages(files, pkgs)})
	a.Findings = r.Findings
	a.Leftovers = r.Leftovers(a.Metrics)
	a.Suggestion = leftovers.Suggest(&r.Facts, a.Findings, a.Leftovers.Bytes)
}

// BenchmarkDeepPath analyses one file below a chain of implied directories
// (issue 20: a 1 MB PAX path of 500 000 components). Every implied
// directory must cost O(1) beyond the path's own length: merged, dive's
// numbers, the leftover scan, the permission check.
func BenchmarkDeepPath(b *testing.B) {
	for _, depth := range []int{10_000, 100_000, 500_000} {
		b.Run(fmt.Sprintf("components=%d", depth), func(b *testing.B) {
			e := layers.Entry{Path: strings.Repeat("a/", depth-1) + "f", Type: layers.TypeRegular, Size: 1, Mode: 0o644}
			img := &layers.Image{Layers: []layers.Layer{{Entries: []layers.Entry{e}}}}
			for b.Loop() {
				if a := Run(img); a.Tree.Nodes() != depth {
					b.Fatalf("%d nodes, want %d", a.Tree.Nodes(), depth)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(depth), "ns/component")
		})
	}
}
