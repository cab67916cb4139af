package layers_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stagescope/stagescope/layers"
	lt "github.com/stagescope/stagescope/layers/layerstest"
)

// TestReadHostileLayers: header sizes that lie count nothing, a PAX global
// header is no entry, and sparse files count the bytes they store (their
// 1 PiB holes are never read), with the logical size kept aside.
func TestReadHostileLayers(t *testing.T) {
	const pib = 1 << 50
	cc1 := layers.Entry{Path: "usr/lib/gcc/x86_64-linux-gnu/12/cc1", Size: lt.CC1Size, Mode: 0o644}
	tests := []struct {
		name   string
		sizes  map[string]int64 // path -> Size
		sparse []layers.SparseFile
	}{
		{name: "devices-huge-size", sizes: map[string]int64{
			"dev": 0, "dev/null": 0, "dev/sda": 0, "run/fifo": 0, "run/link": 0, "usr/bin/cc1-again": 0, cc1.Path: lt.CC1Size,
		}},
		{name: "pax-global-header", sizes: map[string]int64{cc1.Path: lt.CC1Size}},
		{name: "sparse-old-gnu", sizes: map[string]int64{"sparse/old-gnu": lt.SparseStored, cc1.Path: lt.CC1Size},
			sparse: []layers.SparseFile{{Path: "sparse/old-gnu", Stored: lt.SparseStored, Logical: pib}}},
		{name: "sparse-pax-1.0", sizes: map[string]int64{"sparse/pax-1.0": lt.SparseStored, cc1.Path: lt.CC1Size},
			sparse: []layers.SparseFile{{Path: "sparse/pax-1.0", Stored: lt.SparseStored, Logical: pib}}},
		{name: "sparse-pax-0.1", sizes: map[string]int64{"sparse/pax-0.1": lt.SparseStored, cc1.Path: lt.CC1Size},
			sparse: []layers.SparseFile{{Path: "sparse/pax-0.1", Stored: lt.SparseStored, Logical: pib}}},
	}
	hostile := lt.HostileLayers()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw, ok := hostile[tc.name]
			if !ok {
				t.Fatalf("no hostile layer %q", tc.name)
			}
			got := read(t, lt.LayersFromTars(t, raw))
			l := got.Layers[0]
			sizes := map[string]int64{}
			for _, e := range l.Entries {
				sizes[e.Path] = e.Size
			}
			if diff := cmp.Diff(tc.sizes, sizes); diff != "" {
				t.Errorf("entry sizes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.sparse, l.Sparse); diff != "" {
				t.Errorf("sparse files (-want +got):\n%s", diff)
			}
			if l.Size != int64(len(raw)) {
				t.Errorf("layer size %d, want the %d bytes of its tar", l.Size, len(raw))
			}
		})
	}
}
