package ui

import (
	"strings"

	"github.com/gdamore/tcell/v2"
)

// key is one key: a special key, or a rune when k is tcell.KeyRune.
type key struct {
	k tcell.Key
	r rune
}

func ch(r rune) key           { return key{tcell.KeyRune, r} }
func special(k tcell.Key) key { return key{k: k} }

func (k key) String() string {
	if k.k == tcell.KeyRune {
		if k.r == ' ' {
			return "Space"
		}
		return string(k.r)
	}
	switch k.k {
	case tcell.KeyUp:
		return "↑"
	case tcell.KeyDown:
		return "↓"
	case tcell.KeyLeft:
		return "←"
	case tcell.KeyRight:
		return "→"
	case tcell.KeyEnter:
		return "Enter"
	case tcell.KeyEscape:
		return "Esc"
	case tcell.KeyTab:
		return "Tab"
	case tcell.KeyBacktab:
		return "S-Tab"
	case tcell.KeyPgUp:
		return "PgUp"
	case tcell.KeyPgDn:
		return "PgDn"
	case tcell.KeyHome:
		return "Home"
	case tcell.KeyEnd:
		return "End"
	}
	return tcell.KeyNames[k.k]
}

func (k key) matches(ev *tcell.EventKey) bool {
	if ev.Key() != k.k {
		return false
	}
	return k.k != tcell.KeyRune || ev.Rune() == k.r
}

// binding is one entry of the key table. The table is the only place that
// maps keys to actions: dispatch, the help bar and the help page all read it.
type binding struct {
	keys  []key
	where pane   // anyPane, or the pane it works in
	bar   string // label in the help bar; "" keeps it off the bar
	help  string // line on the help page
	do    func(b *Browser)
}

// bindings is the key table, most specific first.
func bindings() []binding {
	return []binding{
		// The help page.
		{keys: []key{ch('?'), special(tcell.KeyEscape), ch('q')}, where: paneHelp, bar: "close", help: "close the help", do: (*Browser).closeHelp},

		// Layers.
		{keys: []key{special(tcell.KeyEnter)}, where: paneLayers, bar: "files", help: "show the selected layer's files", do: func(b *Browser) { b.setFocus(paneTree) }},
		{keys: []key{special(tcell.KeyRight), ch('l')}, where: paneLayers, bar: "scroll", help: "scroll the commands right (the whole command is in Details)", do: func(b *Browser) { b.scrollCommands(8) }},
		{keys: []key{special(tcell.KeyLeft), ch('h')}, where: paneLayers, help: "scroll the commands left", do: func(b *Browser) { b.scrollCommands(-8) }},

		// Tree.
		{keys: []key{special(tcell.KeyEnter), ch(' ')}, where: paneTree, bar: "open/close", help: "open or close the directory", do: (*Browser).toggleDir},
		{keys: []key{special(tcell.KeyRight), ch('l')}, where: paneTree, help: "open the directory", do: func(b *Browser) { b.openDir(true) }},
		{keys: []key{special(tcell.KeyLeft), ch('h')}, where: paneTree, help: "close the directory, or go to its parent", do: func(b *Browser) { b.openDir(false) }},
		{keys: []key{ch('e')}, where: paneTree, bar: "open all", help: "open every directory", do: func(b *Browser) { b.openAll(true) }},
		{keys: []key{ch('c')}, where: paneTree, help: "close every directory", do: func(b *Browser) { b.openAll(false) }},
		{keys: []key{ch('s')}, where: paneTree, bar: "sort", help: "sort by size (biggest first) or by name", do: (*Browser).toggleSort},
		{keys: []key{ch('u')}, where: paneTree, bar: "unchanged", help: "hide or show unchanged files", do: func(b *Browser) { b.toggleFlag(&b.tree.hideSame) }},
		{keys: []key{ch('w')}, where: paneTree, bar: "wasted", help: "show only files with wasted bytes", do: func(b *Browser) { b.toggleFlag(&b.tree.wasteOnly) }},
		{keys: []key{ch('o')}, where: paneTree, bar: "leftovers", help: "show only leftovers", do: func(b *Browser) { b.toggleFlag(&b.tree.leftOnly) }},
		{keys: []key{special(tcell.KeyEscape)}, where: paneTree, help: "clear the filter", do: (*Browser).clearFilter},

		// Findings.
		{keys: []key{special(tcell.KeyEnter)}, where: paneFindings, bar: "jump", help: "jump to the file in the tree (on a category: open or close it)", do: (*Browser).jumpToFinding},

		// Everywhere.
		{keys: []key{special(tcell.KeyUp), ch('k')}, where: anyPane, help: "move up", do: func(b *Browser) { b.list().move(-1) }},
		{keys: []key{special(tcell.KeyDown), ch('j')}, where: anyPane, help: "move down", do: func(b *Browser) { b.list().move(1) }},
		{keys: []key{special(tcell.KeyPgUp), special(tcell.KeyCtrlB)}, where: anyPane, help: "page up", do: func(b *Browser) { b.list().page(-1) }},
		{keys: []key{special(tcell.KeyPgDn), special(tcell.KeyCtrlF)}, where: anyPane, help: "page down", do: func(b *Browser) { b.list().page(1) }},
		{keys: []key{special(tcell.KeyHome), ch('g')}, where: anyPane, help: "go to the top", do: func(b *Browser) { b.list().home() }},
		{keys: []key{special(tcell.KeyEnd), ch('G')}, where: anyPane, help: "go to the bottom", do: func(b *Browser) { b.list().end() }},
		{keys: []key{special(tcell.KeyTab)}, where: anyPane, bar: "pane", help: "next pane", do: func(b *Browser) { b.cycle(1) }},
		{keys: []key{special(tcell.KeyBacktab)}, where: anyPane, help: "previous pane", do: func(b *Browser) { b.cycle(-1) }},
		{keys: []key{ch('/')}, where: anyPane, bar: "filter", help: "filter the tree by a path substring or glob, as you type", do: (*Browser).openFilter},
		{keys: []key{ch('[')}, where: anyPane, help: "previous layer", do: func(b *Browser) { b.stepLayer(-1) }},
		{keys: []key{ch(']')}, where: anyPane, help: "next layer", do: func(b *Browser) { b.stepLayer(1) }},
		{keys: []key{ch('a')}, where: anyPane, bar: "layer/all", help: "tree shows only what the layer changed, or all layers up to it", do: (*Browser).toggleLayerOnly},
		{keys: []key{ch('?')}, where: anyPane, bar: "help", help: "show all keys", do: (*Browser).openHelp},
		{keys: []key{ch('q'), special(tcell.KeyCtrlC)}, where: anyPane, bar: "quit", help: "quit", do: (*Browser).quit},
	}
}

