package ui

import (
	"github.com/gdamore/tcell/v2"

	"github.com/stagescope/stagescope/analyze/fstree"
)

// line is one logical line of a text pane: an optional label in its own
// style, then text that wraps under itself.
type line struct {
	label      string
	text       string
	labelStyle tcell.Style
	style      tcell.Style
	// node and version, on a line of Details' Versions list, say which
	// version of which path the line lists.
	node    *fstree.Node
	version *fstree.Version
}

// textPane is a scrolling pane of wrapped text.
type textPane struct {
	*listView
	lines   []line
	wrapped []line
	src     []int // the line each wrapped line comes from
	wrapW   int
}

func newTextPane(th *theme, title string) *textPane {
	t := &textPane{listView: newListView(th, title, false)}
	t.count = func() int { return len(t.wrapped) }
	t.drawRow = func(screen tcell.Screen, i, x, y, w int, _ func(tcell.Style) tcell.Style) {
		l := t.wrapped[i]
		n := drawText(screen, x, y, w, l.label, l.labelStyle)
		drawText(screen, x+n, y, w-n, l.text, l.style)
	}
	return t
}

// set replaces the text and scrolls back to the top.
func (t *textPane) set(lines []line) {
	t.lines = lines
	t.wrapW = -1
	t.top = 0
}

// Draw wraps the text to the pane's width, then draws it.
func (t *textPane) Draw(screen tcell.Screen) {
	_, _, w, _ := t.GetInnerRect()
	t.rewrap(w)
	t.listView.Draw(screen)
}

func (t *textPane) rewrap(w int) {
	if w == t.wrapW {
		return
	}
	t.wrapW = w
	t.wrapped, t.src = t.wrapped[:0], t.src[:0]
	for j, l := range t.lines {
		lw := width(l.label)
		if l.text == "" || lw >= w {
			t.wrapped, t.src = append(t.wrapped, l), append(t.src, j)
			continue
		}
		// image-derived text is escaped before it is measured and wrapped:
		// a newline in a path must not start a line of its own
		for i, part := range wrap(Escape(l.text), w-lw) {
			nl := line{label: l.label, text: part, labelStyle: l.labelStyle, style: l.style}
			if i > 0 {
				nl.label = padRight("", lw)
			}
			t.wrapped, t.src = append(t.wrapped, nl), append(t.src, j)
		}
	}
}
