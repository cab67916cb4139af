package ui

import (
	"bytes"
	"cmp"
	"slices"
	"strings"
	"unicode"

	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/analyze/leftovers"
	"github.com/stagescope/stagescope/analyze/rules"
	"github.com/stagescope/stagescope/layers"
)

// treeModel is the view state of the file tree: which layer it shows, how
// it sorts and filters, which directories are open. It derives rows from
// the fstree.Tree lazily: a directory's children are looked at, sorted and
// turned into rows only when it is open, and directory totals are computed
// once per change of layer, mode or filter.
type treeModel struct {
	tree      *fstree.Tree
	layer     int  // the selected layer
	layerOnly bool // show only what the layer changed, not the aggregate 0..layer
	byName    bool // sort by name instead of size
	pattern   string
	hide      [stRemoved + 1]bool // hide paths of these statuses (dive's Ctrl+A/R/M/U)
	leftOnly  bool                // only paths a leftover finding covers
	wasteOnly bool                // only paths that carry wasted bytes
	attrs     bool                // rows show mode and owner (dive's Ctrl+B)
	// leftover marks the nodes a finding names, with the finding's index.
	leftover map[*fstree.Node]int
	open     map[*fstree.Node]bool // explicit open/closed state
	allOpen  bool                  // the default for directories not in open

	// Derived state, dropped by invalidate.
	match func(p []byte) bool
	infos map[*fstree.Node]nodeInfo // directories only
	// wider, after a change that only hides more (a longer filter, one
	// more status hidden), is infos as they were: a directory nothing
	// showed under then shows nothing now, and is not walked again.
	wider map[*fstree.Node]nodeInfo
	kids  map[*fstree.Node][]kid
	rows  []treeRow
	stale bool // rows must be rebuilt
}

// nodeInfo is what the view shows of a node under the current settings.
type nodeInfo struct {
	size  int64 // a file's size; a directory's total of the files shown below it
	sum   int64 // what the node adds to its directory's total
	layer int32 // the layer of the version shown
	st    status
	shown bool
	dir   bool
	v     *fstree.Version // the version shown (for a removed path, the one removed)
}

type kid struct {
	n    *fstree.Node
	info nodeInfo
	ord  int // its place among the node's children (in name order)
}

// treeRow is one line of the tree pane.
type treeRow struct {
	n     *fstree.Node
	depth int
	info  nodeInfo
	open  bool
}

// newTreeModel starts the view of t as of its last layer, with the files
// the findings claim marked.
func newTreeModel(t *fstree.Tree, findings []leftovers.Finding) *treeModel {
	m := &treeModel{tree: t, layer: t.Layers - 1, open: map[*fstree.Node]bool{}, leftover: map[*fstree.Node]int{}}
	for i, f := range findings {
		if f.Category == rules.CatWasted {
			continue
		}
		for _, n := range f.Nodes(t) {
			if _, ok := m.leftover[n]; !ok {
				m.leftover[n] = i
			}
		}
	}
	m.invalidate()
	return m
}

// invalidate drops everything derived from the settings.
func (m *treeModel) invalidate() {
	m.wider = nil
	m.reset()
}

// narrow drops what is derived from the settings after a change that
// shows a subset of what was shown (see wider).
func (m *treeModel) narrow() {
	m.wider = m.infos
	m.reset()
}

func (m *treeModel) reset() {
	m.infos = make(map[*fstree.Node]nodeInfo, len(m.infos))
	m.kids = map[*fstree.Node][]kid{}
	m.match = newMatcher(m.pattern)
	m.stale = true
}

// span is the layer range the marks compare: the state after layer from
// against the state after layer to. In aggregate mode the range starts at
// the base layer, as dive does; a from of -1 is the empty filesystem.
func (m *treeModel) span() (from, to int) {
	to = m.layer
	switch {
	case m.layerOnly:
		from = to - 1
	case to > 0:
		from = 0
	default:
		from = -1
	}
	return from, to
}

