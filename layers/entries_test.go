package layers_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stagescope/stagescope/layers"
	lt "github.com/stagescope/stagescope/layers/layerstest"
)

// TestWithEntries reads layers of very different sizes in parallel, so that
// they finish out of order, and checks that WithEntries still hands over
// every layer's entries once, lowest first, exactly as Read returns them
// without it, and drops them from the result.
func TestWithEntries(t *testing.T) {
	var ls [][]lt.File
	for i, n := range []int{3000, 1, 500, 2, 40} {
		var fs []lt.File
		for j := range n {
			fs = append(fs, lt.File{Name: fmt.Sprintf("l%d/f%05d", i, j), Body: fmt.Sprint(i, j)})
		}
		ls = append(ls, fs)
	}
	ls[3] = append(ls[3], lt.Whiteout("l0/f00001"))
	img := lt.Layers(t, ls...)
	ctx := context.Background()
	plain, err := layers.Read(ctx, img, layers.WithParallelism(4))
	if err != nil {
		t.Fatal(err)
	}
	for _, par := range []int{1, 2, 4} {
		t.Run(fmt.Sprint("parallel-", par), func(t *testing.T) {
			var order []int
			var got [][]layers.Entry
			img2, err := layers.Read(ctx, img, layers.WithParallelism(par), layers.WithEntries(func(_ context.Context, i int, es []layers.Entry) {
				order = append(order, i)
				got = append(got, es)
			}))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]int{0, 1, 2, 3, 4}, order); diff != "" {
				t.Errorf("delivery order (-want +got):\n%s", diff)
			}
			var want [][]layers.Entry
			for i, l := range plain.Layers {
				want = append(want, l.Entries)
				if n := len(img2.Layers[i].Entries); n != 0 {
					t.Errorf("layer %d kept %d entries, want them dropped", i, n)
				}
				if got, want := img2.Layers[i].EntryCount, len(l.Entries); got != want || l.EntryCount != want {
					t.Errorf("layer %d: EntryCount %d (without WithEntries %d), want %d", i, got, l.EntryCount, want)
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("delivered entries (-want +got):\n%s", diff)
			}
		})
	}
}

// When a layer fails, Read returns its error and fn sees no layer that was
// waiting to be handed on; when ctx is done, Read returns ctx's error and
// fn is not called again. fn holds on to layer 0 until its context ends
// (the failure of layer 3 ends it) or, in the cancel case, for a moment, so
// that the layers read meanwhile wait for it. Waiting on the context rather
// than a fixed sleep keeps the test right on a loaded machine.
func TestWithEntriesFailure(t *testing.T) {
	var ls [][]lt.File
	for i := range 4 {
		fs := []lt.File{{Name: fmt.Sprintf("l%d/marker", i), Body: fmt.Sprintf("MARKER-OF-LAYER-%d", i)}}
		for j := range 200 {
			fs = append(fs, lt.File{Name: fmt.Sprintf("l%d/f%05d", i, j), Body: fmt.Sprint(i, j)})
		}
		ls = append(ls, fs)
	}
	slow := func(got *[]int, wait time.Duration, then func()) func(context.Context, int, []layers.Entry) {
		return func(ctx context.Context, i int, _ []layers.Entry) {
			*got = append(*got, i)
			if i == 0 {
				select { // layers 1-3 are read meanwhile
				case <-ctx.Done():
				case <-time.After(wait):
				}
				then()
			}
		}
	}

	b := lt.DockerSave(t, lt.Layers(t, ls...), "app:1", lt.SaveClassic, false)
	k := bytes.Index(b, []byte("MARKER-OF-LAYER-3"))
	if k < 0 {
		t.Fatal("layer 3's marker not found in the archive")
	}
	b[k] = 'X'
	src, err := layers.Load(context.Background(), lt.WriteFile(t, "app.tar", b))
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	_, err = src.Read(context.Background(), layers.WithParallelism(1), layers.WithEntries(slow(&got, time.Minute, func() {})))
	if err == nil || !strings.Contains(err.Error(), "layer 3") || !strings.Contains(err.Error(), "digest mismatch") {
		t.Errorf("got error %v, want layer 3's digest mismatch", err)
	}
	if !slices.Equal(got, []int{0}) {
		t.Errorf("fn saw layers %v, want only layer 0", got)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got = nil
	_, err = layers.Read(ctx, lt.Layers(t, ls...), layers.WithParallelism(1), layers.WithEntries(slow(&got, 300*time.Millisecond, cancel)))
	if !errors.Is(err, context.Canceled) || !slices.Equal(got, []int{0}) {
		t.Errorf("cancelled: got error %v and fn saw layers %v, want context.Canceled and only layer 0", err, got)
	}
}
