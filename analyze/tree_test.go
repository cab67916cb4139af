package analyze_test

import (
	"archive/tar"
	"context"
	"strings"
	"testing"
	"unsafe"

	"github.com/cespare/xxhash/v2"
	"github.com/google/go-cmp/cmp"

	"github.com/stagescope/stagescope/analyze"
	"github.com/stagescope/stagescope/analyze/analyzetest"
	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/analyze/report"
	"github.com/stagescope/stagescope/layers"
	lt "github.com/stagescope/stagescope/layers/layerstest"
)

// run builds a real image of one layer per file list, reads it and analyzes it.
func run(t *testing.T, ls ...[]lt.File) *analyze.Analysis {
	t.Helper()
	img, err := layers.Read(context.Background(), lt.Layers(t, ls...))
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return analyze.Run(img)
}

// vis is one path of the final filesystem.
type vis struct {
	Path  string
	Type  layers.Type
	Size  int64
	Layer int32 // layer of the visible version
	Link  string
}

func f(name string, size int) lt.File { return lt.File{Name: name, Body: strings.Repeat("x", size)} }

// visible lists the final filesystem in path order, and checks that the
// tree is consistent: every visible path's parent is a visible directory.
func visible(t *testing.T, tr *fstree.Tree) []vis {
	t.Helper()
	var out []vis
	tr.Walk(func(n *fstree.Node) bool {
		if !n.Visible() {
			return true // keep walking: an invisible parent must not have visible children
		}
		if p := n.Parent; p.Parent != nil && (!p.Visible() || !p.IsDir()) {
			t.Errorf("%s is visible under %s, which is not a visible directory", n.Path(), p.Path())
		}
		v := n.Last()
		out = append(out, vis{Path: n.Path(), Type: v.Type, Size: v.Size, Layer: v.Layer, Link: v.Link()})
		return true
	})
	return out
}

func dir(p string, layer int32) vis { return vis{Path: p, Type: layers.TypeDir, Layer: layer} }
func file(p string, size int64, layer int32) vis {
	return vis{Path: p, Type: layers.TypeRegular, Size: size, Layer: layer}
}

func ch(files, bytes int64) fstree.Change { return fstree.Change{Files: files, Bytes: bytes} }

