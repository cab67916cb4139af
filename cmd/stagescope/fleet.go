package main

import (
	"bufio"
	"cmp"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/dustin/go-humanize"
	json "github.com/goccy/go-json"
	"github.com/spf13/pflag"

	"github.com/stagescope/stagescope/analyze"
	"github.com/stagescope/stagescope/analyze/fleet"
	"github.com/stagescope/stagescope/analyze/gate"
	"github.com/stagescope/stagescope/analyze/report"
	"github.com/stagescope/stagescope/analyze/secrets"
	"github.com/stagescope/stagescope/internal/format"
	"github.com/stagescope/stagescope/layers"
	"github.com/stagescope/stagescope/layers/cache"
	"github.com/stagescope/stagescope/ui"
)

// fleetOptions are the flags of inspect that pick many images and share
// their layers.
type fleetOptions struct {
	RefsFile  string
	Catalog   string
	Tags      string
	Shard     string
	Cache     string
	NoCache   bool
	CacheSize string

	shardI, shardN int
	cacheBytes     int64
}

func (f *fleetOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&f.RefsFile, "refs", "", "read image references from this file, one a line (- for stdin; # starts a comment)")
	fs.StringVar(&f.Catalog, "catalog", "", "inspect the images of a registry, REGISTRY[/PREFIX], through its catalog API")
	fs.StringVar(&f.Tags, "tags", "newest", "with --catalog: newest (each repository's most recently created image) or all")
	fs.StringVar(&f.Shard, "shard", "", "inspect only share I of N of the images (I/N, 0-based; by digest, so shards balance and reruns agree)")
	fs.StringVar(&f.Cache, "cache", "", "layer cache: a directory, or redis://HOST:PORT/DB or rediss://… (password in $"+cache.PasswordEnv+") (default: the user's cache directory)")
	fs.BoolVar(&f.NoCache, "no-cache", false, "do not keep or use layer results across runs")
	fs.StringVar(&f.CacheSize, "cache-size", "2GiB", "most bytes the layer cache directory may hold (least recently used go first)")
}

func (f *fleetOptions) validate() error {
	switch f.Tags {
	case "newest", "all":
	default:
		return fmt.Errorf("--tags %q: want newest or all", f.Tags)
	}
	if f.Tags == "all" && f.Catalog == "" {
		return errors.New("--tags needs --catalog")
	}
	if f.Shard != "" {
		i, n, ok := strings.Cut(f.Shard, "/")
		var err1, err2 error
		f.shardI, err1 = strconv.Atoi(i)
		f.shardN, err2 = strconv.Atoi(n)
		if !ok || err1 != nil || err2 != nil || f.shardN < 1 || f.shardI < 0 || f.shardI >= f.shardN {
			return fmt.Errorf("--shard %q: want I/N with 0 <= I < N, e.g. 0/4", f.Shard)
		}
	}
	if f.NoCache && f.Cache != "" {
		return errors.New("--cache and --no-cache contradict each other")
	}
	b, err := humanize.ParseBytes(f.CacheSize)
	if err != nil || b == 0 || b > 1<<50 {
		return fmt.Errorf("--cache-size %q: want a size such as 500MB or 2GiB", f.CacheSize)
	}
	f.cacheBytes = int64(b)
	return nil
}

// many tells whether the run is over a list of images rather than one.
func (o *inspectOptions) many() bool {
	return len(o.Refs) > 1 || o.Fleet.RefsFile != "" || o.Fleet.Catalog != "" || o.Fleet.Shard != ""
}

// openCache opens the layer cache the flags name; nil with --no-cache.
func (f *fleetOptions) openCache(ctx context.Context, errOut io.Writer) (*cache.Cache, func(), error) {
	c, done, err := f.openStore(ctx, errOut)
	if err != nil {
		return nil, nil, err
	}
	// The secret scan's per-layer result is small (its findings): JSON.
	c.KeepContent(func(v any) ([]byte, error) {
		r, ok := v.(*secrets.LayerResult)
		if !ok {
			return nil, fmt.Errorf("a layer's content result is a %T, not a secret scan's", v)
		}
		return json.Marshal(r)
	}, func(b []byte) (any, error) {
		r := &secrets.LayerResult{}
		return r, json.Unmarshal(b, r)
	})
	return c, done, nil
}

