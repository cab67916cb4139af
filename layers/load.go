package layers

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/containerd/platforms"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Kind names an image source.
type Kind string

// The image sources.
const (
	KindRegistry      Kind = "registry"
	KindDockerArchive Kind = "docker-archive"
	KindOCILayout     Kind = "oci"
	KindOCIArchive    Kind = "oci-archive"
	KindDaemon        Kind = "docker-daemon"
)

// Source is an image found by Load, ready for Read.
type Source struct {
	Image     v1.Image
	Reference string // what the user asked for, as resolved
	Kind      Kind

	// stream, when set, opens a docker save stream of the image that
	// Source.Read consumes in one pass (engines, compressed archives).
	stream func(context.Context) (io.ReadCloser, error)
	// layers is how many layers the stream will hold, for progress (0 if
	// unknown).
	layers int
	// selector picks an image of a multi-image docker save stream.
	selector string
	// zero is what the source knows of the stream's layer 0 member.
	zero zeroHint
	// id is what the source knows of the image's names and digests
	// besides its manifest and config (see Image).
	id identity
}

// identity is what a source tells of an image's names: Image's
// IndexDigest, RepoTags and RepoDigests, and whether the manifest digest
// v1.Image gives is one the source stores.
type identity struct {
	indexDigest           string
	repoTags, repoDigests []string
	// madeManifest: the manifest is go-containerregistry's or
	// stagescope's, made for a source that stores none (Image.Digest
	// stays "").
	madeManifest bool
}

// apply sets img's identity fields from the source's.
func (id identity) apply(img *Image) {
	if id.madeManifest {
		img.Digest = ""
	}
	if id.indexDigest != "" {
		img.IndexDigest = id.indexDigest
	}
	if len(id.repoTags) > 0 {
		img.RepoTags = id.repoTags
	}
	if len(id.repoDigests) > 0 {
		img.RepoDigests = id.repoDigests
	}
}

// Read reads every layer of the source once. It is Read(ctx, s.Image, opts…)
// except for sources that are best read as one stream (a local engine's
// image, a compressed docker save archive), which ReadArchive consumes in a
// single pass.
func (s *Source) Read(ctx context.Context, opts ...Option) (*Image, error) {
	if s.stream == nil {
		if s.Kind == KindDockerArchive {
			// A docker save's layer digests are not content addresses
			// the archive proves: no cached or known layer stands in.
			opts = append(opts[:len(opts):len(opts)], withClaimedDigests)
		}
		img, err := Read(ctx, s.Image, opts...)
		if err != nil {
			return nil, err
		}
		s.id.apply(img)
		return img, nil
	}
	o, err := makeOptions(opts...)
	if err != nil {
		return nil, err
	}
	rc, err := s.stream(ctx)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	img, err := readArchive(ctx, rc, s.Reference, s.selector, o, s.layers, s.zero)
	if err != nil {
		return nil, err
	}
	s.id.apply(img)
	return img, nil
}

// LoadOption configures Load.
type LoadOption func(*loadOptions) error

type loadOptions struct {
	stall     time.Duration
	platform  *v1.Platform
	insecure  bool
	keychain  authn.Keychain
	remote    []remote.Option
	useDaemon bool
	stdin     io.Reader // what "-" reads; nil: "-" is refused
}

