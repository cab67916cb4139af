package ui

import (
	"context"
	"fmt"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/internal/format"
)

// view is what the browser asks of a pane: the list the movement keys
// drive.
type view interface {
	tview.Primitive
	list() *listView
}

func (l *listView) list() *listView { return l }

// build makes the panes and lays them out.
func (b *Browser) build() error {
	th := &b.th
	b.layers = newLayersPane(th)
	b.layers.onPick = func(i int) { b.tree.setLayer(i) }
	b.layers.onEnter = func(int) { b.setFocus(paneTree) }
	b.tree = newTreePane(th)
	b.tree.waiting = b.treeWaiting
	b.tree.note = b.treeNote
	b.tree.copy = b.copyText
	b.tree.onMove = func(int) { b.updateDetails() }
	b.findings = newFindingsPane(th)
	b.findings.onMove = func(int) { b.updateDetails() }
	b.findings.onJump = b.showNode
	b.details = newDetailsPane(th)
	b.details.view = b.openViewer
	b.details.diff = b.openDiff
	b.details.say = b.say
	b.summary = newTextPane(th, "Image")
	b.help = newTextPane(th, "Keys")
	b.viewer = newViewerPane(th)
	b.viewer.post = b.post
	b.viewer.onClose = b.closeViewer
	b.tree.view = b.openViewer
	b.tree.diff = b.openDiff
	b.tree.say = b.say
	b.keys = b.keyTable()
	if err := rebind(b.keys, b.o.keys); err != nil {
		return err
	}
	b.help.set(b.helpLines())

	b.views = map[paneID]view{
		paneLayers:   b.layers,
		paneTree:     b.tree,
		paneFindings: b.findings,
		paneDetails:  b.details,
		paneHelp:     b.help,
		paneViewer:   b.viewer,
	}
	for p, v := range b.views {
		if p == paneHelp || p == paneViewer {
			continue
		}
		v.list().SetFocusFunc(func() { b.focusedBy(p) })
	}

	b.titleBar = tview.NewBox().SetBackgroundColor(tcell.ColorDefault)
	b.titleBar.SetDrawFunc(func(screen tcell.Screen, x, y, w, h int) (int, int, int, int) {
		b.drawTitleBar(screen, x, y, w)
		return x, y, w, h
	})
	b.helpBar = tview.NewBox().SetBackgroundColor(tcell.ColorDefault)
	b.helpBar.SetDrawFunc(func(screen tcell.Screen, x, y, w, h int) (int, int, int, int) {
		b.drawHelpBar(screen, x, y, w)
		return x, y, w, h
	})
	b.filterIn = tview.NewInputField().SetLabel("filter: ")
	b.filterIn.SetBackgroundColor(tcell.ColorDefault)
	b.filterIn.SetFieldStyle(th.base.Underline(true))
	b.filterIn.SetLabelStyle(th.key)
	b.filterIn.SetChangedFunc(b.filterChanged)
	b.filterIn.SetDoneFunc(b.filterDone)

	leftFlex := tview.NewFlex().SetDirection(tview.FlexRow).
		AddItem(b.summary, summaryHeight, 0, false).
		AddItem(b.layers, 0, 3, true).
		AddItem(b.findings, 0, 2, false)
	left := &column{Flex: leftFlex, fit: func(h int) { leftFlex.ResizeItem(b.summary, summaryFit(h), 0) }}
	right := tview.NewFlex().SetDirection(tview.FlexRow).
		AddItem(b.tree, 0, 3, false).
		AddItem(b.details, 0, 2, false)
	middle := tview.NewFlex().
		AddItem(left, 0, 1, true).
		AddItem(right, 0, 1, false)
	b.bottom = tview.NewFlex().AddItem(b.helpBar, 0, 1, false)
	main := tview.NewFlex().SetDirection(tview.FlexRow).
		AddItem(b.titleBar, 1, 0, false).
		AddItem(middle, 0, 1, true).
		AddItem(b.bottom, 1, 0, false)
	helpBox := tview.NewFlex().
		AddItem(nil, 0, 1, false).
		AddItem(tview.NewFlex().SetDirection(tview.FlexRow).
			AddItem(nil, 0, 1, false).
			AddItem(b.help, 0, 8, true).
			AddItem(nil, 0, 1, false), 0, 6, true).
		AddItem(nil, 0, 1, false)
	viewBox := tview.NewFlex().SetDirection(tview.FlexRow).
		AddItem(nil, 1, 0, false).
		AddItem(b.viewer, 0, 1, true).
		AddItem(nil, 1, 0, false)
	b.pages = tview.NewPages().
		AddPage("main", main, true, true).
		AddPage("help", helpBox, true, false).
		AddPage("viewer", viewBox, true, false)
	b.pages.SetBackgroundColor(tcell.ColorDefault)
	b.app.SetRoot(b.pages, true)
	b.app.SetInputCapture(b.handleKey)
	b.setFocus(paneLayers)
	b.summary.set(summaryLines(th, b.ref, b.a))
	return nil
}