func (f *fleetOptions) openStore(ctx context.Context, errOut io.Writer) (*cache.Cache, func(), error) {
	warn := func(msg string) { fmt.Fprintf(errOut, "stagescope: warning: %s\n", msg) }
	cacheVersion := cache.Version(analyzerVersion(), "analyze.Capture", analyze.CaptureLimit, true)
	switch {
	case f.NoCache:
		return cache.New(nil, cacheVersion, warn), func() {}, nil
	case strings.HasPrefix(f.Cache, "redis://") || strings.HasPrefix(f.Cache, "rediss://"):
		r, err := cache.OpenRedis(ctx, f.Cache)
		if err != nil {
			return nil, nil, err
		}
		return cache.New(r, cacheVersion, warn), func() { _ = r.Close() }, nil
	}
	dir := f.Cache
	if dir == "" {
		var err error
		if dir, err = cache.DefaultDir(); err != nil {
			return nil, nil, err
		}
	}
	d, err := cache.OpenDir(dir, f.cacheBytes)
	if err != nil {
		return nil, nil, err
	}
	return cache.New(d, cacheVersion, warn), func() {}, nil
}

// readRefs reads a --refs list: one reference a line, blank lines and
// lines starting with # skipped.
func readRefs(path string, stdin io.Reader) ([]string, error) {
	r, done, err := openInput(path, stdin)
	if err != nil {
		return nil, fmt.Errorf("--refs: %w", err)
	}
	defer done()
	var refs []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		refs = append(refs, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("--refs %s: %w", path, err)
	}
	return refs, nil
}

