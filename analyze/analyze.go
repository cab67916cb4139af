// Package analyze is the facade over stagescope's analysis of one image.
// Load and Read are the one pipeline every command uses: the image is read
// through layers, each layer once, and merged into one tree (fstree) as it
// streams; Run measures waste and efficiency, parses the package
// databases once and runs the leftover pass (analyze/leftovers) and the
// other analyzers; NewReport fills the wire report
// (analyze/report), GateInput and DiffInput feed analyze/gate and
// analyze/diff. Beyond reading the image through layers it does no I/O, no
// formatting and no drawing.
package analyze

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/analyze/leftovers"
	"github.com/stagescope/stagescope/analyze/npm"
	"github.com/stagescope/stagescope/analyze/perms"
	"github.com/stagescope/stagescope/analyze/pkgdb"
	"github.com/stagescope/stagescope/analyze/rules"
	"github.com/stagescope/stagescope/analyze/secrets"
	"github.com/stagescope/stagescope/layers"
)

// Analysis is everything stagescope learns about one image.
type Analysis struct {
	Image   *layers.Image
	Tree    *fstree.Tree
	Metrics *fstree.Metrics
	Dive    fstree.DiveMetrics
	// Findings are the leftovers found, largest first.
	Findings []leftovers.Finding
	// Suppressed are the findings the ignore list silenced (WithIgnore),
	// largest first: in no total.
	Suppressed []leftovers.Suppressed
	// UnmatchedIgnores are the ignored path globs that matched no file of
	// the image.
	UnmatchedIgnores []string
	// Leftovers sums the findings.
	Leftovers leftovers.Leftovers
	// Suggestion is the multi-stage fix for the whole image, nil when
	// there is nothing to fix or no ecosystem was recognised.
	Suggestion *leftovers.Suggestion
	// Place is the base boundary and the Dockerfile line of each layer.
	Place *leftovers.Place
	// Packages are the installed OS packages, parsed once from the
	// visible package databases (pkgdb.Installed).
	Packages []pkgdb.Package
	// NodePackages are the packages of the image's node_modules trees
	// (npm.NodePackages).
	NodePackages []npm.NodePackage
	// Distro and Release are the os-release ID and VERSION_ID, "" when
	// the image has none.
	Distro, Release string
	// Warnings are problems of the image that did not stop the read,
	// e.g. a hard link to a file no layer holds; one line each.
	Warnings []string
	// Secrets are the secrets found by content (see FindSecrets).
	Secrets *secrets.Result
	// Permissions are the permission and user findings (see perms).
	Permissions []perms.Finding
	// secretFiles are the paths a secret rule matched (see
	// ContentHashHidden).
	secretFiles map[string]bool
}

// ContentHashHidden tells whether no hash of the contents of the file at p
// may be shown, because a secret rule (a leftover rule of category secret
// or the content scanner) matched it: a short secret (PIN=4821 in a .env)
// is found again by hashing ten thousand guesses, salted or not. Reports
// and the browser leave such hashes out.
func (a *Analysis) ContentHashHidden(p string) bool { return a.secretFiles[p] }

// noteSecretFiles records the files of the secret findings.
func (a *Analysis) noteSecretFiles() {
	a.secretFiles = map[string]bool{}
	for _, f := range a.Findings {
		if f.Category == rules.CatSecret {
			a.secretFiles[f.Path] = true
		}
	}
	if a.Secrets != nil {
		for _, fs := range [][]secrets.Finding{a.Secrets.Findings, a.Secrets.Suppressed} {
			for _, f := range fs {
				a.secretFiles[f.Path] = true
			}
		}
	}
}

// Option configures Run and the pipeline (Load, Read).
type Option func(*options)

type options struct {
	ignore       rules.Ignore
	load         []layers.LoadOption
	read         []layers.Option
	keep         bool
	shared       []*layers.Image
	afterMerge   func()
	onMerged     func(layer int, snapshot func() *fstree.Tree)
	onPartial    func(layer, entries int, snapshot func() *fstree.Tree)
	partialEvery time.Duration
	onLoaded     func(src *layers.Source)
	noSecrets    bool
	// secretAllow accepts known secrets (see WithSecretAllowlist).
	secretAllow secrets.Allowlist
}

func makeOptions(opts []Option) *options {
	o := &options{}
	for _, opt := range opts {
		opt(o)
	}
	return o
}

// WithIgnore silences rules and paths: what they find is reported apart
// (Analysis.Suppressed) and counts in no total.
func WithIgnore(ig rules.Ignore) Option {
	return func(o *options) { o.ignore = ig }
}

// WithLoadOptions passes options to layers.Load (Load only).
func WithLoadOptions(lo ...layers.LoadOption) Option {
	return func(o *options) { o.load = append(o.load, lo...) }
}

// WithReadOptions passes options to layers.Read, after the capture of the
// files the analyzers read and the secrets' content scan (Load and Read).
func WithReadOptions(ro ...layers.Option) Option {
	return func(o *options) { o.read = append(o.read, ro...) }
}

