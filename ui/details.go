package ui

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gdamore/tcell/v2"

	"github.com/stagescope/stagescope/analyze"
	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/analyze/leftovers"
	"github.com/stagescope/stagescope/internal/format"
)

// nodeDetails describes a path for the Details pane: as the tree shows it
// (ni, compared over layers from..to) with the finding f that covers it, or,
// when fromFinding is set, as the finding f names it (n may then be nil).
// The versions show content hashes, except of a file a secret rule
// matched (see analyze.Analysis.ContentHashHidden); a nil a, an image
// still loading, shows none.
func nodeDetails(th *theme, a *analyze.Analysis, n *fstree.Node, ni nodeInfo, f *leftovers.Finding, fromFinding bool, from, to int) []line {
	label := func(s string) string { return padRight(s, 9) }
	var out []line
	add := func(l, text string, st tcell.Style) {
		out = append(out, line{label: label(l), labelStyle: th.header, text: text, style: st})
	}
	if fromFinding {
		add("Finding", fmt.Sprintf("%s · %s (%s)", f.Category, f.RuleID, f.Severity), th.base)
		p := "/" + f.Path
		if f.Files > 1 {
			p += fmt.Sprintf(" (%d files)", f.Files)
		}
		add("Path", p, th.base)
		where := fmt.Sprintf("%s, added by layer %d", format.Bytes(f.Bytes), f.Layer)
		if f.HiddenBy >= 0 {
			where += fmt.Sprintf(", removed by layer %d: still ships", f.HiddenBy)
		}
		add("Bytes", where, th.base)
	} else if n != nil {
		add("Path", "/"+n.Path(), th.base)
		what := "file"
		if v := ni.v; v != nil {
			what = v.Type.String()
		}
		add("Kind", fmt.Sprintf("%s · %s · %s", what, format.Bytes(ni.size), changeText(n, ni, from, to)), th.forStatus(ni.st))
		if v := ni.v; v != nil {
			if !v.Deleted && !v.Implicit {
				st := th.base
				if specialBits(v.Mode) != "" {
					st = th.errStyle
				}
				add("Mode", attrLine(v), st)
			}
			if v.Link() != "" {
				add("Link", v.Link(), th.base)
			}
		}
	}
	if n != nil && len(n.Versions()) > 0 {
		out = append(out, line{text: "Versions", style: th.header})
		hashes := a != nil && !a.ContentHashHidden(n.Path())
		vs := n.Versions()
		for i := range vs {
			v := &vs[i]
			state := "visible"
			st := th.added
			switch {
			case v.Deleted:
				state, st = "deleted here", th.removed
			case v.HiddenBy >= 0:
				state, st = fmt.Sprintf("hidden by layer %d", v.HiddenBy), th.removed
			}
			kind := v.Type.String()
			if v.Implicit {
				kind = "dir (implied)"
			}
			digest := ""
			if v.Digest != 0 && hashes {
				digest = fmt.Sprintf(" xxh64:%016x", v.Digest)
			}
			out = append(out, line{
				label: fmt.Sprintf("  L%-3d ", v.Layer), labelStyle: th.dim,
				text: fmt.Sprintf("%s %s%s · %s", kind, format.Bytes(v.Size), digest, state), style: st,
				node: n, version: v,
			})
		}
	}
	if f != nil {
		if f.CreatedBy != "" {
			add("By", analyze.Instruction(f.CreatedBy), th.dim)
		}
		if f.Package != "" {
			add("Package", f.Package, th.base)
		}
		if n == nil || !fromFinding {
			add("Rule", fmt.Sprintf("%s (%s, %s)", f.RuleID, f.Category, f.Severity), th.base)
		}
		add("Why", f.Why, th.base)
		add("Fix", f.Fix, th.base)
	}
	return out
}

