package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"unicode/utf8"

	"github.com/stagescope/stagescope/analyze"
	"github.com/stagescope/stagescope/analyze/secrets"
	"github.com/stagescope/stagescope/layers"
	"github.com/stagescope/stagescope/ui"
)

// runTUI opens the interactive browser at once and reads the image behind
// it, layer by layer. Findings the user ignores stay out of it (o.ignore).
func runTUI(ctx context.Context, o *inspectOptions, s *streams) error {
	opts := []ui.Option{ui.WithKeys(o.Gate.Keys)}
	if os.Getenv("NO_COLOR") != "" {
		opts = append(opts, ui.WithoutColor())
	}
	// STAGESCOPE_TIMELINE=FILE: when the first frame, the first tree and
	// the whole analysis were on the screen (bench/tui.sh reads it).
	if p := os.Getenv("STAGESCOPE_TIMELINE"); p != "" {
		f, err := os.Create(p)
		if err != nil {
			return fmt.Errorf("STAGESCOPE_TIMELINE: %w", err)
		}
		defer func() { _ = f.Close() }()
		opts = append(opts, ui.WithTimeline(f, processStart))
	}
	// The layer cache serves the browser as it serves -o json: a layer
	// read before, by either, is not read again. What it warns about
	// while the browser holds the terminal is said once the browser
	// closes (ui.Run returns only after the loader has).
	var cacheWarnings bytes.Buffer
	c, closeCache, err := o.Fleet.openCache(ctx, &cacheWarnings)
	if err != nil {
		return err
	}
	_, _ = cacheWarnings.WriteTo(s.ErrOut) // before the browser opens: said at once
	defer func() {
		closeCache()
		_, _ = s.ErrOut.Write(cacheWarnings.Bytes())
	}()
	return ui.Run(ctx, o.Ref, func(ctx context.Context, ev *ui.Events) (*analyze.Analysis, error) {
		// Layers merge as they stream in, as for -o json: the tree is
		// ready when the last layer is read, not after a second pass.
		// The browser shows the tree of the layers merged so far.
		o.merged = ev.Merged
		// Before any layer is merged, the tree of the first layer's
		// entries read so far: a large first layer shows while it is read.
		o.partial, o.partialEvery = ev.Partial, ui.PartialEvery
		// Files of the layers read so far open while the rest stream.
		o.loaded = func(src *layers.Source) {
			ev.Files(func(ctx context.Context, layer int, path string, limit int64) ([]byte, int64, error) {
				data, size, err := layers.ReadFile(ctx, src.Image, layer, path, limit)
				if err == nil && utf8.Valid(data) && bytes.IndexByte(data, 0) < 0 {
					data = []byte(secrets.RedactText(string(data))) // text: secrets redacted
				}
				return data, size, err
			})
		}
		a, _, err := analyzeRef(ctx, o, s, layers.WithCache(c), layers.WithProgress(ev.Progress), layers.WithLayerDone(func(l layers.Layer) {
			// Shown before the whole scan is done: redacted on its own.
			l.CreatedBy = secrets.RedactText(l.CreatedBy)
			ev.LayerDone(l)
		}))
		if err != nil {
			return nil, err
		}
		return a, nil
	}, opts...)
}