// narrowed tells whether some filter hides paths.
func (m *treeModel) narrowed() bool {
	return m.pattern != "" || m.hiding() || m.leftOnly || m.wasteOnly || m.layerOnly
}

// hiding tells whether paths of some status are hidden.
func (m *treeModel) hiding() bool {
	return m.hide != [len(m.hide)]bool{}
}

// filtering tells whether directories open by themselves to show matches.
func (m *treeModel) filtering() bool {
	return m.pattern != "" || m.leftOnly || m.wasteOnly
}

// autoOpenRows bounds how many rows a filter opens directories for by
// itself, so that a pattern matching half of a huge image still answers
// each keystroke quickly; the rest stay closed until opened.
const autoOpenRows = 5000

func (m *treeModel) isOpen(n *fstree.Node) bool {
	if o, ok := m.open[n]; ok {
		return o
	}
	return m.allOpen || m.filtering() && len(m.rows) < autoOpenRows
}

// versionStatus compares a node's versions after from and after to.
func versionStatus(n *fstree.Node, from, to int) (status, *fstree.Version) {
	cur := n.VersionAt(to)
	var prev *fstree.Version
	if from >= 0 {
		prev = n.VersionAt(from)
	}
	switch {
	case cur != nil && prev == nil:
		return stAdded, cur
	case cur != nil && prev != cur:
		return stModified, cur
	case cur != nil:
		return stUnchanged, cur
	case prev != nil:
		return stRemoved, prev
	}
	// Written and removed again inside the range: it still ships.
	vs := n.Versions()
	for i := len(vs) - 1; i >= 0; i-- {
		v := &vs[i]
		if int(v.Layer) > from && int(v.Layer) <= to && !v.Deleted && v.HiddenBy >= 0 && int(v.HiddenBy) <= to {
			return stRemoved, v
		}
	}
	return stAbsent, nil
}

// wastedUpTo is what n's hidden versions cost, counting hides up to layer to.
func wastedUpTo(n *fstree.Node, to int) int64 {
	var w int64
	vs := n.Versions()
	for i := range vs {
		v := &vs[i]
		if v.Deleted || v.Type == layers.TypeDir || v.HiddenBy < 0 || int(v.HiddenBy) > to || int(v.Layer) > to {
			continue
		}
		w += v.Size
	}
	return w
}

func isDirVersion(v *fstree.Version) bool {
	return v != nil && v.Type == layers.TypeDir && !v.Deleted
}

// passes applies the filters to a node whose status and weight are known.
func (m *treeModel) passes(st status, wasted int64, covered bool, p []byte) bool {
	if st == stAbsent {
		return false
	}
	if (m.layerOnly && st == stUnchanged) || m.hide[st] {
		return false
	}
	if m.wasteOnly && wasted == 0 {
		return false
	}
	if m.leftOnly && !covered {
		return false
	}
	if m.match != nil && !m.match(p) {
		return false
	}
	return true
}

// info returns what the view shows of n, whose path (with a leading "/") is
// p and which a leftover finding covers when covered is set.
func (m *treeModel) info(n *fstree.Node, p []byte, covered bool) nodeInfo {
	if len(n.Children()) > 0 { // only directories are kept
		if ni, ok := m.infos[n]; ok {
			return ni
		}
		if ni, ok := m.wider[n]; ok && !ni.shown {
			m.infos[n] = ni
			return ni
		}
	}
	from, to := m.span()
	st, v := versionStatus(n, from, to)
	root := n.Parent == nil
	if root {
		st = stUnchanged
	}
	covered = covered || m.isLeftover(n)
	ni := nodeInfo{st: st, v: v}
	if v != nil {
		ni.layer = v.Layer
	}
	if !root && !isDirVersion(v) {
		var wasted int64
		if st != stAbsent {
			wasted = wastedUpTo(n, to)
		}
		ni.shown = m.passes(st, wasted, covered, p)
		switch {
		case !ni.shown:
		case m.wasteOnly:
			ni.size, ni.sum = wasted, wasted
		case st == stRemoved:
			ni.size = v.Size
		default:
			ni.size, ni.sum = v.Size, v.Size
		}
		return ni
	}
	ni.dir = true
	if st == stModified {
		st = stUnchanged // a directory entry written again changes nothing by itself
	}
	anyShown := false
	changed := false
	for _, c := range n.Children() {
		ci := m.info(c, append(append(p, '/'), c.Name...), covered)
		if !ci.shown {
			continue
		}
		anyShown = true
		ni.sum += ci.sum
		if ci.st != stUnchanged {
			changed = true
		}
	}
	if st == stUnchanged && changed {
		st = stModified
	}
	ni.st = st
	ni.size = ni.sum
	if st != stAbsent {
		ni.shown = anyShown || (m.narrowed() && m.passes(st, 0, covered, p)) || (!m.narrowed())
	}
	m.infos[n] = ni
	return ni
}

