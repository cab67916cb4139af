package ui

import "github.com/stagescope/stagescope/analyze/fstree"

// search is the tree pane's find: a pattern (as the filter's, see
// newMatcher) that n and N jump between, in the order the tree shows
// paths, through closed directories too.
type search struct {
	pattern string
	match   func(p []byte) bool
}

// set starts searching for pat; "" stops.
func (s *search) set(pat string) {
	s.pattern, s.match = pat, newMatcher(pat)
}

// find moves the cursor to the next path that matches the search, d = 1
// forward, -1 backward, wrapping around; with from set, the path under
// the cursor counts as the next. It tells whether a path matched.
func (p *treePane) find(d int, from bool) bool {
	if p.search.match == nil {
		return false
	}
	cur := p.selectedNode()
	var first, last, before, after *fstree.Node
	seen := cur == nil
	var walk func(n *fstree.Node, path []byte)
	walk = func(n *fstree.Node, path []byte) {
		for _, k := range p.m.children(n) {
			kp := append(append(path, '/'), k.n.Name...)
			if k.n == cur {
				seen = true
				if from && p.search.match(kp) {
					after = k.n
					return
				}
			} else if p.search.match(kp) {
				if first == nil {
					first = k.n
				}
				last = k.n
				if !seen {
					before = k.n
				} else if after == nil {
					after = k.n
					if d > 0 {
						return
					}
				}
			}
			if after != nil && d > 0 {
				return
			}
			if k.info.dir {
				walk(k.n, kp)
			}
		}
	}
	walk(p.m.tree.Root, make([]byte, 0, 256))
	target := after
	if d < 0 {
		target = before
		if target == nil {
			target = last
		}
	} else if target == nil {
		target = first
	}
	if target == nil {
		return false
	}
	p.m.reveal(target)
	p.selectNode(target)
	return true
}