func TestMergedTreeAndWaste(t *testing.T) {
	for _, tc := range []struct {
		name    string
		layers  [][]lt.File
		visible []vis
		wasted  []fstree.Waste
		stats   []fstree.LayerStats
		files   int64 // visible non-directories
		total   int64 // visible bytes
	}{{
		name: "file overwritten",
		layers: [][]lt.File{
			{lt.Dir("etc"), f("etc/conf", 3)},
			{f("etc/conf", 5)},
		},
		visible: []vis{dir("etc", 0), file("etc/conf", 5, 1)},
		wasted:  []fstree.Waste{{Path: "etc/conf", Bytes: 3, Layer: 0, HiddenBy: 1}},
		stats:   []fstree.LayerStats{{Added: ch(1, 3)}, {Modified: ch(1, 5)}},
		files:   1, total: 5,
	}, {
		name: "same path written with every prefix",
		layers: [][]lt.File{
			{f("./etc/a", 1)},
			{f("/etc/a", 2)},
			{f("etc/a", 3)},
		},
		visible: []vis{dir("etc", 0), file("etc/a", 3, 2)},
		wasted: []fstree.Waste{
			{Path: "etc/a", Bytes: 2, Layer: 1, HiddenBy: 2},
			{Path: "etc/a", Bytes: 1, Layer: 0, HiddenBy: 1},
		},
		stats: []fstree.LayerStats{{Added: ch(1, 1)}, {Modified: ch(1, 2)}, {Modified: ch(1, 3)}},
		files: 1, total: 3,
	}, {
		name: "file deleted",
		layers: [][]lt.File{
			{lt.Dir("app"), f("app/.env", 4), f("app/main", 10)},
			{lt.Whiteout("app/.env")},
		},
		visible: []vis{dir("app", 0), file("app/main", 10, 0)},
		wasted:  []fstree.Waste{{Path: "app/.env", Bytes: 4, Layer: 0, HiddenBy: 1, Deleted: true}},
		stats:   []fstree.LayerStats{{Added: ch(2, 14)}, {Removed: ch(1, 4)}},
		files:   1, total: 10,
	}, {
		name: "directory whiteout hides its subtree, then the path is re-added",
		layers: [][]lt.File{
			{lt.Dir("d"), f("d/a", 1), lt.Dir("d/sub"), f("d/sub/b", 2), f("keep", 7)},
			{lt.Whiteout("d")},
			{f("d/c", 3)},
		},
		visible: []vis{dir("d", 2), file("d/c", 3, 2), file("keep", 7, 0)},
		wasted: []fstree.Waste{
			{Path: "d/sub/b", Bytes: 2, Layer: 0, HiddenBy: 1, Deleted: true},
			{Path: "d/a", Bytes: 1, Layer: 0, HiddenBy: 1, Deleted: true},
		},
		stats: []fstree.LayerStats{{Added: ch(3, 10)}, {Removed: ch(2, 3)}, {Added: ch(1, 3)}},
		files: 2, total: 10,
	}, {
		name: "opaque directory hides only lower children",
		layers: [][]lt.File{
			{lt.Dir("dist"), f("dist/main.js", 4), f("dist/main.js.map", 9), lt.Dir("dist/old"), f("dist/old/x", 1)},
			{lt.Dir("dist"), lt.Opaque("dist"), f("dist/main.js", 5), f("dist/index.js", 6)},
		},
		visible: []vis{dir("dist", 1), file("dist/index.js", 6, 1), file("dist/main.js", 5, 1)},
		wasted: []fstree.Waste{
			{Path: "dist/main.js.map", Bytes: 9, Layer: 0, HiddenBy: 1, Deleted: true},
			{Path: "dist/main.js", Bytes: 4, Layer: 0, HiddenBy: 1},
			{Path: "dist/old/x", Bytes: 1, Layer: 0, HiddenBy: 1, Deleted: true},
		},
		stats: []fstree.LayerStats{{Added: ch(3, 14)}, {Added: ch(1, 6), Modified: ch(1, 5), Removed: ch(2, 10)}},
		files: 2, total: 11,
	}, {
		name: "opaque marker after same-layer children, no directory entry",
		layers: [][]lt.File{
			{f("dist/a", 1), f("dist/b", 2)},
			{f("dist/b", 3), f("dist/c", 4), lt.Opaque("dist")},
		},
		visible: []vis{dir("dist", 1), file("dist/b", 3, 1), file("dist/c", 4, 1)},
		wasted: []fstree.Waste{
			{Path: "dist/b", Bytes: 2, Layer: 0, HiddenBy: 1},
			{Path: "dist/a", Bytes: 1, Layer: 0, HiddenBy: 1, Deleted: true},
		},
		stats: []fstree.LayerStats{{Added: ch(2, 3)}, {Added: ch(1, 4), Modified: ch(1, 3), Removed: ch(1, 1)}},
		files: 2, total: 7,
	}, {
		name: "opaque directory hides lower grandchildren, later layers stay",
		layers: [][]lt.File{
			{f("var/cache/apt/a.deb", 100)},
			{lt.Opaque("var/cache")},
			{f("var/cache/apt/b.deb", 10)},
		},
		visible: []vis{dir("var", 0), dir("var/cache", 1), dir("var/cache/apt", 2), file("var/cache/apt/b.deb", 10, 2)},
		wasted:  []fstree.Waste{{Path: "var/cache/apt/a.deb", Bytes: 100, Layer: 0, HiddenBy: 1, Deleted: true}},
		stats:   []fstree.LayerStats{{Added: ch(1, 100)}, {Removed: ch(1, 100)}, {Added: ch(1, 10)}},
		files:   1, total: 10,
	}, {
		name: "re-add after delete",
		layers: [][]lt.File{
			{f("a", 1)},
			{lt.Whiteout("a")},
			{f("a", 2)},
		},
		visible: []vis{file("a", 2, 2)},
		wasted:  []fstree.Waste{{Path: "a", Bytes: 1, Layer: 0, HiddenBy: 1, Deleted: true}},
		stats:   []fstree.LayerStats{{Added: ch(1, 1)}, {Removed: ch(1, 1)}, {Added: ch(1, 2)}},
		files:   1, total: 2,
	}, {
		name: "directory replaced by a file",
		layers: [][]lt.File{
			{lt.Dir("p"), f("p/x", 1), f("p/y", 2)},
			{f("p", 4)},
		},
		visible: []vis{file("p", 4, 1)},
		wasted: []fstree.Waste{
			{Path: "p/y", Bytes: 2, Layer: 0, HiddenBy: 1, Deleted: true},
			{Path: "p/x", Bytes: 1, Layer: 0, HiddenBy: 1, Deleted: true},
		},
		stats: []fstree.LayerStats{{Added: ch(2, 3)}, {Added: ch(1, 4), Removed: ch(2, 3)}},
		files: 1, total: 4,
	}, {
		name: "file replaced by a directory",
		layers: [][]lt.File{
			{f("q", 5), f("r", 6)},
			{lt.Dir("q"), f("q/z", 1), f("r/z", 2)}, // r becomes a directory implicitly
		},
		visible: []vis{dir("q", 1), file("q/z", 1, 1), dir("r", 1), file("r/z", 2, 1)},
		wasted: []fstree.Waste{
			{Path: "r", Bytes: 6, Layer: 0, HiddenBy: 1, Deleted: true},
			{Path: "q", Bytes: 5, Layer: 0, HiddenBy: 1, Deleted: true},
		},
		stats: []fstree.LayerStats{{Added: ch(2, 11)}, {Added: ch(2, 3), Removed: ch(2, 11)}},
		files: 2, total: 3,
	}, {
		name: "whiteout and re-creation in one layer hide only lower layers",
		layers: [][]lt.File{
			{lt.Dir("d"), f("d/old", 3), f("e/old", 4), f("g", 2), f("h", 8)},
			// Whiteouts apply to lower layers only: what the same layer
			// puts at the path stays, whichever comes first in the tar.
			{lt.Whiteout("d"), lt.Dir("d"), f("d/new", 1), lt.Dir("e"), f("e/new", 5), lt.Whiteout("e"), lt.Whiteout("g"), f("g", 9), f("h", 1), lt.Whiteout("h")},
		},
		visible: []vis{dir("d", 1), file("d/new", 1, 1), dir("e", 1), file("e/new", 5, 1), file("g", 9, 1), file("h", 1, 1)},
		wasted: []fstree.Waste{
			{Path: "h", Bytes: 8, Layer: 0, HiddenBy: 1},
			{Path: "e/old", Bytes: 4, Layer: 0, HiddenBy: 1, Deleted: true},
			{Path: "d/old", Bytes: 3, Layer: 0, HiddenBy: 1, Deleted: true},
			{Path: "g", Bytes: 2, Layer: 0, HiddenBy: 1},
		},
		stats: []fstree.LayerStats{{Added: ch(4, 17)}, {Added: ch(2, 6), Modified: ch(2, 10), Removed: ch(2, 7)}},
		files: 4, total: 16,
	}, {
		name: "symlink retargeted",
		layers: [][]lt.File{
			{f("bin/busybox", 10), lt.Symlink("bin/sh", "busybox")},
			{lt.Symlink("bin/sh", "dash"), f("bin/dash", 3)},
		},
		visible: []vis{
			dir("bin", 0), file("bin/busybox", 10, 0), file("bin/dash", 3, 1),
			{Path: "bin/sh", Type: layers.TypeSymlink, Layer: 1, Link: "dash"},
		},
		stats: []fstree.LayerStats{{Added: ch(2, 10)}, {Added: ch(1, 3), Modified: ch(1, 0)}},
		files: 3, total: 13,
	}, {
		name: "hard link keeps a deleted name's bytes",
		layers: [][]lt.File{
			{f("bin/busybox", 10), lt.Hardlink("bin/ls", "bin/busybox")},
			{lt.Whiteout("bin/busybox")},
		},
		visible: []vis{dir("bin", 0), {Path: "bin/ls", Type: layers.TypeHardlink, Layer: 0, Link: "bin/busybox"}},
		stats:   []fstree.LayerStats{{Added: ch(2, 10)}, {Removed: ch(1, 10)}},
		files:   1, total: 10,
	}, {
		name: "hard link keeps an overwritten name's bytes",
		layers: [][]lt.File{
			{f("a", 4), lt.Hardlink("b", "a")},
			{f("a", 6)},
		},
		visible: []vis{file("a", 6, 1), {Path: "b", Type: layers.TypeHardlink, Layer: 0, Link: "a"}},
		stats:   []fstree.LayerStats{{Added: ch(2, 4)}, {Modified: ch(1, 6)}},
		files:   2, total: 10,
	}, {
		name: "hard-linked content deleted under every name is wasted once",
		layers: [][]lt.File{
			{f("a", 4), lt.Hardlink("b", "a"), lt.Hardlink("c", "a")},
			{lt.Whiteout("a"), lt.Whiteout("b"), lt.Whiteout("c")},
		},
		wasted: []fstree.Waste{{Path: "a", Bytes: 4, Layer: 0, HiddenBy: 1, Deleted: true}},
		stats:  []fstree.LayerStats{{Added: ch(3, 4)}, {Removed: ch(3, 4)}},
	}, {
		name: "whiteout of a path that never existed",
		layers: [][]lt.File{
			{f("a", 1)},
			{lt.Whiteout("nothing"), lt.Whiteout("no/such/dir")},
		},
		// The marker's parent directories are in the layer even without
		// entries of their own.
		visible: []vis{file("a", 1, 0), dir("no", 1), dir("no/such", 1)},
		stats:   []fstree.LayerStats{{Added: ch(1, 1)}, {}},
		files:   1, total: 1,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			a := run(t, tc.layers...)
			if diff := cmp.Diff(tc.visible, visible(t, a.Tree)); diff != "" {
				t.Errorf("visible tree (-want +got):\n%s", diff)
			}
			m := a.Metrics
			if diff := cmp.Diff(tc.wasted, m.Wasted); diff != "" {
				t.Errorf("wasted (-want +got):\n%s", diff)
			}
			var wasted int64
			for _, w := range tc.wasted {
				wasted += w.Bytes
			}
			if m.WastedBytes != wasted {
				t.Errorf("wasted bytes %d, want %d", m.WastedBytes, wasted)
			}
			if diff := cmp.Diff(tc.stats, m.Layers); diff != "" {
				t.Errorf("layer stats (-want +got):\n%s", diff)
			}
			if m.Files != tc.files || m.TotalBytes != tc.total {
				t.Errorf("visible files, bytes = %d, %d; want %d, %d", m.Files, m.TotalBytes, tc.files, tc.total)
			}
			analyzetest.ValidateReportValue(t, analyze.NewReport(a, report.Options{Reference: "x.tar", Source: "docker-archive"}))
		})
	}
}

