package analyze_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stagescope/stagescope/analyze"
	"github.com/stagescope/stagescope/analyze/pkgdb"
	"github.com/stagescope/stagescope/layers"
	"github.com/stagescope/stagescope/layers/layerstest"
)

func TestOwnedFiles(t *testing.T) {
	img := layerstest.Image(t,
		layerstest.Step{CreatedBy: "debootstrap", Files: []layerstest.File{
			layerstest.Dir("bin/"),
			{Name: "bin/bash", Body: "old bash"},
			{Name: "usr/lib/x86_64-linux-gnu/libc.so.6", Body: "libc"},
			layerstest.Symlink("lib", "usr/lib"),
			layerstest.Symlink("a", "b"),
			layerstest.Symlink("b", "a"),
			layerstest.Symlink("opt/tools", "../usr/bin"),
		}},
		layerstest.Step{CreatedBy: "usrmerge", Files: []layerstest.File{
			layerstest.Symlink("bin", "/usr/bin"),
			{Name: "usr/bin/bash", Body: "bash 5.2"},
		}},
		layerstest.Step{CreatedBy: "apt-get install gcc-12", Files: []layerstest.File{
			{Name: "usr/bin/gcc-12", Body: "gcc driver"},
			layerstest.Hardlink("usr/bin/x86_64-linux-gnu-gcc-12", "usr/bin/gcc-12"),
			{Name: "usr/lib/gcc/x86_64-linux-gnu/12/cc1", Body: "cc1 proper"},
		}},
		layerstest.Step{CreatedBy: "rm cc1", Files: []layerstest.File{
			layerstest.Whiteout("usr/lib/gcc/x86_64-linux-gnu/12/cc1"),
		}},
	)
	li, err := layers.Read(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	tree := analyze.Run(li).Tree
	tests := []struct {
		files []string
		want  []string
	}{
		{[]string{"bin", "bin/bash", "usr/bin/bash", "opt/tools/bash"}, []string{"usr/bin/bash"}},
		{[]string{"bin/bash"}, []string{"usr/bin/bash"}}, // behind the old, hidden bin/bash
		{[]string{"opt/tools/bash"}, []string{"usr/bin/bash"}},
		{[]string{"lib/x86_64-linux-gnu/libc.so.6"}, []string{"usr/lib/x86_64-linux-gnu/libc.so.6"}},
		{[]string{"usr/bin/gcc-12", "usr/bin/x86_64-linux-gnu-gcc-12", "usr/lib/gcc/x86_64-linux-gnu/12/cc1"}, []string{"usr/bin/gcc-12"}},
		{[]string{"a/x", "missing/file", "lib/../lib/x86_64-linux-gnu/libc.so.6"}, []string{"usr/lib/x86_64-linux-gnu/libc.so.6"}},
	}
	for _, tt := range tests {
		var got []string
		for _, n := range pkgdb.OwnedFiles(tree, pkgdb.Package{Name: "p", Files: tt.files}) {
			got = append(got, n.Path())
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("OwnedFiles(%q) (-want +got):\n%s", tt.files, diff)
		}
	}
}