// summaryHeight is the Image pane's height, borders included, where the
// screen has room for it.
const summaryHeight = 8

// summaryFit is the Image pane's height in a column h rows high: what the
// Layers and Findings panes below it need to show a few rows each comes
// first (a frame, Layers' header and at least three layers; a frame and
// two findings), and an Image pane with no room for one line of text is
// left out.
func summaryFit(h int) int {
	const lists = 10 // Layers 6 rows + Findings 4 rows
	s := min(h-lists, summaryHeight)
	if s < 3 {
		return 0
	}
	return s
}

// column is a Flex that sets its items' sizes for its height before each
// draw.
type column struct {
	*tview.Flex
	fit func(h int)
}

// Draw fits the items to the height, then draws them.
func (c *column) Draw(screen tcell.Screen) {
	_, _, _, h := c.GetRect()
	c.fit(h)
	c.Flex.Draw(screen)
}

// setFocus moves the keyboard to a pane.
func (b *Browser) setFocus(p paneID) {
	b.app.SetFocus(b.views[p])
	b.focusedBy(p)
}

// focusedBy follows focus changes, by key or by mouse.
func (b *Browser) focusedBy(p paneID) {
	if b.hiding {
		return
	}
	if b.helpOpen && p != paneHelp || b.viewerOpen && p != paneViewer {
		// A click on a pane behind the help or the viewer closes it.
		b.helpOpen, b.viewerOpen = false, false
		b.viewer.cancel()
		b.hidePage("help")
		b.hidePage("viewer")
		b.setFocus(p)
		return
	}
	b.focus = p
	if p != paneDetails && p != paneHelp && p != paneViewer && p != b.context {
		b.context = p
		b.updateDetails()
	}
}

// list is the focused pane's list.
func (b *Browser) list() *listView { return b.views[b.focus].list() }

func (b *Browser) cycle(d int) {
	// Details follows the tree, which it sits under and describes; from
	// Findings, S-Tab reaches it still describing the finding.
	order := []paneID{paneLayers, paneTree, paneDetails, paneFindings}
	i := 0
	for j, p := range order {
		if p == b.focus {
			i = j
		}
	}
	b.setFocus(order[(i+d+len(order))%len(order)])
}

// afterKey brings the derived views up to date after a key.
func (b *Browser) afterKey() {
	if b.focus != paneDetails && b.focus != paneHelp {
		b.updateDetails()
	}
}

// updateDetails describes what the last pane with a selection selects.
func (b *Browser) updateDetails() {
	switch b.context {
	case paneLayers:
		b.details.set(b.layers.describe())
	case paneTree:
		b.details.set(b.tree.describe())
	case paneFindings:
		b.details.set(b.findings.describe())
	}
}

// showNode selects n in the tree as of layer l, and moves there.
func (b *Browser) showNode(n *fstree.Node, l int) {
	if l >= 0 && l < len(b.layers.layers) {
		b.layers.sel = l
	}
	b.tree.show(n, l)
	b.setFocus(paneTree)
}

// helpPaneKeys are the help page's own actions.
func (b *Browser) helpPaneKeys() []binding {
	return []binding{
		{action: "close", keys: []key{ch('?'), special(tcell.KeyEscape), ch('q')}, where: paneHelp, bar: "close", help: "close the help", do: b.closeHelp},
	}
}

// openViewer shows version v of node n in the viewer.
func (b *Browser) openViewer(n *fstree.Node, v *fstree.Version) {
	b.showViewer(func(ctx context.Context) { b.viewer.open(ctx, n, v) })
}

// openDiff shows the diff of versions a and v (a the older) of node n in
// the viewer.
func (b *Browser) openDiff(n *fstree.Node, a, v *fstree.Version) {
	b.showViewer(func(ctx context.Context) { b.viewer.openDiff(ctx, n, a, v) })
}

