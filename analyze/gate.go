package analyze

import (
	"cmp"
	"errors"
	"fmt"
	"github.com/stagescope/stagescope/analyze/secrets"
	"path"
	"slices"
	"strings"
)

// Thresholds are the limits a CI run gates an image on. A nil pointer, an
// empty map or an empty list checks nothing. Every limit is inclusive: a
// measured value equal to its limit passes, as in dive's CI rules.
type Thresholds struct {
	// LowestEfficiency is dive's lowestEfficiency, a ratio in [0, 1].
	LowestEfficiency *float64
	// HighestWastedBytes is dive's highestWastedBytes.
	HighestWastedBytes *int64
	// HighestUserWastedPercent is dive's highestUserWastedPercent: despite
	// the name, a ratio in [0, 1] of wasted bytes to the bytes above the
	// base layer.
	HighestUserWastedPercent *float64
	// HighestImageBytes bounds the image size: the sum of its layers,
	// uncompressed.
	HighestImageBytes *int64
	// HighestLeftoverBytes bounds the bytes of all leftover findings.
	HighestLeftoverBytes *int64
	// HighestOwnLeftoverBytes bounds the leftover bytes of the user's own
	// layers, those above the base image (all layers when the base is
	// unknown): what a team controls.
	HighestOwnLeftoverBytes *int64
	// HighestCategoryBytes bounds the leftover bytes of single categories;
	// 0 allows none at all.
	HighestCategoryBytes map[Category]int64
	// ForbiddenRules are rule IDs that must not find anything.
	ForbiddenRules []string
	// Ignore drops findings before any limit is checked.
	Ignore Ignore
	// SecretAllow accepts known secrets (the config's secrets.allow).
	SecretAllow secrets.Allowlist
}

// Empty tells whether the thresholds check nothing.
func (t *Thresholds) Empty() bool {
	return t.LowestEfficiency == nil && t.HighestWastedBytes == nil && t.HighestUserWastedPercent == nil &&
		t.HighestImageBytes == nil && t.HighestLeftoverBytes == nil && t.HighestOwnLeftoverBytes == nil && len(t.HighestCategoryBytes) == 0 &&
		len(t.ForbiddenRules) == 0
}

// Categories lists every leftover category, in the order reports show them.
var Categories = []Category{
	CatToolchain, CatPackageCache, CatBuildCache, CatDevDependency, CatDevHeaders,
	CatVCS, CatDocs, CatSecret, CatWasted,
}

// ValidCategory tells whether c names a leftover category.
func ValidCategory(c Category) bool { return slices.Contains(Categories, c) }

// Ignore says which findings a user has accepted.
type Ignore struct {
	Rules []string // rule IDs
	// Paths are slash-separated globs matched against a finding's path
	// (a leading "/" is optional). "*", "?" and "[…]" match within one
	// path element, "**" matches any number of elements, and a pattern
	// that matches a directory matches everything below it.
	Paths []string
}

// ValidateGlob reports whether pattern is a usable Ignore path glob.
func ValidateGlob(pattern string) error {
	p := strings.Trim(pattern, "/")
	if p == "" {
		return errors.New("empty path glob")
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "**" {
			continue
		}
		if _, err := path.Match(seg, ""); err != nil {
			return fmt.Errorf("bad path glob %q: %w", pattern, err)
		}
	}
	return nil
}

// Match tells whether the finding is ignored.
func (ig *Ignore) Match(f *Finding) bool {
	if slices.Contains(ig.Rules, f.RuleID) {
		return true
	}
	for _, g := range ig.Paths {
		if MatchGlob(g, f.Path) {
			return true
		}
	}
	return false
}

// Filter returns the findings that are not ignored, in their order.
func (ig *Ignore) Filter(fs []Finding) []Finding {
	if len(ig.Rules) == 0 && len(ig.Paths) == 0 {
		return fs
	}
	out := make([]Finding, 0, len(fs))
	for i := range fs {
		if !ig.Match(&fs[i]) {
			out = append(out, fs[i])
		}
	}
	return out
}