func makeLoadOptions(opts ...LoadOption) (*loadOptions, error) {
	o := &loadOptions{keychain: authn.DefaultKeychain, useDaemon: true, stall: DefaultStallTimeout}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// WithStdin lets the reference "-" read a `docker save` stream (plain or
// gzip/zstd, as `docker save app | stagescope inspect -`) from r, once.
func WithStdin(r io.Reader) LoadOption {
	return func(o *loadOptions) error {
		o.stdin = r
		return nil
	}
}

// WithPlatform picks the image for os/arch[/variant] from a multi-platform
// index. The default is the host's platform.
func WithPlatform(p string) LoadOption {
	return func(o *loadOptions) error {
		if p == "" {
			return nil
		}
		pl, err := parsePlatform(p)
		if err != nil {
			return err
		}
		o.platform = pl
		return nil
	}
}

// parsePlatform reads a platform as docker does (containerd's parser):
// os/arch[/variant], a lone architecture (arm64, aarch64, x86_64) for the
// linux images a container engine runs, and the architecture and variant
// spellings it normalises (arm64/v8, armhf, amd64/v2 ...).
func parsePlatform(s string) (*v1.Platform, error) {
	p, err := platforms.Parse(s)
	if err != nil || p.Architecture == "" {
		return nil, fmt.Errorf("invalid platform %q: want os/arch[/variant] (linux/arm64, linux/arm/v7) or an architecture (arm64)", s)
	}
	if !strings.Contains(s, "/") && p.OS == runtime.GOOS && !strings.EqualFold(s, runtime.GOOS) {
		// a lone architecture: containerd takes the host's OS, but the
		// images a registry or engine holds for it are linux ones
		p.OS = "linux"
	}
	return &v1.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant, OSVersion: p.OSVersion}, nil
}

// WithStallTimeout sets how long a registry may keep a request waiting
// (for its headers or its body's bytes) while sending less than 1 KiB
// before the request fails (default DefaultStallTimeout; 0: no limit). It
// is separate from any deadline of the whole run, which ctx carries.
func WithStallTimeout(d time.Duration) LoadOption {
	return func(o *loadOptions) error {
		if d < 0 {
			return fmt.Errorf("stall timeout must not be negative, got %s", d)
		}
		o.stall = d
		return nil
	}
}

// WithInsecure allows plain-HTTP and unverified-TLS registries.
func WithInsecure() LoadOption {
	return func(o *loadOptions) error {
		o.insecure = true
		return nil
	}
}

// WithRemoteOptions adds go-containerregistry remote options (transport,
// retries, user agent) for registry sources.
func WithRemoteOptions(ro ...remote.Option) LoadOption {
	return func(o *loadOptions) error {
		o.remote = append(o.remote, ro...)
		return nil
	}
}

// WithoutDaemon never consults a local engine for references without a
// transport prefix.
func WithoutDaemon() LoadOption {
	return func(o *loadOptions) error {
		o.useDaemon = false
		return nil
	}
}

func (o *loadOptions) wantPlatform() v1.Platform {
	if o.platform != nil {
		return *o.platform
	}
	return v1.Platform{OS: "linux", Architecture: runtime.GOARCH}
}

var transports = map[string]Kind{
	"docker://":       KindRegistry,
	"docker-archive:": KindDockerArchive,
	"oci:":            KindOCILayout,
	"oci-archive:":    KindOCIArchive,
	"docker-daemon:":  KindDaemon,
}

// unsupported transports that skopeo users may type.
var foreignTransports = []string{"containers-storage:", "dir:", "ostree:", "sif:", "tarball:"}

// Load finds the image ref names. ref may carry a transport prefix
// (docker://, docker-archive:, oci:, oci-archive:, docker-daemon:); without
// one, an existing path is opened as a file or directory (its format sniffed
// from its contents), else the local engine is asked when it is reachable,
// else the registry.
func Load(ctx context.Context, ref string, opts ...LoadOption) (*Source, error) {
	o, err := makeLoadOptions(opts...)
	if err != nil {
		return nil, err
	}
	src, err := load(ctx, ref, o)
	if err != nil {
		return nil, err
	}
	if err := checkPlatform(src, o); err != nil {
		return nil, err
	}
	return src, nil
}

