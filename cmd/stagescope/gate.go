package main

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/pflag"

	"github.com/stagescope/stagescope/analyze/gate"
	"github.com/stagescope/stagescope/analyze/report"
	"github.com/stagescope/stagescope/analyze/rules"
	"github.com/stagescope/stagescope/internal/format"
	"github.com/stagescope/stagescope/ui"
)

// gateOptions are the CI threshold flags. Each overrides the config file's
// value; "disabled" turns a file's threshold off. Lists add to the file's.
type gateOptions struct {
	Config                   string
	WorkDir                  string // where config files are looked for; "" is the working directory
	LowestEfficiency         string
	HighestWastedBytes       string
	HighestUserWastedPercent string
	HighestImageBytes        string
	HighestLeftoverBytes     string
	HighestOwnLeftoverBytes  string
	HighestCategoryBytes     []string // CATEGORY=SIZE
	ForbiddenRules           []string
	// Warnings are what reading the config file found to say without
	// failing (keys of a .dive-ci that dive ignores too).
	Warnings []string
	// Keys are the config file's key bindings for the browser.
	Keys map[string][]string
}

func (g *gateOptions) addFlags(f *pflag.FlagSet) {
	f.StringVar(&g.Config, "config", "", "gate config file (default: .stagescope.yaml, else dive's .dive-ci, in the working directory)")
	f.StringVar(&g.LowestEfficiency, "lowest-efficiency", "", "fail when dive's efficiency is below this ratio (0-1)")
	f.StringVar(&g.HighestWastedBytes, "highest-wasted-bytes", "", "fail when dive's wasted bytes exceed this size (e.g. 20MB)")
	f.StringVar(&g.HighestUserWastedPercent, "highest-user-wasted-percent", "", "fail when dive's user-wasted ratio (0-1) exceeds this")
	f.StringVar(&g.HighestImageBytes, "highest-image-bytes", "", "fail when the image (its layers, uncompressed) exceeds this size")
	f.StringVar(&g.HighestLeftoverBytes, "highest-leftover-bytes", "", "fail when all leftovers together exceed this size")
	f.StringVar(&g.HighestOwnLeftoverBytes, "highest-own-leftover-bytes", "", "fail when the leftovers of your own layers (above the base image) exceed this size")
	f.StringArrayVar(&g.HighestCategoryBytes, "highest-category-bytes", nil, "fail when a category's leftovers exceed a size, CATEGORY=SIZE (e.g. toolchain=0); repeatable")
	f.StringArrayVar(&g.ForbiddenRules, "forbid-rule", nil, "fail when this rule ID finds anything; repeatable")
}

// thresholds reads the config file, then applies the flags over it.
func (g *gateOptions) thresholds() (gate.Thresholds, error) {
	return g.thresholdsWith(knownRule())
}

// thresholdsWith is thresholds with the rule IDs known told.
func (g *gateOptions) thresholdsWith(known func(string) bool) (gate.Thresholds, error) {
	file, err := findConfig(g.Config, g.WorkDir)
	if err != nil {
		return gate.Thresholds{}, err
	}
	th, warnings, err := loadConfig(file, known)
	if err != nil {
		return th, err
	}
	g.Warnings = warnings
	if g.Keys, err = loadKeys(file); err != nil {
		return th, err
	}
	ratio := func(flag, v string, dst **float64) error {
		if v == "" {
			return nil
		}
		r, err := parseRatio(v)
		if err != nil {
			return fmt.Errorf("--%s: %w", flag, err)
		}
		*dst = r
		return nil
	}
	size := func(flag, v string, dst **int64) error {
		if v == "" {
			return nil
		}
		s, err := parseSize(v)
		if err != nil {
			return fmt.Errorf("--%s: %w", flag, err)
		}
		*dst = s
		return nil
	}
	for _, err := range []error{
		ratio("lowest-efficiency", g.LowestEfficiency, &th.LowestEfficiency),
		size("highest-wasted-bytes", g.HighestWastedBytes, &th.HighestWastedBytes),
		ratio("highest-user-wasted-percent", g.HighestUserWastedPercent, &th.HighestUserWastedPercent),
		size("highest-image-bytes", g.HighestImageBytes, &th.HighestImageBytes),
		size("highest-leftover-bytes", g.HighestLeftoverBytes, &th.HighestLeftoverBytes),
		size("highest-own-leftover-bytes", g.HighestOwnLeftoverBytes, &th.HighestOwnLeftoverBytes),
	} {
		if err != nil {
			return th, err
		}
	}
	for _, kv := range g.HighestCategoryBytes {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return th, fmt.Errorf("--highest-category-bytes %q: want CATEGORY=SIZE, e.g. toolchain=0", kv)
		}
		c := rules.Category(strings.TrimSpace(k))
		if !rules.ValidCategory(c) {
			return th, fmt.Errorf("--highest-category-bytes %q: unknown category %q (want one of %s)", kv, k, categoryList())
		}
		s, err := parseSize(v)
		if err != nil {
			return th, fmt.Errorf("--highest-category-bytes %q: %w", kv, err)
		}
		if th.HighestCategoryBytes == nil {
			th.HighestCategoryBytes = map[rules.Category]int64{}
		}
		if s == nil {
			delete(th.HighestCategoryBytes, c)
		} else {
			th.HighestCategoryBytes[c] = *s
		}
	}
	for _, id := range g.ForbiddenRules {
		if err := checkRuleID(id, known); err != nil {
			return th, fmt.Errorf("--forbid-rule: %w", err)
		}
		th.ForbiddenRules = append(th.ForbiddenRules, id)
	}
	return th, nil
}

// writeGateText writes the pass/fail table of every check.
func writeGateText(out io.Writer, g *report.GateJSON) error {
	w := bufio.NewWriter(out)
	verdict := "PASS"
	if !g.Pass {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "\nGate %s: %d of %d checks failed\n", verdict, g.Failed, len(g.Checks))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "result\tcheck\tmeasured\tlimit\n")
	for _, c := range g.Checks {
		res := "PASS"
		if !c.Pass {
			res = "FAIL"
		}
		name := c.Name
		if c.Subject != "" {
			name += " " + c.Subject
		}
		measured := gateValue(c.Unit, c.Measured, c.Name)
		if c.Note != "" && c.Name == gate.CheckHighestUserWastedPercent {
			measured = "undefined"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", res, ui.Escape(name), measured, gateValue(c.Unit, c.Limit, c.Name))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, c := range g.Checks {
		if c.Note != "" {
			fmt.Fprintf(w, "%s: %s\n", c.Name, ui.Escape(c.Note))
		}
	}
	return w.Flush()
}

func gateValue(u gate.Unit, v float64, name string) string {
	switch u {
	case gate.UnitBytes:
		return fmt.Sprintf("%s (%d)", format.Bytes(int64(v)), int64(v))
	case gate.UnitFindings:
		return format.Count(int64(v), "finding")
	}
	if name == gate.CheckHighestUserWastedPercent {
		return fmt.Sprintf("%.4f (%.2f%%)", v, 100*v)
	}
	return fmt.Sprintf("%.4f", v)
}

// knownRule returns the check for rule IDs named in thresholds and ignore
// lists; nil accepts any ID.
func knownRule() func(string) bool {
	return func(id string) bool {
		_, ok := rules.ByID(id)
		return ok
	}
}