func TestDuplicates(t *testing.T) {
	hello := lt.File{Body: "hello"}
	named := func(name string, f lt.File) lt.File { f.Name = name; return f }
	a := run(t,
		[]lt.File{named("x", hello), named("y", hello), {Name: "z", Body: "other"}, named("big/1", lt.File{Body: "0123456789"}), named("big/2", lt.File{Body: "0123456789"}), named("big/3", lt.File{Body: "0123456789"})},
		[]lt.File{named("w", hello), lt.Whiteout("y"), {Name: "empty1"}, {Name: "empty2"}},
	)
	want := []fstree.Duplicate{
		{Digest: xxhash.Sum64String("0123456789"), Size: 10, Paths: []string{"big/1", "big/2", "big/3"}},
		{Digest: xxhash.Sum64String("hello"), Size: 5, Paths: []string{"w", "x"}},
	}
	if diff := cmp.Diff(want, a.Metrics.Duplicates); diff != "" {
		t.Errorf("duplicates (-want +got):\n%s", diff)
	}
	if got, want := a.Metrics.DuplicateBytes, int64(2*10+5); got != want {
		t.Errorf("duplicate bytes %d, want %d", got, want)
	}
}

// Files are the same only when both their digest and their size are: a
// digest seen at two sizes (a collision no real contents make here, so the
// entries are written by hand) groups each size on its own.
func TestDuplicatesNeedSameSize(t *testing.T) {
	reg := func(p string, d uint64, size int64) layers.Entry {
		return layers.Entry{Path: p, Type: layers.TypeRegular, Digest: d, Size: size, Mode: 0o644}
	}
	b := fstree.NewBuilder()
	b.Add([]layers.Entry{reg("a", 7, 3), reg("b", 7, 4), reg("c", 7, 3), reg("d", 9, 1), reg("e", 9, 2), reg("f", 7, 4), reg("g", 7, 5)})
	m := fstree.Measure(b.Finish())
	want := []fstree.Duplicate{
		{Digest: 7, Size: 4, Paths: []string{"b", "f"}},
		{Digest: 7, Size: 3, Paths: []string{"a", "c"}},
	}
	if diff := cmp.Diff(want, m.Duplicates); diff != "" {
		t.Errorf("duplicates (-want +got):\n%s", diff)
	}
	if got, want := m.DuplicateBytes, int64(4+3); got != want {
		t.Errorf("duplicate bytes %d, want %d", got, want)
	}
}

