package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"github.com/stagescope/stagescope/analyze"
	"github.com/stagescope/stagescope/analyze/diff"
	"github.com/stagescope/stagescope/analyze/report"
	"github.com/stagescope/stagescope/internal/format"
	"github.com/stagescope/stagescope/layers"
	"github.com/stagescope/stagescope/ui"
)

// diffOptions are the flags of `stagescope diff`.
type diffOptions struct {
	RefA, RefB string
	Output     string
	sourceOptions
	MaxPaths int
	// Config names the config file whose ignore list (and secrets
	// allowlist) applies, as for inspect; Ignore adds to it.
	Config string
	Ignore []string
	// WorkDir is where the config file is looked for; "" is the working
	// directory.
	WorkDir string
}

func newDiffCmd(s *streams, runF func(context.Context, *diffOptions, *streams) error) *cobra.Command {
	o := &diffOptions{}
	cmd := &cobra.Command{
		Use:   "diff A B",
		Short: "Compare two images: sizes, leftovers and files",
		Long: `Compare two images, A and B: their sizes, leftover bytes by category, the files
only A has, only B has, or both have with different contents, and the bytes B
saves over A. Typically A is the single-stage build and B its multi-stage
rewrite: the comparison shows what the rewrite paid.

A and B are any two REFs, of any sources (see "stagescope inspect --help").
Layers the two images share (same diff ID) are read once. The config file's
ignore list (.stagescope.yaml, else .dive-ci, or --config) and --ignore apply
to both images, as they do for inspect.`,
		Example: `  # what did the multi-stage rewrite save?
  stagescope diff app:naive app:multi

  # as JSON, every differing path listed
  stagescope diff -o json --max-paths 0 naive.tar oci:./multi-layout > diff.json`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.RefA, o.RefB = args[0], args[1]
			if runF != nil {
				return runF(cmd.Context(), o, s)
			}
			return runDiff(cmd.Context(), o, s)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Output, "output", "o", "text", "output format: text or json")
	o.addFlags(f) // the shared source flags
	f.IntVar(&o.MaxPaths, "max-paths", 20, "largest paths listed per kind of change; 0 lists all")
	f.StringVar(&o.Config, "config", "", "config file whose ignore list applies (default: .stagescope.yaml, else dive's .dive-ci, in the working directory)")
	addIgnoreFlag(f, &o.Ignore)
	registerRuleCompletions(cmd)
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func (o *diffOptions) validate() error {
	switch o.Output {
	case "text", "json":
	default:
		return fmt.Errorf("unknown output format %q (want text or json)", o.Output)
	}
	if o.MaxPaths < 0 {
		return fmt.Errorf("--max-paths must not be negative, got %d", o.MaxPaths)
	}
	return o.sourceOptions.validate()
}

func runDiff(ctx context.Context, o *diffOptions, s *streams) error {
	if err := o.validate(); err != nil {
		return err
	}
	o.streamsFor(s)
	// The config's ignore list and secrets allowlist, with --ignore: what
	// inspect leaves out, diff leaves out too. Its thresholds gate nothing
	// here.
	g := gateOptions{Config: o.Config, WorkDir: o.WorkDir}
	th, err := g.thresholds()
	if err != nil {
		return err
	}
	for _, w := range g.Warnings {
		fmt.Fprintf(s.ErrOut, "stagescope: warning: %s\n", w)
	}
	if err := addIgnores(&th.Ignore, o.Ignore); err != nil {
		return err
	}
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, o.Timeout, fmt.Errorf("timed out after %s (--timeout)", o.Timeout))
		defer cancel()
	}
	a, b, srcA, srcB, err := analyzePair(ctx, o, s, analyze.WithIgnore(th.Ignore), analyze.WithSecretAllowlist(th.SecretAllow))
	if err != nil {
		if cause := context.Cause(ctx); cause != nil && ctx.Err() != nil {
			return cause
		}
		return err
	}
	warnUnmatched(s.ErrOut, o.Ignore, a.UnmatchedIgnores, b.UnmatchedIgnores)
	flags := trimIgnores(o.Ignore)
	da, db := a.DiffInput(flags), b.DiffInput(flags)
	rep := diff.NewReport(da, db, diff.Compare(da, db), diff.ReportOptions{
		ToolVersion: version,
		A:           report.Options{Reference: srcA.Reference, Source: string(srcA.Kind)},
		B:           report.Options{Reference: srcB.Reference, Source: string(srcB.Kind)},
		MaxPaths:    o.MaxPaths,
	})
	if o.Output == "json" {
		return writeJSON(s.Out, rep)
	}
	return writeDiffText(s.Out, rep, s.Width)
}