// KeepLayers keeps every layer's entries in the analysis's Image, so that
// a later Read can take the layers two images share from it
// (WithSharedLayers). The layers are then merged once all are read,
// instead of each as soon as it is.
func KeepLayers() Option {
	return func(o *options) { o.keep = true }
}

// WithSharedLayers makes Read take every layer that a, analysed with
// KeepLayers, also has from a instead of reading it again.
func WithSharedLayers(a *Analysis) Option {
	return func(o *options) { o.shared = append(o.shared, a.Image) }
}

// AfterMerge calls fn once the layers are merged and what only merging
// needed is dropped, before the tree is measured: a program that cares
// about its peak memory may collect garbage there (Read only).
func AfterMerge(fn func()) Option {
	return func(o *options) { o.afterMerge = fn }
}

// WithoutSecretScan skips searching file contents for secrets (Load and
// Read); the image config is still searched and redacted.
func WithoutSecretScan() Option {
	return func(o *options) { o.noSecrets = true }
}

// OnMerged calls fn after each layer is merged (Read only), on the
// goroutine that merges, before the next layer is: fn may call snapshot for
// a copy of the tree of the layers merged so far (fstree.Builder.Snapshot),
// and merging waits for it. With OnPartial too, fn is called again for the
// last layer merged, about every OnPartial's every, while merging waits for
// the next layer (as it is read): a tree fn passed over (a busy screen) may
// be taken then.
func OnMerged(fn func(layer int, snapshot func() *fstree.Tree)) Option {
	return func(o *options) { o.onMerged = fn }
}

// OnPartial calls fn about every every while the first layer is read,
// before it is merged (Read only), with the number of its entries read so
// far and snapshot, which returns the tree of those entries alone (a copy,
// as fstree.Builder.Snapshot makes). It runs on the goroutine that merges,
// which is idle until the layer's end; reading never waits for it. The
// entries come from bytes not checked yet against the layer's digests:
// the tree is a preview to show while the layer is read, never a result.
// Layers above the first get none: their tree needs the layers below
// merged, and the first layer's tree arrives with OnMerged. A one-pass
// stream may find that what it showed was not the first layer after all
// (layers.WithPartialEntries): fn is then called with no entries and a nil
// snapshot, and must drop the preview.
func OnPartial(every time.Duration, fn func(layer, entries int, snapshot func() *fstree.Tree)) Option {
	return func(o *options) { o.onPartial, o.partialEvery = fn, every }
}

// OnLoaded calls fn with the loaded source before its layers are read
// (Load only): the browser reads files of the layers already read from it
// while the rest stream.
func OnLoaded(fn func(src *layers.Source)) Option {
	return func(o *options) { o.onLoaded = fn }
}

// Load loads the image ref names (layers.Load) and analyzes it (Read): the
// one pipeline of every command that reads an image. A reading error names
// ref.
func Load(ctx context.Context, ref string, opts ...Option) (*Analysis, *layers.Source, error) {
	o := makeOptions(opts)
	if !o.noSecrets {
		go secrets.Prepare() // beside the load, not after it
	}
	src, err := layers.Load(ctx, ref, o.load...)
	if err != nil {
		return nil, nil, err
	}
	if o.onLoaded != nil {
		o.onLoaded(src)
	}
	a, err := read(ctx, src, o)
	if err != nil {
		return nil, nil, RefError(ref, err)
	}
	return a, src, nil
}

// RefError puts ref in front of a reading error, unless the error names it
// already: a stream (standard input, a compressed archive) is read in one
// pass by a reader that names what it reads ("- is not a container
// image"), and a user should not read the name twice.
func RefError(ref string, err error) error {
	if msg := err.Error(); strings.HasPrefix(msg, ref+":") || strings.HasPrefix(msg, ref+" ") {
		return err
	}
	return fmt.Errorf("%s: %w", ref, err)
}

// Read reads the layers of a loaded image, each once, and analyzes it. The
// layers merge as they are read and are dropped once merged, unless
// KeepLayers says otherwise.
func Read(ctx context.Context, src *layers.Source, opts ...Option) (*Analysis, error) {
	return read(ctx, src, makeOptions(opts))
}