// showViewer opens the viewer page and starts what it shows.
func (b *Browser) showViewer(open func(ctx context.Context)) {
	b.lastFocus = b.focus
	b.viewerOpen = true
	b.pages.ShowPage("viewer")
	ctx := b.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	open(ctx)
	b.setFocus(paneViewer)
}

func (b *Browser) closeViewer() {
	b.viewerOpen = false
	b.hidePage("viewer")
	b.setFocus(b.lastFocus)
}

// hidePage hides a page over the main one. tview then focuses the main
// page's first pane, which the user did not choose: the browser ignores
// that and its caller sets the focus after.
func (b *Browser) hidePage(name string) {
	b.hiding = true
	defer func() { b.hiding = false }()
	b.pages.HidePage(name)
}

func (b *Browser) openHelp() {
	b.lastFocus = b.focus
	b.helpOpen = true
	b.pages.ShowPage("help")
	b.help.top = 0
	b.setFocus(paneHelp)
}

func (b *Browser) closeHelp() {
	b.helpOpen = false
	b.hidePage("help")
	b.setFocus(b.lastFocus)
}

func (b *Browser) drawTitleBar(screen tcell.Screen, x, y, w int) {
	st, style := b.status()
	drawSegs(screen, x, y, w, []seg{
		{" stagescope ", b.th.title},
		{b.ref + "  ", b.th.header},
		{st, style},
	})
}

func (b *Browser) drawHelpBar(screen tcell.Screen, x, y, w int) {
	var segs []seg
	for i, it := range b.barItems(b.focus) {
		if i > 0 {
			segs = append(segs, seg{"  ", b.th.base})
		}
		segs = append(segs, seg{it[0], b.th.key}, seg{" " + it[1], b.th.base})
	}
	drawSegs(screen, x+1, y, w-1, segs)
}

// say puts a one-off note in the title bar.
func (b *Browser) say(s string) { b.notice = s }

// copyText puts text on the terminal's clipboard (OSC 52; tcell sends it
// only to terminals that take it) and says so in the title bar.
func (b *Browser) copyText(text string) {
	if b.screen == nil {
		return
	}
	b.screen.SetClipboard([]byte(text))
	b.say("copied " + text)
}

// treeWaiting says why there is no tree yet.
func (b *Browser) treeWaiting() string {
	switch {
	case b.phase == phaseFailed:
		return "the image could not be read"
	case len(b.layers.layers) == 0:
		return "the tree appears as the first layer is read"
	}
	return fmt.Sprintf("the tree appears as the first layer is read (%d of %d read)", b.layers.done, len(b.layers.layers))
}

// treeNote tells, while the image is read, how much of it the tree holds.
func (b *Browser) treeNote() string {
	if b.phase == phaseReady {
		return ""
	}
	if b.previewEntries > 0 {
		return fmt.Sprintf("reading layer %d: %s so far", b.tree.m.tree.Layers-1, format.Count(int64(b.previewEntries), "entry"))
	}
	return fmt.Sprintf("%d of %s merged", b.tree.m.tree.Layers, format.Count(int64(len(b.layers.layers)), "layer"))
}

// openFilter shows the filter field in place of the help bar.
func (b *Browser) openFilter() { b.openPrompt(false, "filter: ", b.tree.m.pattern) }

// openFind shows the find field in place of the help bar.
func (b *Browser) openFind() { b.openPrompt(true, "find: ", b.tree.search.pattern) }

func (b *Browser) openPrompt(find bool, label, text string) {
	b.setFocus(paneTree)
	b.filterOpen, b.finding = true, find
	b.filterIn.SetLabel(label)
	b.filterIn.SetText(text)
	b.bottom.Clear().AddItem(b.filterIn, 0, 1, true)
	b.app.SetFocus(b.filterIn)
}

// filterChanged applies the filter, or finds the first match from the
// cursor, as the user types.
func (b *Browser) filterChanged(text string) {
	if !b.filterOpen {
		return
	}
	if b.finding {
		b.tree.search.set(text)
		b.tree.find(1, true)
	} else {
		b.tree.setPattern(text)
	}
	b.updateDetails()
}

// filterDone closes the field: Enter keeps the filter or search, Esc
// drops it.
func (b *Browser) filterDone(k tcell.Key) {
	if k == tcell.KeyEscape {
		if b.finding {
			b.tree.search.set("")
		} else {
			b.tree.setPattern("")
		}
	}
	b.filterOpen = false
	b.bottom.Clear().AddItem(b.helpBar, 0, 1, false)
	b.setFocus(paneTree)
	b.updateDetails()
}
