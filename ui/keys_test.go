package ui

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"github.com/stagescope/stagescope/layers"
)

// TestKeyTable checks the one table that drives dispatch, the help bar and
// the help page: no key means two things in one pane, every binding acts
// and says what it does.
func TestKeyTable(t *testing.T) {
	b, err := newBrowser("x")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[paneID]map[key]string{}
	actions := map[paneID]map[string]bool{}
	for _, bd := range b.keys {
		if bd.do == nil || bd.help == "" || len(bd.keys) == 0 || bd.action == "" {
			t.Errorf("binding %q: want keys, an action and help", bd.help)
		}
		if actions[bd.where] == nil {
			actions[bd.where] = map[string]bool{}
		}
		if actions[bd.where][bd.action] {
			t.Errorf("action %s named twice in %s", bd.action, paneNames[bd.where])
		}
		actions[bd.where][bd.action] = true
		if seen[bd.where] == nil {
			seen[bd.where] = map[key]string{}
		}
		for _, k := range bd.keys {
			if other, ok := seen[bd.where][k]; ok {
				t.Errorf("%s in %s: bound to %q and %q", k, paneNames[bd.where], other, bd.help)
			}
			seen[bd.where][k] = bd.help
		}
	}
}

// TestKeysWhileLoading presses every key of every pane before the image
// is read (issue 13: a toggle in the tree panicked then), and again after
// a layer arrived, and checks the browser still draws.
func TestKeysWhileLoading(t *testing.T) {
	keys := []any{'u', 'w', 'o', 's', 'e', 'c', 'a', '[', ']', 'l', 'h', ' ', 'd', 'v', tcell.KeyEnter, tcell.KeyEscape,
		'j', 'k', 'g', 'G', tcell.KeyPgDn, tcell.KeyPgUp, tcell.KeyRight, tcell.KeyLeft}
	for _, focus := range []paneID{paneLayers, paneTree, paneFindings, paneDetails} {
		t.Run(paneNames[focus], func(t *testing.T) {
			b, err := newBrowser("x")
			if err != nil {
				t.Fatal(err)
			}
			press := func() {
				t.Helper()
				b.setFocus(focus)
				for _, k := range keys {
					press(b, k)
					b.setFocus(focus)
				}
				press(b, '/', "lib", tcell.KeyEnter, '?', 'q')
			}
			press()
			b.setProgress(layers.Progress{LayersTotal: 4})
			b.addLayer(fixture(t).Image.Layers[0])
			press()
			if got := screenText(t, b.pages, 100, 20); !strings.Contains(got, "Files") {
				t.Errorf("the tree pane is not drawn after the keys:\n%s", got)
			}
		})
	}
}

// TestKeysReachTheirPane: the pane's own binding wins over the global one
// of the same key, and keys bound nowhere do nothing.
func TestKeysReachTheirPane(t *testing.T) {
	b := loadedBrowser(t)
	tests := []struct {
		focus paneID
		ev    *tcell.EventKey
		want  string
	}{
		{paneTree, tcell.NewEventKey(tcell.KeyEnter, 0, tcell.ModNone), "open or close the directory; on a file, view it"},
		{paneFindings, tcell.NewEventKey(tcell.KeyEnter, 0, tcell.ModNone), "jump to the file in the tree (on a category: open or close it)"},
		{paneHelp, tcell.NewEventKey(tcell.KeyRune, 'q', tcell.ModNone), "close the help"},
		{paneLayers, tcell.NewEventKey(tcell.KeyRune, 'q', tcell.ModNone), "quit"},
		{paneLayers, tcell.NewEventKey(tcell.KeyCtrlC, 0, tcell.ModNone), "quit"},
		{paneDetails, tcell.NewEventKey(tcell.KeyRune, 'j', tcell.ModNone), "move down (in Details: to the next version)"},
		{paneDetails, tcell.NewEventKey(tcell.KeyRune, 'd', tcell.ModNone), "pick the version under the cursor; d on a second one diffs the two"},
		{paneTree, tcell.NewEventKey(tcell.KeyRune, 'd', tcell.ModNone), "diff the file as the layer shown has it against its version before (Details' Versions list diffs any two)"},
		{paneLayers, tcell.NewEventKey(tcell.KeyRune, 'e', tcell.ModNone), ""},
	}
	for _, tt := range tests {
		got := ""
		if bd := b.lookup(tt.focus, tt.ev); bd != nil {
			got = bd.help
		}
		if got != tt.want {
			t.Errorf("%s in %s: got %q, want %q", tt.ev.Name(), paneNames[tt.focus], got, tt.want)
		}
	}
}

