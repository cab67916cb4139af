package rules

import (
	"slices"
	"strings"
)

// Index narrows a rule table to the rules that may take a path, by the
// path's last component: every pattern must match it, so a rule none of
// whose patterns can is never tried. Trying the whole table on every path
// of an image was most of the leftover pass.
type Index struct {
	byName map[string][]int // a pattern ends in this literal component
	byExt  map[string][]int // a pattern ends in "*" then a literal: keyed by that literal from its last "."
	always []int            // a pattern ends in anything else
	buf    []int
}

// NewIndex indexes the directory or the file patterns of rs, leaving out
// the rules that skip says are off. Every list holds rule indexes in table
// order.
func NewIndex(rs []Compiled, dir bool, skip func(id string) bool) *Index {
	x := &Index{byName: map[string][]int{}, byExt: map[string][]int{}}
	add := func(l []int, i int) []int {
		if len(l) > 0 && l[len(l)-1] == i {
			return l
		}
		return append(l, i)
	}
	for i := range rs {
		if skip(rs[i].ID) {
			continue
		}
		ps := rs[i].files
		if dir {
			ps = rs[i].dirs
		}
		for _, p := range ps {
			switch last := p.segs[len(p.segs)-1]; {
			case last.kind == segLit:
				x.byName[last.s] = add(x.byName[last.s], i)
			case last.kind == segSuffix && strings.Contains(last.s, "."):
				ext := last.s[strings.LastIndexByte(last.s, '.'):]
				x.byExt[ext] = add(x.byExt[ext], i)
			default:
				x.always = add(x.always, i)
			}
		}
	}
	return x
}

// Candidates returns, in table order, the rules that may take a path whose
// last component is name. The slice belongs to the index: it must not be
// changed, and the next call may overwrite it, so an index is for one
// goroutine and one loop over candidates at a time.
func (x *Index) Candidates(name string) []int {
	var ext []int
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		ext = x.byExt[name[i:]]
	}
	lists := [3][]int{x.always, x.byName[name], ext}
	var one []int
	n := 0
	for _, l := range lists {
		if len(l) > 0 {
			one, n = l, n+1
		}
	}
	if n <= 1 {
		return one // most names: nothing to merge
	}
	out := append(append(append(x.buf[:0], lists[0]...), lists[1]...), lists[2]...)
	slices.Sort(out)
	x.buf = slices.Compact(out)
	return x.buf
}
