package analyze_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stagescope/stagescope/analyze"
	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/layers"
	lt "github.com/stagescope/stagescope/layers/layerstest"
)

// TestPartialPreview reads an image from a registry on loopback that sends
// the first layer's blob slowly and holds its second half back: OnPartial
// hands trees of the first layer's entries read so far, each the tree a
// builder makes of those entries, all before the layer is merged; the
// analysis is the one a read without previews makes.
func TestPartialPreview(t *testing.T) {
	first := lt.ManyFiles("usr/share/doc", 2000, 300)
	// A directory whose children come so out of order that the builder
	// keeps them in a map.
	for _, i := range rand.New(rand.NewPCG(5, 6)).Perm(3000) {
		first = append(first, lt.File{Name: fmt.Sprintf("big/f%05d", i), Body: fmt.Sprint(i)})
	}
	img := lt.Layers(t, first, []lt.File{{Name: "etc/hello", Body: "hello\n"}, lt.Whiteout("big")})
	ctx := context.Background()
	read, err := layers.Read(ctx, img)
	if err != nil {
		t.Fatal(err)
	}
	ref, releaseOnce := lt.TrickleFirst(t, img)

	type preview struct {
		entries int
		flat    []flatNode
		layers  int
	}
	var previews []preview // appended on the merging goroutine; read after Load
	merged := false
	onPartial := analyze.OnPartial(time.Millisecond, func(layer, entries int, snapshot func() *fstree.Tree) {
		if layer != 0 || merged {
			t.Errorf("preview of layer %d (layer 0 merged: %v), want only layer 0's before it is merged", layer, merged)
		}
		s := snapshot()
		previews = append(previews, preview{entries, flatten(s), s.Layers})
		releaseOnce() // the rest of the layer comes once a preview was taken
	})
	onMerged := analyze.OnMerged(func(layer int, _ func() *fstree.Tree) { merged = true })
	loaded := make(chan struct{})
	go func() {
		select {
		case <-loaded:
		case <-time.After(20 * time.Second):
			releaseOnce() // no preview came: the test fails below, not by timeout
		}
	}()
	got, _, err := analyze.Load(ctx, ref, onPartial, onMerged, analyze.WithLoadOptions(layers.WithInsecure(), layers.WithoutDaemon()))
	close(loaded)
	if err != nil {
		t.Fatal(err)
	}
	if len(previews) == 0 {
		t.Fatal("no preview of layer 0 while its blob was held back half sent")
	}
	for _, p := range previews {
		b := fstree.NewBuilder()
		b.Add(read.Layers[0].Entries[:p.entries])
		if diff := cmp.Diff(flatten(b.Finish()), p.flat, versionFields); diff != "" {
			t.Errorf("preview of %d entries (-builder of those entries +preview):\n%s", p.entries, diff)
		}
		if p.layers != 1 {
			t.Errorf("preview of %d entries has %d layers, want 1", p.entries, p.layers)
		}
	}
	want := analyze.Run(read)
	if diff := cmp.Diff(flatten(want.Tree), flatten(got.Tree), versionFields); diff != "" {
		t.Errorf("tree (-Run +Load with previews):\n%s", diff)
	}
	if diff := cmp.Diff(want.Dive, got.Dive); diff != "" {
		t.Errorf("dive metrics (-Run +Load with previews):\n%s", diff)
	}
}

// TestMergedOfferedAgain: a tree of the merged layers that OnMerged's
// function passed over (a busy screen does) is offered again while merging
// waits for the next layer, here the last, whose blob the registry holds
// back half sent: the screen need not stay layers behind until it merges.
func TestMergedOfferedAgain(t *testing.T) {
	img := lt.Layers(t,
		[]lt.File{{Name: "a", Body: "a"}},
		[]lt.File{{Name: "b", Body: "b"}},
		lt.ManyFiles("big", 2000, 300))
	ref, release := lt.TrickleLayer(t, img, 2)

	var calls []int // the layers offered, in order (on the merging goroutine)
	taken := -1     // the layers in the tree taken on the second offer
	onMerged := analyze.OnMerged(func(layer int, snapshot func() *fstree.Tree) {
		calls = append(calls, layer)
		if layer == 1 && slices.Index(calls, 1) < len(calls)-1 && taken < 0 {
			taken = snapshot().Layers
			release() // the rest of the last layer comes once the tree was taken
		}
	})
	onPartial := analyze.OnPartial(time.Millisecond, func(int, int, func() *fstree.Tree) {})
	loaded := make(chan struct{})
	go func() {
		select {
		case <-loaded:
		case <-time.After(20 * time.Second):
			release() // no second offer came: the test fails below, not by timeout
		}
	}()
	_, _, err := analyze.Load(context.Background(), ref, onPartial, onMerged, analyze.WithLoadOptions(layers.WithInsecure(), layers.WithoutDaemon()))
	close(loaded)
	if err != nil {
		t.Fatal(err)
	}
	if taken != 2 {
		t.Errorf("tree taken on the second offer of layer 1 has %d layers, want 2 (offers %v)", taken, calls)
	}
	if i := slices.Index(calls, 2); i < 0 || slices.Index(calls[i:], 1) >= 0 {
		t.Errorf("offers %v: want layer 2 offered once, after every offer of layer 1", calls)
	}
}
