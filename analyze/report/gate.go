package report

import (
	"github.com/stagescope/stagescope/analyze/gate"
	"github.com/stagescope/stagescope/analyze/rules"
)

// GateJSON is the `gate` object of the JSON report.
type GateJSON struct {
	Pass   bool        `json:"pass"`
	Failed int         `json:"failed"`
	Checks []CheckJSON `json:"checks"`
	Ignore IgnoreJSON  `json:"ignore"`
}

// CheckJSON is one evaluated threshold.
type CheckJSON struct {
	Name     string    `json:"name"`
	Subject  string    `json:"subject,omitempty"`
	Unit     gate.Unit `json:"unit"`
	Measured float64   `json:"measured"`
	Limit    float64   `json:"limit"`
	Pass     bool      `json:"pass"`
	// Note says why a check reads as it does where that needs saying:
	// dive's undefined userWastedPercent (measured as 0), a forbidden rule
	// also ignored.
	Note string `json:"note,omitempty"`
}

// IgnoreJSON is the ignore list the gate applied.
type IgnoreJSON struct {
	Rules      []string         `json:"rules"`
	Categories []rules.Category `json:"categories"`
	Paths      []string         `json:"paths"`
}

// NewGateJSON builds the wire form of a gate evaluated with ignore.
func NewGateJSON(g gate.Gate, ignore rules.Ignore) *GateJSON {
	out := &GateJSON{
		Pass:   g.Pass,
		Failed: g.Failed(),
		Checks: make([]CheckJSON, len(g.Checks)),
		Ignore: IgnoreJSON{Rules: append([]string{}, ignore.Rules...), Categories: append([]rules.Category{}, ignore.Categories...), Paths: append([]string{}, ignore.Paths...)},
	}
	for i, c := range g.Checks {
		// Unrounded, like the report's summary: a ratio that passes by a
		// hair must not read as equal to its limit.
		out.Checks[i] = CheckJSON(c)
	}
	return out
}