func (m *treeModel) isLeftover(n *fstree.Node) bool {
	_, ok := m.leftover[n]
	return ok
}

// covered tells whether a finding names n or one of its ancestors.
func (m *treeModel) covered(n *fstree.Node) bool {
	for ; n != nil; n = n.Parent {
		if m.isLeftover(n) {
			return true
		}
	}
	return false
}

// slashPath is n's path with a leading "/", and "" for the root.
func slashPath(n *fstree.Node) []byte {
	if n.Parent == nil {
		return nil
	}
	return []byte("/" + n.Path())
}

// children returns the shown children of an open directory, sorted.
func (m *treeModel) children(n *fstree.Node) []kid {
	if ks, ok := m.kids[n]; ok {
		return ks
	}
	p := slashPath(n)
	buf := make([]byte, len(p), len(p)+256)
	copy(buf, p)
	cov := m.covered(n)
	ks := make([]kid, 0, len(n.Children()))
	for i, c := range n.Children() {
		buf = append(append(buf[:len(p)], '/'), c.Name...)
		if ci := m.info(c, buf, cov); ci.shown {
			ks = append(ks, kid{c, ci, i})
		}
	}
	if !m.byName {
		m.sortKids(ks)
	}
	m.kids[n] = ks
	return ks
}

// sortKids sorts a directory's children as the view sorts: by name, or
// biggest first with equal sizes in name order. A stable sort of 100 000
// children took 200 ms (its in-place merge moves them over and over); with
// the name order as the last key an unstable one gives the same.
func (m *treeModel) sortKids(ks []kid) {
	if m.byName {
		slices.SortFunc(ks, func(a, b kid) int { return cmp.Compare(a.ord, b.ord) })
		return
	}
	slices.SortFunc(ks, func(a, b kid) int {
		if c := cmp.Compare(b.info.size, a.info.size); c != 0 {
			return c
		}
		return cmp.Compare(a.ord, b.ord)
	})
}

// Rows returns the lines of the tree, rebuilding them when stale.
func (m *treeModel) Rows() []treeRow {
	if !m.stale {
		return m.rows
	}
	m.rows = m.rows[:0]
	if m.allOpen && cap(m.rows) < m.tree.Nodes() {
		m.rows = make([]treeRow, 0, m.tree.Nodes())
	}
	var add func(n *fstree.Node, depth int)
	add = func(n *fstree.Node, depth int) {
		for _, k := range m.children(n) {
			open := k.info.dir && m.isOpen(k.n)
			m.rows = append(m.rows, treeRow{n: k.n, depth: depth, info: k.info, open: open})
			if open {
				add(k.n, depth+1)
			}
		}
	}
	add(m.tree.Root, 0)
	m.stale = false
	return m.rows
}

// rootInfo returns the totals of the whole view.
func (m *treeModel) rootInfo() nodeInfo {
	return m.info(m.tree.Root, nil, false)
}

// index returns the row of n, or -1.
func (m *treeModel) index(n *fstree.Node) int {
	for i, r := range m.Rows() {
		if r.n == n {
			return i
		}
	}
	return -1
}

