package ui

import (
	"fmt"
	"strings"

	"github.com/dustin/go-humanize"
	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"github.com/stagescope/stagescope/analyze"
	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/layers"
)

func commas(n int64) string { return humanize.Comma(n) }

// oneLine folds a multi-line message onto one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// build makes the widgets and lays them out.
func (b *Browser) build() {
	th := &b.th
	b.layersList = newListView(th, "Layers", true)
	b.layersList.count = func() int { return len(b.layers) }
	b.layersList.header = b.drawLayersHeader
	b.layersList.drawRow = b.drawLayerRow
	b.layersList.empty = func() string { return "opening the image…" }
	b.layersList.onMove = b.layerMoved
	b.layersList.onEnter = func(int) { b.setFocus(paneTree) }
	b.layersList.title = b.layersTitle

	b.treeList = newListView(th, "Files", true)
	b.treeList.count = func() int {
		if b.tree == nil {
			return 0
		}
		return len(b.tree.Rows())
	}
	b.treeList.header = b.drawTreeHeader
	b.treeList.drawRow = b.drawTreeRow
	b.treeList.empty = b.treeEmpty
	b.treeList.onMove = func(int) { b.updateDetails() }
	b.treeList.onEnter = func(int) { b.toggleDir() }
	b.treeList.title = b.treeTitle

	b.findList = newListView(th, "Findings", true)
	b.findList.count = func() int { return len(b.finds.rows) }
	b.findList.drawRow = b.drawFindingRow
	b.findList.empty = func() string {
		if b.phase == phaseReady {
			return "no leftovers and no wasted bytes found"
		}
		return "findings appear once every layer is read"
	}
	b.findList.onMove = func(int) { b.updateDetails() }
	b.findList.onEnter = func(int) { b.jumpToFinding() }
	b.findList.title = b.findingsTitle

	b.details = newTextPane(th, "Details")
	b.summary = newTextPane(th, "Image")
	b.help = newTextPane(th, "Keys")
	b.help.set(b.helpLines())

	b.lists = map[pane]*listView{
		paneLayers:   b.layersList,
		paneTree:     b.treeList,
		paneFindings: b.findList,
		paneDetails:  b.details.listView,
		paneHelp:     b.help.listView,
	}
	for p, l := range b.lists {
		if p == paneHelp {
			continue
		}
		l.SetFocusFunc(func() { b.focusedBy(p) })
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

	left := tview.NewFlex().SetDirection(tview.FlexRow).
		AddItem(b.summary, 8, 0, false).
		AddItem(b.layersList, 0, 3, true).
		AddItem(b.findList, 0, 2, false)
	right := tview.NewFlex().SetDirection(tview.FlexRow).
		AddItem(b.treeList, 0, 3, false).
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
	b.pages = tview.NewPages().
		AddPage("main", main, true, true).
		AddPage("help", helpBox, true, false)
	b.pages.SetBackgroundColor(tcell.ColorDefault)
	b.app.SetRoot(b.pages, true)
	b.app.SetInputCapture(b.handleKey)
	b.setFocus(paneLayers)
	b.updateSummary()
}

// setFocus moves the keyboard to a pane.
func (b *Browser) setFocus(p pane) {
	b.app.SetFocus(b.lists[p])
	b.focusedBy(p)
}

// focusedBy follows focus changes, by key or by mouse.
func (b *Browser) focusedBy(p pane) {
	if b.helpOpen && p != paneHelp {
		// A click on a pane behind the help page closes it.
		b.helpOpen = false
		b.pages.HidePage("help")
	}
	b.focus = p
	if p != paneDetails && p != paneHelp && p != b.context {
		b.context = p
		b.updateDetails()
	}
}

// list is the focused pane's list.
func (b *Browser) list() *listView { return b.lists[b.focus] }

func (b *Browser) cycle(d int) {
	order := []pane{paneLayers, paneTree, paneFindings, paneDetails}
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

func (b *Browser) openHelp() {
	b.lastFocus = b.focus
	b.helpOpen = true
	b.pages.ShowPage("help")
	b.help.top = 0
	b.setFocus(paneHelp)
}

func (b *Browser) closeHelp() {
	b.helpOpen = false
	b.pages.HidePage("help")
	b.setFocus(b.lastFocus)
}

// treeTitle puts the tree's view state into its title.
func (b *Browser) treeTitle() string {
	t := "Files"
	if m := b.tree; m != nil {
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
		if m.hideSame {
			t += " · changed only"
		}
		if m.wasteOnly {
			t += " · wasted only"
		}
		if m.leftOnly {
			t += " · leftovers only"
		}
		t += " · " + Bytes(m.rootInfo().size)
	}
	return t
}

func (b *Browser) findingsTitle() string {
	f := "Findings"
	if b.phase == phaseReady {
		var n int
		var by int64
		for _, g := range b.finds.groups {
			n += len(g.items)
			by += g.bytes
		}
		f += fmt.Sprintf(" · %d · %s", n, Bytes(by))
	}
	return f
}

func (b *Browser) layersTitle() string {
	l := "Layers"
	if n := len(b.layers); n > 0 && b.done < n {
		l += fmt.Sprintf(" · %d of %d read", b.done, n)
	}
	return l
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

// Layers pane.

const layerCols = "  #     Size   Added    Mod    Rem  Command"

func (b *Browser) drawLayersHeader(screen tcell.Screen, x, y, w int) {
	drawText(screen, x, y, w, layerCols, b.th.header)
}

func (b *Browser) drawLayerRow(screen tcell.Screen, i, x, y, w int, hl func(tcell.Style) tcell.Style) {
	li := b.layers[i]
	size, add, mod, rem := "…", "", "", ""
	if li.done {
		size = Bytes(li.meta.Size)
	}
	if b.a != nil && i < len(b.a.Metrics.Layers) {
		s := b.a.Metrics.Layers[i]
		add, mod, rem = fmt.Sprint(s.Added.Files), fmt.Sprint(s.Modified.Files), fmt.Sprint(s.Removed.Files)
	}
	cmd := ""
	if li.done {
		cmd = analyze.Instruction(li.meta.CreatedBy)
		if r := []rune(cmd); b.cmdOffset > 0 {
			cmd = "…" + string(r[min(b.cmdOffset, len(r)):])
		}
	}
	drawSegs(screen, x, y, w, []seg{
		{padLeft(fmt.Sprint(i), 3) + " ", hl(b.th.header)},
		{padLeft(size, 8) + " ", hl(b.th.base)},
		{padLeft(add, 7) + " ", hl(b.th.added)},
		{padLeft(mod, 6) + " ", hl(b.th.modified)},
		{padLeft(rem, 6) + "  ", hl(b.th.removed)},
		{cmd, hl(b.th.base)},
	})
}

// layerMoved shows the tree as of the layer under the cursor.
func (b *Browser) layerMoved(i int) {
	b.picked = true
	if b.tree == nil {
		return
	}
	b.keepSelection(func() { b.tree.setLayer(i, b.tree.layerOnly) })
}

// scrollCommands shifts the command column by d runes, up to the end of
// the longest command.
func (b *Browser) scrollCommands(d int) {
	longest := 0
	for _, li := range b.layers {
		longest = max(longest, len([]rune(analyze.Instruction(li.meta.CreatedBy))))
	}
	b.cmdOffset = max(0, min(b.cmdOffset+d, longest-8))
}

func (b *Browser) stepLayer(d int) {
	if len(b.layers) == 0 {
		return
	}
	b.layersList.selectRow(b.layersList.sel + d)
}

func (b *Browser) toggleLayerOnly() {
	if b.tree == nil {
		return
	}
	b.keepSelection(func() { b.tree.setLayer(b.tree.layer, !b.tree.layerOnly) })
}

// Tree pane.

func (b *Browser) treeEmpty() string {
	switch {
	case b.tree != nil && b.tree.narrowed():
		return "nothing matches (Esc clears the filter, u w o toggle the others)"
	case b.tree != nil:
		return "no files in this layer"
	case b.phase == phaseFailed:
		return "the image could not be read"
	}
	if len(b.layers) == 0 {
		return "the merged tree appears once every layer is read"
	}
	return fmt.Sprintf("the merged tree appears once every layer is read (%d of %d)", b.done, len(b.layers))
}

func (b *Browser) drawTreeHeader(screen tcell.Screen, x, y, w int) {
	drawText(screen, x, y, w, "    Size  L    Name", b.th.header)
}

func (b *Browser) drawTreeRow(screen tcell.Screen, i, x, y, w int, hl func(tcell.Style) tcell.Style) {
	r := b.tree.Rows()[i]
	ni := r.info
	flag := " "
	if b.tree.isLeftover(r.n) {
		flag = "!"
	}
	arrow := "  "
	if ni.dir {
		arrow = "▸ "
		if r.open {
			arrow = "▾ "
		}
	}
	nameStyle := b.th.base
	switch {
	case ni.st != stUnchanged:
		nameStyle = b.th.forStatus(ni.st)
		if ni.dir {
			nameStyle = nameStyle.Bold(true)
		}
	case ni.dir:
		nameStyle = b.th.dir
	}
	segs := []seg{
		{padLeft(Bytes(ni.size), 8) + " ", hl(b.th.base)},
		{padLeft(fmt.Sprint(ni.layer), 2) + " ", hl(b.th.dim)},
		{ni.st.mark(), hl(b.th.forStatus(ni.st))},
		{flag + " ", hl(b.th.errStyle)},
		{strings.Repeat("  ", r.depth) + arrow, hl(b.th.dim)},
		{r.n.Name, hl(nameStyle)},
	}
	if v := ni.v; v != nil && v.Link() != "" {
		arrow := " → "
		if v.Type == layers.TypeHardlink {
			arrow = " ⇒ /"
		}
		segs = append(segs, seg{arrow + v.Link(), hl(b.th.dim)})
	}
	drawSegs(screen, x, y, w, segs)
}

// selectedNode is the node under the tree cursor.
func (b *Browser) selectedNode() (*fstree.Node, *treeRow) {
	if b.tree == nil {
		return nil, nil
	}
	rows := b.tree.Rows()
	if b.treeList.sel < 0 || b.treeList.sel >= len(rows) {
		return nil, nil
	}
	return rows[b.treeList.sel].n, &rows[b.treeList.sel]
}

// keepSelection applies change and puts the cursor back on the same node,
// or on its nearest shown ancestor.
func (b *Browser) keepSelection(change func()) {
	n, _ := b.selectedNode()
	change()
	for ; n != nil && n.Parent != nil; n = n.Parent {
		if i := b.tree.index(n); i >= 0 {
			b.treeList.sel = i
			b.treeList.clamp()
			return
		}
	}
	b.treeList.sel = 0
	b.treeList.clamp()
}

func (b *Browser) toggleDir() {
	_, r := b.selectedNode()
	if r == nil || !r.info.dir {
		return
	}
	b.tree.setOpen(r.n, !r.open)
}

// openDir opens the directory under the cursor; closing a file or a closed
// directory moves to its parent.
func (b *Browser) openDir(open bool) {
	n, r := b.selectedNode()
	if r == nil {
		return
	}
	switch {
	case open && r.info.dir:
		b.tree.setOpen(n, true)
	case !open && r.info.dir && r.open:
		b.tree.setOpen(n, false)
	case !open && n.Parent != nil && n.Parent.Parent != nil:
		if i := b.tree.index(n.Parent); i >= 0 {
			b.treeList.selectRow(i)
		}
	}
}

func (b *Browser) openAll(open bool) {
	if b.tree == nil {
		return
	}
	b.keepSelection(func() { b.tree.setAllOpen(open) })
}

func (b *Browser) toggleSort() {
	if b.tree == nil {
		return
	}
	b.keepSelection(b.tree.toggleSort)
}

func (b *Browser) toggleFlag(flag *bool) {
	if b.tree == nil {
		return
	}
	b.keepSelection(func() { b.tree.toggle(flag) })
}

func (b *Browser) clearFilter() {
	if b.tree == nil || b.tree.pattern == "" {
		return
	}
	b.keepSelection(func() { b.tree.setPattern("") })
}

// openFilter shows the filter field in place of the help bar.
func (b *Browser) openFilter() {
	b.setFocus(paneTree)
	b.filterOpen = true
	pat := ""
	if b.tree != nil {
		pat = b.tree.pattern
	}
	b.filterIn.SetText(pat)
	b.bottom.Clear().AddItem(b.filterIn, 0, 1, true)
	b.app.SetFocus(b.filterIn)
}

func (b *Browser) filterChanged(text string) {
	if b.tree == nil || !b.filterOpen {
		return
	}
	b.keepSelection(func() { b.tree.setPattern(text) })
	b.updateDetails()
}

// filterDone closes the field: Enter keeps the filter, Esc drops it.
func (b *Browser) filterDone(k tcell.Key) {
	if k == tcell.KeyEscape && b.tree != nil {
		b.keepSelection(func() { b.tree.setPattern("") })
	}
	b.filterOpen = false
	b.bottom.Clear().AddItem(b.helpBar, 0, 1, false)
	b.setFocus(paneTree)
	b.updateDetails()
}

// Findings pane.

// jumpToFinding shows a finding's file in the tree, as of the layer that
// added it; on a category header it opens or closes the category.
func (b *Browser) jumpToFinding() {
	f := b.finds.finding(b.findList.sel)
	if f == nil {
		if b.findList.sel < len(b.finds.rows) {
			g := b.finds.groups[b.finds.rows[b.findList.sel].group]
			g.closed = !g.closed
			b.finds.layout()
		}
		return
	}
	ns := findingNodes(b.a.Tree, f)
	if files := b.owned[f.Package]; f.Package != "" && f.Files > 1 && len(files) > 0 {
		ns = files // a package's group: its files, not their common directory
	}
	if len(ns) == 0 {
		return
	}
	n := biggest(ns)
	if f.Layer >= 0 && f.Layer < len(b.layers) && f.Layer != b.tree.layer {
		b.layersList.sel = f.Layer
		b.tree.setLayer(f.Layer, b.tree.layerOnly)
	}
	if !b.tree.reveal(n) && b.tree.layerOnly {
		b.tree.setLayer(b.tree.layer, false)
		b.tree.reveal(n)
	}
	if i := b.tree.index(n); i >= 0 {
		b.treeList.sel = i
		b.treeList.clamp()
	}
	b.setFocus(paneTree)
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

// Summary and details.

func (b *Browser) updateSummary() {
	th := &b.th
	lbl := func(s string) string { return padRight(s, 11) }
	if b.a == nil {
		b.summary.set([]line{{label: lbl("Image"), text: b.ref, labelStyle: th.header}})
		return
	}
	m := b.a.Metrics
	var compressed int64
	for _, l := range b.a.Image.Layers {
		compressed += l.CompressedSize
	}
	wasteP := 0.0
	if m.LayerBytes > 0 {
		wasteP = 100 * float64(m.WastedBytes) / float64(m.LayerBytes)
	}
	n, lb, visible := b.finds.leftoverTotals()
	b.summary.set([]line{
		{label: lbl("Size"), labelStyle: th.header, text: fmt.Sprintf("%s in %s files", Bytes(m.TotalBytes), commas(m.Files))},
		{label: lbl("Layers"), labelStyle: th.header, text: fmt.Sprintf("%s, %s packed", Bytes(m.LayerBytes), Bytes(compressed))},
		{label: lbl("Wasted"), labelStyle: th.header, text: fmt.Sprintf("%s (%.1f%% of layers)", Bytes(m.WastedBytes), wasteP)},
		{label: lbl("Efficiency"), labelStyle: th.header, text: fmt.Sprintf("%.1f%% (as dive counts)", 100*b.a.Dive.Efficiency)},
		{label: lbl("Leftovers"), labelStyle: th.header, text: fmt.Sprintf("%s in %d findings", Bytes(lb), n)},
		{label: lbl("Runtime"), labelStyle: th.header, text: fmt.Sprintf("≈ %s without leftovers", Bytes(m.TotalBytes-visible))},
	})
}

// updateDetails describes what the last pane with a selection selects.
func (b *Browser) updateDetails() {
	switch b.context {
	case paneLayers:
		b.details.set(b.layerDetails())
	case paneTree:
		n, r := b.selectedNode()
		if n == nil {
			b.details.set(nil)
			return
		}
		b.details.set(b.nodeDetails(n, r.info, nil))
	case paneFindings:
		f := b.finds.finding(b.findList.sel)
		if f == nil {
			b.details.set(b.groupDetails())
			return
		}
		var n *fstree.Node // the versions shown are those of a single path
		if ns := findingNodes(b.a.Tree, f); len(ns) == 1 && (f.Package == "" || f.Files <= 1) {
			n = ns[0]
		}
		b.details.set(b.nodeDetails(n, nodeInfo{}, f))
	}
}

func (b *Browser) label(s string) string { return padRight(s, 9) }

// groupDetails describes the category under the findings cursor.
func (b *Browser) groupDetails() []line {
	i := b.findList.sel
	if i < 0 || i >= len(b.finds.rows) {
		return nil
	}
	g := b.finds.groups[b.finds.rows[i].group]
	var files int64
	layers := map[int]bool{}
	for _, f := range g.items {
		files += max(f.Files, 1)
		layers[f.Layer] = true
	}
	th := &b.th
	return []line{
		{label: b.label("Category"), labelStyle: th.header, text: string(g.cat)},
		{label: b.label("Bytes"), labelStyle: th.header, text: fmt.Sprintf("%s in %d findings, %d files, from %d layers", Bytes(g.bytes), len(g.items), files, len(layers))},
		{text: "Enter opens or closes the category; on a finding it shows the file in the tree.", style: th.dim},
	}
}

func (b *Browser) layerDetails() []line {
	i := b.layersList.sel
	if i < 0 || i >= len(b.layers) || !b.layers[i].done {
		return []line{{text: "reading this layer…", style: b.th.dim}}
	}
	th := &b.th
	li := b.layers[i]
	l := li.meta
	out := []line{
		{label: b.label("Layer"), labelStyle: th.header, text: fmt.Sprintf("%d of %d", i, len(b.layers))},
		{label: b.label("Size"), labelStyle: th.header, text: fmt.Sprintf("%s (%s compressed) · %s entries", Bytes(l.Size), Bytes(l.CompressedSize), commas(int64(l.EntryCount)))},
	}
	if b.a != nil && i < len(b.a.Metrics.Layers) {
		s := b.a.Metrics.Layers[i]
		out = append(out, line{label: b.label("Changes"), labelStyle: th.header, text: fmt.Sprintf("+%d files %s · ~%d files %s · -%d files %s",
			s.Added.Files, Bytes(s.Added.Bytes), s.Modified.Files, Bytes(s.Modified.Bytes), s.Removed.Files, Bytes(s.Removed.Bytes))})
	}
	out = append(out,
		line{label: b.label("Command"), labelStyle: th.header, text: analyze.Instruction(l.CreatedBy)},
		line{label: b.label("Digest"), labelStyle: th.header, text: l.Digest, style: th.dim},
		line{label: b.label("DiffID"), labelStyle: th.header, text: l.DiffID, style: th.dim},
	)
	if l.MediaType != "" {
		out = append(out, line{label: b.label("Type"), labelStyle: th.header, text: l.MediaType, style: th.dim})
	}
	return out
}

// coveringFinding is the finding that names n or its nearest ancestor.
func (b *Browser) coveringFinding(n *fstree.Node) *analyze.Finding {
	for ; n != nil; n = n.Parent {
		if i, ok := b.tree.leftover[n]; ok {
			return &b.a.Findings[i]
		}
	}
	return nil
}

func (b *Browser) nodeDetails(n *fstree.Node, ni nodeInfo, f *analyze.Finding) []line {
	th := &b.th
	fromFinding := f != nil
	var out []line
	add := func(label, text string, st tcell.Style) {
		out = append(out, line{label: b.label(label), labelStyle: th.header, text: text, style: st})
	}
	if f != nil {
		add("Finding", fmt.Sprintf("%s · %s (%s)", f.Category, f.RuleID, f.Severity), th.base)
		p := "/" + f.Path
		if f.Files > 1 {
			p += fmt.Sprintf(" (%d files)", f.Files)
		}
		add("Path", p, th.base)
		where := fmt.Sprintf("%s, added by layer %d", Bytes(f.Bytes), f.Layer)
		if f.HiddenBy >= 0 {
			where += fmt.Sprintf(", removed by layer %d: still ships", f.HiddenBy)
		}
		add("Bytes", where, th.base)
	} else if n != nil {
		add("Path", "/"+n.Path(), th.base)
		what := "file"
		if v := ni.v; v != nil {
			what = v.Type.String()
		}
		desc := map[status]string{stAdded: "added", stModified: "modified", stRemoved: "removed", stUnchanged: "unchanged"}[ni.st]
		from, to := b.tree.span()
		rng := fmt.Sprintf("layer %d", to)
		if from >= 0 && from != to-1 {
			rng = fmt.Sprintf("layers %d–%d", from+1, to)
		} else if from < 0 {
			rng = fmt.Sprintf("layers 0–%d", to)
		}
		add("Kind", fmt.Sprintf("%s · %s · %s in %s", what, Bytes(ni.size), desc, rng), th.forStatus(ni.st))
		if v := ni.v; v != nil && v.Link() != "" {
			add("Link", v.Link(), th.base)
		}
		f = b.coveringFinding(n)
	}
	if n != nil && len(n.Versions()) > 0 {
		out = append(out, line{text: "Versions", style: th.header})
		for _, v := range n.Versions() {
			state := "visible"
			st := th.added
			switch {
			case v.Deleted:
				state, st = "deleted here", th.removed
			case v.HiddenBy >= 0:
				state, st = fmt.Sprintf("hidden by layer %d", v.HiddenBy), th.removed
			}
			kind := v.Type.String()
			if v.Implicit {
				kind = "dir (implied)"
			}
			digest := ""
			if v.Digest != 0 {
				digest = fmt.Sprintf(" xxh64:%016x", v.Digest)
			}
			out = append(out, line{
				label: fmt.Sprintf("  L%-3d ", v.Layer), labelStyle: th.dim,
				text: fmt.Sprintf("%s %s%s · %s", kind, Bytes(v.Size), digest, state), style: st,
			})
		}
	}
	if f != nil {
		if f.CreatedBy != "" {
			add("By", analyze.Instruction(f.CreatedBy), th.dim)
		}
		if f.Package != "" {
			add("Package", f.Package, th.base)
		}
		if n == nil || !fromFinding {
			add("Rule", fmt.Sprintf("%s (%s, %s)", f.RuleID, f.Category, f.Severity), th.base)
		}
		add("Why", f.Why, th.base)
		add("Fix", f.Fix, th.base)
	}
	return out
}