func read(ctx context.Context, src *layers.Source, o *options) (*Analysis, error) {
	ro := []layers.Option{layers.WithCapture(Capture, CaptureLimit)}
	if !o.noSecrets {
		ro = append(ro, layers.WithContentScan(secrets.LayerScan()))
	}
	ro = append(ro, o.read...)
	if len(o.shared) > 0 {
		ro = append(ro, layers.WithKnownLayers(o.shared...))
	}
	if o.keep {
		img, err := src.Read(ctx, ro...)
		if err != nil {
			return nil, err
		}
		return run(img, o), nil
	}
	b, owners := fstree.NewBuilder(), perms.NewOwners()
	// preview builds the tree of the first layer's entries read so far
	// (OnPartial), on the merging goroutine.
	var preview *fstree.Builder
	if o.onPartial != nil {
		merged := 0 // the entries preview holds
		ro = append(ro, layers.WithPartialEntries(o.partialEvery, func(ctx context.Context, i int, es []layers.Entry) {
			if i != 0 {
				// Layers 0..i-1 are merged, and merging waits for
				// layer i: their tree is offered again (OnMerged).
				if o.onMerged != nil {
					o.onMerged(i-1, b.Snapshot)
				}
				return
			}
			if len(es) == 0 { // withdrawn
				preview, merged = nil, 0
				o.onPartial(i, 0, nil)
				return
			}
			o.onPartial(i, len(es), func() *fstree.Tree {
				if preview == nil {
					preview = fstree.NewBuilder()
					preview.Add(nil)
				}
				if preview.AddMoreContext(ctx, es[merged:]) == nil {
					merged = len(es)
				}
				return preview.Snapshot()
			})
		}))
	}
	img, err := src.Read(ctx, append(ro, layers.WithEntries(func(ctx context.Context, i int, es []layers.Entry) {
		preview = nil
		if b.AddContext(ctx, es) != nil {
			return // Read fails with ctx's error: the tree is never used
		}
		owners.Add(i, es)
		if o.onMerged != nil {
			o.onMerged(i, b.Snapshot)
		}
	}))...)
	if err != nil {
		return nil, err
	}
	return finish(ctx, b, owners, img, o)
}

// Run merges the layers of an image already read, measures the result and
// finds the leftovers. The analyzers read the contents Read captured with
// Capture.
func Run(img *layers.Image, opts ...Option) *Analysis {
	return run(img, makeOptions(opts))
}

func run(img *layers.Image, o *options) *Analysis {
	b, owners := fstree.NewBuilder(), perms.NewOwners()
	for i := range img.Layers {
		b.Add(img.Layers[i].Entries)
		owners.Add(i, img.Layers[i].Entries)
	}
	o.afterMerge = nil                                      // the caller still holds the entries: nothing to collect
	a, _ := finish(context.Background(), b, owners, img, o) // never canceled
	return a
}

// finish measures the merged tree of img and finds the leftovers. Once ctx
// is done it stops, between its phases (and inside the tree's), with ctx's
// error: Ctrl-C and --timeout end a run whatever phase it is in.
func finish(ctx context.Context, b *fstree.Builder, owners *perms.Owners, img *layers.Image, o *options) (*Analysis, error) {
	t, err := b.FinishContext(ctx)
	if err != nil {
		return nil, err
	}
	a := &Analysis{Image: img, Tree: t, Dive: b.DiveMetrics()}
	// Secrets are redacted from img before anything copies its strings.
	a.Secrets = FindSecrets(img, t, o.secretAllow)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// The captured files are parsed once, for every analyzer that reads
	// them.
	files := VisibleFiles(img, t)
	a.Permissions = CheckPermissions(img, t, files, owners)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if o.afterMerge != nil {
		o.afterMerge()
	}
	a.Distro, a.Release = pkgdb.OSRelease(files)
	a.Packages = pkgdb.Installed(files)
	a.NodePackages = npm.NodePackages(files, a.Packages)
	// Measuring and the leftover scan only read the tree: they run side
	// by side.
	measured := make(chan *fstree.Metrics, 1)
	go func() { measured <- fstree.Measure(t) }()
	r := leftovers.Scan(leftovers.Input{Image: img, Tree: t, Packages: a.Packages, NodePackages: a.NodePackages, Ignore: o.ignore})
	a.Metrics = <-measured
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for i := range img.Layers {
		a.Metrics.LayerBytes += img.Layers[i].Size
	}
	a.Findings = r.Findings
	a.Suppressed, a.UnmatchedIgnores = r.Suppressed, r.Unmatched
	a.Leftovers = r.Leftovers(a.Metrics)
	a.Suggestion = leftovers.Suggest(&r.Facts, a.Findings, a.Leftovers.Bytes)
	a.noteSecretFiles()
	a.Place = leftovers.Locate(img, leftovers.PlaceOptions{})
	a.Warnings = danglingLinkWarnings(a.Tree)
	return a, nil
}

// maxDanglingLinks bounds the hard links named one by one in the warnings.
const maxDanglingLinks = 5

// danglingLinkWarnings names the hard links whose target no layer holds:
// docker refuses to apply such a layer, so the image cannot be what it
// claims to be, but every byte of it was still read and counted.
func danglingLinkWarnings(t *fstree.Tree) []string {
	links, total := t.DanglingLinks(maxDanglingLinks)
	var out []string
	for _, l := range links {
		out = append(out, fmt.Sprintf("layer %d: hard link /%s names /%s, which no layer up to it holds as a file: docker cannot apply this layer", l.Layer, l.Path, l.Target))
	}
	if total > len(links) {
		out = append(out, fmt.Sprintf("%d more hard links name files no layer holds", total-len(links)))
	}
	return out
}
