// Package fstreetest builds layer stacks for the tree's tests and benchmarks.
package fstreetest

import (
	"fmt"

	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/layers"
)

// BenchLayers is an image of n entries shaped like the bench/gen images: two
// base layers of directories with a few dozen files each, and a change layer
// that overwrites 1 % of the files, whites out 1 % and makes one directory
// opaque.
func BenchLayers(n int) [][]layers.Entry {
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

// Build merges the layers into a tree.
func Build(ls [][]layers.Entry) *fstree.Tree {
	b := fstree.NewBuilder()
	for _, es := range ls {
		b.Add(es)
	}
	return b.Finish()
}

// Entries counts the entries of the layers.
func Entries(ls [][]layers.Entry) int {
	n := 0
	for _, es := range ls {
		n += len(es)
	}
	return n
}
