package rules

import (
	"path"
	"slices"
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
	for _, r := range pathRules {
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

// The rule index never leaves out a rule that takes a path, lists rules
// in table order once each, and drops the rules it is told to skip: over
// paths made from every pattern of both tables, and the same paths ending
// in names that each kind of component matches or misses.
func TestRuleIndex(t *testing.T) {
	names := []string{"gcc", "gcc-12", "x86_64-linux-gnu-gcc-12", "automake-1.16", "main.o", "main.c", "app.js.map",
		"x.map", "id_rsa", ".env", ".env.local", "server.pem", "zlib.pc", "Cargo.toml", "src.zip", "javac", "copyright",
		"lib.a", "x.d.ts", "noext", ".hidden", "a.b.c"}
	// concrete turns a glob component into names it matches.
	concrete := func(s seg, g string) []string {
		switch s.kind {
		case segLit:
			return []string{s.s}
		case segAny:
			return []string{"x", "main.o"}
		case segSuffix:
			return []string{"x" + s.s, s.s}
		case segPrefix:
			return []string{s.s, s.s + "x"}
		case segDeep:
			return []string{"", "a", "a/b"}
		}
		var out []string
		for _, n := range names {
			if ok, _ := path.Match(g, n); ok {
				out = append(out, n)
			}
		}
		return out
	}
	paths := map[string]bool{}
	for _, table := range [][]Rule{pathRules, secretRules} {
		for _, r := range table {
			for _, p := range r.Paths {
				ps := []string{""}
				for _, g := range strings.Split(strings.Trim(p, "/"), "/") {
					var next []string
					for _, pre := range ps {
						for _, c := range concrete(compileSeg(g), g) {
							next = append(next, strings.Trim(pre+"/"+c, "/"))
						}
					}
					ps = next
				}
				for _, q := range ps {
					paths[q] = true
					for _, n := range names {
						paths[path.Join(path.Dir(q), n)] = true
					}
				}
			}
		}
	}
	skipped := map[string]bool{"toolchain.cc": true, "build-cache.objects": true, "secret.dotenv": true}
	matched := 0
	for _, table := range [][]Rule{pathRules, secretRules} {
		rs := compileRules(table)
		for _, dir := range []bool{false, true} {
			all := NewIndex(rs, dir, func(string) bool { return false })
			some := NewIndex(rs, dir, func(id string) bool { return skipped[id] })
			for p := range paths {
				segs := strings.Split(p, "/")
				name := segs[len(segs)-1]
				for _, x := range []*Index{all, some} {
					got := x.Candidates(name)
					for i := 1; i < len(got); i++ {
						if got[i] <= got[i-1] {
							t.Fatalf("%s: candidates %v are not in table order", p, got)
						}
					}
					for i := range rs {
						if !rs[i].Match(segs, dir) {
							continue
						}
						matched++
						in := slices.Contains(got, i)
						if off := x == some && skipped[rs[i].ID]; in == off {
							t.Errorf("%s (dir %v): rule %s matches, candidates %v (skipped %v)", p, dir, rs[i].ID, got, off)
						}
					}
				}
			}
		}
	}
	if matched < 1000 {
		t.Errorf("only %d rule matches over %d paths: the paths miss the rules", matched, len(paths))
	}
}