// checkPlatform holds the image to an explicit --platform, as docker pull
// does: its config names its platform. This is what catches a
// single-platform image (an archive, a layout's or a registry's) of another
// platform; an index's pick passes, as its config agrees with the index.
func checkPlatform(src *Source, o *loadOptions) error {
	if o.platform == nil || src.Image == nil || src.Kind == KindDaemon {
		return nil // the daemon source checks the engine's image itself
	}
	cfg, err := src.Image.ConfigFile()
	if err != nil || cfg == nil || cfg.OS == "" || cfg.Architecture == "" {
		return nil // unreadable configs fail in Read, with the whole story
	}
	have := v1.Platform{OS: cfg.OS, Architecture: cfg.Architecture, Variant: cfg.Variant}
	if !satisfies(have, *o.platform) {
		return fmt.Errorf("%s: the image is %s, not %s (--platform)", src.Reference, have.String(), o.platform.String())
	}
	return nil
}

func load(ctx context.Context, ref string, o *loadOptions) (*Source, error) {
	if ref == "" {
		return nil, errors.New("empty image reference")
	}
	if ref == "-" || ref == "docker-archive:-" {
		return stdinSource(o)
	}
	for prefix, kind := range transports {
		if strings.HasPrefix(ref, prefix) {
			return loadKind(ctx, kind, strings.TrimPrefix(ref, prefix), o)
		}
	}
	for _, prefix := range foreignTransports {
		if strings.HasPrefix(ref, prefix) {
			return nil, fmt.Errorf("unsupported transport %q in %q (use docker://, docker-archive:, oci:, oci-archive: or docker-daemon:)", strings.TrimSuffix(prefix, ":"), ref)
		}
	}
	if i := strings.Index(ref, "://"); i > 0 {
		return nil, fmt.Errorf("unknown transport %q in %q (use docker://, docker-archive:, oci:, oci-archive: or docker-daemon:)", ref[:i], ref)
	}
	if _, err := os.Stat(ref); err == nil {
		kind, idx, err := sniff(ref)
		if err != nil {
			return nil, err
		}
		switch kind {
		case KindDockerArchive:
			return loadDockerArchive(ref, "", idx)
		case KindOCIArchive:
			return loadOCIArchive(ref, "", idx, o)
		}
		return loadKind(ctx, kind, ref, o)
	}
	if looksLikePath(ref) {
		return nil, fmt.Errorf("opening %s: no such file or directory", ref)
	}
	if _, err := name.ParseReference(ref); err != nil {
		return nil, fmt.Errorf("invalid image reference %q: %w", ref, err)
	}
	if o.useDaemon {
		if src, err := loadDaemon(ctx, ref, o, true); err == nil {
			return src, nil
		} else if !errors.Is(err, errNotInDaemon) {
			return nil, err
		}
	}
	return loadRemote(ctx, ref, o)
}

// looksLikePath tells file-like arguments from image references, so that a
// mistyped file name is not sent to a registry.
func looksLikePath(ref string) bool {
	if strings.HasPrefix(ref, "/") || strings.HasPrefix(ref, "./") || strings.HasPrefix(ref, "../") || strings.HasPrefix(ref, "~") {
		return true
	}
	switch strings.ToLower(filepath.Ext(ref)) {
	case ".tar", ".tgz", ".gz":
		return true
	}
	return false
}

func loadKind(ctx context.Context, kind Kind, ref string, o *loadOptions) (*Source, error) {
	switch kind {
	case KindRegistry:
		return loadRemote(ctx, ref, o)
	case KindDockerArchive:
		path, sel := splitArchiveRef(ref)
		return loadDockerArchive(path, sel, nil)
	case KindOCILayout:
		path, sel := splitArchiveRef(ref)
		return loadLayout(path, sel, o)
	case KindOCIArchive:
		path, sel := splitArchiveRef(ref)
		return loadOCIArchive(path, sel, nil, o)
	case KindDaemon:
		return loadDaemon(ctx, ref, o, false)
	}
	return nil, fmt.Errorf("unknown source kind %q", kind)
}