// TestHelpBarFollowsFocus: the bar shows the focused pane's keys first.
func TestHelpBarFollowsFocus(t *testing.T) {
	b := loadedBrowser(t)
	bar := func() string { return screenText(t, b.helpBar, 140, 1) }
	if got, want := bar(), " Enter files  → scroll  Tab pane  / filter  f find  a layer/all  ? help  q quit\n"; got != want {
		t.Errorf("layers bar = %q, want %q", got, want)
	}
	press(b, tcell.KeyTab)
	if got, want := bar(), " Enter open/view  e open all  s sort  u unchanged  w wasted  o leftovers  b attrs  Tab pane  / filter  f find  a layer/all  ? help  q quit\n"; got != want {
		t.Errorf("tree bar = %q, want %q", got, want)
	}
}

// TestMouse: a click focuses a pane and selects the row under it; a double
// click opens; the wheel scrolls.
func TestMouse(t *testing.T) {
	b := loadedBrowser(t)
	screenText(t, b.pages, 120, 36) // lay the panes out
	x, y, _, _ := b.tree.GetInnerRect()
	mouse := func(action tview.MouseAction, x, y int) {
		b.pages.MouseHandler()(action, tcell.NewEventMouse(x, y, tcell.Button1, tcell.ModNone), func(p tview.Primitive) { b.app.SetFocus(p) })
	}
	// Row 0 is the header; rows are usr, app, etc, …
	mouse(tview.MouseLeftDown, x+12, y+2)
	mouse(tview.MouseLeftClick, x+12, y+2)
	if b.focus != paneTree {
		t.Fatalf("focus after a click on the tree = %v, want the tree", paneNames[b.focus])
	}
	if n := b.tree.selectedNode(); n == nil || n.Name != "app" {
		t.Fatalf("selected after a click on the second row = %v, want app", n)
	}
	mouse(tview.MouseLeftDoubleClick, x+12, y+2)
	if r := b.tree.selected(); r == nil || !r.open {
		t.Fatal("a double click did not open app")
	}
	press(b, 'e', 'g') // every directory open: more rows than the pane holds
	screenText(t, b.pages, 120, 36)
	mouse(tview.MouseScrollDown, x+12, y+2)
	if b.tree.top != 3 || b.tree.sel != 3 {
		t.Errorf("after the wheel: top row %d, cursor %d; want 3 and 3 (the cursor stays in view)", b.tree.top, b.tree.sel)
	}
	mouse(tview.MouseScrollUp, x+12, y+2)
	if b.tree.top != 0 {
		t.Errorf("after the wheel back: top row %d, want 0", b.tree.top)
	}
	fx, fy, _, _ := b.findings.GetInnerRect()
	mouse(tview.MouseLeftDown, fx+5, fy+1)
	mouse(tview.MouseLeftClick, fx+5, fy+1)
	if b.focus != paneFindings || b.findings.sel != 1 {
		t.Errorf("after a click on the findings' second row: focus %s, row %d", paneNames[b.focus], b.findings.sel)
	}
}

// TestClickBehindHelp: a click on a pane beside the help page closes the
// help, so that keys go where the focus is.
func TestClickBehindHelp(t *testing.T) {
	b := loadedBrowser(t)
	press(b, '?')
	screenText(t, b.pages, 120, 36)
	// The findings' bottom left corner is outside the centered help box.
	x, y, _, h := b.findings.GetInnerRect()
	ev := tcell.NewEventMouse(x+1, y+h-1, tcell.Button1, tcell.ModNone)
	b.pages.MouseHandler()(tview.MouseLeftDown, ev, func(p tview.Primitive) { b.app.SetFocus(p) })
	if b.focus != paneFindings || b.helpOpen {
		t.Fatalf("after a click on the findings behind the help: focus %s, help open %v", paneNames[b.focus], b.helpOpen)
	}
	if got := screenText(t, b.pages, 120, 36); strings.Contains(got, "═ Keys ═") {
		t.Errorf("the help page is still drawn:\n%s", got)
	}
}

