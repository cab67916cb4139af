package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"unicode/utf8"

	"github.com/stagescope/stagescope/analyze/dockerfile"
	"github.com/stagescope/stagescope/analyze/report"
	"github.com/stagescope/stagescope/internal/format"
	"github.com/stagescope/stagescope/ui"
)

// writeBaseText writes the two lines that split the image between its
// base and the user's layers, or says that the base is unknown.
func writeBaseText(w io.Writer, r *report.Report) {
	b := r.Image.Base
	if b == nil {
		fmt.Fprintf(w, "Base image  unknown: no --base, --dockerfile or base annotation, and no CMD/ENTRYPOINT in the history to tell where it ends\n")
		return
	}
	var baseBytes, ownBytes int64
	for _, l := range r.Layers {
		if l.InBase {
			baseBytes += l.Size
		} else {
			ownBytes += l.Size
		}
	}
	name := b.Name
	if name == "" {
		name = "(unnamed)"
	}
	lo := r.Leftovers
	fmt.Fprintf(w, "Base image  %s: %s, %s, leftovers %s (fix: a slimmer base, or clean it in your first RUN); found by %s\n",
		ui.Escape(name), layerRange(0, b.Layers), format.Bytes(baseBytes), format.Bytes(lo.Base.Bytes), b.DetectedBy)
	fmt.Fprintf(w, "Your layers %s, %s, leftovers %s\n", layerRange(b.Layers, len(r.Layers)), format.Bytes(ownBytes), format.Bytes(lo.Own.Bytes))
}

// layerRange names layers [from, to).
func layerRange(from, to int) string {
	switch {
	case to <= from:
		return "no layers"
	case to-from == 1:
		return "layer " + strconv.Itoa(from)
	}
	return fmt.Sprintf("layers %d–%d", from, to-1)
}

// lineColumn is the Layers table's Dockerfile column: one cell per layer,
// all empty (and no column) when no layer maps to a line.
type lineColumn struct {
	title string
	cells []string
	width int // runes of the widest cell and its gap; 0 without a column
}

// cell is layer i's cell padded to the column's width.
func (c *lineColumn) cell(i int) string { return fmt.Sprintf("%-*s", c.width, c.cells[i]) }

// layerLines names, for each layer, the Dockerfile lines that made it
// ("Dockerfile:4-5", the file's base name, escaped), "base" for the base
// image's layers and "?" for a layer of the user's that maps to no line.
func layerLines(r *report.Report) lineColumn {
	c := lineColumn{cells: make([]string, len(r.Layers))}
	mapped := false
	for i, l := range r.Layers {
		switch d := l.Dockerfile; {
		case d != nil:
			mapped = true
			c.cells[i] = ui.Escape(filepath.Base(d.Path)) + ":" + dockerfile.LineRange(d.StartLine, d.EndLine)
		case l.InBase:
			c.cells[i] = "base"
		default:
			c.cells[i] = "?"
		}
	}
	if !mapped {
		return lineColumn{cells: make([]string, len(r.Layers))}
	}
	c.title = "line"
	for _, s := range append(c.cells, c.title) {
		c.width = max(c.width, utf8.RuneCountInString(s)+2)
	}
	return c
}