// remoteOptions are the go-containerregistry options of every registry
// request.
func (o *loadOptions) remoteOptions(ctx context.Context) []remote.Option {
	base := remote.DefaultTransport
	if o.insecure {
		// Plain HTTP (name.Insecure) and certificates that do not verify.
		if t, ok := remote.DefaultTransport.(*http.Transport); ok {
			t = t.Clone()
			t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // --insecure asks for exactly this
			base = t
		}
	}
	return append([]remote.Option{
		remote.WithContext(ctx),
		remote.WithTransport(newRetryAfterTransport(newGuardTransport(base, o.stall))),
		remote.WithAuthFromKeychain(o.keychain),
		remote.WithPlatform(o.wantPlatform()),
	}, o.remote...)
}

func loadRemote(ctx context.Context, ref string, o *loadOptions) (*Source, error) {
	var nopts []name.Option
	if o.insecure {
		nopts = append(nopts, name.Insecure)
	}
	r, err := name.ParseReference(ref, nopts...)
	if err != nil {
		return nil, fmt.Errorf("invalid image reference %q: %w", ref, err)
	}
	desc, err := remote.Get(r, o.remoteOptions(ctx)...)
	if err != nil {
		return nil, describeRegistryError(r, err)
	}
	var img v1.Image
	id := identity{repoDigests: []string{r.Context().Name() + "@" + desc.Digest.String()}}
	if t, ok := r.(name.Tag); ok {
		id.repoTags = []string{t.Name()}
	}
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err != nil {
			return nil, fmt.Errorf("reading index of %s: %w", r.Name(), err)
		}
		var nested string
		img, nested, err = pickPlatform(idx, o, r.Name())
		if err != nil {
			return nil, err
		}
		id.indexDigest = cmp.Or(nested, desc.Digest.String())
	} else {
		img, err = desc.Image()
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", r.Name(), err)
		}
	}
	if err := checkDescriptors(img, r.Name()); err != nil {
		return nil, err
	}
	return &Source{Image: compressedImage{Image: img, verified: true, remote: true}, Reference: r.Name(), Kind: KindRegistry, id: id}, nil
}

// satisfies tells whether an image of platform have runs on want. A missing
// ARM variant is the one docker assumes (v8 for arm64, v7 for arm): many
// arm64 configs and index entries name none, and --platform linux/arm64/v8
// must still find them.
func satisfies(have, want v1.Platform) bool {
	norm := func(p v1.Platform) v1.Platform {
		if p.Variant == "" {
			switch p.Architecture {
			case "arm64":
				p.Variant = "v8"
			case "arm":
				p.Variant = "v7"
			}
		}
		return p
	}
	return norm(have).Satisfies(norm(want))
}

// pickPlatform selects the wanted platform's image from an index, with an
// error that lists the platforms there are. nested is the digest of the
// index inside idx it took the image from, when it went down into one.
func pickPlatform(idx v1.ImageIndex, o *loadOptions, what string) (img v1.Image, nested string, err error) {
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, "", fmt.Errorf("reading index of %s: %w", what, err)
	}
	want := o.wantPlatform()
	var avail []string
	for _, m := range im.Manifests {
		if m.Platform == nil {
			continue
		}
		avail = append(avail, m.Platform.String())
		if satisfies(*m.Platform, want) {
			img, err := idx.Image(m.Digest)
			if err != nil {
				return nil, "", located(err, "reading %s for %s", what, m.Platform)
			}
			return img, "", nil
		}
	}
	// Single-image indexes (OCI layouts, docker ≥ 25 saves) often carry no
	// platform: take their only image; Load checks an explicit --platform
	// against its config.
	if len(im.Manifests) == 1 && im.Manifests[0].Platform == nil {
		d := im.Manifests[0]
		if d.MediaType.IsIndex() {
			child, err := idx.ImageIndex(d.Digest)
			if err != nil {
				return nil, "", located(err, "reading nested index of %s", what)
			}
			img, deeper, err := pickPlatform(child, o, what)
			return img, cmp.Or(deeper, d.Digest.String()), err
		}
		if !d.MediaType.IsImage() {
			return nil, "", fmt.Errorf("%s: manifest %s has unsupported media type %q", what, d.Digest, d.MediaType)
		}
		img, err := idx.Image(d.Digest)
		if err != nil {
			return nil, "", located(err, "reading %s", what)
		}
		return img, "", nil
	}
	if len(avail) == 0 {
		return nil, "", fmt.Errorf("%s: index has no image for %s", what, want.String())
	}
	return nil, "", fmt.Errorf("%s: no image for platform %s (available: %s); pick one with --platform", what, want.String(), firstFew(avail))
}

