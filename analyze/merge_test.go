package analyze_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stagescope/stagescope/analyze"
	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/layers"
	lt "github.com/stagescope/stagescope/layers/layerstest"
)

// flatNode is a tree node as the tests compare it.
type flatNode struct {
	Path     string
	Versions []fstree.Version
}

// versionFields lets cmp compare a Version's unexported link target and
// owner (behind a pointer, compared by what it points to).
var versionFields = cmp.Exporter(func(t reflect.Type) bool { return t.PkgPath() == reflect.TypeFor[fstree.Version]().PkgPath() })

func flatten(t *fstree.Tree) []flatNode {
	var out []flatNode
	t.Walk(func(n *fstree.Node) bool {
		out = append(out, flatNode{n.Path(), n.Versions()})
		return true
	})
	return out
}

// TestReadMatchesRun merges an image while it is read (Read) and checks
// the result against Run over the entries layers.Read returns.
func TestReadMatchesRun(t *testing.T) {
	img := lt.Layers(t,
		[]lt.File{lt.Dir("app/"), {Name: "app/a", Body: "a1"}, {Name: "app/b", Body: "b1"}, {Name: "app/cache/x", Body: strings.Repeat("x", 300)}, {Name: "etc/conf", Body: "c"}},
		[]lt.File{{Name: "app/a", Body: "a2"}, lt.Whiteout("app/b"), {Name: "app/dup", Body: "c"}},
		[]lt.File{lt.Opaque("app/cache"), {Name: "app/cache/y", Body: "y"}, lt.Whiteout("etc")},
	)
	ctx := context.Background()
	read, err := layers.Read(ctx, img)
	if err != nil {
		t.Fatal(err)
	}
	want := analyze.Run(read)

	got, err := analyze.Read(ctx, &layers.Source{Image: img}, analyze.WithReadOptions(layers.WithParallelism(3)))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(flatten(want.Tree), flatten(got.Tree), versionFields); diff != "" {
		t.Errorf("tree (-Run +Read):\n%s", diff)
	}
	if diff := cmp.Diff(want.Metrics, got.Metrics); diff != "" {
		t.Errorf("metrics (-Run +Read):\n%s", diff)
	}
	if diff := cmp.Diff(want.Dive, got.Dive); diff != "" {
		t.Errorf("dive metrics (-Run +Read):\n%s", diff)
	}
	if got.Metrics.WastedBytes == 0 {
		t.Errorf("no wasted bytes: the image overwrites and deletes files")
	}
}

// TestChildrenAnyOrder merges directories whose children come in tar order,
// in reverse and shuffled (which makes the builder give up keeping them
// sorted), and checks that the trees, metrics and lookups do not depend on
// the order.
func TestChildrenAnyOrder(t *testing.T) {
	var base, change []layers.Entry
	base = append(base, layers.Entry{Path: "d", Type: layers.TypeDir}, layers.Entry{Path: "e", Type: layers.TypeDir})
	for i := range 3000 {
		base = append(base, layers.Entry{Path: fmt.Sprintf("d/f%05d", i), Size: int64(i), Digest: uint64(i + 1)})
	}
	for i := range 400 {
		base = append(base, layers.Entry{Path: fmt.Sprintf("e/sub%03d/g", i), Size: 7, Digest: uint64(i + 10_000)})
	}
	for i := 0; i < 3000; i += 7 {
		change = append(change, layers.Entry{Path: fmt.Sprintf("d/f%05d", i), Whiteout: layers.FileWhiteout})
		change = append(change, layers.Entry{Path: fmt.Sprintf("d/f%05d-new", i), Size: 1, Digest: 1})
	}
	change = append(change, layers.Entry{Path: "e/sub007", Type: layers.TypeDir, Whiteout: layers.OpaqueWhiteout})
	sorted := [][]layers.Entry{base, change}

	reversed := [][]layers.Entry{slices.Clone(base), slices.Clone(change)}
	slices.Reverse(reversed[0][2:]) // directories first, as a tar has them
	slices.Reverse(reversed[1])
	shuffled := [][]layers.Entry{slices.Clone(base), slices.Clone(change)}
	r := rand.New(rand.NewPCG(1, 2))
	r.Shuffle(len(shuffled[0])-2, func(i, j int) { shuffled[0][i+2], shuffled[0][j+2] = shuffled[0][j+2], shuffled[0][i+2] })
	r.Shuffle(len(shuffled[1]), func(i, j int) { shuffled[1][i], shuffled[1][j] = shuffled[1][j], shuffled[1][i] })

	run := func(ls [][]layers.Entry) *analyze.Analysis {
		img := &layers.Image{}
		for i, es := range ls {
			img.Layers = append(img.Layers, layers.Layer{Index: i, Entries: es})
		}
		return analyze.Run(img)
	}
	want := run(sorted)
	for name, ls := range map[string][][]layers.Entry{"reversed": reversed, "shuffled": shuffled} {
		t.Run(name, func(t *testing.T) {
			a := run(ls)
			got := a.Tree
			if diff := cmp.Diff(flatten(want.Tree), flatten(got), versionFields); diff != "" {
				t.Errorf("tree (-sorted +%s):\n%s", name, diff)
			}
			if diff := cmp.Diff(want.Metrics, a.Metrics); diff != "" {
				t.Errorf("metrics (-sorted +%s):\n%s", name, diff)
			}
			if diff := cmp.Diff(want.Dive, a.Dive); diff != "" {
				t.Errorf("dive metrics (-sorted +%s):\n%s", name, diff)
			}
			got.Walk(func(n *fstree.Node) bool {
				if got.Lookup(n.Path()) != n {
					t.Errorf("Lookup(%q) does not find its node", n.Path())
				}
				if !slices.IsSortedFunc(n.Children(), func(a, b *fstree.Node) int { return strings.Compare(a.Name, b.Name) }) {
					t.Errorf("children of %q are not sorted", n.Path())
				}
				return true
			})
		})
	}
}
