package ui

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/gdamore/tcell/v2"
)

// WithKeys rebinds actions: each action named as the README's key table
// and the help page's config names say ("quit", "tree.open-all") gets the
// keys given instead of its own. Key names are a single character, Space,
// a tcell key name (Enter, Esc, Tab, Backtab, Up, PgDn, Home, F1, …) or
// Ctrl-X (Ctrl+X). An unknown action, an unknown key or a key that would
// mean two things in one pane is an error.
func WithKeys(keys map[string][]string) Option {
	return func(o *options) error {
		o.keys = keys
		return nil
	}
}

// CheckKeys tells whether WithKeys(keys) would be accepted, without
// opening anything.
func CheckKeys(keys map[string][]string) error {
	_, err := newBrowser("", WithKeys(keys))
	return err
}

// paneKeys name the panes in qualified action names.
var paneKeys = map[paneID]string{paneLayers: "layers", paneTree: "tree", paneFindings: "findings", paneDetails: "details", paneHelp: "help", paneViewer: "viewer"}

// name is the binding's name in a key map: "pane.action", or "action"
// for one that works everywhere.
func (bd *binding) name() string {
	if bd.where == anyPane {
		return bd.action
	}
	return paneKeys[bd.where] + "." + bd.action
}

// rebind applies a key map to the key table, then checks that no key
// means two actions in one pane.
func rebind(table []binding, keys map[string][]string) error {
	names := make([]string, 0, len(keys))
	for name := range keys {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		i := slices.IndexFunc(table, func(bd binding) bool { return bd.name() == name })
		if i < 0 {
			known := make([]string, len(table))
			for j := range table {
				known[j] = table[j].name()
			}
			return fmt.Errorf("keys: unknown action %q (actions: %s)", name, strings.Join(known, ", "))
		}
		if len(keys[name]) == 0 {
			return fmt.Errorf("keys: %s: no keys given", name)
		}
		ks := make([]key, 0, len(keys[name]))
		for _, s := range keys[name] {
			k, err := parseKey(s)
			if err != nil {
				return fmt.Errorf("keys: %s: %w", name, err)
			}
			ks = append(ks, k)
		}
		table[i].keys = ks
	}
	return checkClashes(table)
}

// checkClashes finds a key bound twice in a pane, counting the actions
// that work everywhere in every pane. The help page's own keys stand
// apart: it closes on the keys that open it.
func checkClashes(table []binding) error {
	for _, p := range []paneID{paneLayers, paneTree, paneFindings, paneDetails} {
		seen := map[key]string{}
		for i := range table {
			bd := &table[i]
			if bd.where != p && bd.where != anyPane {
				continue
			}
			for _, k := range bd.keys {
				if other, ok := seen[k]; ok && other != bd.name() {
					return fmt.Errorf("keys: %s is bound to both %s and %s in the %s pane", k, other, bd.name(), paneNames[p])
				}
				seen[k] = bd.name()
			}
		}
	}
	return nil
}

// keyNames maps lower-case key names to keys: tcell's names, and the ones
// the help page shows.
var keyNames = func() map[string]key {
	m := map[string]key{}
	for k, name := range tcell.KeyNames {
		m[strings.ToLower(name)] = special(k)
	}
	for _, k := range []key{special(tcell.KeyUp), special(tcell.KeyDown), special(tcell.KeyLeft), special(tcell.KeyRight), special(tcell.KeyBacktab)} {
		m[strings.ToLower(k.String())] = k
	}
	m["space"] = ch(' ')
	m["escape"] = special(tcell.KeyEscape)
	m["pageup"], m["pagedown"] = special(tcell.KeyPgUp), special(tcell.KeyPgDn)
	return m
}()

// parseKey reads a key name (see WithKeys).
func parseKey(s string) (key, error) {
	if r, n := utf8.DecodeRuneInString(s); n == len(s) && r != utf8.RuneError && r > ' ' {
		return ch(r), nil
	}
	name := strings.ToLower(strings.TrimSpace(s))
	if rest, ok := strings.CutPrefix(name, "ctrl+"); ok {
		name = "ctrl-" + rest
	}
	if k, ok := keyNames[name]; ok {
		return k, nil
	}
	if s == "" {
		return key{}, errors.New("an empty key name")
	}
	return key{}, fmt.Errorf("unknown key %q (want a character, Space, Enter, Esc, Tab, Backtab, Up, Down, Left, Right, PgUp, PgDn, Home, End, F1…F12 or Ctrl-A…Ctrl-Z)", s)
}
