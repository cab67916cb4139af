package main

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/stagescope/stagescope/analyze"
	"github.com/stagescope/stagescope/analyze/report"
	"github.com/stagescope/stagescope/internal/format"
	"github.com/stagescope/stagescope/ui"
)

// maxWastedRows bounds the wasted-files table of the text report.
const maxWastedRows = 20

// cut shortens s to at most n runes, marking the cut with "…", and folds its
// white space. Strings from the image go through ui.Escape first.
func cut(s string, n int) string {
	s = format.OneLine(s)
	if n < 1 {
		n = 1
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// fit puts s on one line and, when the output has a width, cuts it to
// what is left of that width after reserved columns. A width of 0 (a pipe
// or a file, without --width or COLUMNS) never cuts: CI logs keep every path.
func fit(s string, width, reserved int) string {
	if width <= 0 {
		return format.OneLine(s)
	}
	return cut(s, width-reserved)
}

// fitMin is fit that leaves at least least columns when the output has a
// width.
func fitMin(s string, width, reserved, least int) string {
	if width > 0 {
		width = max(width, reserved+least)
	}
	return fit(s, width, reserved)
}

func writeText(out io.Writer, r *report.Report, width int) error {
	w := bufio.NewWriter(out)
	sm := r.Summary
	fmt.Fprintf(w, "Image       %s (%s)\n", ui.Escape(r.Image.Reference), r.Image.Source)
	if len(r.Image.RepoTags) > 0 {
		fmt.Fprintf(w, "Tags        %s\n", ui.Escape(strings.Join(r.Image.RepoTags, ", ")))
	}
	fmt.Fprintf(w, "Image ID    %s (config digest)\n", ui.Escape(r.Image.ConfigDigest))
	switch {
	case r.Image.IndexDigest != "":
		fmt.Fprintf(w, "Digest      %s (this platform's manifest; index %s)\n", ui.Escape(r.Image.Digest), ui.Escape(r.Image.IndexDigest))
	case r.Image.Digest != "":
		fmt.Fprintf(w, "Digest      %s (manifest)\n", ui.Escape(r.Image.Digest))
	}
	for _, d := range r.Image.RepoDigests {
		fmt.Fprintf(w, "RepoDigest  %s\n", ui.Escape(d))
	}
	fmt.Fprintf(w, "Platform    %s\n", ui.Escape(r.Image.Platform))
	fmt.Fprintf(w, "Size        %s in %s; layers %s (%s compressed)\n",
		format.Bytes(sm.TotalBytes), format.Count(sm.Files, "file"), format.Bytes(sm.LayerBytes), format.Bytes(sm.CompressedBytes))
	fmt.Fprintf(w, "Wasted      %s reclaimable (%.1f%% of the layers)\n", format.Bytes(sm.WastedBytes), sm.WastedPercent)
	if sm.DuplicateBytes > 0 {
		fmt.Fprintf(w, "Duplicates  %s in files stored more than once\n", format.Bytes(sm.DuplicateBytes))
	}
	// dive's fractions, shown as percentages the way dive prints them.
	fmt.Fprintf(w, "dive        efficiency %.2f%%, wasted %s, user wasted %.2f%%\n",
		100*sm.EfficiencyRatio, format.Bytes(sm.DiveWastedBytes), 100*sm.UserWastedRatio)
	if lo := r.Leftovers; lo.Bytes > 0 {
		fmt.Fprintf(w, "Leftovers   %s in %s (%.1f%% of the shipped bytes); runtime-only estimate %s\n",
			format.Bytes(lo.Bytes), format.Count(lo.Files, "file"), lo.Percent, format.Bytes(lo.RuntimeBytes))
	}
	if line := suppressedLine(r.Suppressed); line != "" {
		fmt.Fprintf(w, "Suppressed  %s\n", fit(line, width, 12))
	}
	writeBaseText(w, r)

	fmt.Fprintf(w, "\nLayers\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	lines := layerLines(r)
	fmt.Fprintf(tw, "#\tsize\tfiles\tadded\tmodified\tremoved\t  %s%s\n", fmt.Sprintf("%-*s", lines.width, lines.title), "created by")
	fixed := 50 + lines.width // width of the number columns and the line column
	for i, l := range r.Layers {
		fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%d\t%d\t  %s%s\n", l.Index, format.Bytes(l.Size), l.Files,
			l.Added.Files, l.Modified.Files, l.Removed.Files, lines.cell(i), fit(ui.Escape(analyze.Instruction(l.CreatedBy)), width, fixed))
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	if len(r.Wasted) > 0 {
		fmt.Fprintf(w, "\nLargest wasted files (%d in all)\n", len(r.Wasted))
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "size\tlayer\thidden by\treason\tpath\n")
		for i, e := range r.Wasted {
			if i == maxWastedRows {
				break
			}
			fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\n", format.Bytes(e.Bytes), e.Layer, e.HiddenBy, e.Reason, fit(ui.Escape(e.Path), width, 40))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if err := writeLeftoversText(w, r, width); err != nil {
		return err
	}
	return w.Flush()
}

// suppressedLine says what the ignore list silenced: the findings' bytes
// in all, then per ignore entry, largest first, with where the entry came
// from; "" when nothing was.
func suppressedLine(ss []report.SuppressedJSON) string {
	if len(ss) == 0 {
		return ""
	}
	type entry struct {
		ignore, why string
		bytes       int64
	}
	var es []entry
	var total int64
	for _, s := range ss {
		total += s.Bytes
		i := slices.IndexFunc(es, func(e entry) bool { return e.ignore == s.Ignore && e.why == s.Why })
		if i < 0 {
			i = len(es)
			es = append(es, entry{ignore: s.Ignore, why: s.Why})
		}
		es[i].bytes += s.Bytes
	}
	slices.SortStableFunc(es, func(a, b entry) int { return cmp.Compare(b.bytes, a.bytes) })
	parts := make([]string, len(es))
	for i, e := range es {
		src := "--ignore"
		if e.why == report.IgnoredByConfig {
			src = "config"
		}
		parts[i] = fmt.Sprintf("%s %s (%s)", ui.Escape(e.ignore), format.Bytes(e.bytes), src)
	}
	return fmt.Sprintf("%s in %s, in no total: %s", format.Bytes(total), format.Count(int64(len(ss)), "finding"), strings.Join(parts, ", "))
}
