package main

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/dustin/go-humanize"
	"gopkg.in/yaml.v3"

	"github.com/stagescope/stagescope/analyze/gate"
	"github.com/stagescope/stagescope/analyze/rules"
	"github.com/stagescope/stagescope/analyze/secrets"
)

// The config files looked for in the working directory, in order. dive's
// .dive-ci is read as is: its three rules mean the same here, with dive's
// defaults for the rules it leaves out.
var configNames = []string{".stagescope.yaml", ".dive-ci"}

// configError is a problem in a config file, at a line.
type configError struct {
	File string
	Line int
	Msg  string
}

func (e *configError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// findConfig returns the config file to read: explicit when given (it must
// exist), else the first of configNames in dir, else "".
func findConfig(explicit, dir string) (string, error) {
	if explicit != "" {
		if _, err := os.Stat(explicit); err != nil {
			return "", fmt.Errorf("config file %s: %w", explicit, unwrapPathError(err))
		}
		return explicit, nil
	}
	for _, n := range configNames {
		p := filepath.Join(dir, n)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("config file %s: %w", p, unwrapPathError(err))
		}
	}
	return "", nil
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// loadConfig reads and parses a config file; "" gives empty thresholds.
// The warnings name what a dive .dive-ci holds that stagescope ignores.
func loadConfig(file string, knownRule func(string) bool) (gate.Thresholds, []string, error) {
	if file == "" {
		return gate.Thresholds{}, nil, nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return gate.Thresholds{}, nil, fmt.Errorf("reading config file %s: %w", file, unwrapPathError(err))
	}
	th, warnings, err := parseConfig(file, data, knownRule)
	if err == nil && isDiveConfig(file) {
		diveDefaults(data, &th)
	}
	return th, warnings, err
}

// isDiveConfig tells whether file is dive's .dive-ci, which is read as
// dive reads it: keys dive does not check (plugins: …) are ignored, with a
// warning, rather than refused.
func isDiveConfig(file string) bool { return filepath.Base(file) == ".dive-ci" }

// diveDefaults gives the rules a .dive-ci leaves out the defaults dive
// checks them with, so that the file means what it means to dive. A rule
// set to "disabled" is present, and stays off.
func diveDefaults(data []byte, th *gate.Thresholds) {
	var doc struct {
		Rules map[string]any `yaml:"rules"`
	}
	_ = yaml.Unmarshal(data, &doc) // parseConfig has accepted the file
	if _, ok := doc.Rules["lowestEfficiency"]; !ok {
		v := 0.9
		th.LowestEfficiency = &v
	}
	if _, ok := doc.Rules["highestUserWastedPercent"]; !ok {
		v := 0.1
		th.HighestUserWastedPercent = &v
	}
}

var yamlLine = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// parseConfig parses a .stagescope.yaml (or a dive .dive-ci) named file.
// knownRule, when not nil, rejects rule IDs it does not know.
//
//	rules:
//	  lowestEfficiency: 0.9          # dive's three rules, same meaning
//	  highestWastedBytes: 20MB
//	  highestUserWastedPercent: 0.1
//	  highestImageBytes: 500MB
//	  highestLeftoverBytes: 50MB
//	  highestOwnLeftoverBytes: 10MB  # only the layers above the base image
//	  highestCategoryBytes: {toolchain: 0, package-cache: 5MB}
//	  forbiddenRules: [RULE-ID, …]
//	ignore:
//	  rules: [RULE-ID, …]
//	  paths: ["usr/share/doc", "**/*.map"]
//	secrets:
//	  allow:                          # known secrets, reported as suppressed
//	    fingerprints: [SHA256, …]     # a finding's fingerprint
//	    paths: ["test/fixtures/**"]
//	keys:                             # the browser's key bindings
//	  quit: [Q, Ctrl-Q]               # (see keys.go)
//
// Every scalar rule also takes "disabled", as in dive.
func parseConfig(file string, data []byte, knownRule func(string) bool) (gate.Thresholds, []string, error) {
	var th gate.Thresholds
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg := err.Error()
		line := 0
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = m[2]
		}
		return th, nil, &configError{File: file, Line: line, Msg: msg}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return th, nil, nil // an empty file
	}
	p := &configParser{file: file, knownRule: knownRule, lenient: isDiveConfig(file)}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return th, nil, nil
	}
	err := p.mapping(root, "the file", map[string]func(*yaml.Node) error{
		"rules":  func(n *yaml.Node) error { return p.rules(n, &th) },
		"ignore": func(n *yaml.Node) error { return p.ignore(n, &th.Ignore) },
		"keys": func(n *yaml.Node) error {
			_, err := p.keys(n)
			return err
		},
		"secrets": func(n *yaml.Node) error {
			return p.mapping(n, "secrets", map[string]func(*yaml.Node) error{
				"allow": func(v *yaml.Node) error { return p.secretAllow(v, &th.SecretAllow) },
			})
		},
	})
	return th, p.warnings, err
}