// changeText says how the tree's view of n changed between the state after
// layer from and the state after layer to (from -1: the empty filesystem):
// for a path, the layers in that range that wrote (or removed) it ("added in layer 1",
// "modified in layers 2 and 5"), or the layer of the unchanged version; for
// a directory, whose status is its contents', the layers compared.
func changeText(n *fstree.Node, ni nodeInfo, from, to int) string {
	st := ni.st.String()
	switch {
	case ni.st == stUnchanged && ni.v != nil && !ni.dir:
		return fmt.Sprintf("%s since layer %d", st, ni.v.Layer)
	case ni.st == stUnchanged:
		return st
	case ni.dir && from+1 < to:
		return fmt.Sprintf("%s below, in layers %d–%d", st, from+1, to)
	case ni.dir:
		return fmt.Sprintf("%s below, in layer %d", st, to)
	}
	var in []int
	note := func(l int32) {
		if int(l) > from && int(l) <= to && !slices.Contains(in, int(l)) {
			in = append(in, int(l))
		}
	}
	for _, v := range n.Versions() {
		switch {
		case ni.st != stRemoved && !v.Deleted:
			note(v.Layer) // the layers that wrote it
		case ni.st == stRemoved && v.Deleted:
			note(v.Layer) // its whiteout
		case ni.st == stRemoved && v.HiddenBy >= 0:
			note(v.HiddenBy) // an opaque directory or a deleted parent
		}
	}
	slices.Sort(in)
	return st + " in " + layerList(in)
}

// layerList names layers: "layer 3", "layers 2 and 5", "layers 1, 2 and 4".
func layerList(ls []int) string {
	s := make([]string, len(ls))
	for i, l := range ls {
		s[i] = fmt.Sprint(l)
	}
	switch len(s) {
	case 0:
		return "no layer"
	case 1:
		return "layer " + s[0]
	}
	return "layers " + strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

// summaryLines describe the whole image, or only its name while loading.
func summaryLines(th *theme, ref string, a *analyze.Analysis) []line {
	lbl := func(s string) string { return padRight(s, 11) }
	if a == nil {
		return []line{{label: lbl("Image"), text: ref, labelStyle: th.header}}
	}
	m := a.Metrics
	var compressed int64
	for _, l := range a.Image.Layers {
		compressed += l.CompressedSize
	}
	wasteP := 0.0
	if m.LayerBytes > 0 {
		wasteP = 100 * float64(m.WastedBytes) / float64(m.LayerBytes)
	}
	l := a.Leftovers
	leftP := 0.0
	if l.ShippedBytes > 0 {
		leftP = 100 * float64(l.Bytes) / float64(l.ShippedBytes)
	}
	return []line{
		{label: lbl("Size"), labelStyle: th.header, text: fmt.Sprintf("%s in %s", format.Bytes(m.TotalBytes), format.Count(m.Files, "file"))},
		{label: lbl("Layers"), labelStyle: th.header, text: fmt.Sprintf("%s, %s packed", format.Bytes(m.LayerBytes), format.Bytes(compressed))},
		{label: lbl("Wasted"), labelStyle: th.header, text: fmt.Sprintf("%s (%.1f%% of layers)", format.Bytes(m.WastedBytes), wasteP)},
		{label: lbl("Efficiency"), labelStyle: th.header, text: fmt.Sprintf("%.1f%% (as dive counts)", 100*a.Dive.Efficiency)},
		{label: lbl("Leftovers"), labelStyle: th.header, text: fmt.Sprintf("%s in %s (%.1f%% of shipped)", format.Bytes(l.Bytes), format.Count(l.Files, "file"), leftP)},
		{label: lbl("Runtime"), labelStyle: th.header, text: fmt.Sprintf("≈ %s without leftovers and waste", format.Bytes(l.RuntimeBytes))},
		baseLine(th, lbl("Base image"), a),
	}
}

// baseLine splits the image between its base and the user's layers.
func baseLine(th *theme, label string, a *analyze.Analysis) line {
	p := a.Place
	if p == nil || p.Base == nil {
		return line{label: label, labelStyle: th.header, text: "unknown (no --base, --dockerfile, annotation or base CMD in the history)", style: th.dim}
	}
	var baseBytes, ownBytes int64
	for i, l := range a.Image.Layers {
		if p.InBase(i) {
			baseBytes += l.Size
		} else {
			ownBytes += l.Size
		}
	}
	own, base := a.Leftovers.Split(p)
	name := p.Base.Name
	if name == "" {
		name = "(unnamed)"
	}
	return line{label: label, labelStyle: th.header, text: fmt.Sprintf("%s: %s, %s, leftovers %s · yours: %s, leftovers %s",
		name, format.Count(int64(p.Base.Layers), "layer"), format.Bytes(baseBytes), format.Bytes(base.Bytes), format.Bytes(ownBytes), format.Bytes(own.Bytes))}
}
