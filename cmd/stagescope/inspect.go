package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	json "github.com/goccy/go-json"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/stagescope/stagescope/analyze"
	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/analyze/gate"
	"github.com/stagescope/stagescope/analyze/report"
	"github.com/stagescope/stagescope/analyze/rules"
	"github.com/stagescope/stagescope/analyze/sbom"
	"github.com/stagescope/stagescope/analyze/secrets"
	"github.com/stagescope/stagescope/internal/format"
	"github.com/stagescope/stagescope/layers"
	"github.com/stagescope/stagescope/ui"
)

// inspectOptions are the flags of `stagescope inspect`.
// sourceOptions are the flags that say how images are found and read,
// shared by every command that reads images.
type sourceOptions struct {
	Platform   string
	Insecure   bool
	NoDaemon   bool
	Parallel   int
	MaxEntries int
	MaxDirs    int
	MaxRatio   int64
	Timeout    time.Duration
	Stall      time.Duration
	// NoSecretScan skips searching file contents for secrets (the config
	// is still searched, and what it holds redacted).
	NoSecretScan bool
	// stdin is what the reference "-" reads: standard input unless it is
	// a terminal (see streamsFor).
	stdin io.Reader
}

// streamsFor lets "-" read standard input when it is not a terminal.
func (o *sourceOptions) streamsFor(s *streams) {
	if !s.InTTY {
		o.stdin = s.In
	}
}

func (o *sourceOptions) addFlags(f *pflag.FlagSet) {
	f.StringVar(&o.Platform, "platform", "", "platform to pick from a multi-platform image, os/arch[/variant] (default: the host's)")
	f.BoolVar(&o.Insecure, "insecure", false, "allow plain-HTTP registries (e.g. one on loopback) and certificates that do not verify")
	f.BoolVar(&o.NoDaemon, "no-daemon", false, "never ask a local engine; read references from the registry")
	f.IntVar(&o.Parallel, "parallel", 0, "layers read at once (default: number of CPUs)")
	f.IntVar(&o.MaxEntries, "max-entries", layers.DefaultMaxEntries, "most tar entries one layer may have")
	f.IntVar(&o.MaxDirs, "max-dirs", layers.DefaultMaxDirs, "most directories one layer's paths may imply without listing them (deep-path bombs)")
	f.Int64Var(&o.MaxRatio, "max-ratio", layers.DefaultMaxRatio, "most times a layer may expand beyond its blob after 256 MiB (decompression bombs); 0: no limit")
	f.BoolVar(&o.NoSecretScan, "no-secret-scan", false, "do not search file contents (every layer version, .git objects) for secrets; the image config is still searched and redacted")
	f.DurationVar(&o.Timeout, "timeout", 0, "give up after this long (e.g. 5m); 0 means no limit")
	f.DurationVar(&o.Stall, "stall-timeout", layers.DefaultStallTimeout, "fail when a registry sends less than 1 KiB in this long of waiting; 0 means no limit (apart from --timeout)")
}

// analyzeOptions are what the source flags say about the analysis, for
// every command that reads images (inspect, the browser, fix, fleets and
// diff).
func (o *sourceOptions) analyzeOptions() []analyze.Option {
	opts := []analyze.Option{analyze.AfterMerge(collectGarbage)}
	if o.NoSecretScan {
		opts = append(opts, analyze.WithoutSecretScan())
	}
	return opts
}

func (o *sourceOptions) validate() error {
	if o.Parallel < 0 {
		return fmt.Errorf("--parallel must not be negative, got %d", o.Parallel)
	}
	if o.MaxEntries < 1 {
		return fmt.Errorf("--max-entries must be at least 1, got %d", o.MaxEntries)
	}
	if o.MaxDirs < 1 {
		return fmt.Errorf("--max-dirs must be at least 1, got %d", o.MaxDirs)
	}
	if o.MaxRatio < 0 {
		return fmt.Errorf("--max-ratio must not be negative, got %d", o.MaxRatio)
	}
	if o.Timeout < 0 {
		return fmt.Errorf("--timeout must not be negative, got %s", o.Timeout)
	}
	if o.Stall < 0 {
		return fmt.Errorf("--stall-timeout must not be negative, got %s", o.Stall)
	}
	return nil
}

