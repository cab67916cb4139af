package fstree

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stagescope/stagescope/layers"
)

// TestDanglingLinks: a hard link names a file of its own or a lower layer;
// one whose target is missing, deleted by a lower layer, a directory, or
// only added by a later layer is one docker cannot apply.
func TestDanglingLinks(t *testing.T) {
	file := func(p string) layers.Entry { return layers.Entry{Path: p, Size: 3, Type: layers.TypeRegular} }
	link := func(p, target string) layers.Entry {
		return layers.Entry{Path: p, Type: layers.TypeHardlink, Link: target}
	}
	b := NewBuilder()
	b.Add([]layers.Entry{file("bin/busybox"), file("etc/gone"), {Path: "usr", Type: layers.TypeDir}, link("bin/ls", "bin/busybox")})
	b.Add([]layers.Entry{{Path: "etc/gone", Whiteout: layers.FileWhiteout}, link("bin/cat", "bin/busybox"),
		link("x/dir", "usr"), link("x/nowhere", "no/such"), link("x/early", "y/later")})
	b.Add([]layers.Entry{file("y/later"), link("bin/ls", "bin/busybox"), link("x/old", "etc/gone")})
	tr := b.Finish()

	got, total := tr.DanglingLinks(10)
	want := []DanglingLink{
		{Path: "x/dir", Target: "usr", Layer: 1},
		{Path: "x/early", Target: "y/later", Layer: 1},
		{Path: "x/nowhere", Target: "no/such", Layer: 1},
		{Path: "x/old", Target: "etc/gone", Layer: 2},
	}
	slices.SortFunc(got, func(a, b DanglingLink) int { return strings.Compare(a.Path, b.Path) })
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DanglingLinks (-want +got):\n%s", diff)
	}
	if total != len(want) {
		t.Errorf("total = %d, want %d", total, len(want))
	}
	if got, total := tr.DanglingLinks(1); len(got) != 1 || total != len(want) {
		t.Errorf("DanglingLinks(1) = %d links of %d, want 1 of %d", len(got), total, len(want))
	}
}
