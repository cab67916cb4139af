package ui

import (
	"fmt"
	"slices"

	"github.com/dustin/go-humanize"
	"github.com/gdamore/tcell/v2"

	"github.com/stagescope/stagescope/analyze"
	"github.com/stagescope/stagescope/analyze/dockerfile"
	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/analyze/leftovers"
	"github.com/stagescope/stagescope/internal/format"
	"github.com/stagescope/stagescope/layers"
)

// layerInfo is what the layers pane knows of a layer.
type layerInfo struct {
	done bool
	meta layers.Layer // without entries
}

// layersPane lists the image's layers as they are read. Moving its cursor
// picks the layer the tree shows.
type layersPane struct {
	*listView
	th        *theme
	layers    []layerInfo
	done      int
	picked    bool                // the user chose a layer while loading
	stats     []fstree.LayerStats // what each layer changed, once measured
	place     *leftovers.Place    // the base boundary and Dockerfile lines, once analysed
	cmdOffset int                 // runes of the commands scrolled off to the left
	// onPick shows layer i in the tree; onEnter moves to the tree.
	onPick func(i int)
}

func newLayersPane(th *theme) *layersPane {
	p := &layersPane{listView: newListView(th, "Layers", true), th: th}
	p.count = func() int { return len(p.layers) }
	p.header = func(screen tcell.Screen, x, y, w int) {
		cols := layerCols
		if lw := p.lineWidth(); lw > 0 {
			cols += padRight("Line", lw)
		}
		drawText(screen, x, y, w, cols+"Command", th.header)
	}
	p.drawRow = p.drawLayerRow
	p.empty = func() string { return "opening the image…" }
	p.onMove = func(i int) {
		p.picked = true
		if p.onPick != nil {
			p.onPick(i)
		}
	}
	p.title = p.makeTitle
	return p
}

// keys are the layers pane's own actions.
func (p *layersPane) keys() []binding {
	return []binding{
		{action: "show-files", keys: []key{special(tcell.KeyEnter)}, where: paneLayers, bar: "files", help: "show the selected layer's files", do: func() { p.onEnter(p.sel) }},
		{action: "scroll-right", keys: []key{special(tcell.KeyRight), ch('l')}, where: paneLayers, bar: "scroll", help: "scroll the commands right (the whole command is in Details)", do: func() { p.scrollCommands(8) }},
		{action: "scroll-left", keys: []key{special(tcell.KeyLeft), ch('h')}, where: paneLayers, help: "scroll the commands left", do: func() { p.scrollCommands(-8) }},
	}
}

// grow makes room for n layers.
func (p *layersPane) grow(n int) {
	if len(p.layers) < n {
		p.layers = append(p.layers, make([]layerInfo, n-len(p.layers))...)
	}
}

// add records a layer read to the end.
func (p *layersPane) add(l layers.Layer) {
	p.grow(l.Index + 1)
	if !p.layers[l.Index].done {
		p.done++
	}
	p.layers[l.Index] = layerInfo{done: true, meta: l}
}

// setImage takes every layer of the analysed image and what each changed.
func (p *layersPane) setImage(a *analyze.Analysis) {
	p.layers = make([]layerInfo, len(a.Image.Layers))
	for i, l := range a.Image.Layers {
		l.Entries, l.Files = nil, nil
		p.layers[i] = layerInfo{done: true, meta: l}
	}
	p.done = len(p.layers)
	p.stats = a.Metrics.Layers
	p.place = a.Place
}

func (p *layersPane) makeTitle() string {
	l := "Layers"
	if n := len(p.layers); n > 0 && p.done < n {
		l += fmt.Sprintf(" · %d of %d read", p.done, n)
	}
	return l
}

const layerCols = "  #     Size   Added    Mod    Rem  "

// lineCell is the Dockerfile line of layer i for its row: "4" or "4-5",
// "base" for the base image's layers, "?" for a layer of the user's that
// maps to no line.
func (p *layersPane) lineCell(i int) string {
	switch {
	case i < len(p.place.Layers) && p.place.Layers[i] != nil:
		return p.place.Layers[i].Lines()
	case p.place.InBase(i):
		return "base"
	}
	return "?"
}

// lineWidth is the width of the Line column, gap included: 0 when no
// layer maps to a Dockerfile line.
func (p *layersPane) lineWidth() int {
	if p.place == nil || !slices.ContainsFunc(p.place.Layers, func(l *dockerfile.Location) bool { return l != nil }) {
		return 0
	}
	w := len("Line")
	for i := range p.layers {
		w = max(w, width(p.lineCell(i)))
	}
	return w + 2
}

