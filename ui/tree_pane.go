package ui

import (
	"fmt"
	"strings"

	"github.com/gdamore/tcell/v2"

	"github.com/stagescope/stagescope/analyze"
	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/analyze/leftovers"
	"github.com/stagescope/stagescope/internal/format"
	"github.com/stagescope/stagescope/layers"
)

// treePane shows the merged file tree as of the selected layer. Its model
// is never nil: until the image is read it is the empty tree, and every
// key works on it.
type treePane struct {
	*listView
	th       *theme
	m        *treeModel
	search   search
	findings []leftovers.Finding // what m's leftover marks index
	a        *analyze.Analysis   // nil until the image is analysed
	// waiting says why the tree is empty while there is no image yet;
	// note, when set, adds to the title.
	waiting func() string
	note    func() string
	// copy puts text on the clipboard; view opens the viewer; diff shows
	// the diff of two versions (older first); say puts a note in the
	// title bar.
	copy func(text string)
	view func(n *fstree.Node, v *fstree.Version)
	diff func(n *fstree.Node, a, b *fstree.Version)
	say  func(string)
}

func newTreePane(th *theme) *treePane {
	p := &treePane{listView: newListView(th, "Files", true), th: th}
	p.m = newTreeModel(emptyTree(), nil)
	p.count = func() int { return len(p.m.Rows()) }
	p.header = func(screen tcell.Screen, x, y, w int) {
		h := "    Size  L    Name"
		if p.m.attrs {
			h = "Mode       Owner          Size  L    Name"
		}
		drawText(screen, x, y, w, h, th.header)
	}
	p.drawRow = p.drawTreeRow
	p.empty = p.emptyText
	p.onEnter = func(int) { p.toggleDir() }
	p.title = p.makeTitle
	return p
}

// emptyTree is the tree of an image with no layers.
func emptyTree() *fstree.Tree { return fstree.NewBuilder().Finish() }

// keys are the tree pane's own actions.
func (p *treePane) keys() []binding {
	tree := func(action string, keys []key, bar, help string, do func()) binding {
		return binding{action: action, keys: keys, where: paneTree, bar: bar, help: help, do: do}
	}
	return []binding{
		tree("toggle-dir", []key{special(tcell.KeyEnter), ch(' ')}, "open/view", "open or close the directory; on a file, view it", p.toggleDir),
		tree("view", []key{ch('v')}, "", "view the file as the layer shown wrote it (a removed file: as it was before)", p.viewSelected),
		tree("diff", []key{ch('d')}, "", "diff the file as the layer shown has it against its version before (Details' Versions list diffs any two)", p.diffSelected),
		tree("open-dir", []key{special(tcell.KeyRight), ch('l')}, "", "open the directory", func() { p.openDir(true) }),
		tree("close-dir", []key{special(tcell.KeyLeft), ch('h')}, "", "close the directory, or go to its parent", func() { p.openDir(false) }),
		tree("open-all", []key{ch('e')}, "open all", "open every directory", func() { p.openAll(true) }),
		tree("close-all", []key{ch('c'), special(tcell.KeyCtrlSpace)}, "", "close every directory", func() { p.openAll(false) }),
		tree("sort", []key{ch('s')}, "sort", "sort by size (biggest first) or by name", func() { p.keepSelection(p.m.toggleSort) }),
		tree("hide-added", []key{ch('+'), special(tcell.KeyCtrlA)}, "", "hide or show added files", func() { p.toggleHidden(stAdded) }),
		tree("hide-removed", []key{ch('-'), special(tcell.KeyCtrlR)}, "", "hide or show removed files", func() { p.toggleHidden(stRemoved) }),
		tree("hide-modified", []key{ch('~')}, "", "hide or show modified files (dive's Ctrl+M is Enter in a terminal)", func() { p.toggleHidden(stModified) }),
		tree("hide-unchanged", []key{ch('u'), special(tcell.KeyCtrlU)}, "unchanged", "hide or show unchanged files", func() { p.toggleHidden(stUnchanged) }),
		tree("wasted-only", []key{ch('w')}, "wasted", "show only files with wasted bytes", func() { p.keepSelection(func() { p.m.toggle(&p.m.wasteOnly) }) }),
		tree("leftovers-only", []key{ch('o')}, "leftovers", "show only leftovers", func() { p.keepSelection(func() { p.m.toggle(&p.m.leftOnly) }) }),
		tree("attributes", []key{ch('b')}, "attrs", "show or hide mode and owner in the rows (setuid and setgid in red)", func() { p.m.attrs = !p.m.attrs }),
		tree("copy-path", []key{ch('y')}, "", "copy the path to the clipboard (OSC 52, where the terminal allows)", func() {
			if n := p.selectedNode(); n != nil && p.copy != nil {
				p.copy("/" + n.Path())
			}
		}),
		tree("clear-filter", []key{special(tcell.KeyEscape)}, "", "clear the filter", func() { p.setPattern("") }),
	}
}