type configParser struct {
	file      string
	knownRule func(string) bool
	// lenient ignores unknown keys with a warning instead of refusing them,
	// as dive does with its .dive-ci.
	lenient  bool
	warnings []string
}

func (p *configParser) errorf(n *yaml.Node, format string, args ...any) error {
	return &configError{File: p.file, Line: n.Line, Msg: fmt.Sprintf(format, args...)}
}

// mapping walks a mapping node, rejecting unknown and repeated keys.
func (p *configParser) mapping(n *yaml.Node, what string, keys map[string]func(*yaml.Node) error) error {
	if n.Kind != yaml.MappingNode {
		return p.errorf(n, "%s must be a mapping", what)
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		fn, ok := keys[k.Value]
		if !ok {
			names := make([]string, 0, len(keys))
			for name := range keys {
				names = append(names, name)
			}
			slices.Sort(names)
			if p.lenient {
				p.warnings = append(p.warnings, p.errorf(k, "unknown key %q in %s ignored, as dive ignores it (stagescope reads %s)", k.Value, what, strings.Join(names, ", ")).Error())
				continue
			}
			return p.errorf(k, "unknown key %q in %s (want one of %s)", k.Value, what, strings.Join(names, ", "))
		}
		if seen[k.Value] {
			return p.errorf(k, "%s given twice", k.Value)
		}
		seen[k.Value] = true
		if err := fn(v); err != nil {
			return err
		}
	}
	return nil
}

func (p *configParser) rules(n *yaml.Node, th *gate.Thresholds) error {
	ratio := func(name string, dst **float64) func(*yaml.Node) error {
		return func(v *yaml.Node) error {
			if err := p.scalar(v, name); err != nil {
				return err
			}
			r, err := parseRatio(v.Value)
			if err != nil {
				return p.errorf(v, "%s: %v", name, err)
			}
			*dst = r
			return nil
		}
	}
	size := func(name string, dst **int64) func(*yaml.Node) error {
		return func(v *yaml.Node) error {
			if err := p.scalar(v, name); err != nil {
				return err
			}
			s, err := parseSize(v.Value)
			if err != nil {
				return p.errorf(v, "%s: %v", name, err)
			}
			*dst = s
			return nil
		}
	}
	return p.mapping(n, "rules", map[string]func(*yaml.Node) error{
		gate.CheckLowestEfficiency:         ratio(gate.CheckLowestEfficiency, &th.LowestEfficiency),
		gate.CheckHighestWastedBytes:       size(gate.CheckHighestWastedBytes, &th.HighestWastedBytes),
		gate.CheckHighestUserWastedPercent: ratio(gate.CheckHighestUserWastedPercent, &th.HighestUserWastedPercent),
		gate.CheckHighestImageBytes:        size(gate.CheckHighestImageBytes, &th.HighestImageBytes),
		gate.CheckHighestLeftoverBytes:     size(gate.CheckHighestLeftoverBytes, &th.HighestLeftoverBytes),
		gate.CheckHighestOwnLeftoverBytes:  size(gate.CheckHighestOwnLeftoverBytes, &th.HighestOwnLeftoverBytes),
		gate.CheckHighestCategoryBytes: func(v *yaml.Node) error {
			if v.Kind != yaml.MappingNode {
				return p.errorf(v, "%s must be a mapping of category to size, e.g. {toolchain: 0}", gate.CheckHighestCategoryBytes)
			}
			th.HighestCategoryBytes = map[rules.Category]int64{}
			for i := 0; i+1 < len(v.Content); i += 2 {
				k, val := v.Content[i], v.Content[i+1]
				c := rules.Category(k.Value)
				if !rules.ValidCategory(c) {
					return p.errorf(k, "%s: unknown category %q (want one of %s)", gate.CheckHighestCategoryBytes, k.Value, categoryList())
				}
				if _, dup := th.HighestCategoryBytes[c]; dup {
					return p.errorf(k, "%s: category %s given twice", gate.CheckHighestCategoryBytes, k.Value)
				}
				if err := p.scalar(val, k.Value); err != nil {
					return err
				}
				s, err := parseSize(val.Value)
				if err != nil {
					return p.errorf(val, "%s: %s: %v", gate.CheckHighestCategoryBytes, k.Value, err)
				}
				if s != nil {
					th.HighestCategoryBytes[c] = *s
				}
			}
			return nil
		},
		gate.CheckForbiddenRules: func(v *yaml.Node) error {
			ids, err := p.ruleIDs(v, gate.CheckForbiddenRules)
			th.ForbiddenRules = ids
			return err
		},
	})
}

