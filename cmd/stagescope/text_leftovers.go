package main

import (
	"bufio"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/dustin/go-humanize"

	"github.com/stagescope/stagescope/analyze"
	"github.com/stagescope/stagescope/analyze/report"
	"github.com/stagescope/stagescope/analyze/rules"
	"github.com/stagescope/stagescope/internal/format"
	"github.com/stagescope/stagescope/ui"
)

// maxFindingRows bounds the leftovers table of the text report; secrets are
// always listed in full.
const maxFindingRows = 25

// writeLeftoversText writes the leftover sections: totals per category and
// per layer, the largest findings, every secret, and the suggested fix.
func writeLeftoversText(w *bufio.Writer, r *report.Report, width int) error {
	lo := r.Leftovers
	if len(r.Findings) == 0 {
		fmt.Fprintf(w, "\nLeftovers   none found\n")
		return nil
	}
	fmt.Fprintf(w, "\nLeftovers by category (each file counted once)\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "size\tshare\tfiles\tfindings\t  category\n")
	for _, c := range lo.Categories {
		fmt.Fprintf(tw, "%s\t%.1f%%\t%s\t%d\t  %s\n", format.Bytes(c.Bytes), c.Percent, humanize.Comma(c.Files), c.Findings, c.Category)
	}
	fmt.Fprintf(tw, "%s\t%.1f%%\t%s\t%d\t  all (union)\n", format.Bytes(lo.Bytes), lo.Percent, humanize.Comma(lo.Files), len(r.Findings))
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintf(w, "\nLeftovers by layer\n")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "#\tleftovers\t  created by\n")
	for _, l := range lo.Layers {
		cb := ""
		if l.Layer < len(r.Layers) {
			cb = analyze.Instruction(r.Layers[l.Layer].CreatedBy)
		}
		fmt.Fprintf(tw, "%d\t%s\t  %s\n", l.Layer, format.Bytes(l.Bytes), fit(ui.Escape(cb), width, 25))
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintf(w, "\nLargest leftovers (%s)\n", format.Count(int64(len(r.Findings)), "finding"))
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "size\tfiles\tlayer\tcategory\trule\tpath\n")
	for i, f := range r.Findings {
		if i == maxFindingRows {
			break
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", format.Bytes(f.Bytes), f.Files, layerCell(f), f.Category, f.RuleID, fit(ui.Escape(findingPath(f)), width, 70))
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	var secrets []report.FindingJSON
	for _, f := range r.Findings {
		if f.Category == rules.CatSecret {
			secrets = append(secrets, f)
		}
	}
	if len(secrets) > 0 {
		fmt.Fprintf(w, "\nSecrets (contents never shown; a deleted one still ships in its layer)\n")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "rule\tlayer\tsize\tpath\n")
		for _, f := range secrets {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.RuleID, layerCell(f), format.Bytes(f.Bytes), ui.Escape(f.Path))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}

	if err := writeSecretsText(w, r.Secrets); err != nil {
		return err
	}
	if err := writePermissionsText(w, r.Permissions); err != nil {
		return err
	}

	// The Dockerfile lines to change: every layer with leftovers, largest
	// first, with the rules that fired there; then each rule's fix once.
	fmt.Fprintf(w, "\nWhat to change, by instruction\n")
	type layerRules struct {
		bytes int64
		rules []string
	}
	per := map[int]*layerRules{}
	var order []int
	fixes := map[string]string{}
	var fixOrder []string
	for _, f := range r.Findings {
		lr, ok := per[f.Layer]
		if !ok {
			lr = &layerRules{}
			per[f.Layer] = lr
			order = append(order, f.Layer)
		}
		lr.bytes += f.Bytes
		if !slices.Contains(lr.rules, f.RuleID) {
			lr.rules = append(lr.rules, f.RuleID)
		}
		if _, ok := fixes[f.RuleID]; !ok {
			fixes[f.RuleID] = f.Fix
			fixOrder = append(fixOrder, f.RuleID)
		}
	}
	lines := layerLines(r)
	for _, l := range order {
		cb, where := "", ""
		if l < len(r.Layers) {
			cb = analyze.Instruction(r.Layers[l].CreatedBy)
			switch c := lines.cells[l]; c {
			case "", "?":
			case "base":
				where = " (base image)"
			default:
				where = " (" + c + ")"
			}
		}
		fmt.Fprintf(w, "- layer %d%s `%s`: %s\n", l, where, fit(ui.Escape(cb), width, 12+len(where)), strings.Join(per[l].rules, ", "))
	}
	fmt.Fprintf(w, "\nFixes\n")
	for _, id := range fixOrder {
		fmt.Fprintf(w, "- %s: %s\n", id, ui.Escape(fixes[id]))
	}

	if sg := r.Suggestion; sg != nil {
		fmt.Fprintf(w, "\nSuggested multi-stage Dockerfile (%s; drops about %s)\n", sg.Ecosystem, format.Bytes(sg.SavedBytes))
		for _, line := range strings.Split(strings.TrimRight(sg.Dockerfile, "\n"), "\n") {
			fmt.Fprintf(w, "    %s\n", ui.Escape(line))
		}
		for _, n := range sg.Notes {
			fmt.Fprintf(w, "  * %s\n", ui.Escape(n))
		}
	}
	return nil
}

// layerCell shows the layer of a finding, and the layer that hid it.
func layerCell(f report.FindingJSON) string {
	if f.HiddenBy != nil {
		return fmt.Sprintf("%d (hidden by %d)", f.Layer, *f.HiddenBy)
	}
	return fmt.Sprint(f.Layer)
}

func findingPath(f report.FindingJSON) string {
	p := f.Path
	if f.Package != "" {
		p += " [" + f.Package + "]"
	}
	return p
}
