package rules

import (
	"path"
	"strings"
)

// pattern is a glob split into components.
type pattern struct {
	segs []seg
	dir  bool
	deep bool   // a "**" component: the path may have any depth
	last string // the final component as written, to name a group ("*.o")
}

func compile(p string) pattern {
	dir := strings.HasSuffix(p, "/")
	parts := strings.Split(strings.Trim(p, "/"), "/")
	segs := make([]seg, len(parts))
	deep := false
	for i, s := range parts {
		segs[i] = compileSeg(s)
		deep = deep || segs[i].kind == segDeep
	}
	return pattern{segs: segs, dir: dir, deep: deep, last: parts[len(parts)-1]}
}

// segKind is how a glob component is tested.
type segKind uint8

const (
	segGlob   segKind = iota // anything else: path.Match
	segLit                   // no metacharacters: equality
	segAny                   // "*"
	segSuffix                // "*" then a literal
	segPrefix                // a literal then "*"
	segDeep                  // "**": any number of components
)

// seg is one compiled glob component. Nearly every rule glob is a literal,
// "*", "*.ext" or "prefix*", which are tested without path.Match: with it,
// matching every path of an image against the rule table was the largest
// cost of a large image's leftover pass (bench/NOTES.md).
type seg struct {
	kind segKind
	s    string // the literal, suffix or prefix; the glob for segGlob
}

func compileSeg(g string) seg {
	const meta = `*?[\`
	switch {
	case g == "**":
		return seg{kind: segDeep}
	case g == "*":
		return seg{kind: segAny}
	case !strings.ContainsAny(g, meta):
		return seg{kind: segLit, s: g}
	case g[0] == '*' && !strings.ContainsAny(g[1:], meta):
		return seg{kind: segSuffix, s: g[1:]}
	case g[len(g)-1] == '*' && !strings.ContainsAny(g[:len(g)-1], meta):
		return seg{kind: segPrefix, s: g[:len(g)-1]}
	}
	return seg{kind: segGlob, s: g}
}

// match tells whether the path component name matches; path.Match's
// semantics, a malformed glob matching nothing.
func (g *seg) match(name string) bool {
	switch g.kind {
	case segLit:
		return name == g.s
	case segAny, segDeep:
		return true
	case segSuffix:
		return strings.HasSuffix(name, g.s)
	case segPrefix:
		return strings.HasPrefix(name, g.s)
	}
	ok, _ := path.Match(g.s, name)
	return ok
}

// match tells whether the path components segs match the pattern.
func (p *pattern) match(segs []string) bool {
	if len(segs) == 0 || (!p.deep && len(segs) != len(p.segs)) {
		return false
	}
	// The first and final components rule most paths out at once.
	if first := &p.segs[0]; first.kind == segLit && segs[0] != first.s {
		return false
	}
	if !p.segs[len(p.segs)-1].match(segs[len(segs)-1]) {
		return false
	}
	return globSegs(p.segs, segs, false)
}

// globSegs matches pattern components against a path's components: all
// of them, or with parents a leading part of them (a pattern that names a
// directory then matches everything below it).
func globSegs(pat []seg, segs []string, parents bool) bool {
	for len(pat) > 0 {
		if pat[0].kind == segDeep {
			for i := 0; i <= len(segs); i++ {
				if globSegs(pat[1:], segs[i:], parents) {
					return true
				}
			}
			return false
		}
		if len(segs) == 0 || !pat[0].match(segs[0]) {
			return false
		}
		pat, segs = pat[1:], segs[1:]
	}
	return parents || len(segs) == 0
}

// Compiled is a Rule with its globs split, ready to match.
type Compiled struct {
	*Rule
	dirs, files []pattern
	unless      []pattern
}

func compileRules(rules []Rule) []Compiled {
	out := make([]Compiled, len(rules))
	for i := range rules {
		r := &rules[i]
		c := Compiled{Rule: r}
		for _, p := range r.Paths {
			if cp := compile(p); cp.dir {
				c.dirs = append(c.dirs, cp)
			} else {
				c.files = append(c.files, cp)
			}
		}
		for _, p := range r.Unless {
			c.unless = append(c.unless, compile(p))
		}
		out[i] = c
	}
	return out
}

// Match tells whether the rule takes the path p, given as its components:
// a directory (dir true) that the rule takes whole, or a file. It is the one
// matcher of the rule table; content and Beside conditions are checked by
// the caller that knows the tree.
func (c *Compiled) Match(segs []string, dir bool) bool {
	_, ok := c.MatchGroup(segs, dir)
	return ok
}

// MatchGroup is Match that also returns the last component of the pattern
// that matched, to name a group of files ("*.o").
func (c *Compiled) MatchGroup(segs []string, dir bool) (string, bool) {
	ps := c.files
	if dir {
		ps = c.dirs
	}
	for i := range ps {
		if ps[i].match(segs) {
			if c.Excluded(segs) {
				return "", false
			}
			return ps[i].last, true
		}
	}
	return "", false
}

// Excluded tells whether an Unless glob covers the path.
func (c *Compiled) Excluded(segs []string) bool {
	for i := range c.unless {
		if globSegs(c.unless[i].segs, segs, false) {
			return true
		}
	}
	return false
}

// Paths returns the path rule table, compiled, in the order it is applied:
// a file is taken by the first path rule that matches it.
func Paths() []Compiled { return compileRules(pathRules) }

// Secrets returns the secret rules, compiled: they are checked on every
// version of every file, deleted and overwritten ones included.
func Secrets() []Compiled { return compileRules(secretRules) }

// MatchName tells whether one path component matches a one-component glob
// (the last component of a finding's glob): path.Match's semantics, a
// malformed glob matching nothing.
func MatchName(glob, name string) bool {
	g := compileSeg(glob)
	return g.match(name)
}