func (p *layersPane) drawLayerRow(screen tcell.Screen, i, x, y, w int, hl func(tcell.Style) tcell.Style) {
	li := p.layers[i]
	size, add, mod, rem := "…", "", "", ""
	if li.done {
		size = format.Bytes(li.meta.Size)
	}
	if i < len(p.stats) {
		s := p.stats[i]
		add, mod, rem = fmt.Sprint(s.Added.Files), fmt.Sprint(s.Modified.Files), fmt.Sprint(s.Removed.Files)
	}
	cmd := ""
	if li.done {
		cmd = analyze.Instruction(li.meta.CreatedBy)
		if r := []rune(cmd); p.cmdOffset > 0 {
			cmd = "…" + string(r[min(p.cmdOffset, len(r)):])
		}
	}
	th := p.th
	mark := " "
	switch {
	case p.place.InBase(i) && !p.place.InBase(i+1):
		mark = "┘" // the base image's last layer: the boundary
	case p.place.InBase(i):
		mark = "│"
	}
	segs := []seg{
		{padLeft(fmt.Sprint(i), 3) + mark, hl(th.header)},
		{padLeft(size, 8) + " ", hl(th.base)},
		{padLeft(add, 7) + " ", hl(th.added)},
		{padLeft(mod, 6) + " ", hl(th.modified)},
		{padLeft(rem, 6) + "  ", hl(th.removed)},
	}
	if lw := p.lineWidth(); lw > 0 {
		segs = append(segs, seg{padRight(p.lineCell(i), lw), hl(th.header)})
	}
	drawSegs(screen, x, y, w, append(segs, seg{cmd, hl(th.base)}))
}

// scrollCommands shifts the command column by d runes, up to the end of
// the longest command.
func (p *layersPane) scrollCommands(d int) {
	longest := 0
	for _, li := range p.layers {
		longest = max(longest, len([]rune(analyze.Instruction(li.meta.CreatedBy))))
	}
	p.cmdOffset = max(0, min(p.cmdOffset+d, longest-8))
}

// step moves the cursor d layers.
func (p *layersPane) step(d int) {
	if len(p.layers) == 0 {
		return
	}
	p.selectRow(p.sel + d)
}

func (p *layersPane) label(s string) string { return padRight(s, 9) }

// layerOrdinal names layer i (indexes count from 0, as the # column and
// every report do) of n: "6 (the 7th of 7)", never the off-by-one "6 of 7".
func layerOrdinal(i, n int) string {
	return fmt.Sprintf("%d (the %s of %d)", i, humanize.Ordinal(i+1), n)
}

// describe is what Details shows of the selected layer.
func (p *layersPane) describe() []line {
	i := p.sel
	if i < 0 || i >= len(p.layers) || !p.layers[i].done {
		return []line{{text: "reading this layer…", style: p.th.dim}}
	}
	th := p.th
	l := p.layers[i].meta
	out := []line{
		{label: p.label("Layer"), labelStyle: th.header, text: layerOrdinal(i, len(p.layers))},
		{label: p.label("Size"), labelStyle: th.header, text: fmt.Sprintf("%s (%s compressed) · %s", format.Bytes(l.Size), format.Bytes(l.CompressedSize), format.Count(int64(l.EntryCount), "entry"))},
	}
	if i < len(p.stats) {
		s := p.stats[i]
		out = append(out, line{label: p.label("Changes"), labelStyle: th.header, text: fmt.Sprintf("+%s %s · ~%s %s · -%s %s",
			format.Count(s.Added.Files, "file"), format.Bytes(s.Added.Bytes), format.Count(s.Modified.Files, "file"), format.Bytes(s.Modified.Bytes), format.Count(s.Removed.Files, "file"), format.Bytes(s.Removed.Bytes))})
	}
	out = append(out,
		line{label: p.label("Command"), labelStyle: th.header, text: analyze.Instruction(l.CreatedBy)},
	)
	if b := p.place; b != nil && b.Base != nil {
		whose := "yours (above the base image)"
		if b.InBase(i) {
			whose = "the base image's " + b.Base.Name
		}
		out = append(out, line{label: p.label("Origin"), labelStyle: th.header, text: whose + " · base found by " + b.Base.DetectedBy})
	}
	if loc := p.place.Line(i); loc != nil {
		out = append(out, line{label: p.label("Dockerfile"), labelStyle: th.header, text: fmt.Sprintf("%s:%d-%d (stage %s) %s", loc.Path, loc.StartLine, loc.EndLine, loc.Stage, loc.Instruction)})
	}
	out = append(out,
		line{label: p.label("Digest"), labelStyle: th.header, text: l.Digest, style: th.dim},
		line{label: p.label("DiffID"), labelStyle: th.header, text: l.DiffID, style: th.dim},
	)
	if l.MediaType != "" {
		out = append(out, line{label: p.label("Type"), labelStyle: th.header, text: l.MediaType, style: th.dim})
	}
	return out
}