// analyzePair loads both images first, so that a bad second reference fails
// before any layer is read, then reads A, then B without the layers it
// shares with A.
func analyzePair(ctx context.Context, o *diffOptions, s *streams, opts ...analyze.Option) (a, b *analyze.Analysis, srcA, srcB *layers.Source, err error) {
	// Errors say which side failed: the two references may look alike.
	if srcA, err = layers.Load(ctx, o.RefA, o.loadOptions()...); err != nil {
		return nil, nil, nil, nil, fmt.Errorf("image A: %w", err)
	}
	if srcB, err = layers.Load(ctx, o.RefB, o.loadOptions()...); err != nil {
		return nil, nil, nil, nil, fmt.Errorf("image B: %w", err)
	}
	opts = slices.Concat(opts, o.analyzeOptions())
	ro := analyze.WithReadOptions(o.readOptions(s, true)...)
	// Each image's layers are mapped to its history (no --dockerfile here).
	var place placeOptions
	if a, err = analyze.Read(ctx, srcA, slices.Concat(opts, []analyze.Option{ro, analyze.KeepLayers()})...); err != nil {
		return nil, nil, nil, nil, fmt.Errorf("image A: %w", analyze.RefError(o.RefA, err))
	}
	if err = place.locate(ctx, a, o.loadOptions()); err != nil {
		return nil, nil, nil, nil, fmt.Errorf("image A: %w", err)
	}
	if b, err = analyze.Read(ctx, srcB, slices.Concat(opts, []analyze.Option{ro, analyze.WithSharedLayers(a)})...); err != nil {
		return nil, nil, nil, nil, fmt.Errorf("image B: %w", analyze.RefError(o.RefB, err))
	}
	if err = place.locate(ctx, b, o.loadOptions()); err != nil {
		return nil, nil, nil, nil, fmt.Errorf("image B: %w", err)
	}
	return a, b, srcA, srcB, nil
}

// savedStr shows what B saves over A, with the share of A it is.
func savedStr(saved, of int64) string {
	s := format.Bytes(saved)
	if of > 0 && saved != 0 {
		s += fmt.Sprintf(" (%.1f%%)", 100*float64(saved)/float64(of))
	}
	return s
}

func writeDiffText(out io.Writer, r *diff.Report, width int) error {
	w := bufio.NewWriter(out)
	fmt.Fprintf(w, "A  %s (%s), %s\n", ui.Escape(r.A.Image.Reference), r.A.Image.Source, format.Count(int64(r.A.Layers), "layer"))
	fmt.Fprintf(w, "B  %s (%s), %s\n", ui.Escape(r.B.Image.Reference), r.B.Image.Source, format.Count(int64(r.B.Layers), "layer"))
	fmt.Fprintf(w, "Shared layers: %d (%s), read once\n", r.SharedLayers.Layers, format.Bytes(r.SharedLayers.Bytes))
	for _, side := range []struct {
		name string
		ss   []report.SuppressedJSON
	}{{"A", r.A.Suppressed}, {"B", r.B.Suppressed}} {
		if line := suppressedLine(side.ss); line != "" {
			fmt.Fprintf(w, "Suppressed in %s: %s\n", side.name, fit(line, width, 17))
		}
	}
	fmt.Fprintln(w)

	// Names left-aligned (padded to one width), numbers right-aligned.
	nameWidth := len("visible files")
	for _, c := range r.Categories {
		nameWidth = max(nameWidth, 2+len(c.Category))
	}
	pad := func(s string) string { return fmt.Sprintf("%-*s", nameWidth, s) }
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s\tA\tB\tB saves\t\n", pad(""))
	row := func(name string, a, b, saved int64) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", pad(name), format.Bytes(a), format.Bytes(b), savedStr(saved, a))
	}
	row("image size", r.A.LayerBytes, r.B.LayerBytes, r.Saved.LayerBytes)
	row("compressed", r.A.CompressedBytes, r.B.CompressedBytes, r.Saved.CompressedBytes)
	row("visible files", r.A.TotalBytes, r.B.TotalBytes, r.Saved.TotalBytes)
	row("wasted", r.A.WastedBytes, r.B.WastedBytes, r.Saved.WastedBytes)
	row("leftovers", r.A.LeftoverBytes, r.B.LeftoverBytes, r.Saved.LeftoverBytes)
	fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", pad("file count"), humanize.Comma(r.A.Files), humanize.Comma(r.B.Files), humanize.Comma(r.Saved.Files))
	for _, c := range r.Categories {
		if c.A == 0 && c.B == 0 {
			continue
		}
		row("  "+string(c.Category), c.A, c.B, c.Saved)
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	list := func(title string, l diff.PathList, bytesOf func(diff.PathDiffJSON) string, total string) error {
		fmt.Fprintf(w, "\n%s: %s, %s", title, format.Count(l.Files, "file"), total)
		if l.Truncated {
			fmt.Fprintf(w, " (largest %d shown)", len(l.Paths))
		}
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, p := range l.Paths {
			fmt.Fprintf(tw, "  %s\t%s\n", bytesOf(p), fit(ui.Escape(p.Path), width, 24))
		}
		return tw.Flush()
	}
	if err := list("Only in A", r.OnlyInA, func(p diff.PathDiffJSON) string { return format.Bytes(p.ABytes) }, format.Bytes(r.OnlyInA.ABytes)); err != nil {
		return err
	}
	if err := list("Only in B", r.OnlyInB, func(p diff.PathDiffJSON) string { return format.Bytes(p.BBytes) }, format.Bytes(r.OnlyInB.BBytes)); err != nil {
		return err
	}
	if err := list("Changed", r.Changed, func(p diff.PathDiffJSON) string {
		return format.Bytes(p.ABytes) + " -> " + format.Bytes(p.BBytes)
	}, format.Bytes(r.Changed.ABytes)+" in A, "+format.Bytes(r.Changed.BBytes)+" in B"); err != nil {
		return err
	}
	return w.Flush()
}