// handleKey dispatches a key through the table. It is the application's
// input capture: keys it handles go nowhere else.
func (b *Browser) handleKey(ev *tcell.EventKey) *tcell.EventKey {
	if b.filterOpen {
		if ev.Key() == tcell.KeyCtrlC {
			b.quit()
			return nil
		}
		return ev // the filter field types
	}
	if bd := b.lookup(b.focus, ev); bd != nil {
		bd.do(b)
		b.afterKey()
	}
	return nil
}

// lookup finds the binding of a key in a pane: the pane's own first.
func (b *Browser) lookup(p pane, ev *tcell.EventKey) *binding {
	for _, where := range []pane{p, anyPane} {
		for i := range b.keys {
			bd := &b.keys[i]
			if bd.where != where {
				continue
			}
			for _, k := range bd.keys {
				if k.matches(ev) {
					return bd
				}
			}
		}
	}
	return nil
}

// barItems are the help bar's entries for a pane: its own, then the
// global ones.
func (b *Browser) barItems(p pane) [][2]string {
	var out [][2]string
	seen := map[string]bool{}
	for _, where := range []pane{p, anyPane} {
		if p == paneHelp && where == anyPane {
			break
		}
		for _, bd := range b.keys {
			if bd.where != where || bd.bar == "" || seen[bd.bar] {
				continue
			}
			seen[bd.bar] = true
			out = append(out, [2]string{bd.keys[0].String(), bd.bar})
		}
	}
	return out
}

var paneNames = map[pane]string{
	anyPane:      "Everywhere",
	paneLayers:   "Layers",
	paneTree:     "Tree",
	paneFindings: "Findings",
	paneDetails:  "Details",
	paneHelp:     "Help",
}

// helpLines is the help page, made from the key table.
func (b *Browser) helpLines() []line {
	var out []line
	for _, p := range []pane{anyPane, paneLayers, paneTree, paneFindings} {
		out = append(out, line{text: paneNames[p], style: b.th.header})
		for _, bd := range b.keys {
			if bd.where != p {
				continue
			}
			names := make([]string, len(bd.keys))
			for i, k := range bd.keys {
				names[i] = k.String()
			}
			out = append(out, line{label: "  " + padRight(strings.Join(names, ", "), 16) + " ", labelStyle: b.th.key, text: bd.help, style: b.th.base})
		}
		out = append(out, line{})
	}
	out = append(out, line{text: "Marks: + added, ~ modified, - removed in the layers compared; ! a leftover finding names the path. Mouse: click selects, double click opens, the wheel scrolls.", style: b.th.dim})
	return out
}
