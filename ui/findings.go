package ui

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/stagescope/stagescope/analyze"
	"github.com/stagescope/stagescope/analyze/leftovers"
	"github.com/stagescope/stagescope/analyze/rules"
)

// findingGroup is one category of the findings pane.
type findingGroup struct {
	cat rules.Category
	// bytes and files count every file once however many findings of the
	// category name it: the analysis's own category total, as text and
	// JSON report it.
	bytes  int64
	files  int64
	items  []*leftovers.Finding
	closed bool
}

// findingRow is a line of the findings pane: a group header (item < 0) or
// one finding.
type findingRow struct {
	group, item int
}

// findingsModel is the view state of the findings pane: leftovers and waste
// grouped by category, secrets first, then biggest first.
type findingsModel struct {
	groups []*findingGroup
	rows   []findingRow
	// total and files are the analysis's union of every finding.
	total, files int64
}

func newFindingsModel(a *analyze.Analysis) findingsModel {
	var m findingsModel
	byCat := map[rules.Category]*findingGroup{}
	add := func(f *leftovers.Finding) {
		g := byCat[f.Category]
		if g == nil {
			g = &findingGroup{cat: f.Category}
			byCat[f.Category] = g
			m.groups = append(m.groups, g)
		}
		g.items = append(g.items, f)
		g.bytes += f.Bytes
		g.files += max(f.Files, 1)
	}
	haveWaste := false
	for i := range a.Findings {
		f := &a.Findings[i]
		haveWaste = haveWaste || f.Category == rules.CatWasted
		add(f)
	}
	if !haveWaste && a.Metrics != nil {
		for _, w := range a.Metrics.Wasted {
			why := fmt.Sprintf("overwritten by layer %d: the old copy still ships in layer %d", w.HiddenBy, w.Layer)
			if w.Deleted {
				why = fmt.Sprintf("deleted in layer %d: the bytes still ship in layer %d", w.HiddenBy, w.Layer)
			}
			createdBy := ""
			if w.Layer < len(a.Image.Layers) {
				createdBy = a.Image.Layers[w.Layer].CreatedBy
			}
			add(&leftovers.Finding{
				RuleID: "wasted", Category: rules.CatWasted, Severity: rules.SevInfo,
				Path: w.Path, Files: 1, Bytes: w.Bytes, Layer: w.Layer, HiddenBy: w.HiddenBy,
				CreatedBy: createdBy, Why: why,
				Fix: "create, use and delete the file in one RUN instruction, or build it in another stage",
			})
		}
	}
	for _, ct := range a.Leftovers.Categories {
		if g := byCat[ct.Category]; g != nil {
			g.bytes, g.files = ct.Bytes, ct.Files
		}
	}
	m.total, m.files = a.Leftovers.Bytes, a.Leftovers.Files
	// Secrets come first: a leaked credential matters whatever its size,
	// and by bytes a few-byte .env would sort last, below the scroll.
	slices.SortStableFunc(m.groups, func(a, b *findingGroup) int {
		if as, bs := a.cat == rules.CatSecret, b.cat == rules.CatSecret; as != bs {
			if as {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(b.bytes, a.bytes); c != 0 {
			return c
		}
		return cmp.Compare(a.cat, b.cat)
	})
	for _, g := range m.groups {
		slices.SortStableFunc(g.items, func(a, b *leftovers.Finding) int {
			if c := cmp.Compare(b.Bytes, a.Bytes); c != 0 {
				return c
			}
			return cmp.Compare(a.Path, b.Path)
		})
	}
	m.layout()
	return m
}

// layout lists the rows of open groups.
func (m *findingsModel) layout() {
	m.rows = m.rows[:0]
	for gi, g := range m.groups {
		m.rows = append(m.rows, findingRow{gi, -1})
		if g.closed {
			continue
		}
		for ii := range g.items {
			m.rows = append(m.rows, findingRow{gi, ii})
		}
	}
}

// finding returns the finding of row i, or nil for a header.
func (m *findingsModel) finding(i int) *leftovers.Finding {
	if i < 0 || i >= len(m.rows) || m.rows[i].item < 0 {
		return nil
	}
	r := m.rows[i]
	return m.groups[r.group].items[r.item]
}
