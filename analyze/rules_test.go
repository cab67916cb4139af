package analyze

import (
	"path"
	"strings"
	"testing"
)

// The fast component matchers agree with path.Match on every component of
// the rule table, over names picked to hit and miss each kind.
func TestSegMatchesPathMatch(t *testing.T) {
	names := []string{"", "gcc", "gcc-12", "gcc-ar", "x86_64-linux-gnu-gcc-12", "aarch64-linux-musl-ld",
		"automake", "automake-1.16", "llvm-14", "main.o", ".o", "app.js.map", "id_rsa", "id_rsa.pub",
		".env", ".env.local", "env", "server.pem", "Cargo.toml", "node_modules", ".git", "a*b", "[x]", `\`}
	globs := map[string]bool{"*": true, "**": true, "*.o": true, "lib*": true, "[a-c]*": true, `a\*b`: true, "[": true, "?": true}
	for _, r := range rules {
		for _, p := range append(append([]string{}, r.Paths...), r.Unless...) {
			for _, g := range strings.Split(strings.Trim(p, "/"), "/") {
				globs[g] = true
			}
		}
	}
	kinds := map[segKind]int{}
	for g := range globs {
		s := compileSeg(g)
		kinds[s.kind]++
		for _, n := range names {
			want, _ := path.Match(g, n)
			if g == "**" {
				want = true
			}
			if got := s.match(n); got != want {
				t.Errorf("glob %q (kind %d) on %q: %v, path.Match says %v", g, s.kind, n, got, want)
			}
		}
	}
	for k := segGlob; k <= segDeep; k++ {
		if kinds[k] == 0 {
			t.Errorf("no glob of kind %d was tried", k)
		}
	}
}

// Whole patterns: depth, "**" and the first-component shortcut.
func TestPatternMatch(t *testing.T) {
	for _, tc := range []struct {
		pat, p string
		want   bool
	}{
		{"usr/bin/gcc-[0-9]*", "usr/bin/gcc-12", true},
		{"usr/bin/gcc-[0-9]*", "usr/bin/gcc-ar", false},
		{"usr/bin/gcc-[0-9]*", "usr/local/bin/gcc-12", false},
		{"usr/bin/*-linux-gnu*-*", "usr/bin/x86_64-linux-gnu-gcc-12", true},
		{"usr/bin/*-linux-gnu*-*", "opt/bin/x86_64-linux-gnu-gcc-12", false},
		{"**/*.o", "main.o", true},
		{"**/*.o", "src/a/b/main.o", true},
		{"**/*.o", "src/a/b/main.c", false},
		{"usr/lib/**/*.o", "usr/lib/x/crt1.o", true},
		{"usr/lib/**/*.o", "usr/lib/crt1.o", true},
		{"usr/lib/**/*.o", "usr/lib64/crt1.o", false},
		{"**/pkgconfig/*.pc", "usr/lib/x86_64-linux-gnu/pkgconfig/zlib.pc", true},
		{"**/pkgconfig/*.pc", "usr/lib/pkgconfig/sub/zlib.pc", false},
		{"usr/lib/jvm/*/lib/src.zip", "usr/lib/jvm/java-17/lib/src.zip", true},
		{"usr/lib/jvm/*/lib/src.zip", "usr/lib/jvm/lib/src.zip", false},
	} {
		p := compile(tc.pat)
		if got := p.match(strings.Split(tc.p, "/")); got != tc.want {
			t.Errorf("%s on %s: %v, want %v", tc.pat, tc.p, got, tc.want)
		}
	}
}
