package ui

import (
	"fmt"

	"github.com/gdamore/tcell/v2"

	"github.com/stagescope/stagescope/analyze"
	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/internal/format"
)

// findingsPane lists leftovers and waste by category. Until the image is
// analysed its model is empty.
type findingsPane struct {
	*listView
	th    *theme
	m     findingsModel
	a     *analyze.Analysis // nil until the image is analysed
	tree  *fstree.Tree      // the tree the findings name paths of
	ready bool
	// onJump shows a finding's node in the tree, as of layer.
	onJump func(n *fstree.Node, layer int)
}

func newFindingsPane(th *theme) *findingsPane {
	p := &findingsPane{listView: newListView(th, "Findings", true), th: th, tree: emptyTree()}
	p.count = func() int { return len(p.m.rows) }
	p.drawRow = p.drawFindingRow
	p.empty = func() string {
		if p.ready {
			return "no leftovers and no wasted bytes found"
		}
		return "findings appear once every layer is read"
	}
	p.onEnter = func(int) { p.jump() }
	p.title = p.makeTitle
	return p
}

// keys are the findings pane's own actions.
func (p *findingsPane) keys() []binding {
	return []binding{
		{action: "jump", keys: []key{special(tcell.KeyEnter)}, where: paneFindings, bar: "jump", help: "jump to the file in the tree (on a category: open or close it)", do: p.jump},
	}
}

// setAnalysis takes the analysis's findings.
func (p *findingsPane) setAnalysis(a *analyze.Analysis) {
	p.m = newFindingsModel(a)
	p.a = a
	p.tree = a.Tree
	p.ready = true
}

func (p *findingsPane) makeTitle() string {
	f := "Findings"
	if p.ready {
		var n int
		for _, g := range p.m.groups {
			n += len(g.items)
		}
		f += fmt.Sprintf(" · %d · %s in %s", n, format.Bytes(p.m.total), format.Count(p.m.files, "file"))
	}
	return f
}

func (p *findingsPane) drawFindingRow(screen tcell.Screen, i, x, y, w int, hl func(tcell.Style) tcell.Style) {
	th := p.th
	r := p.m.rows[i]
	g := p.m.groups[r.group]
	if r.item < 0 {
		arrow := "▾ "
		if g.closed {
			arrow = "▸ "
		}
		n := len(g.items)
		right := fmt.Sprintf("%d  %s", n, padLeft(format.Bytes(g.bytes), 8))
		rw := width(right)
		used := drawText(screen, x, y, w-rw-1, arrow+string(g.cat), hl(th.header))
		if used+rw+1 <= w {
			drawText(screen, x+w-rw, y, rw, right, hl(th.header))
		}
		return
	}
	f := g.items[r.item]
	where := fmt.Sprintf("L%d", f.Layer)
	if f.HiddenBy >= 0 {
		where += fmt.Sprintf("→%d", f.HiddenBy)
	}
	path := "/" + f.Path
	if f.Files > 1 {
		path += fmt.Sprintf(" (%d files)", f.Files)
	}
	drawSegs(screen, x, y, w, []seg{
		{"  " + padLeft(format.Bytes(f.Bytes), 8) + " ", hl(th.base)},
		{padRight(where, 6) + " ", hl(th.dim)},
		{path, hl(th.base)},
	})
}

// jump shows the selected finding's file in the tree, as of the layer that
// added it; on a category header it opens or closes the category.
func (p *findingsPane) jump() {
	f := p.m.finding(p.sel)
	if f == nil {
		if p.sel < len(p.m.rows) {
			g := p.m.groups[p.m.rows[p.sel].group]
			g.closed = !g.closed
			p.m.layout()
		}
		return
	}
	ns := f.Nodes(p.tree)
	if len(ns) == 0 || p.onJump == nil {
		return
	}
	p.onJump(biggest(ns), f.Layer)
}

// biggest is the node whose newest version is largest, the first of ties.
func biggest(ns []*fstree.Node) *fstree.Node {
	size := func(n *fstree.Node) int64 {
		if v := n.Last(); v != nil {
			return v.Size
		}
		return 0
	}
	best := ns[0]
	for _, n := range ns[1:] {
		if size(n) > size(best) {
			best = n
		}
	}
	return best
}

func (p *findingsPane) label(s string) string { return padRight(s, 9) }

// describe is what Details shows of the selected finding or category.
func (p *findingsPane) describe() []line {
	f := p.m.finding(p.sel)
	if f == nil {
		return p.groupDetails()
	}
	var n *fstree.Node // the versions shown are those of a single path
	if ns := f.Nodes(p.tree); len(ns) == 1 {
		n = ns[0]
	}
	return nodeDetails(p.th, p.a, n, nodeInfo{}, f, true, 0, 0)
}

// groupDetails describes the category under the cursor.
func (p *findingsPane) groupDetails() []line {
	i := p.sel
	if i < 0 || i >= len(p.m.rows) {
		return nil
	}
	g := p.m.groups[p.m.rows[i].group]
	layers := map[int]bool{}
	for _, f := range g.items {
		layers[f.Layer] = true
	}
	th := p.th
	return []line{
		{label: p.label("Category"), labelStyle: th.header, text: string(g.cat)},
		{label: p.label("Bytes"), labelStyle: th.header, text: fmt.Sprintf("%s in %s, %s, from %s",
			format.Bytes(g.bytes), format.Count(int64(len(g.items)), "finding"), format.Count(g.files, "file"), format.Count(int64(len(layers)), "layer"))},
		{text: "Enter opens or closes the category; on a finding it shows the file in the tree.", style: th.dim},
	}
}