func TestVersionsAndLookup(t *testing.T) {
	a := run(t,
		[]lt.File{f("etc/a", 1), {Name: "etc/b", Type: tar.TypeReg, Body: "b"}},
		[]lt.File{lt.Whiteout("etc/a")},
		[]lt.File{f("etc/a", 2)},
	)
	n := a.Tree.Lookup("etc/a")
	if n == nil {
		t.Fatal("Lookup(etc/a) = nil")
	}
	if got := n.Path(); got != "etc/a" {
		t.Errorf("Path() = %q, want etc/a", got)
	}
	type ver struct {
		Layer, HiddenBy int32
		Size            int64
		Deleted         bool
	}
	var got []ver
	for _, v := range n.Versions() {
		got = append(got, ver{v.Layer, v.HiddenBy, v.Size, v.Deleted})
	}
	want := []ver{{0, 1, 1, false}, {1, 2, 0, true}, {2, -1, 2, false}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("versions of etc/a (-want +got):\n%s", diff)
	}
	for l, wantSize := range []int64{1, -1, 2} {
		v := n.VersionAt(l)
		switch {
		case wantSize < 0 && v != nil:
			t.Errorf("VersionAt(%d) = layer %d, want nil", l, v.Layer)
		case wantSize >= 0 && (v == nil || v.Size != wantSize):
			t.Errorf("VersionAt(%d) = %+v, want size %d", l, v, wantSize)
		}
	}
	for _, p := range []string{"etc/c", "etc/a/x", "nope"} {
		if n := a.Tree.Lookup(p); n != nil {
			t.Errorf("Lookup(%q) = %q, want nil", p, n.Path())
		}
	}
	if got, want := a.Tree.Nodes(), 3; got != want {
		t.Errorf("Nodes() = %d, want %d", got, want)
	}
}

