package fstree_test

import (
	"testing"

	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/layers"
)

// fuzzLayers decodes bytes into layers of entries: each entry takes three
// bytes (layer step, path pick, kind) so that paths collide often.
func fuzzLayers(data []byte) [][]layers.Entry {
	paths := []string{"a", "a/b", "a/b/c", "a/d", "e", "e/f", "a/b/c/g", "h"}
	var out [][]layers.Entry
	cur := []layers.Entry{}
	for i := 0; i+2 < len(data); i += 3 {
		if data[i]%5 == 0 {
			out = append(out, cur)
			cur = []layers.Entry{}
		}
		e := layers.Entry{Path: paths[int(data[i+1])%len(paths)], Size: int64(data[i+2]), Digest: uint64(data[i+2]) + 1}
		switch data[i+2] % 6 {
		case 0:
			e.Type, e.Size, e.Digest = layers.TypeDir, 0, 0
		case 1:
			e.Whiteout, e.Size, e.Digest = layers.FileWhiteout, 0, 0
		case 2:
			e.Type, e.Whiteout, e.Size, e.Digest = layers.TypeDir, layers.OpaqueWhiteout, 0, 0
		case 3:
			e.Type, e.Link, e.Size, e.Digest = layers.TypeSymlink, "x", 0, 0
		}
		cur = append(cur, e)
	}
	return append(out, cur)
}

// FuzzMerge checks the merged tree's invariants on arbitrary layer stacks:
// every version is either visible or hidden by a later layer, and the bytes
// of regular-file versions split exactly into visible and wasted bytes.
func FuzzMerge(f *testing.F) {
	f.Add([]byte{1, 2, 10, 5, 1, 1, 2, 0, 0, 5, 6, 2, 1, 3, 7})
	f.Add([]byte{0, 0, 0, 1, 1, 1, 5, 0, 1, 2, 2, 2})
	f.Fuzz(func(t *testing.T, data []byte) {
		ls := fuzzLayers(data)
		b := fstree.NewBuilder()
		var all int64
		for _, es := range ls {
			b.Add(es)
		}
		tree := b.Finish()
		m := fstree.Measure(tree)
		tree.Walk(func(n *fstree.Node) bool {
			for i, v := range n.Versions() {
				if v.HiddenBy >= 0 && v.HiddenBy <= v.Layer {
					t.Fatalf("%s: version of layer %d hidden by layer %d", n.Path(), v.Layer, v.HiddenBy)
				}
				if v.HiddenBy < 0 && i != len(n.Versions())-1 {
					t.Fatalf("%s: an older version (layer %d) is still visible", n.Path(), v.Layer)
				}
				if v.Type != layers.TypeDir && !v.Deleted && !v.Implicit {
					all += v.Size
				}
			}
			return true
		})
		if got := m.TotalBytes + m.WastedBytes; got != all {
			t.Fatalf("visible %d + wasted %d = %d, want all version bytes %d", m.TotalBytes, m.WastedBytes, got, all)
		}
	})
}
