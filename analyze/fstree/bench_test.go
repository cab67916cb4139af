package fstree_test

import (
	"runtime"
	"testing"

	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/analyze/fstree/fstreetest"
)

// BenchmarkBuild merges layers (Builder.Add and Finish) and reports the
// bytes the builder holds per entry once every layer is added (merge-B, the
// tree and what only the merge needs) and the bytes the finished tree holds
// (tree-B).
func BenchmarkBuild(b *testing.B) {
	ls := fstreetest.BenchLayers(200_000)
	n := fstreetest.Entries(ls)
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
		fstreetest.Build(ls)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/entry")
	b.ReportMetric(float64(merged.HeapAlloc-before.HeapAlloc)/float64(n), "merge-B/entry")
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(n), "tree-B/entry")
}

// BenchmarkMeasure computes the metrics of a finished tree.
func BenchmarkMeasure(b *testing.B) {
	ls := fstreetest.BenchLayers(200_000)
	t := fstreetest.Build(ls)
	b.ReportAllocs()
	for b.Loop() {
		fstree.Measure(t)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*t.Nodes()), "ns/node")
}

// BenchmarkSnapshot copies the tree of 200 000 entries merged so far, as
// the browser does to show layers 0..k while k+1.. merge.
func BenchmarkSnapshot(b *testing.B) {
	ls := fstreetest.BenchLayers(200_000)
	bl := fstree.NewBuilder()
	for _, es := range ls {
		bl.Add(es)
	}
	nodes := bl.Snapshot().Nodes()
	b.ReportAllocs()
	for b.Loop() {
		bl.Snapshot()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*nodes), "ns/node")
}