// The tree keeps copies of names and link targets, never the entries' own
// strings: those share their layer's chunks, which the tree must not keep
// alive once the layer is merged.
func TestTreeKeepsNoEntryStrings(t *testing.T) {
	es := []layers.Entry{
		{Path: "usr", Type: layers.TypeDir},
		{Path: "usr/lib", Type: layers.TypeSymlink, Link: "lib64"},
		{Path: "usr/bin/sh", Type: layers.TypeHardlink, Link: "usr/bin/dash"},
	}
	b := fstree.NewBuilder()
	b.Add(es)
	tr := b.Finish()
	for _, e := range es {
		n := tr.Lookup(e.Path)
		if n == nil {
			t.Fatalf("no node for %s", e.Path)
		}
		v := n.Last()
		if v.Link() != e.Link {
			t.Errorf("%s: link %q, want %q", e.Path, v.Link(), e.Link)
		}
		if e.Link != "" && unsafe.StringData(v.Link()) == unsafe.StringData(e.Link) {
			t.Errorf("%s: the tree keeps the entry's link string", e.Path)
		}
		base := e.Path[strings.LastIndexByte(e.Path, '/')+1:]
		if unsafe.StringData(n.Name) == unsafe.StringData(e.Path[len(e.Path)-len(base):]) {
			t.Errorf("%s: the tree keeps the entry's path string", e.Path)
		}
	}
}
