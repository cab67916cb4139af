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
	action string // the action's name, unique in its pane
	keys   []key
	where  paneID // anyPane, or the pane it works in
	bar    string // label in the help bar; "" keeps it off the bar
	help   string // line on the help page
	do     func()
}

// keyTable is the browser's key table, most specific first: each pane's
// own actions, then those that work everywhere. Panes declare their own
// bindings, as k9s's views do; the browser only assembles them.
func (b *Browser) keyTable() []binding {
	var out []binding
	out = append(out, b.helpPaneKeys()...)
	out = append(out, b.layers.keys()...)
	out = append(out, b.tree.keys()...)
	out = append(out, b.findings.keys()...)
	out = append(out, b.details.keys()...)
	out = append(out, b.viewer.keys()...)
	return append(out, b.globalKeys()...)
}

// globalKeys are the actions that work in every pane.
func (b *Browser) globalKeys() []binding {
	global := func(action string, keys []key, bar, help string, do func()) binding {
		return binding{action: action, keys: keys, where: anyPane, bar: bar, help: help, do: do}
	}
	return []binding{
		global("up", []key{special(tcell.KeyUp), ch('k')}, "", "move up (in Details: to the previous version)", func() { b.step(-1) }),
		global("down", []key{special(tcell.KeyDown), ch('j')}, "", "move down (in Details: to the next version)", func() { b.step(1) }),
		global("page-up", []key{special(tcell.KeyPgUp), special(tcell.KeyCtrlB)}, "", "page up", func() { b.list().page(-1) }),
		global("page-down", []key{special(tcell.KeyPgDn), special(tcell.KeyCtrlF)}, "", "page down", func() { b.list().page(1) }),
		global("top", []key{special(tcell.KeyHome), ch('g')}, "", "go to the top", func() { b.list().home() }),
		global("bottom", []key{special(tcell.KeyEnd), ch('G')}, "", "go to the bottom", func() { b.list().end() }),
		global("next-pane", []key{special(tcell.KeyTab)}, "pane", "next pane", func() { b.cycle(1) }),
		global("previous-pane", []key{special(tcell.KeyBacktab)}, "", "previous pane", func() { b.cycle(-1) }),
		global("filter", []key{ch('/')}, "filter", "filter the tree by a path substring or glob, as you type", b.openFilter),
		global("find", []key{ch('f')}, "find", "find a path in the tree (substring or glob, as the filter); n and N go to the next and previous", b.openFind),
		global("find-next", []key{ch('n')}, "", "next path found", func() { b.setFocus(paneTree); b.tree.find(1, false) }),
		global("find-previous", []key{ch('N')}, "", "previous path found", func() { b.setFocus(paneTree); b.tree.find(-1, false) }),
		global("previous-layer", []key{ch('[')}, "", "previous layer", func() { b.layers.step(-1) }),
		global("next-layer", []key{ch(']')}, "", "next layer", func() { b.layers.step(1) }),
		global("layer-only", []key{ch('a')}, "layer/all", "tree shows only what the layer changed, or all layers up to it", b.tree.toggleLayerOnly),
		global("help", []key{ch('?')}, "help", "show all keys", b.openHelp),
		global("quit", []key{ch('q'), special(tcell.KeyCtrlC)}, "quit", "quit", b.quit),
	}
}

// stepper is a pane whose up and down keys do more than move its list.
type stepper interface{ step(d int) }

// step moves up or down in the focused pane.
func (b *Browser) step(d int) {
	if s, ok := b.views[b.focus].(stepper); ok {
		s.step(d)
		return
	}
	b.list().move(d)
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
	b.notice = ""
	if bd := b.lookup(b.focus, ev); bd != nil {
		bd.do()
		b.afterKey()
	}
	return nil
}

// lookup finds the binding of a key in a pane: the pane's own first.
func (b *Browser) lookup(p paneID, ev *tcell.EventKey) *binding {
	for _, where := range []paneID{p, anyPane} {
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
func (b *Browser) barItems(p paneID) [][2]string {
	var out [][2]string
	seen := map[string]bool{}
	for _, where := range []paneID{p, anyPane} {
		if (p == paneHelp || p == paneViewer) && where == anyPane {
			break
		}
		for _, bd := range b.keys {
			if bd.where != where || bd.bar == "" || seen[bd.bar] || len(bd.keys) == 0 {
				continue
			}
			seen[bd.bar] = true
			out = append(out, [2]string{bd.keys[0].String(), bd.bar})
		}
	}
	return out
}

var paneNames = map[paneID]string{
	anyPane:      "Everywhere",
	paneLayers:   "Layers",
	paneTree:     "Tree",
	paneFindings: "Findings",
	paneDetails:  "Details",
	paneHelp:     "Help",
	paneViewer:   "Viewer",
}

// helpLines is the help page, made from the key table.
func (b *Browser) helpLines() []line {
	var out []line
	for _, p := range []paneID{anyPane, paneLayers, paneTree, paneFindings, paneDetails, paneViewer} {
		out = append(out, line{text: paneNames[p], style: b.th.header})
		for _, bd := range b.keys {
			if bd.where != p || len(bd.keys) == 0 {
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
	out = append(out, line{text: "dive's keys work too: Ctrl-A, Ctrl-R and Ctrl-U hide added, removed and unchanged files, Ctrl-Space closes every directory. Three of dive's clash: Ctrl-B and Ctrl-F page here (b shows attributes, / filters), and Ctrl-M is Enter in a terminal (~ hides modified files).", style: b.th.dim}, line{})
	out = append(out, line{text: "Marks: + added, ~ modified, - removed in the layers compared; ! a leftover finding names the path. Mouse: click selects, double click opens, the wheel scrolls.", style: b.th.dim})
	return out
}
