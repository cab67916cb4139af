package main

import (
	"context"
	"os"

	"github.com/stagescope/stagescope/analyze"
	"github.com/stagescope/stagescope/analyze/secrets"
	"github.com/stagescope/stagescope/layers"
	"github.com/stagescope/stagescope/ui"
)

// runTUI opens the interactive browser at once and reads the image behind
// it, layer by layer. Findings the user ignores stay out of it (o.ignore).
func runTUI(ctx context.Context, o *inspectOptions, s *streams) error {
	var opts []ui.Option
	if os.Getenv("NO_COLOR") != "" {
		opts = append(opts, ui.WithoutColor())
	}
	return ui.Run(ctx, o.Ref, func(ctx context.Context, ev *ui.Events) (*analyze.Analysis, error) {
		// Layers merge as they stream in, as for -o json: the tree is
		// ready when the last layer is read, not after a second pass.
		// The browser shows the tree of the layers merged so far.
		o.merged = ev.Merged
		a, _, err := analyzeRef(ctx, o, s, layers.WithProgress(ev.Progress), layers.WithLayerDone(func(l layers.Layer) {
			// Shown before the whole scan is done: redacted on its own.
			l.CreatedBy = secrets.RedactText(l.CreatedBy)
			ev.LayerDone(l)
		}))
		return a, err
	}, opts...)
}