func (p *configParser) ignore(n *yaml.Node, ig *rules.Ignore) error {
	return p.mapping(n, "ignore", map[string]func(*yaml.Node) error{
		// Rule IDs and, as --ignore takes them, categories.
		"rules": func(v *yaml.Node) error {
			items, err := p.list(v, "ignore.rules")
			if err != nil {
				return err
			}
			for _, it := range items {
				if c := rules.Category(it.Value); rules.ValidCategory(c) {
					ig.Categories = append(ig.Categories, c)
					continue
				}
				if err := checkRuleID(it.Value, p.knownRule); err != nil {
					return p.errorf(it, "ignore.rules: %v (nor a category: %s)", err, categoryList())
				}
				ig.Rules = append(ig.Rules, it.Value)
			}
			return nil
		},
		"paths": func(v *yaml.Node) error {
			items, err := p.list(v, "ignore.paths")
			if err != nil {
				return err
			}
			for _, it := range items {
				if err := rules.ValidateGlob(it.Value); err != nil {
					return p.errorf(it, "ignore.paths: %v", err)
				}
				ig.Paths = append(ig.Paths, it.Value)
			}
			return nil
		},
	})
}

// secretAllow parses secrets.allow: {fingerprints: [SHA256, …], paths: [GLOB, …]}.
func (p *configParser) secretAllow(n *yaml.Node, a *secrets.Allowlist) error {
	each := func(name string, dst *[]string) func(*yaml.Node) error {
		return func(v *yaml.Node) error {
			items, err := p.list(v, name)
			if err != nil {
				return err
			}
			for _, it := range items {
				*dst = append(*dst, it.Value)
				if err := a.Validate(); err != nil {
					return p.errorf(it, "%s: %v", name, err)
				}
			}
			return nil
		}
	}
	return p.mapping(n, "secrets.allow", map[string]func(*yaml.Node) error{
		"fingerprints": each("secrets.allow.fingerprints", &a.Fingerprints),
		"paths":        each("secrets.allow.paths", &a.Paths),
	})
}

func (p *configParser) scalar(v *yaml.Node, name string) error {
	if v.Kind != yaml.ScalarNode {
		return p.errorf(v, "%s must be a single value", name)
	}
	if v.Tag == "!!null" {
		return p.errorf(v, "%s has no value", name)
	}
	return nil
}

// list accepts a sequence of scalars, or a single scalar.
func (p *configParser) list(v *yaml.Node, name string) ([]*yaml.Node, error) {
	switch v.Kind {
	case yaml.ScalarNode:
		if v.Tag == "!!null" {
			return nil, nil
		}
		return []*yaml.Node{v}, nil
	case yaml.SequenceNode:
		for _, it := range v.Content {
			if it.Kind != yaml.ScalarNode || it.Tag == "!!null" {
				return nil, p.errorf(it, "%s: every item must be a single value", name)
			}
		}
		return v.Content, nil
	}
	return nil, p.errorf(v, "%s must be a list", name)
}

func (p *configParser) ruleIDs(v *yaml.Node, name string) ([]string, error) {
	items, err := p.list(v, name)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, it := range items {
		if err := checkRuleID(it.Value, p.knownRule); err != nil {
			return nil, p.errorf(it, "%s: %v", name, err)
		}
		ids = append(ids, it.Value)
	}
	return ids, nil
}

func checkRuleID(id string, knownRule func(string) bool) error {
	if strings.TrimSpace(id) == "" {
		return errors.New("empty rule ID")
	}
	if knownRule != nil && !knownRule(id) {
		return fmt.Errorf("unknown rule ID %q", id)
	}
	return nil
}

func categoryList() string {
	names := make([]string, len(rules.Categories()))
	for i, c := range rules.Categories() {
		names[i] = string(c)
	}
	return strings.Join(names, ", ")
}

// disabled is dive's word for "do not check".
const disabled = "disabled"

// parseRatio parses a ratio in [0, 1]; "disabled" gives nil.
func parseRatio(s string) (*float64, error) {
	s = strings.TrimSpace(s)
	if s == disabled {
		return nil, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) {
		return nil, fmt.Errorf("%q is not a number (want a ratio between 0 and 1, or disabled)", s)
	}
	if f < 0 || f > 1 {
		return nil, fmt.Errorf("%s is outside 0..1 (a ratio: 0.9 means 90%%)", s)
	}
	return &f, nil
}

// parseSize parses a byte size such as 0, 1500, 20MB or 1.5GiB; "disabled"
// gives nil.
func parseSize(s string) (*int64, error) {
	s = strings.TrimSpace(s)
	if s == disabled {
		return nil, nil
	}
	if strings.HasPrefix(s, "-") {
		return nil, fmt.Errorf("size %s is negative", s)
	}
	u, err := humanize.ParseBytes(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not a size (want e.g. 0, 1500, 20MB, 1.5GiB, or disabled)", s)
	}
	if u > math.MaxInt64 {
		return nil, fmt.Errorf("size %s is too large", s)
	}
	n := int64(u)
	return &n, nil
}
