// Package gate checks an analysed image against CI thresholds: dive's
// three (lowestEfficiency, highestWastedBytes, highestUserWastedPercent)
// and stagescope's own (image size, leftover bytes in all and per
// category, forbidden rules).
package gate

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/analyze/rules"
	"github.com/stagescope/stagescope/analyze/secrets"
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
	HighestCategoryBytes map[rules.Category]int64
	// ForbiddenRules are rule IDs that must not find anything.
	ForbiddenRules []string
	// Ignore lists the findings a user accepted, as the config file gives
	// them. Evaluate does not apply it: the analysis does (see Input).
	Ignore rules.Ignore
	// SecretAllow accepts known secrets (the config's secrets.allow).
	// Evaluate does not apply it either: the analysis does.
	SecretAllow secrets.Allowlist
}

// Empty tells whether the thresholds check nothing.
func (t *Thresholds) Empty() bool {
	return t.LowestEfficiency == nil && t.HighestWastedBytes == nil && t.HighestUserWastedPercent == nil &&
		t.HighestImageBytes == nil && t.HighestLeftoverBytes == nil && t.HighestOwnLeftoverBytes == nil && len(t.HighestCategoryBytes) == 0 &&
		len(t.ForbiddenRules) == 0
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
	// Note says why a check reads as it does where that needs saying:
	// dive's undefined userWastedPercent, a forbidden rule also ignored.
	Note string
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

// Input is what the gate measures of one analysed image.
type Input struct {
	Dive fstree.DiveMetrics
	// ImageBytes is the image size: its layers, uncompressed.
	ImageBytes int64
	// LeftoverBytes and CategoryBytes are the leftover totals, each file
	// counted once however many findings name it.
	LeftoverBytes int64
	CategoryBytes map[rules.Category]int64
	// OwnLeftoverBytes are the leftover bytes of the layers above the base
	// image (all layers when the base is unknown).
	OwnLeftoverBytes int64
	// RuleFindings counts the findings of each rule ID.
	RuleFindings map[string]int
	// RuleSuppressed counts the findings of each rule ID that the ignore
	// list silenced by the rule's ID or category (not by a path): a
	// forbidden rule counts them all the same (see Evaluate).
	RuleSuppressed map[string]int
}

// Evaluate checks an image's numbers against thresholds. It applies no
// ignore list: the numbers are those of an analysis that left the ignored
// rules and paths out (analyze.WithIgnore).
func Evaluate(in Input, t Thresholds) Gate {
	g := Gate{Pass: true}
	add := func(name, subject string, unit Unit, measured, limit float64, pass bool) {
		g.Checks = append(g.Checks, Check{Name: name, Subject: subject, Unit: unit, Measured: measured, Limit: limit, Pass: pass})
		g.Pass = g.Pass && pass
	}
	// The comparisons are dive's: fail only when the value is beyond the
	// limit.
	d := in.Dive
	if t.LowestEfficiency != nil {
		add(CheckLowestEfficiency, "", UnitRatio, d.Efficiency, *t.LowestEfficiency, !(*t.LowestEfficiency > d.Efficiency))
	}
	if t.HighestWastedBytes != nil {
		add(CheckHighestWastedBytes, "", UnitBytes, float64(d.WastedBytes), float64(*t.HighestWastedBytes), d.WastedBytes <= *t.HighestWastedBytes)
	}
	if t.HighestUserWastedPercent != nil {
		if d.NoUserBytes {
			pass, note := userWastedUndefined(d.WastedBytes)
			add(CheckHighestUserWastedPercent, "", UnitRatio, 0, *t.HighestUserWastedPercent, pass)
			g.Checks[len(g.Checks)-1].Note = note
		} else {
			add(CheckHighestUserWastedPercent, "", UnitRatio, d.UserWastedPercent, *t.HighestUserWastedPercent, !(*t.HighestUserWastedPercent < d.UserWastedPercent))
		}
	}
	if t.HighestImageBytes != nil {
		add(CheckHighestImageBytes, "", UnitBytes, float64(in.ImageBytes), float64(*t.HighestImageBytes), in.ImageBytes <= *t.HighestImageBytes)
	}
	if t.HighestLeftoverBytes != nil {
		add(CheckHighestLeftoverBytes, "", UnitBytes, float64(in.LeftoverBytes), float64(*t.HighestLeftoverBytes), in.LeftoverBytes <= *t.HighestLeftoverBytes)
	}
	if t.HighestOwnLeftoverBytes != nil {
		add(CheckHighestOwnLeftoverBytes, "", UnitBytes, float64(in.OwnLeftoverBytes), float64(*t.HighestOwnLeftoverBytes), in.OwnLeftoverBytes <= *t.HighestOwnLeftoverBytes)
	}
	cats := make([]rules.Category, 0, len(t.HighestCategoryBytes))
	for c := range t.HighestCategoryBytes {
		cats = append(cats, c)
	}
	order := rules.Categories()
	slices.SortFunc(cats, func(x, y rules.Category) int {
		return cmp.Or(cmp.Compare(slices.Index(order, x), slices.Index(order, y)), cmp.Compare(x, y))
	})
	for _, c := range cats {
		limit, got := t.HighestCategoryBytes[c], in.CategoryBytes[c]
		add(CheckHighestCategoryBytes, string(c), UnitBytes, float64(got), float64(limit), got <= limit)
	}
	ids := slices.Clone(t.ForbiddenRules)
	slices.Sort(ids)
	sil := rules.NewSilencer(t.Ignore)
	for _, id := range slices.Compact(ids) {
		n := in.RuleFindings[id]
		by := sil.RuleBy(id)
		if by != "" {
			n += in.RuleSuppressed[id]
		}
		add(CheckForbiddenRules, id, UnitFindings, float64(n), 0, n == 0)
		if by != "" {
			g.Checks[len(g.Checks)-1].Note = ForbiddenAndIgnored(id, by)
		}
	}
	return g
}

// ForbiddenAndIgnored says what the gate does with a rule that is both
// forbidden and ignored by its ID or category (by): forbidding is the
// stronger word, so the findings the ignore silenced count in the check.
// An ignored path still silences the rule there: it names what a user
// accepts, where a rule or category ignore says nothing about this rule.
func ForbiddenAndIgnored(id, by string) string {
	if by == id {
		return fmt.Sprintf("rule %s is both forbidden and ignored: the gate counts its findings all the same (an ignored path still silences it)", id)
	}
	return fmt.Sprintf("rule %s is forbidden and its category %s ignored: the gate counts its findings all the same (an ignored path still silences it)", id, by)
}

// userWastedUndefined is dive's verdict on highestUserWastedPercent when
// no layer above the first holds a byte, and why. dive 0.13.1 divides the
// wasted bytes by those bytes anyway (dive/image/image.go) and fails the
// rule when limit < value (runtime/ci/rule.go): +Inf, from wasted bytes,
// fails every limit, and NaN, from none, passes every one. The gate
// follows dive, so that a .dive-ci gives the same verdict in both.
func userWastedUndefined(wasted int64) (pass bool, note string) {
	if wasted > 0 {
		return false, "undefined: the layers above the first hold no bytes, so dive's userWastedPercent is wasted bytes / 0 = +Inf, which fails every limit in dive; stagescope follows dive"
	}
	return true, "undefined: the layers above the first hold no bytes and none are wasted, so dive's userWastedPercent is 0/0 = NaN, which passes every limit in dive; stagescope follows dive"
}
