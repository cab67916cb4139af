package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aymanbagabas/go-udiff"
	"github.com/spf13/cobra"

	"github.com/stagescope/stagescope/analyze"
	"github.com/stagescope/stagescope/analyze/report"
	"github.com/stagescope/stagescope/analyze/rewrite"
	"github.com/stagescope/stagescope/layers"
	"github.com/stagescope/stagescope/ui"
)

var fixFormats = []string{"dockerfile", "diff", "json"}

func newFixCmd(s *streams, runF func(context.Context, *inspectOptions, *streams) error) *cobra.Command {
	o := &inspectOptions{}
	cmd := &cobra.Command{
		Use:   "fix --dockerfile PATH IMAGE",
		Short: "Rewrite your Dockerfile into a multi-stage build (builder → runner)",
		Long: `Rewrite the Dockerfile that built IMAGE into a builder → runner multi-stage build.

The builder keeps your base, your build steps, your comments and their order; the
runner starts from the base's slim variant when it exists (scratch for a static Go
binary) and copies in only the runtime files the image really uses, with the
production dependencies installed and the package caches cleaned in the same RUN.
Secrets your Dockerfile COPYs are no longer copied: mount them with
RUN --mount=type=secret where a build step needs them.

Ecosystems: Node (npm, yarn, pnpm; Next.js output: "standalone"), Go, Rust,
C/C++ (make, cmake) and Python (pip, venv, poetry). For anything else stagescope
prints its generic multi-stage skeleton and says so.

IMAGE is any reference inspect reads. Notes go to stderr.`,
		Example: `  # the rewritten Dockerfile
  stagescope fix --dockerfile Dockerfile app.tar > Dockerfile.multi

  # as a unified diff against your Dockerfile
  stagescope fix --dockerfile Dockerfile -o diff app.tar

  # the JSON report, with suggestion.dockerfile the rewrite
  stagescope fix --dockerfile Dockerfile -o json app.tar`,
		Args: needRef,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Ref = args[0]
			if runF != nil {
				return runF(cmd.Context(), o, s)
			}
			return runFix(cmd.Context(), o, s)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Output, "output", "o", "dockerfile", "output format: dockerfile, diff (unified, against --dockerfile) or json")
	o.addFlags(f)
	o.Place.addFlags(f)
	_ = cmd.MarkFlagRequired("dockerfile")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(fixFormats, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// existsTimeout bounds the look-up of a slim variant of the base.
const existsTimeout = 10 * time.Second

func runFix(ctx context.Context, o *inspectOptions, s *streams) error {
	switch o.Output {
	case "dockerfile", "diff", "json":
	default:
		return fmt.Errorf("unknown output format %q (want one of dockerfile, diff, json)", o.Output)
	}
	o.streamsFor(s)
	if err := o.sourceOptions.validate(); err != nil {
		return err
	}
	if err := o.Place.prepare(); err != nil {
		return err
	}
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, o.Timeout, fmt.Errorf("timed out after %s (--timeout)", o.Timeout))
		defer cancel()
	}
	a, src, err := analyzeRef(ctx, o, s)
	if err != nil {
		if cause := context.Cause(ctx); cause != nil && ctx.Err() != nil {
			return cause
		}
		return err
	}
	for _, n := range a.Place.Notes {
		fmt.Fprintf(s.ErrOut, "stagescope: warning: %s\n", ui.Escape(n))
	}
	lo := o.loadOptions()
	exists := func(ref string) bool {
		ctx, cancel := context.WithTimeout(ctx, existsTimeout)
		defer cancel()
		_, err := layers.Load(ctx, ref, lo...)
		return err == nil
	}
	res, err := analyze.Fix(a, o.Place.file, o.Place.Target, exists)
	rep := analyze.NewReport(a, report.Options{ToolVersion: version, Reference: src.Reference, Source: string(src.Kind)})
	releaseTree(a)
	switch {
	case errors.Is(err, analyze.ErrNothingToFix):
		fmt.Fprintf(s.ErrOut, "stagescope: %s\n", err)
		if o.Output == "json" {
			return writeJSON(s.Out, rep)
		}
		return nil
	case errors.Is(err, rewrite.ErrUnsupported):
		fmt.Fprintf(s.ErrOut, "stagescope: no rewrite of %s for this image (%s): here is the generic multi-stage skeleton instead, to adapt by hand\n", o.Place.Dockerfile, rep.Suggestion.Ecosystem)
		if o.Output == "json" {
			return writeJSON(s.Out, rep)
		}
		_, err := io.WriteString(s.Out, rep.Suggestion.Dockerfile)
		return err
	case err != nil:
		return err
	}
	rep.UseRewrite(o.Place.Dockerfile, res)
	for _, n := range res.Notes {
		fmt.Fprintf(s.ErrOut, "stagescope: note: %s\n", ui.Escape(n))
	}
	switch o.Output {
	case "json":
		return writeJSON(s.Out, rep)
	case "diff":
		orig := string(o.Place.file.Source)
		_, err := io.WriteString(s.Out, udiff.Unified(o.Place.Dockerfile, o.Place.Dockerfile+" (stagescope fix)", orig, res.Dockerfile))
		return err
	}
	_, err = io.WriteString(s.Out, res.Dockerfile)
	return err
}
