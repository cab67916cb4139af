package ui

import (
	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
)

// listView is a scrolling list of rows that its owner draws: the one widget
// behind every pane. With a cursor it selects rows; without one it is a
// text pane that scrolls.
type listView struct {
	*tview.Box
	th     *theme
	cursor bool
	count  func() int
	// drawRow draws row i at (x, y) in w cells; hl marks the cursor row.
	drawRow func(screen tcell.Screen, i, x, y, w int, hl func(tcell.Style) tcell.Style)
	// header, when set, draws a line above the rows that does not scroll.
	header func(screen tcell.Screen, x, y, w int)
	// empty is shown when there are no rows.
	empty func() string
	// onMove is called when the cursor lands on a row; onEnter when a row
	// is activated (Enter, double click).
	onMove  func(i int)
	onEnter func(i int)
	// title, when set, makes the title at each draw.
	title func() string

	sel, top int
	height   int // rows visible at the last draw
}

func newListView(th *theme, title string, cursor bool) *listView {
	l := &listView{Box: tview.NewBox(), th: th, cursor: cursor, height: 10}
	l.SetBorder(true).SetTitle(" " + title + " ").SetTitleAlign(tview.AlignLeft)
	l.SetBackgroundColor(tcell.ColorDefault)
	l.SetBorderStyle(th.border)
	l.SetTitleColor(titleColor(th))
	return l
}

func titleColor(th *theme) tcell.Color {
	fg, _, _ := th.title.Decompose()
	return fg
}

func (l *listView) n() int {
	if l.count == nil {
		return 0
	}
	return l.count()
}

// Draw draws the frame and the visible rows.
func (l *listView) Draw(screen tcell.Screen) {
	if l.title != nil {
		// titles hold image-derived names: escaped for the terminal, and
		// for tview, which reads [style] tags in a title
		l.SetTitle(" " + tview.Escape(Escape(l.title())) + " ")
	}
	l.DrawForSubclass(screen, l)
	x, y, w, h := l.GetInnerRect()
	if w <= 0 || h <= 0 {
		return
	}
	if l.header != nil {
		l.header(screen, x, y, w)
		y++
		h--
	}
	l.height = max(h, 1)
	n := l.n()
	if n == 0 {
		if l.empty != nil {
			for i, line := range wrap(l.empty(), w) {
				if i >= h {
					break
				}
				drawText(screen, x, y+i, w, line, l.th.dim)
			}
		}
		return
	}
	l.clamp()
	focused := l.HasFocus()
	for r := 0; r < h && l.top+r < n; r++ {
		i := l.top + r
		hl := func(s tcell.Style) tcell.Style { return s }
		if l.cursor && i == l.sel {
			row := l.th.cursorBg
			if focused {
				row = l.th.cursor
			}
			fill(screen, x, y+r, w, row)
			if focused {
				hl = func(s tcell.Style) tcell.Style { return s.Reverse(true) }
			} else {
				_, bg, _ := l.th.cursorBg.Decompose()
				hl = func(s tcell.Style) tcell.Style {
					if bg != tcell.ColorDefault {
						return s.Background(bg)
					}
					return s.Underline(true)
				}
			}
		}
		l.drawRow(screen, i, x, y+r, w, hl)
	}
}

// clamp keeps the cursor on a row and in view.
func (l *listView) clamp() {
	n := l.n()
	if l.sel >= n {
		l.sel = n - 1
	}
	if l.sel < 0 {
		l.sel = 0
	}
	if l.cursor {
		if l.sel < l.top {
			l.top = l.sel
		}
		if l.sel >= l.top+l.height {
			l.top = l.sel - l.height + 1
		}
	}
	if l.top > n-l.height {
		l.top = n - l.height
	}
	if l.top < 0 {
		l.top = 0
	}
}

// move shifts the cursor (or, without one, the view) by d rows.
func (l *listView) move(d int) {
	if !l.cursor {
		l.top += d
		l.clamp()
		return
	}
	l.selectRow(l.sel + d)
}

// page moves by d screens.
func (l *listView) page(d int) { l.move(d * max(l.height-1, 1)) }

func (l *listView) home() { l.move(-l.n()) }
func (l *listView) end()  { l.move(l.n()) }

// selectRow puts the cursor on row i and tells the owner.
func (l *listView) selectRow(i int) {
	l.sel = i
	l.clamp()
	if l.onMove != nil && l.n() > 0 {
		l.onMove(l.sel)
	}
}

func (l *listView) enter() {
	if l.onEnter != nil && l.n() > 0 {
		l.onEnter(l.sel)
	}
}

// MouseHandler selects on click, activates on double click and scrolls on
// the wheel.
func (l *listView) MouseHandler() func(action tview.MouseAction, event *tcell.EventMouse, setFocus func(p tview.Primitive)) (bool, tview.Primitive) {
	return l.WrapMouseHandler(func(action tview.MouseAction, event *tcell.EventMouse, setFocus func(p tview.Primitive)) (bool, tview.Primitive) {
		x, y := event.Position()
		if !l.InRect(x, y) {
			return false, nil
		}
		ix, iy, _, _ := l.GetInnerRect()
		if l.header != nil {
			iy++
		}
		row := l.top + y - iy
		switch action {
		case tview.MouseLeftDown:
			setFocus(l)
			return true, nil
		case tview.MouseLeftClick:
			if l.cursor && l.InInnerRect(x, y) && y >= iy && row < l.n() && x >= ix {
				l.selectRow(row)
			}
			return true, nil
		case tview.MouseLeftDoubleClick:
			if l.cursor && y >= iy && row < l.n() {
				l.selectRow(row)
				l.enter()
			}
			return true, nil
		case tview.MouseScrollUp:
			l.scroll(-3)
			return true, nil
		case tview.MouseScrollDown:
			l.scroll(3)
			return true, nil
		}
		return false, nil
	})
}

// scroll moves the view without moving the cursor off screen.
func (l *listView) scroll(d int) {
	l.top += d
	n := l.n()
	if l.top > n-l.height {
		l.top = n - l.height
	}
	if l.top < 0 {
		l.top = 0
	}
	if l.cursor {
		switch {
		case l.sel < l.top:
			l.selectRow(l.top)
		case l.sel >= l.top+l.height:
			l.selectRow(l.top + l.height - 1)
		}
	}
}