// splitArchiveRef splits PATH[:SELECTOR] (docker-archive:PATH:TAG,
// oci:PATH:NAME, …): the longest prefix that exists is the path.
func splitArchiveRef(ref string) (path, sel string) {
	if _, err := os.Stat(ref); err == nil {
		return ref, ""
	}
	for i := len(ref) - 1; i > 0; i-- {
		if ref[i] != ':' {
			continue
		}
		if _, err := os.Stat(ref[:i]); err == nil {
			return ref[:i], ref[i+1:]
		}
	}
	return ref, ""
}

func archiveRef(path, sel string) string {
	if sel == "" {
		return path
	}
	return path + ":" + sel
}

// loadDockerArchive opens a docker save archive. An uncompressed archive is
// read in place through its tar index (idx, when the caller already built
// it); a gzip- or zstd-compressed one is read as a stream by Source.Read.
func loadDockerArchive(path, sel string, idx *tarIndex) (*Source, error) {
	if idx == nil {
		if err := wantFile(path, "a docker save archive", "oci:"); err != nil {
			return nil, err
		}
		head, err := readHead(path, nil)
		if err != nil {
			return nil, err
		}
		if c := compressionOf(head); c != plainTar {
			return compressedDockerArchive(path, sel, c)
		}
		if !isTarHeader(head) {
			return nil, fmt.Errorf("%s is not a docker save archive: not a tar archive", path)
		}
		if idx, err = indexTar(path); err != nil {
			return nil, err
		}
	}
	if !idx.has("manifest.json") {
		if idx.has("index.json") {
			return nil, fmt.Errorf("%s is not a docker save archive: no manifest.json (it is an OCI archive: use oci-archive:%s)", path, path)
		}
		return nil, fmt.Errorf("%s is not a docker save archive: no manifest.json", path)
	}
	d, err := readDockerSave(idx, sel)
	if err != nil {
		return nil, err
	}
	if hashed, err := d.unnamedCompressed(idx); err != nil {
		return nil, err
	} else if hashed {
		// Its blob digests are only known once the layers are hashed:
		// read the archive once, as a stream, hashing as it goes.
		return &Source{
			Image:     &lazyImage{open: func() (v1.Image, error) { return d.image(idx) }, rawConfig: d.rawCfg},
			Reference: archiveRef(path, sel),
			Kind:      KindDockerArchive,
			selector:  sel,
			layers:    len(d.entry.Layers),
			stream:    fileStream(path),
			zero:      zeroHint{member: idx.target(d.entry.Layers[0])},
		}, nil
	}
	img, err := d.image(idx)
	if err != nil {
		return nil, err
	}
	id := identity{repoTags: d.entry.RepoTags, madeManifest: !d.stored}
	return &Source{Image: compressedImage{Image: img, verified: true}, Reference: archiveRef(path, sel), Kind: KindDockerArchive, id: id}, nil
}

