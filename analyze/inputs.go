package analyze

import (
	"github.com/stagescope/stagescope/analyze/diff"
	"github.com/stagescope/stagescope/analyze/gate"
	"github.com/stagescope/stagescope/analyze/rules"
)

// GateInput returns what the gate measures of the analysis.
func (a *Analysis) GateInput() gate.Input {
	in := gate.Input{
		Dive:           a.Dive,
		ImageBytes:     a.Metrics.LayerBytes,
		LeftoverBytes:  a.Leftovers.Bytes,
		CategoryBytes:  a.categoryBytes(),
		RuleFindings:   map[string]int{},
		RuleSuppressed: map[string]int{},
	}
	own, _ := a.Leftovers.Split(a.Place)
	in.OwnLeftoverBytes = own.Bytes
	for i := range a.Findings {
		in.RuleFindings[a.Findings[i].RuleID]++
	}
	for i := range a.Suppressed {
		if !a.Suppressed[i].ByPath {
			in.RuleSuppressed[a.Suppressed[i].RuleID]++
		}
	}
	return in
}

// DiffInput returns what a comparison (diff.Compare) needs of the
// analysis; ignoreFlags are the command line's ignore entries, which the
// suppressed findings they silenced name as "flag".
func (a *Analysis) DiffInput(ignoreFlags []string) diff.Input {
	return diff.Input{
		Image: a.Image, Tree: a.Tree, Metrics: a.Metrics,
		LeftoverBytes: a.Leftovers.Bytes, CategoryBytes: a.categoryBytes(),
		Suppressed: a.SuppressedJSON(ignoreFlags),
	}
}

// categoryBytes is the leftover bytes of each category found.
func (a *Analysis) categoryBytes() map[rules.Category]int64 {
	m := map[rules.Category]int64{}
	for _, c := range a.Leftovers.Categories {
		m[c.Category] += c.Bytes
	}
	return m
}