// setTree shows t as of layer: a tree of more layers merged, or the
// finished one. What the user set up stays: the sort, the filters, the
// open directories and the path under the cursor (or its nearest
// ancestor), as far as t has them.
func (p *treePane) setTree(t *fstree.Tree, findings []leftovers.Finding, layer int) {
	old := p.m
	var sel string
	if n := p.selectedNode(); n != nil {
		sel = n.Path()
	}
	m := newTreeModel(t, findings)
	m.layer, m.layerOnly, m.byName, m.pattern = layer, old.layerOnly, old.byName, old.pattern
	m.hide, m.leftOnly, m.wasteOnly, m.allOpen, m.attrs = old.hide, old.leftOnly, old.wasteOnly, old.allOpen, old.attrs
	for n, open := range old.open {
		if c := t.Lookup(n.Path()); c != nil {
			m.open[c] = open
		}
	}
	m.invalidate()
	p.findings, p.m = findings, m
	if sel == "" {
		p.clamp()
		return
	}
	p.selectNode(nearest(t, sel))
}

// nearest is the node of path p in t, or of its nearest ancestor there.
func nearest(t *fstree.Tree, p string) *fstree.Node {
	for {
		if n := t.Lookup(p); n != nil {
			return n
		}
		i := strings.LastIndexByte(p, '/')
		if i < 0 {
			return nil
		}
		p = p[:i]
	}
}

// setLayer shows the tree as of layer l (of those merged), keeping the
// cursor's path.
func (p *treePane) setLayer(l int) {
	p.keepSelection(func() { p.m.setLayer(min(l, p.m.tree.Layers-1), p.m.layerOnly) })
}

func (p *treePane) toggleLayerOnly() {
	p.keepSelection(func() { p.m.setLayer(p.m.layer, !p.m.layerOnly) })
}

// toggleHidden hides or shows the paths of a status.
func (p *treePane) toggleHidden(st status) {
	p.keepSelection(func() { p.m.toggle(&p.m.hide[st]) })
}

func (p *treePane) setPattern(pat string) {
	p.keepSelection(func() { p.m.setPattern(pat) })
}

// makeTitle puts the tree's view state into its title.
func (p *treePane) makeTitle() string {
	m := p.m
	if m.tree.Layers == 0 {
		return "Files"
	}
	t := "Files"
	if m.layerOnly {
		t += fmt.Sprintf(" · layer %d only", m.layer)
	} else {
		t += fmt.Sprintf(" · layers 0–%d", m.layer)
	}
	if m.byName {
		t += " · by name"
	} else {
		t += " · by size"
	}
	if m.pattern != "" {
		t += fmt.Sprintf(" · filter %q", m.pattern)
	}
	if m.hiding() {
		var hidden []string
		for _, st := range []status{stAdded, stModified, stRemoved, stUnchanged} {
			if m.hide[st] {
				hidden = append(hidden, st.String())
			}
		}
		t += " · hiding " + strings.Join(hidden, ", ")
	}
	if m.wasteOnly {
		t += " · wasted only"
	}
	if m.leftOnly {
		t += " · leftovers only"
	}
	t += " · " + format.Bytes(m.rootInfo().size)
	if p.note != nil {
		if n := p.note(); n != "" {
			t += " · " + n
		}
	}
	return t
}

func (p *treePane) emptyText() string {
	switch {
	case p.m.tree.Layers == 0 && p.waiting != nil:
		return p.waiting()
	case p.m.narrowed():
		return "nothing matches (Esc clears the filter, u w o toggle the others)"
	}
	return "no files in this layer"
}

func (p *treePane) drawTreeRow(screen tcell.Screen, i, x, y, w int, hl func(tcell.Style) tcell.Style) {
	th := p.th
	r := p.m.Rows()[i]
	ni := r.info
	flag := " "
	if p.m.isLeftover(r.n) {
		flag = "!"
	}
	arrow := "  "
	if ni.dir {
		arrow = "▸ "
		if r.open {
			arrow = "▾ "
		}
	}
	nameStyle := th.base
	switch {
	case ni.st != stUnchanged:
		nameStyle = th.forStatus(ni.st)
		if ni.dir {
			nameStyle = nameStyle.Bold(true)
		}
	case ni.dir:
		nameStyle = th.dir
	}
	var segs []seg
	if p.m.attrs {
		mode, own, st := "", "", th.dim
		if v := ni.v; v != nil && !v.Deleted && !v.Implicit {
			mode, own = lsMode(v), owner(v)
			if specialBits(v.Mode) != "" {
				st = th.errStyle
			}
		}
		segs = append(segs, seg{padRight(mode, 10) + " ", hl(st)}, seg{padRight(own, 11) + " ", hl(th.dim)})
	}
	segs = append(segs, []seg{
		{padLeft(format.Bytes(ni.size), 8) + " ", hl(th.base)},
		{padLeft(fmt.Sprint(ni.layer), 2) + " ", hl(th.dim)},
		{ni.st.mark(), hl(th.forStatus(ni.st))},
		{flag + " ", hl(th.errStyle)},
		{strings.Repeat("  ", r.depth) + arrow, hl(th.dim)},
		{r.n.Name, hl(nameStyle)},
	}...)
	if v := ni.v; v != nil && v.Link() != "" {
		arrow := " → "
		if v.Type == layers.TypeHardlink {
			arrow = " ⇒ /"
		}
		segs = append(segs, seg{arrow + v.Link(), hl(th.dim)})
	}
	drawSegs(screen, x, y, w, segs)
}

