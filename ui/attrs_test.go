package ui

import (
	"archive/tar"
	"context"
	"testing"

	"github.com/stagescope/stagescope/analyze"
	"github.com/stagescope/stagescope/layers"
	"github.com/stagescope/stagescope/layers/layerstest"
)

// TestAttributes reads an image with a setuid binary, a setgid directory,
// a sticky /tmp and files owned by others than root, and checks what the
// tree rows and Details say of each.
func TestAttributes(t *testing.T) {
	img := layerstest.Image(t, layerstest.Step{CreatedBy: "base", Files: []layerstest.File{
		{Name: "usr/bin/sudo", Body: "x", Mode: 0o4755},
		{Name: "var/mail/", Type: tar.TypeDir, Mode: 0o2775, GID: 8},
		{Name: "tmp/", Type: tar.TypeDir, Mode: 0o1777},
		{Name: "home/app/run.sh", Body: "#!/bin/sh", Mode: 0o750, UID: 1000, GID: 1001},
		{Name: "home/app/odd", Body: "o", Mode: 0o4644},
		{Name: "bin", Type: tar.TypeSymlink, Link: "usr/bin", Mode: 0o777},
	}})
	li, err := layers.Read(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	a := analyze.Run(li)
	tests := []struct {
		path, mode, owner, line string
	}{
		{"usr/bin/sudo", "-rwsr-xr-x", "0:0", "-rwsr-xr-x (4755) · owner 0:0 · setuid"},
		{"var/mail", "drwxrwsr-x", "0:8", "drwxrwsr-x (2775) · owner 0:8 · setgid"},
		{"tmp", "drwxrwxrwt", "0:0", "drwxrwxrwt (1777) · owner 0:0 · sticky"},
		{"home/app/run.sh", "-rwxr-x---", "1000:1001", "-rwxr-x--- (0750) · owner 1000:1001"},
		{"home/app/odd", "-rwSr--r--", "0:0", "-rwSr--r-- (4644) · owner 0:0 · setuid"},
		{"bin", "lrwxrwxrwx", "0:0", "lrwxrwxrwx (0777) · owner 0:0"},
	}
	for _, tt := range tests {
		n := a.Tree.Lookup(tt.path)
		if n == nil {
			t.Fatalf("%s not in the tree", tt.path)
		}
		v := n.Last()
		if got := lsMode(v); got != tt.mode {
			t.Errorf("%s: mode %q, want %q", tt.path, got, tt.mode)
		}
		if got := owner(v); got != tt.owner {
			t.Errorf("%s: owner %q, want %q", tt.path, got, tt.owner)
		}
		if got := attrLine(v); got != tt.line {
			t.Errorf("%s: Details %q, want %q", tt.path, got, tt.line)
		}
	}
}
