package layers

import (
	"path"
	"strings"
	"testing"
)

// cleanRef is CleanPath's definition, without the fast path.
func cleanRef(name string) string {
	return strings.TrimPrefix(path.Clean("/"+name), "/")
}

var cleanPathCases = []string{
	"", "/", ".", "./", "..", "../", "//", "./.", "/./",
	"usr", "usr/", "/usr", "./usr", "./usr/", ".//usr", "//usr",
	"usr/bin/ls", "usr/bin/", "usr//bin", "usr/bin//", "usr/./bin", "usr/../etc",
	"../../etc/passwd", "./../x", "a/b/..", "a/b/.", "a/.b/c", "a/..b/c", "a/b../c",
	".wh..wh..opq", "a/.wh.b", "./a/.wh..wh..opq", "a/b/c/", "...", ".../x",
}

func TestCleanPath(t *testing.T) {
	for _, name := range cleanPathCases {
		if got, want := CleanPath(name), cleanRef(name); got != want {
			t.Errorf("CleanPath(%q) = %q, want %q", name, got, want)
		}
	}
}

// The usual tar member names come back as a substring, without allocating.
func TestCleanPathNoAlloc(t *testing.T) {
	for _, name := range []string{"usr/share/doc/libc6/copyright", "usr/share/doc/", "./etc/passwd", "/opt/app"} {
		if n := testing.AllocsPerRun(100, func() { _ = CleanPath(name) }); n != 0 {
			t.Errorf("CleanPath(%q) allocates %v times", name, n)
		}
	}
}

func FuzzCleanPath(f *testing.F) {
	for _, name := range cleanPathCases {
		f.Add(name)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if got, want := CleanPath(name), cleanRef(name); got != want {
			t.Errorf("CleanPath(%q) = %q, want %q", name, got, want)
		}
	})
}
