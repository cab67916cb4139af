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

// Silencer applies an Ignore: to rules by ID, and to files while the
// leftover pass walks the tree.
type Silencer struct {
	rules map[string]bool
	paths [][]seg
}

// NewSilencer compiles an Ignore; malformed globs silence nothing (the
// command line and the config reject them first, see ValidateGlob).
func NewSilencer(ig Ignore) *Silencer {
	s := &Silencer{rules: map[string]bool{}}
	for _, r := range ig.Rules {
		s.rules[r] = true
	}
	for _, p := range ig.Paths {
		if ValidateGlob(p) == nil {
			s.paths = append(s.paths, compile(p).segs)
		}
	}
	return s
}

// Path tells whether a path, given as its components, or one of its parent
// directories matches an ignored glob.
func (s *Silencer) Path(segs []string) bool {
	for _, p := range s.paths {
		if globSegs(p, segs, true) {
			return true
		}
	}
	return false
}

// Rule tells whether the rule of an ID is silenced.
func (s *Silencer) Rule(id string) bool { return s.rules[id] }
