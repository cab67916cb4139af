package ui

import (
	"fmt"

	"github.com/gdamore/tcell/v2"

	"github.com/stagescope/stagescope/analyze/fstree"
)

// detailsPane describes the selection of the last pane that has one. On a
// path, its Versions list has a cursor while the pane has the focus: v
// views the version under it, d picks it and d on a second one diffs the
// two.
type detailsPane struct {
	*textPane
	th     *theme
	cur    int  // the line of the version under the cursor; -1 when none
	mark   int  // the line of the version picked for a diff; -1 when none
	follow bool // the next draw scrolls the cursor into view
	// view opens a version in the viewer, diff two versions (older first);
	// say puts a note in the title bar.
	view func(n *fstree.Node, v *fstree.Version)
	diff func(n *fstree.Node, a, b *fstree.Version)
	say  func(string)
}

func newDetailsPane(th *theme) *detailsPane {
	p := &detailsPane{textPane: newTextPane(th, "Details"), th: th, cur: -1, mark: -1}
	plain := p.drawRow
	p.drawRow = func(screen tcell.Screen, i, x, y, w int, hl func(tcell.Style) tcell.Style) {
		j := p.src[i]
		if j != p.cur && j != p.mark {
			plain(screen, i, x, y, w, hl)
			return
		}
		l := p.wrapped[i]
		label, ls, ts := []rune(l.label), l.labelStyle, l.style
		// A version line's label starts with two spaces: "*" marks the
		// pick, "▸" the cursor (besides reverse video).
		if j == p.mark && len(label) > 1 && label[0] == ' ' {
			label[0] = '*'
		}
		if j == p.cur && p.HasFocus() {
			if len(label) > 1 && label[1] == ' ' {
				label[1] = '▸'
			}
			ls, ts = ls.Reverse(true), ts.Reverse(true)
			fill(screen, x, y, w, p.th.cursor)
		}
		n := drawText(screen, x, y, w, string(label), ls)
		drawText(screen, x+n, y, w-n, l.text, ts)
	}
	return p
}

// keys are the Details pane's own actions.
func (p *detailsPane) keys() []binding {
	details := func(action string, keys []key, bar, help string, do func()) binding {
		return binding{action: action, keys: keys, where: paneDetails, bar: bar, help: help, do: do}
	}
	return []binding{
		details("view-version", []key{special(tcell.KeyEnter), ch('v')}, "view", "view the version under the cursor", p.viewVersion),
		details("diff", []key{ch('d')}, "diff", "pick the version under the cursor; d on a second one diffs the two", p.pick),
		details("drop-pick", []key{special(tcell.KeyEscape)}, "", "drop the version picked for a diff", func() { p.mark = -1 }),
	}
}

// set shows new lines. Lines that list the same path's versions as before
// keep the cursor and the pick; otherwise the cursor goes to the newest
// version.
func (p *detailsPane) set(lines []line) {
	same := p.cur >= 0 && p.cur < len(lines) && lines[p.cur].version != nil &&
		lines[p.cur].node == p.lines[p.cur].node && len(lines) == len(p.lines)
	top := p.top
	p.textPane.set(lines)
	if same {
		p.top = top
		return
	}
	p.cur, p.mark = -1, -1
	for j := range lines {
		if lines[j].version != nil {
			p.cur = j
		}
	}
}

// step moves the cursor to the next version line in direction d, or
// scrolls when there is none that way: up and down in this pane.
func (p *detailsPane) step(d int) {
	if p.cur >= 0 {
		for j := p.cur + d; j >= 0 && j < len(p.lines); j += d {
			if p.lines[j].version != nil {
				p.cur, p.follow = j, true
				return
			}
		}
	}
	p.move(d)
}

// picked is the version under the cursor, or nil.
func (p *detailsPane) picked() *line {
	if p.cur < 0 || p.cur >= len(p.lines) || p.lines[p.cur].version == nil {
		return nil
	}
	return &p.lines[p.cur]
}

func (p *detailsPane) viewVersion() {
	l := p.picked()
	switch {
	case l == nil:
	case !viewable(l.version):
		p.say(fmt.Sprintf("layer %d's version is %s: only files have contents to view", l.version.Layer, versionKind(l.version)))
	case p.view != nil:
		p.view(l.node, l.version)
	}
}

// pick marks the version under the cursor for a diff, or diffs it with the
// one marked before.
func (p *detailsPane) pick() {
	l := p.picked()
	switch {
	case l == nil:
		p.say("d diffs two versions of a path: select a path in the tree, then pick its versions here")
	case !diffable(l.version):
		p.say(fmt.Sprintf("layer %d's version is %s: only files (or their deletion) diff", l.version.Layer, versionKind(l.version)))
	case p.mark == p.cur:
		p.mark = -1
	case p.mark < 0:
		p.mark = p.cur
		p.say(fmt.Sprintf("picked layer %d's version: d on another version diffs the two", l.version.Layer))
	default:
		a, b := p.lines[p.mark].version, l.version
		if a.Layer > b.Layer {
			a, b = b, a
		}
		p.mark = -1
		if p.diff != nil {
			p.diff(l.node, a, b)
		}
	}
}

// Draw wraps the text, keeps the cursor in view when it moved, and draws.
func (p *detailsPane) Draw(screen tcell.Screen) {
	_, _, w, h := p.GetInnerRect()
	p.rewrap(w)
	if p.follow && p.cur >= 0 {
		p.follow = false
		first, last := -1, -1
		for i, j := range p.src {
			if j == p.cur {
				if first < 0 {
					first = i
				}
				last = i
			}
		}
		if first >= 0 && first < p.top {
			p.top = first
		}
		if last >= p.top+h {
			p.top = last - h + 1
		}
	}
	p.listView.Draw(screen)
}

// versionKind names what a version is, for notes.
func versionKind(v *fstree.Version) string {
	switch {
	case v.Deleted:
		return "a deletion"
	case v.Implicit:
		return "an implied directory"
	}
	return "a " + v.Type.String()
}
