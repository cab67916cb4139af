package layers_test

import (
	"context"
	"fmt"
	"testing"

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
			img2, err := layers.Read(ctx, img, layers.WithParallelism(par), layers.WithEntries(func(i int, es []layers.Entry) {
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
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("delivered entries (-want +got):\n%s", diff)
			}
		})
	}
}