type inspectOptions struct {
	Ref  string
	Refs []string // every REF argument; Ref is the first
	// Outputs are the -o values; validate sets Output, the format written
	// to stdout ("" for none), and files, those written to files.
	Outputs []string
	Output  string
	files   []output
	Fleet   fleetOptions
	sourceOptions
	Gate gateOptions
	// Ignore silences leftover rules (by ID) and paths (by glob).
	Ignore []string
	ignore rules.Ignore // Ignore with the gate's ignore list, parsed
	// Place: --dockerfile, --target and --base.
	Place placeOptions
	// secretAllow is the config's secrets.allow.
	secretAllow secrets.Allowlist
	// merged, when set, is called after each layer is merged, on the
	// merging goroutine (the browser takes snapshots of the tree there).
	merged func(layer int, snapshot func() *fstree.Tree)
	// partial, when set, is called while the first layer is read, about
	// every partialEvery (analyze.OnPartial): the browser shows the tree
	// of its entries read so far.
	partial      func(layer, entries int, snapshot func() *fstree.Tree)
	partialEvery time.Duration
	// loaded, when set, is called with the source before its layers are
	// read (analyze.OnLoaded).
	loaded func(src *layers.Source)
}

var outputFormats = []string{"auto", "tui", "text", "json", "sarif", "cyclonedx"}

func newInspectCmd(s *streams, runF func(context.Context, *inspectOptions, *streams) error) *cobra.Command {
	o := &inspectOptions{}
	cmd := &cobra.Command{
		Use:   "inspect REF [REF...]",
		Short: "Analyze an image: layers, waste and build-time leftovers",
		Long: `Analyze an image: every layer's files, wasted bytes and build-time leftovers.

REF is any of:
  a registry reference         nginx:1.27, 127.0.0.1:5000/app:1, ghcr.io/x/y@sha256:…
  a docker save tarball        ./app.tar            (or docker-archive:PATH[:TAG])
  an OCI image layout          ./layout-dir         (or oci:PATH[:NAME])
  an OCI archive               ./app.oci.tar        (or oci-archive:PATH[:NAME])
  an image in a local engine   app:latest           (or docker-daemon:REF)

Without a transport prefix an existing path is opened as a file, otherwise the
local Docker/Podman engine (DOCKER_HOST) is asked, then the registry.
A tarball or layout holding several images needs the prefix and the TAG or
NAME of one (docker-archive:all.tar:app:1, docker-archive:all.tar:@0).
docker save | gzip output is read as is.

Many images (several REFs, --refs, --catalog) are inspected one after the
other, and a layer they share is read once: -o json writes JSON Lines (one
report per image), -o text every report and then a fleet table. Layer
results are kept in a cache (the user's cache directory by default, or Redis
with --cache redis://HOST:PORT/DB) that later runs and other machines reuse.`,
		Example: `  # open the interactive browser on a local image
  stagescope inspect myapp:latest

  # a CI summary, or the JSON report
  stagescope inspect -o text myapp.tar
  stagescope inspect -o json --insecure 127.0.0.1:5000/myapp:1 > report.json

  # fail a CI job (exit 1) when thresholds are crossed; see also .stagescope.yaml
  stagescope inspect -o text --lowest-efficiency 0.95 --highest-category-bytes toolchain=0 app.tar

  # SARIF for code scanning
  stagescope inspect -o sarif app.tar > stagescope.sarif

  # one read of the image, several outputs: text on stdout, the others to files
  stagescope inspect -o text -o json=report.json -o sarif=results.sarif app.tar

  # every layer and finding on the Dockerfile line that made it; the base image's part apart
  stagescope inspect -o sarif --dockerfile Dockerfile app.tar > stagescope.sarif
  stagescope inspect -o text --base node:18 --highest-own-leftover-bytes 10MB app.tar

  # a fleet: every repository's newest image of a registry, one shard of four,
  # sharing layer results through Redis; then one report of all shards
  stagescope inspect -o json --catalog 127.0.0.1:5000/team --shard 0/4 --cache redis://127.0.0.1:6379/0 > shard-0.jsonl
  stagescope merge shard-*.jsonl`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 || o.Fleet.RefsFile != "" || o.Fleet.Catalog != "" {
				return nil // many images
			}
			return needRef(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Refs = args
			if len(args) > 0 {
				o.Ref = args[0]
			}
			if runF != nil {
				return runF(cmd.Context(), o, s)
			}
			return runInspect(cmd.Context(), o, s)
		},
	}
	f := cmd.Flags()
	f.StringArrayVarP(&o.Outputs, "output", "o", nil, "output format: auto, tui, text, json, sarif or cyclonedx (a CycloneDX 1.6 SBOM; auto: tui on a terminal, else text); FORMAT=FILE writes to a file instead of stdout, and -o repeats: -o text -o json=report.json -o sarif=results.sarif reads the image once for all (default auto)")
	o.addFlags(f) // the shared source flags
	o.Gate.addFlags(f)
	o.Fleet.addFlags(f)
	o.Place.addFlags(f)
	addIgnoreFlag(f, &o.Ignore)
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(outputFormats, cobra.ShellCompDirectiveNoFileComp))
	registerRuleCompletions(cmd)
	return cmd
}

