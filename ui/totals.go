package ui

import (
	"strings"

	"github.com/stagescope/stagescope/analyze"
	"github.com/stagescope/stagescope/analyze/rules"
)

// Totals is the whole-image figures the browser shows for an analysis, as
// its panes draw them: the lines of the Image pane, the Findings pane's
// title and, per category, the figures its header row's Details give. The
// other outputs (text, JSON, SARIF) are checked against it, so that the
// browser never tells another total.
type Totals struct {
	// Image maps each label of the Image pane ("Size", "Leftovers", …) to
	// its text.
	Image map[string]string
	// Findings is the Findings pane's title.
	Findings string
	// Categories maps each category of the Findings pane to its Details'
	// Bytes line: "247 kB in 1 finding, 7 files, from 1 layer".
	Categories map[rules.Category]string
}

// TotalsOf returns what the browser shows of a's totals.
func TotalsOf(a *analyze.Analysis) Totals {
	th := newTheme(true)
	t := Totals{Image: map[string]string{}, Categories: map[rules.Category]string{}}
	for _, l := range summaryLines(&th, "", a) {
		t.Image[strings.TrimSpace(l.label)] = l.text
	}
	p := newFindingsPane(&th)
	p.setAnalysis(a)
	t.Findings = p.makeTitle()
	for i, r := range p.m.rows {
		if r.item < 0 {
			p.sel = i
			t.Categories[p.m.groups[r.group].cat] = lineText(p.groupDetails(), "Bytes")
		}
	}
	return t
}

// lineText is the text of the line labelled label, "" when there is none.
func lineText(ls []line, label string) string {
	for _, l := range ls {
		if strings.TrimSpace(l.label) == label {
			return l.text
		}
	}
	return ""
}
