package fstree

import (
	"cmp"
	"slices"

	"github.com/stagescope/stagescope/layers"
)

// Change counts files and bytes.
type Change struct {
	Files int64
	Bytes int64
}

// LayerStats is what one layer did to the filesystem. Directories are not
// counted as files.
type LayerStats struct {
	Added    Change
	Modified Change
	Removed  Change // files of lower layers this layer deleted or hid
}

// Waste is one version of a file that a later layer overwrote or deleted:
// its bytes still ship in the image but are never seen.
type Waste struct {
	Path     string
	Bytes    int64
	Layer    int // layer that wrote the bytes
	HiddenBy int // layer that overwrote or deleted them
	Deleted  bool
}

// Duplicate is a content that sits at several visible paths.
type Duplicate struct {
	Digest uint64
	Size   int64
	Paths  []string
}

// Metrics are the whole-image numbers that fall out of the merged tree.
type Metrics struct {
	Files       int64 // visible non-directory entries
	TotalBytes  int64 // bytes of visible files, hard-linked contents once
	LayerBytes  int64 // sum of layer tar sizes (uncompressed)
	WastedBytes int64 // reclaimable: every hidden copy counted once
	// DuplicateBytes is what visible files with identical content cost
	// beyond their first copy.
	DuplicateBytes int64
	Layers         []LayerStats
	Wasted         []Waste // bytes descending, then path
	Duplicates     []Duplicate
}

// Measure computes the metrics of a finished tree in one walk.
func Measure(t *Tree) *Metrics {
	m := &Metrics{Layers: make([]LayerStats, t.Layers)}
	type key struct {
		d uint64
		s int64
	}
	// The contents of every visible file, sorted below to find the ones
	// seen more than once: a slice sized once costs a third of a map.
	keys := make([]key, 0, t.nodes)
	// A hard link shares its target's bytes: while a link is visible, the
	// bytes its target's name had in the same layer still ship in use.
	type name struct {
		layer int32
		path  string
	}
	linked := map[name]bool{}
	for _, n := range t.links {
		if v := n.Last(); n.Visible() && v.Type == layers.TypeHardlink {
			linked[name{v.Layer, v.Link()}] = true
		}
	}
	t.Walk(func(n *Node) bool {
		var p string
		path := func() string {
			if p == "" {
				p = n.Path()
			}
			return p
		}
		vs := n.Versions()
		for i := range vs {
			v := &vs[i]
			if v.Type == layers.TypeDir || v.Implicit {
				continue
			}
			if v.Deleted {
				continue
			}
			ls := &m.Layers[v.Layer]
			var prev *Version
			if i > 0 {
				prev = &vs[i-1]
			}
			if prev != nil && !prev.Deleted && !prev.Implicit && prev.Type != layers.TypeDir && prev.HiddenBy == v.Layer {
				ls.Modified.Files++
				ls.Modified.Bytes += v.Size
			} else {
				ls.Added.Files++
				ls.Added.Bytes += v.Size
			}
			if v.HiddenBy >= 0 {
				// Overwritten when the next version replaced it with a
				// non-directory in the hiding layer; otherwise removed.
				next := i+1 < len(vs) && vs[i+1].Layer == v.HiddenBy &&
					!vs[i+1].Deleted && vs[i+1].Type != layers.TypeDir
				if !next {
					rs := &m.Layers[v.HiddenBy]
					rs.Removed.Files++
					rs.Removed.Bytes += v.Size
				}
				if v.Size > 0 && len(linked) > 0 && linked[name{v.Layer, path()}] {
					m.TotalBytes += v.Size
					continue
				}
				if v.Size > 0 {
					m.WastedBytes += v.Size
					m.Wasted = append(m.Wasted, Waste{
						Path: path(), Bytes: v.Size, Layer: int(v.Layer), HiddenBy: int(v.HiddenBy), Deleted: !next,
					})
				}
				continue
			}
			m.Files++
			m.TotalBytes += v.Size
			if v.Type == layers.TypeRegular && v.Size > 0 && v.Digest != 0 {
				keys = append(keys, key{v.Digest, v.Size})
			}
		}
		return true
	})
	// A second walk collects paths only for contents seen more than once,
	// so that the paths of unique files are never held.
	cmpKey := func(a, b key) int {
		if c := cmp.Compare(a.d, b.d); c != 0 {
			return c
		}
		return cmp.Compare(a.s, b.s)
	}
	slices.SortFunc(keys, cmpKey)
	var dup []key // each content seen more than once, once
	for i := 1; i < len(keys); i++ {
		if keys[i] == keys[i-1] && (len(dup) == 0 || dup[len(dup)-1] != keys[i]) {
			dup = append(dup, keys[i])
		}
	}
	if len(dup) > 0 {
		dups := make([][]string, len(dup))
		t.Walk(func(n *Node) bool {
			if v := n.Last(); v != nil && n.Visible() && v.Type == layers.TypeRegular && v.Digest != 0 {
				if i, ok := slices.BinarySearchFunc(dup, key{v.Digest, v.Size}, cmpKey); ok {
					dups[i] = append(dups[i], n.Path())
				}
			}
			return true
		})
		for i, paths := range dups {
			k := dup[i]
			slices.Sort(paths)
			m.Duplicates = append(m.Duplicates, Duplicate{Digest: k.d, Size: k.s, Paths: paths})
			m.DuplicateBytes += int64(len(paths)-1) * k.s
		}
	}
	slices.SortFunc(m.Wasted, func(a, b Waste) int {
		if c := cmp.Compare(b.Bytes, a.Bytes); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return cmp.Compare(a.Layer, b.Layer)
	})
	slices.SortFunc(m.Duplicates, func(a, b Duplicate) int {
		if c := cmp.Compare(int64(len(b.Paths)-1)*b.Size, int64(len(a.Paths)-1)*a.Size); c != 0 {
			return c
		}
		return cmp.Compare(a.Paths[0], b.Paths[0])
	})
	return m
}