// needRef accepts exactly one image reference; without one the error shows
// how the command is used.
func needRef(cmd *cobra.Command, args []string) error {
	switch {
	case len(args) == 0:
		return fmt.Errorf("%s needs an image, e.g. `%s myapp:latest` or `%s -o text app.tar` (%s --help shows every source and flag)",
			cmd.Name(), cmd.CommandPath(), cmd.CommandPath(), cmd.CommandPath())
	case len(args) > 1:
		return fmt.Errorf("%s takes one image, got %d arguments", cmd.Name(), len(args))
	}
	return nil
}

func (o *inspectOptions) validate(s *streams) error {
	var err error
	if o.Output, o.files, err = parseOutputs(o.Outputs); err != nil {
		return err
	}
	if o.Output == "auto" {
		o.Output = "text"
		if s.OutTTY && len(o.files) == 0 {
			o.Output = "tui"
		}
	}
	o.streamsFor(s)
	if err := o.sourceOptions.validate(); err != nil {
		return err
	}
	if err := o.Fleet.validate(); err != nil {
		return err
	}
	return o.Place.prepare()
}

func (o *sourceOptions) loadOptions() []layers.LoadOption {
	lo := []layers.LoadOption{layers.WithStallTimeout(o.Stall)}
	if o.Platform != "" {
		lo = append(lo, layers.WithPlatform(o.Platform))
	}
	if o.Insecure {
		lo = append(lo, layers.WithInsecure())
	}
	if o.NoDaemon {
		lo = append(lo, layers.WithoutDaemon())
	}
	if o.stdin != nil {
		lo = append(lo, layers.WithStdin(o.stdin))
	}
	return lo
}

// readOptions are the layers.Read options of the flags; progress draws a
// progress line on a terminal's stderr.
func (o *sourceOptions) readOptions(s *streams, progress bool) []layers.Option {
	ro := []layers.Option{layers.WithMaxEntries(o.MaxEntries), layers.WithMaxDirs(o.MaxDirs), layers.WithMaxRatio(o.MaxRatio)}
	if o.Parallel > 0 {
		ro = append(ro, layers.WithParallelism(o.Parallel))
	}
	if progress && s.ErrTTY {
		ro = append(ro, layers.WithProgress(progressPrinter(s.ErrOut)))
	}
	return ro
}

// analyzeRef loads, reads and analyzes one image; extra adds read options.
func analyzeRef(ctx context.Context, o *inspectOptions, s *streams, extra ...layers.Option) (*analyze.Analysis, *layers.Source, error) {
	a, src, err := analyze.Load(ctx, o.Ref, o.analyzeOptions(s, extra...)...)
	if err != nil {
		return nil, nil, err
	}
	if err := o.Place.locate(ctx, a, o.loadOptions()); err != nil {
		return nil, nil, err
	}
	return a, src, nil
}

// analyzeLoaded reads and analyzes an image already loaded (the images of
// a fleet); extra adds read options.
func analyzeLoaded(ctx context.Context, src *layers.Source, o *inspectOptions, s *streams, extra ...layers.Option) (*analyze.Analysis, error) {
	a, err := analyze.Read(ctx, src, o.analyzeOptions(s, extra...)...)
	if err != nil {
		return nil, err
	}
	if err := o.Place.locate(ctx, a, o.loadOptions()); err != nil {
		return nil, err
	}
	return a, nil
}

