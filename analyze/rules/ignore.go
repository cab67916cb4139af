package rules

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

// Ignore says which findings a user has accepted.
type Ignore struct {
	Rules []string // rule IDs
	// Categories silence every rule of a category.
	Categories []Category
	// Paths are slash-separated globs matched against a finding's path
	// (a leading "/" is optional). "*", "?" and "[…]" match within one
	// path element, "**" matches any number of elements, and a pattern
	// that matches a directory matches everything below it.
	Paths []string
}

// ValidateGlob reports whether pattern is a usable Ignore path glob.
func ValidateGlob(pattern string) error {
	p := strings.Trim(pattern, "/")
	if p == "" {
		return errors.New("empty path glob")
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "**" {
			continue
		}
		if _, err := path.Match(seg, ""); err != nil {
			return fmt.Errorf("bad path glob %q: %w", pattern, err)
		}
	}
	return nil
}

// Glob is a compiled path glob as Ignore's paths are written (see Ignore):
// the one glob engine of ignore lists, the secrets allowlist and the
// browser's filter.
type Glob struct{ segs []seg }

// CompileGlob compiles a path glob; it fails as ValidateGlob does.
func CompileGlob(pattern string) (Glob, error) {
	if err := ValidateGlob(pattern); err != nil {
		return Glob{}, err
	}
	return Glob{segs: compile(pattern).segs}, nil
}

// Match tells whether a path, given as its components (no leading "/"),
// or one of its parent directories matches the glob.
func (g Glob) Match(segs []string) bool { return globSegs(g.segs, segs, true) }

// Silencer applies an Ignore: to rules by ID or category, and to files
// while the leftover pass walks the tree. It remembers which path globs
// matched something (Unmatched). It is not safe for concurrent use.
type Silencer struct {
	rules   map[string]string // rule ID → the ID or category that silences it
	globs   []string
	paths   []Glob
	matched []bool
}

// NewSilencer compiles an Ignore; malformed globs silence nothing (the
// command line and the config reject them first, see ValidateGlob).
func NewSilencer(ig Ignore) *Silencer {
	s := &Silencer{rules: map[string]string{}}
	for _, c := range ig.Categories {
		for _, r := range All() {
			if r.Category == c {
				s.rules[r.ID] = string(c)
			}
		}
	}
	for _, r := range ig.Rules {
		s.rules[r] = r // the ID is the more precise reason
	}
	for _, p := range ig.Paths {
		if g, err := CompileGlob(p); err == nil {
			s.globs = append(s.globs, p)
			s.paths = append(s.paths, g)
		}
	}
	s.matched = make([]bool, len(s.paths))
	return s
}

// Path tells whether a path, given as its components, or one of its parent
// directories matches an ignored glob.
func (s *Silencer) Path(segs []string) bool { return s.PathBy(segs) != "" }

// PathBy returns the first ignored glob that matches a path, given as its
// components, or one of its parent directories; "" when none does.
func (s *Silencer) PathBy(segs []string) string {
	for i, g := range s.paths {
		if g.Match(segs) {
			s.matched[i] = true
			return s.globs[i]
		}
	}
	return ""
}

// Unmatched returns the ignored globs that no path given to Path or PathBy
// matched, in the Ignore's order.
func (s *Silencer) Unmatched() []string {
	var out []string
	for i, m := range s.matched {
		if !m {
			out = append(out, s.globs[i])
		}
	}
	return out
}

// Rule tells whether the rule of an ID is silenced.
func (s *Silencer) Rule(id string) bool { return s.RuleBy(id) != "" }

// RuleBy returns what silences the rule of an ID: the ID itself when the
// Ignore lists it, else its category when that is listed; "" when neither.
func (s *Silencer) RuleBy(id string) string { return s.rules[id] }