// TestWithoutColor: with NO_COLOR nothing is drawn in color, and the cursor
// is reverse video.
func TestWithoutColor(t *testing.T) {
	b := loadedBrowser(t, WithoutColor())
	press(b, tcell.KeyTab, 'e')
	s := tcell.NewSimulationScreen("UTF-8")
	if err := s.Init(); err != nil {
		t.Fatal(err)
	}
	defer s.Fini()
	s.SetSize(120, 36)
	b.pages.SetRect(0, 0, 120, 36)
	b.pages.Draw(s)
	s.Show()
	cells, w, _ := s.GetContents()
	reversed := 0
	for i, c := range cells {
		fg, bg, attr := c.Style.Decompose()
		if fg != tcell.ColorDefault || bg != tcell.ColorDefault {
			t.Fatalf("cell (%d,%d) %q has colors %v on %v", i%w, i/w, c.Bytes, fg, bg)
		}
		if attr&tcell.AttrReverse != 0 {
			reversed++
		}
	}
	if reversed == 0 {
		t.Error("no reverse-video cursor drawn")
	}

	// The same screen in color does use color, so the check above means
	// something.
	b = loadedBrowser(t)
	press(b, tcell.KeyTab, 'e')
	b.pages.SetRect(0, 0, 120, 36)
	b.pages.Draw(s)
	s.Show()
	cells, _, _ = s.GetContents()
	colored := 0
	for _, c := range cells {
		if fg, _, _ := c.Style.Decompose(); fg != tcell.ColorDefault {
			colored++
		}
	}
	if colored == 0 {
		t.Error("the color theme drew no color")
	}
}

// TestKeyConfig: actions are rebound by name; an unknown action, an
// unknown key or a key that would mean two things in a pane is a clear
// error.
func TestKeyConfig(t *testing.T) {
	tests := []struct {
		keys    map[string][]string
		wantErr string
	}{
		{keys: nil},
		{keys: map[string][]string{"quit": {"Q", "Ctrl+Q"}, "tree.open-all": {"E"}, "find": {"F3"}}},
		{keys: map[string][]string{"tree.toggle-dir": {"Space", "Enter", "x"}}},
		{keys: map[string][]string{"tree.explode": {"x"}}, wantErr: `keys: unknown action "tree.explode" (actions: `},
		{keys: map[string][]string{"quit": {"Hyper-Q"}}, wantErr: `keys: quit: unknown key "Hyper-Q"`},
		{keys: map[string][]string{"quit": {}}, wantErr: "keys: quit: no keys given"},
		{keys: map[string][]string{"quit": {"e"}}, wantErr: "keys: e is bound to both tree.open-all and quit in the Tree pane"},
		{keys: map[string][]string{"tree.sort": {"j"}}, wantErr: "keys: j is bound to both tree.sort and down in the Tree pane"},
	}
	for _, tt := range tests {
		err := CheckKeys(tt.keys)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("CheckKeys(%v) = %v, want nil", tt.keys, err)
		case tt.wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.wantErr)):
			t.Errorf("CheckKeys(%v) = %v, want %q…", tt.keys, err, tt.wantErr)
		}
	}

	// A rebound key acts, the old one does nothing, and the bar and the
	// help page show the new one.
	b, err := newBrowser("x", WithKeys(map[string][]string{"quit": {"Q", "Ctrl+Q"}, "layers.show-files": {"o"}}))
	if err != nil {
		t.Fatal(err)
	}
	if bd := b.lookup(paneLayers, tcell.NewEventKey(tcell.KeyRune, 'q', tcell.ModNone)); bd != nil {
		t.Errorf("q still bound to %s", bd.name())
	}
	for _, ev := range []*tcell.EventKey{tcell.NewEventKey(tcell.KeyRune, 'Q', tcell.ModNone), tcell.NewEventKey(tcell.KeyCtrlQ, 0, tcell.ModNone)} {
		if bd := b.lookup(paneLayers, ev); bd == nil || bd.name() != "quit" {
			t.Errorf("%s does not quit", ev.Name())
		}
	}
	press(b, 'o')
	if b.focus != paneTree {
		t.Errorf("o in the layers pane: focus on %s, want the tree", paneNames[b.focus])
	}
	if got := screenText(t, b.helpBar, 140, 1); !strings.Contains(got, "Q quit") {
		t.Errorf("help bar %q does not show Q quit", got)
	}
}

// TestREADMEKeyTable: README's key table lists every binding, with its
// config name, its keys and what it does, as the help page does.
func TestREADMEKeyTable(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	b, err := newBrowser("x")
	if err != nil {
		t.Fatal(err)
	}
	for _, bd := range b.keys {
		names := make([]string, len(bd.keys))
		for i, k := range bd.keys {
			names[i] = "`" + k.String() + "`"
		}
		row := fmt.Sprintf("| %s | `%s` | %s | %s |", paneNames[bd.where], bd.name(), strings.Join(names, " "), bd.help)
		if !strings.Contains(string(readme), row+"\n") {
			t.Errorf("README's key table lacks the row\n%s", row)
		}
	}
}