// analyzeOptions are the options of the one load-read-analyze pipeline.
func (o *inspectOptions) analyzeOptions(s *streams, extra ...layers.Option) []analyze.Option {
	opts := []analyze.Option{
		analyze.WithLoadOptions(o.loadOptions()...),
		analyze.WithReadOptions(append(o.readOptions(s, o.Output != "tui"), extra...)...),
		analyze.WithIgnore(o.ignore),
		analyze.WithSecretAllowlist(o.secretAllow),
	}
	opts = append(opts, o.sourceOptions.analyzeOptions()...)
	if o.loaded != nil {
		opts = append(opts, analyze.OnLoaded(o.loaded))
	}
	if o.merged != nil {
		opts = append(opts, analyze.OnMerged(o.merged))
	}
	if o.partial != nil {
		opts = append(opts, analyze.OnPartial(o.partialEvery, o.partial))
	}
	return opts
}

func runInspect(ctx context.Context, o *inspectOptions, s *streams) error {
	if err := o.validate(s); err != nil {
		return err
	}
	th, err := o.Gate.thresholds()
	if err != nil {
		return err
	}
	for _, w := range o.Gate.Warnings {
		fmt.Fprintf(s.ErrOut, "stagescope: warning: %s\n", w)
	}
	if err := addIgnores(&th.Ignore, o.Ignore); err != nil {
		return err
	}
	warnForbiddenIgnored(s.ErrOut, th)
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, o.Timeout, fmt.Errorf("timed out after %s (--timeout)", o.Timeout))
		defer cancel()
	}
	o.ignore = th.Ignore
	o.secretAllow = th.SecretAllow
	if o.many() {
		if len(o.files) > 0 {
			return fmt.Errorf("-o %s=%s writes the report of one image; for many images use -o json (JSON Lines) or -o text", o.files[0].Format, o.files[0].File)
		}
		return runFleet(ctx, o, s, th)
	}
	if o.Output == "tui" {
		return runTUI(ctx, o, s)
	}
	c, closeCache, err := o.Fleet.openCache(ctx, s.ErrOut)
	if err != nil {
		return err
	}
	defer closeCache()
	a, src, err := analyzeRef(ctx, o, s, layers.WithCache(c))
	if err != nil {
		if cause := context.Cause(ctx); cause != nil && ctx.Err() != nil {
			return cause
		}
		return err
	}
	for _, n := range append(a.Place.Notes, a.Warnings...) {
		fmt.Fprintf(s.ErrOut, "stagescope: warning: %s\n", ui.Escape(n))
	}
	warnUnmatched(s.ErrOut, o.Ignore, a.UnmatchedIgnores)
	rep := newImageReport(a, th, src, o.Ignore)
	var comps []sbom.Component
	if o.wants("cyclonedx") {
		comps = analyze.SBOMComponents(a) // needs the tree
	}
	releaseTree(a)
	// Every output renders the one analysis; files are never cut.
	render := func(w io.Writer, format string, width int) error {
		if format == "cyclonedx" {
			return sbom.Write(w, sbom.BOM(sbom.Image{Reference: src.Reference, Digest: cmp.Or(a.Image.Digest, a.Image.ConfigDigest), Tool: version}, comps))
		}
		return writeReport(w, width, format, a, rep, o.Place.sarifFile())
	}
	if err := writeOutputFiles(o.files, func(w io.Writer, format string) error { return render(w, format, 0) }); err != nil {
		return err
	}
	if o.Output != "" {
		if err := render(s.Out, o.Output, s.Width); err != nil {
			return err
		}
	}
	if rep.Gate != nil && !rep.Gate.Pass {
		return &gateError{failed: rep.Gate.Failed}
	}
	return nil
}

// wants tells whether one of the outputs is in format.
func (o *inspectOptions) wants(format string) bool {
	return o.Output == format || slices.ContainsFunc(o.files, func(f output) bool { return f.Format == format })
}

// writeReport writes one report in format (text, json or sarif) to w; text
// is cut to width columns (0 never cuts).
func writeReport(w io.Writer, width int, format string, a *analyze.Analysis, rep *report.Report, df *sarifDockerfile) error {
	switch format {
	case "json":
		return writeJSON(w, rep)
	case "sarif":
		return writeJSON(w, newSARIF(a, rep, rules.All(), df))
	}
	if err := writeText(w, rep, width); err != nil {
		return err
	}
	if rep.Gate != nil {
		return writeGateText(w, rep.Gate)
	}
	return nil
}

