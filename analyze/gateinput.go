package analyze

import (
	"github.com/stagescope/stagescope/analyze/gate"
	"github.com/stagescope/stagescope/analyze/rules"
)

// GateInput returns what the gate measures of the analysis.
func (a *Analysis) GateInput() gate.Input {
	in := gate.Input{
		Dive:           a.Dive,
		ImageBytes:     a.Metrics.LayerBytes,
		LeftoverBytes:  a.Leftovers.Bytes,
		CategoryBytes:  map[rules.Category]int64{},
		RuleFindings:   map[string]int{},
		RuleSuppressed: map[string]int{},
	}
	for _, c := range a.Leftovers.Categories {
		in.CategoryBytes[c.Category] += c.Bytes
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