// MatchGlob tells whether the slash-separated path p, or one of its parent
// directories, matches pattern (see Ignore.Paths). Leading slashes of both
// are ignored. A malformed pattern matches nothing.
func MatchGlob(pattern, p string) bool {
	if ValidateGlob(pattern) != nil {
		return false
	}
	pat := compile(pattern).segs
	var segs []string
	if p = strings.Trim(p, "/"); p != "" {
		segs = strings.Split(p, "/")
	}
	return globSegs(pat, segs, true)
}

// Unit says how a check's numbers read.
type Unit string

// The units of checks.
const (
	UnitRatio    Unit = "ratio"    // 0..1
	UnitBytes    Unit = "bytes"    // a size
	UnitFindings Unit = "findings" // a count of findings
)

// The names of the checks, as in the config file (dive's three first).
const (
	CheckLowestEfficiency         = "lowestEfficiency"
	CheckHighestWastedBytes       = "highestWastedBytes"
	CheckHighestUserWastedPercent = "highestUserWastedPercent"
	CheckHighestImageBytes        = "highestImageBytes"
	CheckHighestLeftoverBytes     = "highestLeftoverBytes"
	CheckHighestOwnLeftoverBytes  = "highestOwnLeftoverBytes"
	CheckHighestCategoryBytes     = "highestCategoryBytes"
	CheckForbiddenRules           = "forbiddenRules"
)

// Check is one evaluated threshold.
type Check struct {
	Name     string // one of the Check… names
	Subject  string // the category or rule ID of per-category and per-rule checks
	Unit     Unit
	Measured float64
	Limit    float64
	Pass     bool
}

// Gate is the outcome of evaluating thresholds on an image.
type Gate struct {
	Pass   bool
	Checks []Check // in the order of Thresholds' fields; subjects sorted
}

// Failed counts the checks that did not pass.
func (g *Gate) Failed() int {
	n := 0
	for _, c := range g.Checks {
		if !c.Pass {
			n++
		}
	}
	return n
}

// Evaluate checks an analysis against thresholds. Findings that t.Ignore
// matches count for nothing; the leftover totals are those of the analysis
// (see leftoverTotals), so run it with the same Ignore (WithIgnore).
func Evaluate(a *Analysis, t Thresholds) Gate {
	g := Gate{Pass: true}
	add := func(name, subject string, unit Unit, measured, limit float64, pass bool) {
		g.Checks = append(g.Checks, Check{Name: name, Subject: subject, Unit: unit, Measured: measured, Limit: limit, Pass: pass})
		g.Pass = g.Pass && pass
	}
	// The comparisons are dive's: fail only when the value is beyond the
	// limit.
	if t.LowestEfficiency != nil {
		add(CheckLowestEfficiency, "", UnitRatio, a.Dive.Efficiency, *t.LowestEfficiency, !(*t.LowestEfficiency > a.Dive.Efficiency))
	}
	if t.HighestWastedBytes != nil {
		add(CheckHighestWastedBytes, "", UnitBytes, float64(a.Dive.WastedBytes), float64(*t.HighestWastedBytes), a.Dive.WastedBytes <= *t.HighestWastedBytes)
	}
	if t.HighestUserWastedPercent != nil {
		add(CheckHighestUserWastedPercent, "", UnitRatio, a.Dive.UserWastedPercent, *t.HighestUserWastedPercent, !(*t.HighestUserWastedPercent < a.Dive.UserWastedPercent))
	}
	if t.HighestImageBytes != nil {
		size := imageBytes(a)
		add(CheckHighestImageBytes, "", UnitBytes, float64(size), float64(*t.HighestImageBytes), size <= *t.HighestImageBytes)
	}

	perRule := map[string]int64{}
	for i := range a.Findings {
		if f := &a.Findings[i]; !t.Ignore.Match(f) {
			perRule[f.RuleID]++
		}
	}
	total, perCat := leftoverTotals(a, t.Ignore)
	if t.HighestLeftoverBytes != nil {
		add(CheckHighestLeftoverBytes, "", UnitBytes, float64(total), float64(*t.HighestLeftoverBytes), total <= *t.HighestLeftoverBytes)
	}
	if t.HighestOwnLeftoverBytes != nil {
		own, _ := a.Leftovers.Split(a.Place)
		add(CheckHighestOwnLeftoverBytes, "", UnitBytes, float64(own.Bytes), float64(*t.HighestOwnLeftoverBytes), own.Bytes <= *t.HighestOwnLeftoverBytes)
	}
	cats := make([]Category, 0, len(t.HighestCategoryBytes))
	for c := range t.HighestCategoryBytes {
		cats = append(cats, c)
	}
	slices.SortFunc(cats, func(x, y Category) int {
		return cmp.Or(cmp.Compare(slices.Index(Categories, x), slices.Index(Categories, y)), cmp.Compare(x, y))
	})
	for _, c := range cats {
		limit := t.HighestCategoryBytes[c]
		add(CheckHighestCategoryBytes, string(c), UnitBytes, float64(perCat[c]), float64(limit), perCat[c] <= limit)
	}
	rules := slices.Clone(t.ForbiddenRules)
	slices.Sort(rules)
	for _, id := range slices.Compact(rules) {
		add(CheckForbiddenRules, id, UnitFindings, float64(perRule[id]), 0, perRule[id] == 0)
	}
	return g
}