// writeJSON writes v indented. goccy/go-json writes the same bytes as
// encoding/json in a fraction of the time: encoding/json's indenting pass
// alone was half of writing a large report (bench/NOTES.md).
func writeJSON(w io.Writer, v any) error {
	if r, ok := v.(*report.Report); ok {
		return report.Encode(w, r, "  ") // the findings' claims one at a time
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// progressPrinter draws a one-line progress indicator on a terminal.
func progressPrinter(w io.Writer) func(layers.Progress) {
	return func(p layers.Progress) {
		if p.LayersTotal == 0 { // a stream that tells how many only at its end
			fmt.Fprintf(w, "\r\033[Kreading layers %d/?, %s", p.LayersDone, format.Bytes(p.BytesRead))
			return
		}
		fmt.Fprintf(w, "\r\033[Kreading layers %d/%d, %s", p.LayersDone, p.LayersTotal, format.Bytes(p.BytesRead))
		if p.LayersDone == p.LayersTotal {
			fmt.Fprint(w, "\r\033[K")
		}
	}
}

// warnForbiddenIgnored says, one line each, which forbidden rules the
// ignore list names too: the gate counts their findings all the same
// (gate.ForbiddenAndIgnored).
func warnForbiddenIgnored(w io.Writer, th gate.Thresholds) {
	sil := rules.NewSilencer(th.Ignore)
	ids := slices.Clone(th.ForbiddenRules)
	slices.Sort(ids)
	for _, id := range slices.Compact(ids) {
		if by := sil.RuleBy(id); by != "" {
			fmt.Fprintf(w, "stagescope: warning: %s\n", ui.Escape(gate.ForbiddenAndIgnored(id, by)))
		}
	}
}

// warnUnmatched says, one line each, which ignored path globs matched no
// file in any image of the run: a typo, or a path the images no longer
// have. unmatched holds each image's analyze.Analysis.UnmatchedIgnores (a
// glob matched in one image is no typo); flags are the --ignore values.
func warnUnmatched(w io.Writer, flags []string, unmatched ...[]string) {
	if len(unmatched) == 0 {
		return
	}
	where := "the image"
	if n := len(unmatched); n == 2 {
		where = "either image"
	} else if n > 2 {
		where = fmt.Sprintf("any of the %d images", n)
	}
	flags = trimIgnores(flags)
	for _, g := range unmatched[0] {
		if slices.ContainsFunc(unmatched[1:], func(u []string) bool { return !slices.Contains(u, g) }) {
			continue
		}
		from := "ignore.paths"
		if slices.Contains(flags, g) {
			from = "--ignore"
		}
		fmt.Fprintf(w, "stagescope: warning: %s \"%s\" matches no file in %s\n", from, ui.Escape(g), where)
	}
}

// trimIgnores are the --ignore values as addIgnores reads them.
func trimIgnores(specs []string) []string {
	out := make([]string, len(specs))
	for i, v := range specs {
		out[i] = strings.TrimSpace(v)
	}
	return out
}

// addIgnoreFlag adds --ignore, which inspect and diff share.
func addIgnoreFlag(f *pflag.FlagSet, ignore *[]string) {
	f.StringArrayVar(ignore, "ignore", nil, "silence a leftover rule ID (e.g. docs.man), a category (e.g. docs) or a path glob (e.g. usr/share/doc, **/*.map); adds to the config's ignore list; repeatable")
}

// addIgnores adds --ignore values to ig: a known rule ID silences the rule,
// a category every rule of it, and anything with a "/" or a glob character
// is a path glob.
func addIgnores(ig *rules.Ignore, specs []string) error {
	for _, v := range specs {
		v = strings.TrimSpace(v)
		if _, ok := rules.ByID(v); ok {
			ig.Rules = append(ig.Rules, v)
			continue
		}
		if c := rules.Category(v); rules.ValidCategory(c) {
			ig.Categories = append(ig.Categories, c)
			continue
		}
		if !strings.ContainsAny(v, "/*?[") {
			return fmt.Errorf("--ignore %q: no leftover rule has this ID and no category this name (a path glob needs a \"/\" or a glob character; stagescope rules lists IDs and categories)", v)
		}
		if err := rules.ValidateGlob(v); err != nil {
			return fmt.Errorf("--ignore: %w", err)
		}
		ig.Paths = append(ig.Paths, v)
	}
	return nil
}
