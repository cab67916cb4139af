package main

import (
	"fmt"
	"io"
	"strconv"

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