// compressedDockerArchive is `docker save | gzip`: it cannot be read in place,
// so Source.Read streams it once. Image decompresses the file again for each
// layer it is asked for: correct, but slow.
func compressedDockerArchive(path, sel string, c compression) (*Source, error) {
	dec := decompressorFor(c)
	opener := func() (io.ReadCloser, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("opening %s: %w", path, unwrapPathError(err))
		}
		r, err := dec(f)
		if err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return sectionCloser{r, f.Close}, nil
	}
	return &Source{
		Image: &lazyImage{open: func() (v1.Image, error) {
			var tag *name.Tag
			if sel != "" {
				t, err := name.NewTag(sel)
				if err != nil {
					return nil, fmt.Errorf("%s: %q is not a tag: %w", path, sel, err)
				}
				tag = &t
			}
			return tarball.Image(opener, tag)
		}},
		Reference: archiveRef(path, sel),
		Kind:      KindDockerArchive,
		selector:  sel,
		stream:    fileStream(path),
	}, nil
}

// fileStream opens the file at path as the stream Source.Read consumes.
func fileStream(path string) func(context.Context) (io.ReadCloser, error) {
	return func(context.Context) (io.ReadCloser, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("opening %s: %w", path, unwrapPathError(err))
		}
		return f, nil
	}
}

// wantFile checks that path is a regular file, naming what was expected and
// the prefix to use for a directory.
func wantFile(path, what, dirPrefix string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("opening %s: %w", path, unwrapPathError(err))
	}
	if fi.IsDir() {
		return fmt.Errorf("%s is not %s: a directory (for an OCI image layout use %s%s)", path, what, dirPrefix, path)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not %s: not a regular file", path, what)
	}
	return nil
}

// loadLayout opens an OCI image layout directory.
func loadLayout(path, sel string, o *loadOptions) (*Source, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, unwrapPathError(err))
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not an OCI image layout: not a directory (for a tar of one use oci-archive:%s)", path, path)
	}
	idx, err := readOCIIndex(dirStore(path))
	if err != nil {
		return nil, err
	}
	img, id, err := pickFromLayout(idx, path, sel, "oci:", o)
	if err != nil {
		return nil, err
	}
	return &Source{Image: compressedImage{Image: img, verified: true}, Reference: archiveRef(path, sel), Kind: KindOCILayout, id: id}, nil
}

// refNameAnnotation names an image of an OCI layout's index.
const refNameAnnotation = "org.opencontainers.image.ref.name"

// pickFromLayout picks the image of an OCI layout's index that sel names
// (its org.opencontainers.image.ref.name, or @N for the index's Nth entry),
// or, without sel, the one image the layout holds, for the wanted platform
// when that image has several. A layout of several images (entries with
// different names, or unnamed entries that name no platform) is never
// picked from silently: the error lists what it holds. prefix is the
// transport, for the hint in errors.
func pickFromLayout(x *ociIndex, path, sel, prefix string, o *loadOptions) (img v1.Image, id identity, err error) {
	ms := x.im.Manifests
	if sel == "" {
		if several(ms) {
			return nil, id, fmt.Errorf("%s holds %d images (%s); pick one with %s%s:NAME", path, len(ms), layoutNames(ms), prefix, path)
		}
		img, id.indexDigest, err = pickPlatform(x, o, path)
		if len(ms) > 0 { // the one image's entries share a name (several)
			id.repoTags = layoutTags(ms[0])
		}
		return img, id, err
	}
	what := path + ":" + sel
	if n, ok := strings.CutPrefix(sel, "@"); ok {
		i, err := strconv.Atoi(n)
		if err != nil || i < 0 || i >= len(ms) {
			return nil, id, fmt.Errorf("%s: no image %s: it holds images @0 to @%d (%s)", path, sel, len(ms)-1, layoutNames(ms))
		}
		img, id.indexDigest, err = layoutEntry(x, ms[i], o, what)
		id.repoTags = layoutTags(ms[i])
		return img, id, err
	}
	var match []v1.Descriptor
	for _, d := range ms {
		if n := d.Annotations[refNameAnnotation]; n != "" && (n == sel || sameTag(n, sel)) {
			match = append(match, d)
		}
	}
	if len(match) == 0 {
		return nil, id, fmt.Errorf("%s: no image named %s (it holds %s)", path, sel, layoutNames(ms))
	}
	id.repoTags = layoutTags(match[0])
	if len(match) == 1 {
		img, id.indexDigest, err = layoutEntry(x, match[0], o, what)
		return img, id, err
	}
	// one name for several platforms: the wanted platform's image
	sub := *x.im
	sub.Manifests = match
	img, id.indexDigest, err = pickPlatform(entriesOf{x, &sub}, o, what)
	return img, id, err
}

