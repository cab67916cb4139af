package main

import (
	"os"

	"gopkg.in/yaml.v3"

	"github.com/stagescope/stagescope/ui"
)

// keys parses the config's keys section, the browser's key bindings:
//
//	keys:
//	  quit: [Q, Ctrl-Q]         # an action, as README's key table names it
//	  tree.open-all: E          # one key, or a list
//
// and checks them as the browser would take them.
func (p *configParser) keys(n *yaml.Node) (map[string][]string, error) {
	if n.Kind != yaml.MappingNode {
		return nil, p.errorf(n, "keys must be a mapping of actions to keys")
	}
	out := map[string][]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if _, ok := out[k.Value]; ok {
			return nil, p.errorf(k, "keys: %s given twice", k.Value)
		}
		switch v.Kind {
		case yaml.ScalarNode:
			out[k.Value] = []string{v.Value}
		case yaml.SequenceNode:
			names := []string{}
			for _, e := range v.Content {
				if e.Kind != yaml.ScalarNode {
					return nil, p.errorf(e, "keys: %s: a key must be a name such as q, Enter or Ctrl-Q", k.Value)
				}
				names = append(names, e.Value)
			}
			out[k.Value] = names
		default:
			return nil, p.errorf(v, "keys: %s: want a key or a list of keys", k.Value)
		}
		if err := ui.CheckKeys(map[string][]string{k.Value: out[k.Value]}); err != nil {
			return nil, p.errorf(k, "%v", err)
		}
	}
	if err := ui.CheckKeys(out); err != nil {
		return nil, p.errorf(n, "%v", err)
	}
	return out, nil
}

// loadKeys reads the key bindings of a config file ("" has none); the file
// has been parsed and checked by loadConfig.
func loadKeys(file string) (map[string][]string, error) {
	if file == "" || isDiveConfig(file) {
		return nil, nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, nil //nolint:nilerr // loadConfig has reported what is wrong with the file
	}
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "keys" {
			p := &configParser{file: file}
			return p.keys(root.Content[i+1])
		}
	}
	return nil, nil
}
