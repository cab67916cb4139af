package ui

import (
	"fmt"
	"io"
	"time"
)

// WithTimeline writes to w, as each first happens, how long after start
// the browser reached it: "run" (Run called), "paint" (the first frame
// drawn), "tree" (the first frame whose Files pane holds real entries),
// "whole" (the first with the tree of every layer) and "ready" (the first
// with the whole tree and the findings), one
// "EVENT MS" line each. A frame counts once tcell has written it to the
// terminal (after the draw), so bench/tui.sh reads when each state was on
// the screen by the program's own clock, without the cost and lag of
// polling the terminal.
func WithTimeline(w io.Writer, start time.Time) Option {
	return func(o *options) error {
		o.timeline = &timeline{w: w, start: start, seen: map[string]bool{}}
		return nil
	}
}

type timeline struct {
	w     io.Writer
	start time.Time
	seen  map[string]bool
}

// mark records event the first time it happens; a nil timeline does
// nothing. It runs on the UI goroutine only.
func (t *timeline) mark(event string) {
	if t == nil || t.seen[event] {
		return
	}
	t.seen[event] = true
	_, _ = fmt.Fprintf(t.w, "%s %d\n", event, time.Since(t.start).Milliseconds())
}

// markTimeline records what the frame just drawn shows.
func (b *Browser) markTimeline() {
	t := b.o.timeline
	if t == nil {
		return
	}
	t.mark("paint")
	if tr := b.tree.m.tree; tr != nil && len(b.tree.m.Rows()) > 0 {
		t.mark("tree")
		if n := b.layerCount.Load(); n > 0 && int64(tr.Layers) == n && b.previewEntries == 0 {
			t.mark("whole")
		}
	}
	if b.phase == phaseReady {
		t.mark("ready")
	}
}
