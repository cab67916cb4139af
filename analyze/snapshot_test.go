package analyze_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stagescope/stagescope/analyze"
	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/layers"
	lt "github.com/stagescope/stagescope/layers/layerstest"
)

// TestSnapshot merges an image while it is read, takes a snapshot after
// every layer, and checks each against the tree of a builder that merged
// only the layers up to it: the same nodes, versions (what hid each
// included), and measurements; and that merging more layers leaves a
// snapshot as it was.
func TestSnapshot(t *testing.T) {
	files := [][]lt.File{
		{lt.Dir("app/"), {Name: "app/a", Body: "a1"}, {Name: "app/b", Body: "b1"}, {Name: "app/cache/x", Body: "xxx"}, {Name: "etc/conf", Body: "c"}, {Name: "usr/bin/gcc", Body: "gcc"}},
		{{Name: "app/a", Body: "a2"}, lt.Whiteout("app/b"), {Name: "app/dup", Body: "c"}, lt.Hardlink("usr/bin/cc", "usr/bin/gcc")},
		{lt.Opaque("app/cache"), {Name: "app/cache/y", Body: "y"}, lt.Whiteout("etc")},
		{{Name: "etc/conf", Body: "back"}, lt.Whiteout("usr/bin/gcc")},
	}
	// A directory whose children come so out of order that the builder
	// keeps them in a map, not sorted.
	r := rand.New(rand.NewPCG(3, 4))
	var many []lt.File
	for _, i := range r.Perm(3000) {
		many = append(many, lt.File{Name: fmt.Sprintf("big/f%05d", i), Body: fmt.Sprint(i)})
	}
	files[1] = append(files[1], many...)
	img := lt.Layers(t, files...)

	ctx := context.Background()
	read, err := layers.Read(ctx, img)
	if err != nil {
		t.Fatal(err)
	}
	var snaps []*fstree.Tree
	var flat [][]flatNode
	onMerged := analyze.OnMerged(func(layer int, snapshot func() *fstree.Tree) {
		if layer != len(snaps) {
			t.Errorf("merged layer %d after %d layers", layer, len(snaps))
		}
		s := snapshot()
		snaps = append(snaps, s)
		flat = append(flat, flatten(s))
	})
	if _, err := analyze.Read(ctx, &layers.Source{Image: img}, onMerged, analyze.WithReadOptions(layers.WithParallelism(3))); err != nil {
		t.Fatal(err)
	}
	if len(snaps) != len(files) {
		t.Fatalf("%d snapshots, want one per layer (%d)", len(snaps), len(files))
	}
	for k, s := range snaps {
		b := fstree.NewBuilder()
		for i := 0; i <= k; i++ {
			b.Add(read.Layers[i].Entries)
		}
		want := b.Finish()
		if diff := cmp.Diff(flatten(want), flatten(s), versionFields); diff != "" {
			t.Errorf("snapshot of layers 0..%d (-Finish +Snapshot):\n%s", k, diff)
		}
		if diff := cmp.Diff(flat[k], flatten(s), versionFields); diff != "" {
			t.Errorf("snapshot of layers 0..%d changed as merging went on (-then +now):\n%s", k, diff)
		}
		if diff := cmp.Diff(fstree.Measure(want), fstree.Measure(s)); diff != "" {
			t.Errorf("measure of layers 0..%d (-Finish +Snapshot):\n%s", k, diff)
		}
		if got, want := s.Layers, k+1; got != want {
			t.Errorf("snapshot %d: %d layers, want %d", k, got, want)
		}
		if n := s.Lookup("big/f01234"); k >= 1 && (n == nil || n.Parent.Name != "big") {
			t.Errorf("snapshot %d: big/f01234 not found by Lookup (children unsorted?)", k)
		}
	}
}
