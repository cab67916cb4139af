package layers

import (
	"archive/tar"
	"testing"
)

// TarPath spells a whiteout's marker again from what Read parsed: the
// member's cleaned name for every marker of a real layer.
func TestTarPath(t *testing.T) {
	tests := []struct {
		name     string // the tar member's name
		want     string // TarPath of its entry
		whiteout Whiteout
	}{
		{name: "usr/bin/ls", want: "usr/bin/ls"},
		{name: "./etc/", want: "etc"},
		{name: "a/.wh.b", want: "a/.wh.b", whiteout: FileWhiteout},
		{name: ".wh.top", want: ".wh.top", whiteout: FileWhiteout},
		{name: "/a/b/.wh.c.txt", want: "a/b/.wh.c.txt", whiteout: FileWhiteout},
		{name: "a/b/.wh..wh..opq", want: "a/b/.wh..wh..opq", whiteout: OpaqueWhiteout},
		{name: ".wh..wh..opq", want: ".wh..wh..opq", whiteout: OpaqueWhiteout},
		{name: "a/.wh..wh..plnk", want: "a/.wh..wh..plnk", whiteout: FileWhiteout},
	}
	for _, tt := range tests {
		e := entryFromHeader(&tar.Header{Name: tt.name, Typeflag: tar.TypeReg})
		if e.Whiteout != tt.whiteout {
			t.Errorf("%q: whiteout %v, want %v", tt.name, e.Whiteout, tt.whiteout)
		}
		if got := e.TarPath(); got != tt.want {
			t.Errorf("%q: TarPath() = %q, want %q", tt.name, got, tt.want)
		}
	}
}