func (m *treeModel) setOpen(n *fstree.Node, open bool) {
	if n == nil {
		return
	}
	m.open[n] = open
	m.stale = true
}

// setAllOpen opens or closes every directory.
func (m *treeModel) setAllOpen(open bool) {
	m.allOpen = open
	clear(m.open)
	m.stale = true
}

// reveal opens n's ancestors and makes sure n is shown, dropping filters
// that hide it. It tells whether n has a row.
func (m *treeModel) reveal(n *fstree.Node) bool {
	for p := n.Parent; p != nil && p.Parent != nil; p = p.Parent {
		m.open[p] = true
	}
	m.stale = true
	if m.index(n) >= 0 {
		return true
	}
	m.pattern, m.hide, m.leftOnly, m.wasteOnly = "", [len(m.hide)]bool{}, false, false
	m.invalidate()
	return m.index(n) >= 0
}

func (m *treeModel) setLayer(l int, layerOnly bool) {
	if l == m.layer && layerOnly == m.layerOnly {
		return
	}
	m.layer, m.layerOnly = l, layerOnly
	m.invalidate()
}

func (m *treeModel) setPattern(p string) {
	if p == m.pattern {
		return
	}
	old := m.pattern
	m.pattern = p
	if narrows(old, p) {
		m.narrow()
		return
	}
	m.invalidate()
}

// toggle flips a filter: turning one on only hides more.
func (m *treeModel) toggle(flag *bool) {
	*flag = !*flag
	if *flag {
		m.narrow()
		return
	}
	m.invalidate()
}

// toggleSort sorts by name or by size: the children already looked at
// are sorted again, not looked at again.
func (m *treeModel) toggleSort() {
	m.byName = !m.byName
	for _, ks := range m.kids {
		m.sortKids(ks)
	}
	m.stale = true
}

// newMatcher returns the test of a filter pattern against a path with a
// leading "/": a glob when it holds glob characters, else a substring of
// the path, ignoring case unless the pattern has capitals. A glob with a
// "/" is matched against the whole path by the glob engine of --ignore
// (rules.Glob: "**" spans directories, and what matches a directory
// matches everything below it); one without is matched against the base
// name.
func newMatcher(pat string) func(p []byte) bool {
	if pat == "" {
		return nil
	}
	if strings.ContainsAny(pat, "*?[") {
		if strings.Contains(pat, "/") {
			if g, err := rules.CompileGlob(pat); err == nil {
				return func(p []byte) bool {
					return g.Match(strings.Split(strings.TrimPrefix(string(p), "/"), "/"))
				}
			}
		} else if _, err := rules.CompileGlob(pat); err == nil {
			return func(p []byte) bool {
				return rules.MatchName(pat, string(p[bytes.LastIndexByte(p, '/')+1:]))
			}
		}
	}
	sub := []byte(pat)
	if strings.IndexFunc(pat, unicode.IsUpper) >= 0 {
		return func(p []byte) bool { return bytes.Contains(p, sub) }
	}
	return func(p []byte) bool { return containsFold(p, sub) }
}

// narrows tells whether every path newMatcher(to) matches, newMatcher(from)
// matches too: both are substrings (no glob), and to holds from. A path
// that holds to holds from, and with it from folded to lower case.
func narrows(from, to string) bool {
	return from != "" && !strings.ContainsAny(from, "*?[") && !strings.ContainsAny(to, "*?[") && strings.Contains(to, from)
}

// containsFold reports whether s contains the lower-case sub, ignoring case.
func containsFold(s, sub []byte) bool {
	for _, c := range sub {
		if c >= 0x80 {
			return bytes.Contains(bytes.ToLower(s), sub)
		}
	}
	n := len(sub)
	for i := 0; i+n <= len(s); i++ {
		j := 0
		for ; j < n; j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != sub[j] {
				break
			}
		}
		if j == n {
			return true
		}
	}
	return false
}