// leftoverTotals returns the leftover bytes of an analysis, in all and per
// category. They are the totals of the leftover pass, each file counted
// once however many findings name it, which leave out what the Ignore given
// to Run matched; the gate is meant to be given the same Ignore. An analysis
// without totals (findings made by hand) is summed from its findings
// instead, leaving out those ig matches.
func leftoverTotals(a *Analysis, ig Ignore) (int64, map[Category]int64) {
	perCat := map[Category]int64{}
	if a.Leftovers.ShippedBytes > 0 || len(a.Leftovers.Categories) > 0 {
		for _, c := range a.Leftovers.Categories {
			perCat[c.Category] += c.Bytes
		}
		return a.Leftovers.Bytes, perCat
	}
	var total int64
	for i := range a.Findings {
		if f := &a.Findings[i]; !ig.Match(f) {
			total += f.Bytes
			perCat[f.Category] += f.Bytes
		}
	}
	return total, perCat
}

// imageBytes is the image size: its layers, uncompressed.
func imageBytes(a *Analysis) int64 {
	if a.Metrics != nil && a.Metrics.LayerBytes > 0 {
		return a.Metrics.LayerBytes
	}
	var n int64
	if a.Image != nil {
		for i := range a.Image.Layers {
			n += a.Image.Layers[i].Size
		}
	}
	return n
}

// GateJSON is the `gate` object of the JSON report.
type GateJSON struct {
	Pass   bool        `json:"pass"`
	Failed int         `json:"failed"`
	Checks []CheckJSON `json:"checks"`
	Ignore IgnoreJSON  `json:"ignore"`
}

// CheckJSON is one evaluated threshold.
type CheckJSON struct {
	Name     string  `json:"name"`
	Subject  string  `json:"subject,omitempty"`
	Unit     Unit    `json:"unit"`
	Measured float64 `json:"measured"`
	Limit    float64 `json:"limit"`
	Pass     bool    `json:"pass"`
}

// IgnoreJSON is the ignore list the gate applied.
type IgnoreJSON struct {
	Rules []string `json:"rules"`
	Paths []string `json:"paths"`
}

// NewGateJSON builds the wire form of a gate evaluated with ignore.
func NewGateJSON(g Gate, ignore Ignore) *GateJSON {
	out := &GateJSON{
		Pass:   g.Pass,
		Failed: g.Failed(),
		Checks: make([]CheckJSON, len(g.Checks)),
		Ignore: IgnoreJSON{Rules: append([]string{}, ignore.Rules...), Paths: append([]string{}, ignore.Paths...)},
	}
	for i, c := range g.Checks {
		// Unrounded, like the report's summary: a ratio that passes by a
		// hair must not read as equal to its limit.
		out.Checks[i] = CheckJSON(c)
	}
	return out
}