// selected is the row under the cursor, or nil.
func (p *treePane) selected() *treeRow {
	rows := p.m.Rows()
	if p.sel < 0 || p.sel >= len(rows) {
		return nil
	}
	return &rows[p.sel]
}

// selectedNode is the node under the cursor, or nil.
func (p *treePane) selectedNode() *fstree.Node {
	if r := p.selected(); r != nil {
		return r.n
	}
	return nil
}

// keepSelection applies change and puts the cursor back on the same node,
// or on its nearest shown ancestor.
func (p *treePane) keepSelection(change func()) {
	n := p.selectedNode()
	change()
	p.selectNode(n)
}

// selectNode puts the cursor on n, or on its nearest shown ancestor.
func (p *treePane) selectNode(n *fstree.Node) {
	for ; n != nil && n.Parent != nil; n = n.Parent {
		if i := p.m.index(n); i >= 0 {
			p.sel = i
			p.clamp()
			return
		}
	}
	p.sel = 0
	p.clamp()
}

func (p *treePane) toggleDir() {
	r := p.selected()
	if r == nil {
		return
	}
	if !r.info.dir {
		p.viewSelected()
		return
	}
	p.m.setOpen(r.n, !r.open)
}

// viewSelected opens the viewer on the version of the file the tree shows.
func (p *treePane) viewSelected() {
	if r := p.selected(); r != nil && !r.info.dir && viewable(r.info.v) && p.view != nil {
		p.view(r.n, r.info.v)
	}
}

// diffSelected shows the diff of the version of the file the tree shows
// against the version before it.
func (p *treePane) diffSelected() {
	r := p.selected()
	if r == nil || r.info.dir || r.info.v == nil || p.diff == nil {
		return
	}
	vs := r.n.Versions()
	i := 0
	for i < len(vs) && &vs[i] != r.info.v {
		i++
	}
	if i == len(vs) || !diffable(r.info.v) {
		return
	}
	if i == 0 || !diffable(&vs[i-1]) {
		if p.say != nil {
			p.say(fmt.Sprintf("/%s: layer %d's version has no earlier file version to diff against", r.n.Path(), r.info.v.Layer))
		}
		return
	}
	p.diff(r.n, &vs[i-1], r.info.v)
}

// openDir opens the directory under the cursor; closing a file or a closed
// directory moves to its parent.
func (p *treePane) openDir(open bool) {
	r := p.selected()
	if r == nil {
		return
	}
	n := r.n
	switch {
	case open && r.info.dir:
		p.m.setOpen(n, true)
	case !open && r.info.dir && r.open:
		p.m.setOpen(n, false)
	case !open && n.Parent != nil && n.Parent.Parent != nil:
		if i := p.m.index(n.Parent); i >= 0 {
			p.selectRow(i)
		}
	}
}

func (p *treePane) openAll(open bool) {
	p.keepSelection(func() { p.m.setAllOpen(open) })
}

// show puts the cursor on n as of layer l, opening its ancestors and
// dropping what hides it. The view keeps n's directory in sight above it
// where the pane is high enough for both.
func (p *treePane) show(n *fstree.Node, l int) {
	m := p.m
	if l >= 0 && l < m.tree.Layers && l != m.layer {
		m.setLayer(l, m.layerOnly)
	}
	if !m.reveal(n) && m.layerOnly {
		m.setLayer(m.layer, false)
		m.reveal(n)
	}
	if i := m.index(n); i >= 0 {
		p.sel = i
		p.clamp()
		if pi := m.index(n.Parent); pi >= 0 && pi < p.top && i-pi < p.height {
			p.top = pi
		}
	}
}

// coveringFinding is the finding that names n or its nearest ancestor.
func (p *treePane) coveringFinding(n *fstree.Node) *leftovers.Finding {
	for ; n != nil; n = n.Parent {
		if i, ok := p.m.leftover[n]; ok {
			return &p.findings[i]
		}
	}
	return nil
}

// describe is what Details shows of the selected path.
func (p *treePane) describe() []line {
	r := p.selected()
	if r == nil {
		return nil
	}
	from, to := p.m.span()
	return nodeDetails(p.th, p.a, r.n, r.info, p.coveringFinding(r.n), false, from, to)
}