// containerdNameAnnotation is the whole name containerd (and docker ≥ 25's
// docker save) writes beside a ref.name that may be only a tag.
const containerdNameAnnotation = "io.containerd.image.name"

// layoutTags names the image of a layout's index entry as the layout does:
// containerd's whole name when the entry has one, else its ref.name as
// written (a whole reference, "localhost/app:1.0", or only a tag, "1.0",
// as skopeo's oci:DIR:TAG writes it).
func layoutTags(d v1.Descriptor) []string {
	if n := cmp.Or(d.Annotations[containerdNameAnnotation], d.Annotations[refNameAnnotation]); n != "" {
		return []string{n}
	}
	return nil
}

// entriesOf is an index with only some of its entries.
type entriesOf struct {
	*ociIndex
	im *v1.IndexManifest
}

func (e entriesOf) IndexManifest() (*v1.IndexManifest, error) { return e.im.DeepCopy(), nil }

// several tells whether an index's entries are several images rather than
// one image for several platforms: entries under different names, or more
// than one entry and none of them naming its platform.
func several(ms []v1.Descriptor) bool {
	if len(ms) < 2 {
		return false
	}
	withPlatform := 0
	for _, d := range ms {
		if d.Annotations[refNameAnnotation] != ms[0].Annotations[refNameAnnotation] {
			return true
		}
		if d.Platform != nil {
			withPlatform++
		}
	}
	return withPlatform == 0
}

// layoutNames lists a layout's images for an error: each entry's name, or
// @N for an unnamed one (pick it with :@N), with its platform when it names one.
func layoutNames(ms []v1.Descriptor) string {
	names := make([]string, len(ms))
	for i, d := range ms {
		n := d.Annotations[refNameAnnotation]
		if n == "" {
			n = "@" + strconv.Itoa(i)
		}
		if d.Platform != nil {
			n += " [" + d.Platform.String() + "]"
		}
		names[i] = n
	}
	return firstFew(names)
}

// layoutEntry opens one entry of a layout's index: an image, or an index
// whose image for the wanted platform is taken (nested is then the digest
// of the index it came from).
func layoutEntry(x *ociIndex, d v1.Descriptor, o *loadOptions, what string) (img v1.Image, nested string, err error) {
	if d.MediaType.IsIndex() {
		child, err := x.ImageIndex(d.Digest)
		if err != nil {
			return nil, "", err
		}
		picked, deeper, err := pickPlatform(child, o, what)
		return picked, cmp.Or(deeper, d.Digest.String()), err
	}
	img, err = x.Image(d.Digest)
	return img, "", err
}

// loadOCIArchive opens a tar of an OCI image layout in place, serving each
// blob from its offset in the tar (idx, when the caller already built it).
func loadOCIArchive(path, sel string, idx *tarIndex, o *loadOptions) (*Source, error) {
	if idx == nil {
		if err := wantFile(path, "an OCI archive", "oci:"); err != nil {
			return nil, err
		}
		head, err := readHead(path, nil)
		if err != nil {
			return nil, err
		}
		if c := compressionOf(head); c != plainTar {
			return nil, fmt.Errorf("%s: %s-compressed OCI archives cannot be read in place; decompress it first", path, c)
		}
		if !isTarHeader(head) {
			return nil, fmt.Errorf("%s is not an OCI archive: not a tar archive", path)
		}
		if idx, err = indexTar(path); err != nil {
			return nil, err
		}
	}
	if !idx.has("index.json") {
		if idx.has("manifest.json") {
			return nil, fmt.Errorf("%s is not an OCI archive: no index.json (it is a docker save archive: use docker-archive:%s)", path, path)
		}
		return nil, fmt.Errorf("%s is not an OCI archive: no index.json", path)
	}
	x, err := readOCIIndex(idx)
	if err != nil {
		return nil, err
	}
	img, id, err := pickFromLayout(x, path, sel, "oci-archive:", o)
	if err != nil {
		return nil, err
	}
	return &Source{Image: compressedImage{Image: img, verified: true}, Reference: archiveRef(path, sel), Kind: KindOCIArchive, id: id}, nil
}

