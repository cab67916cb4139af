package analyze

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/layers"
)

// benchLayers is an image of n entries shaped like the bench/gen images: two
// base layers of directories with a few dozen files each, and a change layer
// that overwrites 1 % of the files, whites out 1 % and makes one directory
// opaque.
func benchLayers(n int) [][]layers.Entry {
	var base [][]layers.Entry
	var files []string
	for l, root := range []string{"usr/lib", "usr/share"} {
		var es []layers.Entry
		for i := 0; len(es) < n/2; i++ {
			dir := fmt.Sprintf("%s/package-%04d/sub-%d", root, i, i%7)
			es = append(es, layers.Entry{Path: dir, Type: layers.TypeDir, Mode: 0o755})
			for j := 0; j < 30 && len(es) < n/2; j++ {
				p := fmt.Sprintf("%s/file-%02d-of-package-%04d.txt", dir, j, i)
				es = append(es, layers.Entry{Path: p, Type: layers.TypeRegular, Mode: 0o644,
					Size: int64((i*131 + j*17 + l) % 8192), Digest: uint64(i*1000+j) + 1})
				files = append(files, p)
			}
		}
		base = append(base, es)
	}
	var change []layers.Entry
	for k, p := range files {
		switch k % 100 {
		case 0:
			change = append(change, layers.Entry{Path: p, Type: layers.TypeRegular, Mode: 0o644, Size: 100, Digest: uint64(k)})
		case 50:
			change = append(change, layers.Entry{Path: p, Whiteout: layers.FileWhiteout})
		}
	}
	change = append(change, layers.Entry{Path: "usr/share/package-0001", Type: layers.TypeDir, Whiteout: layers.OpaqueWhiteout})
	return append(base, change)
}

func build(ls [][]layers.Entry) *fstree.Tree {
	b := fstree.NewBuilder()
	for _, es := range ls {
		b.Add(es)
	}
	return b.Finish()
}

func entries(ls [][]layers.Entry) int {
	n := 0
	for _, es := range ls {
		n += len(es)
	}
	return n
}

// BenchmarkBuild merges layers (Builder.Add and Finish) and reports the
// bytes the builder holds per entry once every layer is added (merge-B, the
// tree and what only the merge needs) and the bytes the finished tree holds
// (tree-B).
func BenchmarkBuild(b *testing.B) {
	ls := benchLayers(200_000)
	n := entries(ls)
	var before, merged, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	bl := fstree.NewBuilder()
	for _, es := range ls {
		bl.Add(es)
	}
	runtime.GC()
	runtime.ReadMemStats(&merged)
	t := bl.Finish()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(t)
	b.ReportAllocs()
	for b.Loop() {
		build(ls)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/entry")
	b.ReportMetric(float64(merged.HeapAlloc-before.HeapAlloc)/float64(n), "merge-B/entry")
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(n), "tree-B/entry")
}

// BenchmarkMeasure computes the metrics of a finished tree.
func BenchmarkMeasure(b *testing.B) {
	ls := benchLayers(200_000)
	t := build(ls)
	b.ReportAllocs()
	for b.Loop() {
		fstree.Measure(t)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*t.Nodes()), "ns/node")
}

// BenchmarkLeftoverRules runs the leftover pass (mostly matching every path
// against the rule table) over a merged tree of 200 k entries.
func BenchmarkLeftoverRules(b *testing.B) {
	ls := benchLayers(200_000)
	img := &layers.Image{Layers: make([]layers.Layer, len(ls))}
	for i := range img.Layers {
		img.Layers[i].Index = i
	}
	t := build(ls)
	a := &Analysis{Image: img, Tree: t, Metrics: fstree.Measure(t)}
	for b.Loop() {
		findLeftovers(a, &options{})
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(entries(ls)), "ns/entry")
}

// findLeftovers runs the rules and the analyzers over the analysis and
// makes the suggestion, as Read does (without Measure beside them).
func findLeftovers(a *Analysis, o *options) {
	r := scanLeftovers(a.Image, a.Tree, o)
	a.Findings = r.findings
	a.Leftovers = r.leftovers(a.Metrics)
	a.Suggestion = Suggest(&r.facts, a.Findings, a.Leftovers.Bytes)
}