// openInput opens a file named on the command line, "-" being stdin.
func openInput(path string, stdin io.Reader) (io.Reader, func(), error) {
	if path == "-" {
		return stdin, func() {}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	return f, func() { _ = f.Close() }, nil
}

// fleetImage is one image of a many-image run, loaded.
type fleetImage struct {
	ref    string
	src    *layers.Source
	digest string // what shards are dealt by
	diffID []string
}

// allRefs gathers the references of the arguments, --refs and --catalog.
func (o *inspectOptions) allRefs(ctx context.Context, s *streams) ([]string, error) {
	refs := slices.Clone(o.Refs)
	if o.Fleet.RefsFile != "" {
		more, err := readRefs(o.Fleet.RefsFile, s.In)
		if err != nil {
			return nil, err
		}
		refs = append(refs, more...)
	}
	if o.Fleet.Catalog != "" {
		more, err := layers.Catalog(ctx, o.Fleet.Catalog, layers.CatalogOptions{AllTags: o.Fleet.Tags == "all"}, o.loadOptions()...)
		if err != nil {
			return nil, err
		}
		if len(more) == 0 {
			return nil, fmt.Errorf("--catalog %s: no tagged images", o.Fleet.Catalog)
		}
		refs = append(refs, more...)
	}
	if len(refs) == 0 {
		return nil, errors.New("no image references (the --refs list is empty)")
	}
	return refs, nil
}

// loadFleet loads every image (manifests and configs only) and keeps this
// shard's share: the images sorted by digest, dealt round-robin, every
// reference of one digest to the same shard. An image that does not load
// is reported on errOut and listed in failed (every shard lists it: its
// digest is unknown).
func (o *inspectOptions) loadFleet(ctx context.Context, refs []string, errOut io.Writer) (imgs []*fleetImage, failed []string, err error) {
	for _, ref := range refs {
		src, err := layers.Load(ctx, ref, o.loadOptions()...)
		if err != nil {
			if ctx.Err() != nil {
				return nil, nil, err
			}
			fmt.Fprintf(errOut, "stagescope: %s\n", errorLine(err))
			failed = append(failed, ref)
			continue
		}
		fi := &fleetImage{ref: ref, src: src}
		if d, err := src.Image.Digest(); err == nil {
			fi.digest = d.String()
		} else if c, err := src.Image.ConfigName(); err == nil {
			fi.digest = c.String()
		}
		if ls, err := src.Image.Layers(); err == nil {
			for _, l := range ls {
				if id, err := l.DiffID(); err == nil {
					fi.diffID = append(fi.diffID, id.String())
				}
			}
		}
		imgs = append(imgs, fi)
	}
	if o.Fleet.shardN == 0 {
		return imgs, failed, nil
	}
	var digests []string
	for _, fi := range imgs {
		digests = append(digests, fi.digest)
	}
	slices.Sort(digests)
	digests = slices.Compact(digests)
	mine := map[string]bool{}
	for i, d := range digests {
		if i%o.Fleet.shardN == o.Fleet.shardI {
			mine[d] = true
		}
	}
	return slices.DeleteFunc(imgs, func(fi *fleetImage) bool { return !mine[fi.digest] }), failed, nil
}

// runFleet inspects many images, reading every layer they share once,
// and writes one report per image (JSON Lines with -o json) and, with
// -o text, the fleet table. Every image's gate counts: exit 1 when any
// fails; an image that cannot be read is reported and makes it exit 2.
func runFleet(ctx context.Context, o *inspectOptions, s *streams, th gate.Thresholds) error {
	if o.Output == "tui" || o.Output == "sarif" || o.Output == "cyclonedx" {
		return fmt.Errorf("-o %s shows one image; use -o text or -o json for many", o.Output)
	}
	refs, err := o.allRefs(ctx, s)
	if err != nil {
		return err
	}
	imgs, failed, err := o.loadFleet(ctx, refs, s.ErrOut)
	if err != nil {
		return err
	}
	total := len(imgs) + len(failed)
	c, closeCache, err := o.Fleet.openCache(ctx, s.ErrOut)
	if err != nil {
		return err
	}
	defer closeCache()
	for _, fi := range imgs {
		for _, id := range fi.diffID {
			c.Want(id, 1)
		}
	}
	// A list (--refs, --catalog, a --shard of it) may come down to one
	// image: its output is JSON Lines all the same, for merge.
	jsonLines := o.Output == "json"
	var (
		reports   []*report.Report
		gateErr   *gateError
		unmatched [][]string // each image's ignored globs that matched nothing
	)
	for i, fi := range imgs {
		if len(imgs) > 1 && s.ErrTTY {
			fmt.Fprintf(s.ErrOut, "\r\033[K[%d/%d] %s\n", i+1, len(imgs), ui.Escape(fi.ref))
		}
		one := *o
		one.Ref = fi.ref
		a, err := analyzeLoaded(ctx, fi.src, &one, s, layers.WithCache(c))
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			fmt.Fprintf(s.ErrOut, "stagescope: %s\n", errorLine(err))
			failed = append(failed, fi.ref)
			continue
		}
		unmatched = append(unmatched, a.UnmatchedIgnores)
		rep := newImageReport(a, th, fi.src, o.Ignore)
		releaseTree(a)
		reports = append(reports, rep)
		switch {
		case jsonLines:
			err = writeJSONLine(s.Out, rep)
		default:
			if i > 0 {
				fmt.Fprintln(s.Out)
			}
			err = writeReport(s.Out, s.Width, o.Output, a, rep, nil)
		}
		if err != nil {
			return err
		}
		if rep.Gate != nil && !rep.Gate.Pass {
			if gateErr == nil {
				gateErr = &gateError{}
			}
			gateErr.failed += rep.Gate.Failed
		}
	}
	if o.Output == "text" && len(imgs) > 1 {
		fmt.Fprintln(s.Out)
		if err := writeFleetText(s.Out, fleet.New(reports, report.ToolInfo{Name: "stagescope", Version: version}), s.Width); err != nil {
			return err
		}
	}
	// once for the run, not per image: a glob one image matched is no typo
	warnUnmatched(s.ErrOut, o.Ignore, unmatched...)
	st := c.Stats()
	fmt.Fprintf(s.ErrOut, "stagescope: %s: %s from the layer cache, %d read (%d bytes, %s)\n",
		format.Count(int64(len(imgs)), "image"), format.Count(int64(st.Hits), "layer"), st.Puts, st.LayerBytes, format.Bytes(st.LayerBytes))
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d images could not be inspected: %s", len(failed), total, ui.Escape(strings.Join(failed, ", ")))
	}
	if gateErr != nil {
		return gateErr
	}
	return nil
}

// newImageReport makes the report of one analysis, with its gate;
// ignoreFlags are the --ignore values, which the suppressed findings they
// silenced name as given on the command line.
func newImageReport(a *analyze.Analysis, th gate.Thresholds, src *layers.Source, ignoreFlags []string) *report.Report {
	rep := analyze.NewReport(a, report.Options{ToolVersion: version, Reference: src.Reference, Source: string(src.Kind), IgnoreFlags: trimIgnores(ignoreFlags)})
	if !th.Empty() {
		rep.Gate = report.NewGateJSON(gate.Evaluate(a.GateInput(), th), th.Ignore)
	}
	return rep
}