// located adds context to err unless err already names where it happened:
// the local sources' errors start with the path they are about.
func located(err error, format string, args ...any) error {
	if what, ok := args[0].(string); ok && strings.HasPrefix(err.Error(), what) {
		return err
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// compressedImage marks an image whose layer blobs are stored compressed, so
// that Read fetches the blob and decompresses it itself. verified says the
// source checks blob digests itself (the registry client does).
type compressedImage struct {
	v1.Image
	verified bool // the layers' Compressed() checks blob digests itself
	remote   bool // blobs come over the network
}

func (c compressedImage) Layers() ([]v1.Layer, error) {
	ls, err := c.Image.Layers()
	if err != nil {
		return nil, err
	}
	out := make([]v1.Layer, len(ls))
	for i, l := range ls {
		out[i] = compressedLayer{Layer: l, verified: c.verified, remote: c.remote}
	}
	return out, nil
}

type compressedLayer struct {
	v1.Layer
	verified bool
	remote   bool
}

func (compressedLayer) StoredCompressed() bool { return true }

func (c compressedLayer) BlobsVerified() bool { return c.verified }

// Retryable: registry layers come over the network and may be fetched again.
func (c compressedLayer) Retryable() bool { return c.remote }

// checkDescriptors refuses, before anything is read, a manifest whose
// config claims a negative size or more than maxMetadata bytes (the config
// is read into memory), or whose layers claim a negative size (a layer is
// read against its size).
func checkDescriptors(img v1.Image, what string) error {
	m, err := img.Manifest()
	if err != nil {
		return fmt.Errorf("reading %s: %w", what, err)
	}
	if sz := m.Config.Size; sz < 0 || sz > maxMetadata {
		return fmt.Errorf("%s: config %s claims %d bytes; a config must be 0 to %d bytes", what, shortDigest(m.Config.Digest.String()), sz, maxMetadata)
	}
	for i, l := range m.Layers {
		if l.Size < 0 {
			return fmt.Errorf("%s: layer %d (%s) claims %d bytes; a layer's size must be known", what, i, shortDigest(l.Digest.String()), l.Size)
		}
	}
	return nil
}

// firstFew lists the first few of items and counts the rest, so that an
// index of thousands of entries still makes a one-line error.
func firstFew(items []string) string {
	const few = 8
	if len(items) <= few {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more, %d in all", strings.Join(items[:few], ", "), len(items)-few, len(items))
}

// stdinSource reads a docker save stream from standard input, in the one
// pass Source.Read makes; nothing is written to disk. The image behind it
// cannot be opened a second time.
func stdinSource(o *loadOptions) (*Source, error) {
	if o.stdin == nil {
		return nil, errors.New(`"-" reads an image from standard input, and this is a terminal: pipe one in (docker save app:1 | stagescope inspect -)`)
	}
	var used atomic.Bool
	return &Source{
		Image: &lazyImage{open: func() (v1.Image, error) {
			return nil, errors.New("standard input holds one stream, read once")
		}},
		Reference: "-",
		Kind:      KindDockerArchive,
		stream: func(context.Context) (io.ReadCloser, error) {
			if used.Swap(true) {
				return nil, errors.New("standard input holds one stream, read once")
			}
			return io.NopCloser(o.stdin), nil
		},
	}, nil
}