// writeJSONLine writes v on one line (JSON Lines).
func writeJSONLine(w io.Writer, v any) error {
	if r, ok := v.(*report.Report); ok {
		return report.Encode(w, r, "")
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// writeFleetText writes the fleet table.
func writeFleetText(out io.Writer, f *fleet.Report, width int) error {
	w := bufio.NewWriter(out)
	t := f.Totals
	fmt.Fprintf(w, "Fleet       %s, %s (%d distinct): %s of layers, %s distinct\n",
		format.Count(int64(t.Images), "image"), format.Count(int64(t.Layers), "layer"), t.UniqueLayers, format.Bytes(t.LayerBytes), format.Bytes(t.UniqueLayerBytes))
	fmt.Fprintf(w, "Wasted      %s reclaimable; leftovers %s", format.Bytes(t.WastedBytes), format.Bytes(t.LeftoverBytes))
	if t.BaseKnownImages > 0 {
		fmt.Fprintf(w, " (of the %s with a known base: own %s, base %s)", format.Count(int64(t.BaseKnownImages), "image"),
			format.Bytes(t.OwnLeftoverBytes), format.Bytes(t.BaseLeftoverBytes))
	}
	fmt.Fprint(w, "\n\n")
	rows := slices.Clone(f.Images)
	slices.SortStableFunc(rows, func(a, b fleet.Image) int {
		return cmp.Compare(b.WastedBytes+b.LeftoverBytes, a.WastedBytes+a.LeftoverBytes)
	})
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "image\tsize\twasted\tleftovers\town / base\ttop category\tshared layers")
	if f.Gate != nil {
		fmt.Fprintf(tw, "\tgate")
	}
	fmt.Fprintln(tw)
	for _, r := range rows {
		top := "-"
		if r.TopCategory != "" {
			top = fmt.Sprintf("%s %s", r.TopCategory, format.Bytes(r.TopCategoryBytes))
		}
		// Without a base boundary the split is unknown, not "all own".
		split := "? (no base)"
		if r.Base != nil {
			split = format.Bytes(r.OwnLeftoverBytes) + " / " + format.Bytes(r.BaseLeftoverBytes)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d of %d (%s)", fitMin(ui.Escape(r.Reference), width, 70, 30), format.Bytes(r.LayerBytes),
			format.Bytes(r.WastedBytes), format.Bytes(r.LeftoverBytes), split, top, r.SharedLayers, r.Layers, format.Bytes(r.SharedBytes))
		if f.Gate != nil {
			switch {
			case r.Pass == nil:
				fmt.Fprintf(tw, "\t-")
			case *r.Pass:
				fmt.Fprintf(tw, "\tpass")
			default:
				fmt.Fprintf(tw, "\tFAIL")
			}
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if f.Gate != nil {
		if f.Gate.Pass {
			fmt.Fprintf(w, "\nGate        pass (every image)\n")
		} else {
			fmt.Fprintf(w, "\nGate        FAIL: %d of %d images\n", len(f.Gate.Failed), t.Images)
		}
	}
	return w.Flush()
}

// analyzerVersion names the code that reads and captures layers, so that
// no cached result of another build is ever used (what Capture selects
// changes without a version number changing): the version and the Go build
// ID of this very executable, or where it has none the SHA-256 of the
// file. Every process of one build, on any machine, shares results.
var analyzerVersion = sync.OnceValue(func() string {
	exe, err := os.Executable()
	if err != nil {
		return version
	}
	if id := goBuildID(exe); id != "" {
		return version + "+build." + id
	}
	f, err := os.Open(exe)
	if err != nil {
		return version
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return version
	}
	return version + "+exe." + hex.EncodeToString(h.Sum(nil))[:24]
})

// goBuildID returns the build ID the Go linker notes in an ELF executable
// (section .note.go.buildid; `go tool buildid` prints it): hashes of what
// built the binary and of its contents, so that two builds that differ in
// anything differ in it. Reading it costs a few kilobytes, where hashing
// the whole executable cost about 20 ms at every start. "" when the file is
// not ELF or has no build ID (linked with -buildid=).
func goBuildID(exe string) string {
	f, err := elf.Open(exe)
	if err != nil {
		return ""
	}
	defer f.Close()
	s := f.Section(".note.go.buildid")
	if s == nil || s.Size > 4096 {
		return ""
	}
	b, err := s.Data()
	if err != nil || len(b) < 16 {
		return ""
	}
	// An ELF note: name size, description size, type, then the name ("Go"
	// and NULs, padded to 4 bytes) and the description (the ID).
	namesz, descsz, typ := int(f.ByteOrder.Uint32(b)), int(f.ByteOrder.Uint32(b[4:])), f.ByteOrder.Uint32(b[8:])
	const goBuildIDNote = 4
	desc := 12 + (namesz+3)&^3
	if typ != goBuildIDNote || namesz != 4 || string(b[12:14]) != "Go" || descsz == 0 || desc+descsz > len(b) {
		return ""
	}
	return string(b[desc : desc+descsz])
}
