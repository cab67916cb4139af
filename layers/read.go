package layers

import (
	"archive/tar"
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/djherbis/buffer"
	"github.com/djherbis/nio/v3"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/klauspost/readahead"
	"golang.org/x/sync/errgroup"
)

// Image is what Read learned about an image: its identity, config summary and
// every layer's entries.
type Image struct {
	// Digest is the digest of the image manifest as the source stores it:
	// a registry's, an OCI layout's or archive's, a docker save's OCI
	// index (docker ≥ 25). It is "" when the source stores no manifest (a
	// classic docker save, an engine's image): a manifest stagescope would
	// make up has a digest no registry knows.
	Digest string
	// IndexDigest is the digest of the multi-platform index the reference
	// named, when Digest is its entry for one platform; "" otherwise.
	IndexDigest string
	// ConfigDigest is the digest of the image config: the image ID that
	// docker and podman show.
	ConfigDigest string
	// RepoTags and RepoDigests name the image as the source does: a docker
	// save's manifest.json RepoTags; an engine's tags and repo digests; a
	// registry reference's repo:tag and repo@digest (the digest pulled:
	// the index's for a multi-platform image).
	RepoTags    []string
	RepoDigests []string
	Platform    string // os/arch[/variant] from the config
	Config      Config
	Layers      []Layer
	// Annotations are the manifest's annotations (org.opencontainers.image.base.name,
	// …), nil when the source has none.
	Annotations map[string]string
}

// Config is the part of the image config that is safe to show: never the
// environment, which may hold secrets.
type Config struct {
	User         string
	Entrypoint   []string
	Cmd          []string
	WorkingDir   string
	ExposedPorts []string
	Created      string
	// Env and Labels are held for the analyzers (the secret scan) and
	// never printed as they are.
	Env    []string
	Labels map[string]string
	// History is the config's whole history, empty_layer entries included,
	// oldest first: what a Dockerfile is matched against.
	History []History
}

// History is one entry of the image config's history.
type History struct {
	CreatedBy  string
	EmptyLayer bool
}

// Layer is one layer of an image and its entries in tar order.
type Layer struct {
	Index  int
	Digest string // compressed blob digest
	DiffID string // digest of the uncompressed tar, as the image config claims it
	// DiffIDVerified says that this read hashed the layer's uncompressed
	// tar and found DiffID (or took the layer from a known layer with the
	// same blob digest and diff ID that was so verified; see
	// WithKnownLayers). A diff ID that is not verified is only a claim of
	// the config: never key shared layers or a cache by it.
	DiffIDVerified bool
	MediaType      string
	CreatedBy      string // history of the instruction that made it ("" if unknown)
	CompressedSize int64
	Size           int64 // bytes of the uncompressed tar stream
	EntryCount     int   // tar entries read; kept when Entries are dropped (see WithEntries)
	Entries        []Entry
	Files          []File // captured contents (see WithCapture)
	Content        any    // what the content scanner made of it (see WithContentScan)
	// Sparse lists the layer's sparse files, whose entries count the
	// bytes the layer stores for them (see SparseFile).
	Sparse []SparseFile
}

// File is a small file whose contents were captured while streaming.
type File struct {
	Path string
	Data []byte
}

// Read streams every layer of img once, in parallel, and returns their
// entries. Nothing is written to disk and no file contents are kept except
// those selected by WithCapture.
func Read(ctx context.Context, img v1.Image, opts ...Option) (*Image, error) {
	o, err := makeOptions(opts...)
	if err != nil {
		return nil, err
	}
	out := &Image{}
	if d, err := img.Digest(); err == nil {
		out.Digest = d.String()
	}
	if d, err := img.ConfigName(); err == nil {
		out.ConfigDigest = d.String()
	}
	if m, err := img.Manifest(); err == nil && m != nil && len(m.Annotations) > 0 {
		out.Annotations = m.Annotations
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading image config: %w", err)
	}
	if cfg == nil {
		return nil, errors.New("reading image config: image has no config")
	}
	out.Platform = platformString(cfg.OS, cfg.Architecture, cfg.Variant)
	out.Config = summarizeConfig(cfg)

	ls, err := img.Layers()
	if err != nil {
		return nil, fmt.Errorf("listing layers: %w", err)
	}
	createdBy := layerHistory(cfg.History, len(ls))
	out.Layers = make([]Layer, len(ls))
	var total int64
	for i, l := range ls {
		meta, err := layerMeta(i, l)
		if err != nil {
			return nil, err
		}
		meta.CreatedBy = createdBy[i]
		out.Layers[i] = meta
		total += meta.CompressedSize
	}

	var (
		bytesRead  atomic.Int64
		layersDone atomic.Int64
		progMu     sync.Mutex
	)
	report := func() {
		if o.progress == nil {
			return
		}
		progMu.Lock()
		defer progMu.Unlock()
		o.progress(Progress{
			LayersDone:  int(layersDone.Load()),
			LayersTotal: len(ls),
			BytesRead:   bytesRead.Load(),
			BytesTotal:  total,
		})
	}
	// Merging stops at the first layer that fails: the layers above it
	// will never be handed on, and the work would be thrown away.
	mctx, stopMerging := context.WithCancel(ctx)
	defer stopMerging()
	parts := newPartials(o, len(ls))
	deliver, merged := inOrder(mctx, out.Layers, o.entries, parts, o.partial)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(o.parallelism)
	for _, i := range readOrder(out.Layers, o.parallelism) {
		l := ls[i]
		if k, ok := o.known[knownKey{out.Layers[i].Digest, out.Layers[i].DiffID}]; ok && !o.claimedDigests {
			lay := &out.Layers[i]
			lay.Size, lay.EntryCount, lay.Entries, lay.Files, lay.Content = k.Size, k.EntryCount, k.Entries, k.Files, k.Content
			lay.DiffIDVerified = true
			layersDone.Add(1)
			report()
			if o.layerDone != nil {
				progMu.Lock()
				o.layerDone(*lay)
				progMu.Unlock()
			}
			deliver(i)
			continue
		}
		g.Go(func() error {
			lay := &out.Layers[i]
			if !fromCache(gctx, o, lay) {
				// A layer too large to share the cores with the others
				// gets a read-ahead goroutine (see readLayer).
				ahead := lay.CompressedSize*int64(o.parallelism) > total
				if err := readLayerRetrying(gctx, l, lay, o, ahead, &bytesRead, report, parts.publisher(i)); err != nil {
					stopMerging()
					return fmt.Errorf("reading layer %d (%s): %w", i, shortDigest(lay.Digest), err)
				}
				// A layer with sparse files is not cached: the record has
				// no room for their sizes.
				if o.cache != nil && lay.DiffIDVerified && len(lay.Sparse) == 0 { // the bytes proved the diff ID
					o.cache.Put(gctx, lay)
				}
			}
			layersDone.Add(1)
			report()
			if o.layerDone != nil {
				progMu.Lock()
				o.layerDone(*lay)
				progMu.Unlock()
			}
			deliver(i)
			return nil
		})
	}
	err = g.Wait()
	merged()
	if ctx.Err() != nil {
		return nil, ctx.Err() // fn may have missed layers
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// readOrder is the order in which layers start. A layer too large to
// leave to the end, larger than a 2×parallelism-th of the image, starts
// first, largest first, so that no core idles at the end while another
// reads it alone. The others follow in index order, so that each can be
// merged soon after it is read: a small low layer read last would hold up
// the merge of every layer above it, which then waits in memory and is
// merged after the reading ends, on one core.
func readOrder(ls []Layer, parallelism int) []int {
	var total int64
	for _, l := range ls {
		total += l.CompressedSize
	}
	big := func(i int) bool { return ls[i].CompressedSize*int64(2*parallelism) > total }
	var order, rest []int
	for i := range ls {
		if big(i) {
			order = append(order, i)
		} else {
			rest = append(rest, i)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(ls[b].CompressedSize, ls[a].CompressedSize) })
	return append(order, rest...)
}

// inOrder returns the function a reader calls when layer i has been read,
// and the function that waits until every delivered layer is handed on.
// A goroutine of its own hands fn the entries of every layer that is read
// along with all the layers below it, lowest first, and drops them, so that
// merging never holds up a reader. While it waits for the next layer, it
// hands partial the entries read of it so far that parts publishes (see
// WithPartialEntries). Once ctx is done, it drops layers without calling
// fn. With a nil fn it does nothing.
func inOrder(ctx context.Context, ls []Layer, fn func(context.Context, int, []Entry), parts *partials, partial func(context.Context, int, []Entry)) (deliver func(i int), wait func()) {
	if fn == nil {
		return func(int) {}, func() {}
	}
	ready := make(chan int, len(ls))
	done := make(chan struct{})
	go func() {
		defer close(done)
		read := make([]bool, len(ls))
		next, had := 0, 0 // had: the entries of next handed to partial
		for {
			select {
			case i, ok := <-ready:
				if !ok {
					return
				}
				read[i] = true
				for next < len(ls) && read[next] {
					if ctx.Err() == nil {
						fn(ctx, next, ls[next].Entries)
					}
					ls[next].Entries = nil
					parts.drop(next)
					next, had = next+1, 0
				}
			case <-parts.wakeup():
				if next < len(ls) {
					had = parts.hand(ctx, next, had, partial)
				}
			}
		}
	}()
	var once sync.Once
	return func(i int) { ready <- i }, func() {
		once.Do(func() { close(ready) })
		<-done
	}
}
func shortDigest(d string) string {
	if i := strings.IndexByte(d, ':'); i >= 0 && len(d) > i+13 {
		return d[:i+13] + "…"
	}
	return d
}

func platformString(os, arch, variant string) string {
	p := os + "/" + arch
	if variant != "" {
		p += "/" + variant
	}
	return p
}

func summarizeConfig(cfg *v1.ConfigFile) Config {
	c := Config{
		User:       cfg.Config.User,
		Entrypoint: cfg.Config.Entrypoint,
		Cmd:        cfg.Config.Cmd,
		WorkingDir: cfg.Config.WorkingDir,
	}
	c.Env = cfg.Config.Env
	c.Labels = cfg.Config.Labels
	for _, h := range cfg.History {
		c.History = append(c.History, History{CreatedBy: h.CreatedBy, EmptyLayer: h.EmptyLayer})
	}
	if !cfg.Created.IsZero() {
		c.Created = cfg.Created.UTC().Format("2006-01-02T15:04:05Z")
	}
	for p := range cfg.Config.ExposedPorts {
		c.ExposedPorts = append(c.ExposedPorts, p)
	}
	slices.Sort(c.ExposedPorts)
	return c
}

// layerHistory maps the non-empty history entries onto layers, in order.
// Missing entries leave "".
func layerHistory(h []v1.History, n int) []string {
	out := make([]string, n)
	i := 0
	for _, e := range h {
		if e.EmptyLayer {
			continue
		}
		if i >= n {
			break
		}
		out[i] = strings.TrimSpace(e.CreatedBy)
		i++
	}
	return out
}

func layerMeta(i int, l v1.Layer) (Layer, error) {
	m := Layer{Index: i}
	d, err := l.Digest()
	if err != nil {
		return m, fmt.Errorf("layer %d: digest: %w", i, err)
	}
	m.Digest = d.String()
	diffID, err := l.DiffID()
	if err != nil {
		return m, fmt.Errorf("layer %d (%s): diff ID: %w", i, shortDigest(m.Digest), err)
	}
	m.DiffID = diffID.String()
	if sz, err := l.Size(); err == nil {
		m.CompressedSize = sz
	}
	if mt, err := l.MediaType(); err == nil {
		m.MediaType = string(mt)
	}
	return m, nil
}

// storedCompressed is implemented by layers that know whether their stored
// blob is compressed. Layers from registries and OCI layouts store
// compressed blobs; asking them for Compressed() and decompressing here is
// faster than their own Uncompressed().
type storedCompressed interface {
	StoredCompressed() bool
}

// verifiedBlobs is implemented by layers whose Compressed() stream already
// checks the blob digest (registry layers do).
type verifiedBlobs interface {
	BlobsVerified() bool
}

// openedLayer is a layer's uncompressed tar stream and what checks it, all
// in the one read of its bytes.
type openedLayer struct {
	stream io.ReadCloser // the uncompressed tar
	blob   io.Reader     // the stored bytes, for blameDigest
	// blobRead counts the bytes read from the stored blob: the
	// decompression ratio is measured against them, never against a size
	// a descriptor claims.
	blobRead *atomic.Int64
	// diff hashes the tar stream and checks it against the diff ID (nil
	// when verifying is off).
	diff *verifier
	// byBlob: the blob is the tar itself, its digest is the diff ID, and
	// reading it checks that digest: the blob's check proves the diff ID.
	byBlob bool
	// stopBlob stops the goroutine that reads the compressed blob ahead
	// of the decompressor (see openLayer's ahead), so that blameDigest
	// may read the rest of blob; it does nothing when there is none.
	stopBlob func()
}

// openLayer opens the layer's uncompressed tar stream. With verify, the
// stream fails at its end unless its bytes match the layer's blob digest
// (compressed blobs) and its diff ID. With ahead, a compressed blob is read
// (and its digest checked) by a goroutine of its own, ahead of the
// decompressor: see readLayer.
func openLayer(l v1.Layer, lay *Layer, verify, ahead bool) (*openedLayer, error) {
	o := &openedLayer{blobRead: new(atomic.Int64), stopBlob: func() {}}
	if sc, ok := l.(storedCompressed); ok && sc.StoredCompressed() {
		rc, err := l.Compressed()
		if err != nil {
			return nil, err
		}
		vb, ok := l.(verifiedBlobs)
		blobChecked := ok && vb.BlobsVerified()
		if verify && !blobChecked && lay.Digest != "" {
			if rc, err = newVerifier(rc, lay.Digest, -1, "blob digest"); err != nil {
				return nil, err
			}
			blobChecked = true
		}
		o.blob = rc
		stream, c, stop, err := decompressAhead(readCloser{&countReader{r: rc, n: o.blobRead}, rc.Close}, ahead)
		if err != nil {
			return nil, err
		}
		o.stream, o.stopBlob = stream, stop
		if c == plainTar && lay.Digest == lay.DiffID && (blobChecked || lay.Digest == "") {
			// lay.Digest == "": a stream whose reader hashes the
			// blob itself (ReadArchive), which is then the diff ID.
			o.byBlob = true
			return o, nil
		}
	} else {
		rc, err := l.Uncompressed()
		if err != nil {
			return nil, err
		}
		o.blob = rc
		o.stream = readCloser{&countReader{r: rc, n: o.blobRead}, rc.Close}
	}
	if verify {
		if !strings.HasPrefix(lay.DiffID, "sha256:") && lay.DiffID != "" {
			_ = o.stream.Close()
			return nil, fmt.Errorf("cannot verify diff ID %q: only sha256 digests are supported", lay.DiffID)
		}
		o.diff = &verifier{rc: o.stream, h: sha256.New(), want: lay.DiffID, size: -1, what: "diff ID"}
		o.stream = o.diff
	}
	return o, nil
}

// blameDigest explains a malformed stream: when the rest of the blob does
// not match its digest, the digest mismatch is the real cause.
func blameDigest(err error, blob io.Reader) error {
	var le *limitError
	if errors.As(err, &le) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var de *DigestError
	if errors.As(err, &de) {
		return err
	}
	_, derr := io.Copy(io.Discard, blob)
	if errors.As(derr, &de) {
		return derr
	}
	if de := registryDigestError(derr); de != nil {
		return de
	}
	return err
}

// registryDigestError returns go-containerregistry's own digest check of a
// registry blob failing (its internal verify.Error, a type this package
// cannot name; every other blob is checked by verifier) as the
// *DigestError every other check returns, nil for any other error. The
// digests are read from its fields, which nothing exports: should a
// release of go-containerregistry rename them, the error still is a
// *DigestError, naming only the check that failed.
func registryDigestError(err error) *DigestError {
	for ; err != nil; err = errors.Unwrap(err) {
		v := reflect.ValueOf(err)
		if t := v.Type(); t.PkgPath() != "github.com/google/go-containerregistry/internal/verify" || t.Name() != "Error" || v.Kind() != reflect.Struct {
			continue
		}
		de := &DigestError{What: "blob digest"}
		got, want := v.FieldByName("got"), v.FieldByName("want")
		if got.Kind() == reflect.String && want.Kind() == reflect.Struct {
			alg, hex := want.FieldByName("Algorithm"), want.FieldByName("Hex")
			if alg.Kind() == reflect.String && hex.Kind() == reflect.String {
				de.Got, de.Want = got.String(), alg.String()+":"+hex.String()
			}
		}
		return de
	}
	return nil
}

// limitError is a configured bound that a layer went past.
type limitError struct{ msg string }

func (e *limitError) Error() string { return e.msg }

// verifier hashes a stream and, at EOF, fails with a *DigestError when
// the hash is not want (want "": it only hashes, for a caller that learns
// the digest later) or the stream's length is not size (size < 0: any).
// Every stream stagescope checks goes through it.
type verifier struct {
	rc   io.ReadCloser
	h    hash.Hash
	want string
	size int64
	n    int64
	what string
	sum  string // the digest of the whole stream, once it has ended
}

// newVerifier checks rc against want and size (see verifier); with want
// "" nothing names the bytes (a stream whose reader checks them itself)
// and rc is returned as is.
func newVerifier(rc io.ReadCloser, want string, size int64, what string) (io.ReadCloser, error) {
	if want == "" {
		return rc, nil
	}
	if !strings.HasPrefix(want, "sha256:") {
		_ = rc.Close()
		return nil, fmt.Errorf("cannot verify %s %q: only sha256 digests are supported", what, want)
	}
	return &verifier{rc: rc, h: sha256.New(), want: want, size: size, what: what}, nil
}

func (v *verifier) Read(p []byte) (int, error) {
	n, err := v.rc.Read(p)
	v.n += int64(n)
	v.h.Write(p[:n])
	if errors.Is(err, io.EOF) && v.sum == "" {
		v.sum = "sha256:" + hex.EncodeToString(v.h.Sum(nil))
		if v.size >= 0 && v.n != v.size {
			return n, &DigestError{What: v.what, GotSize: v.n, WantSize: v.size}
		}
		if v.want != "" && v.sum != v.want {
			return n, &DigestError{What: v.what, Got: v.sum, Want: v.want}
		}
	}
	return n, err
}

func (v *verifier) Close() error { return v.rc.Close() }

// matched tells whether the whole stream was read and hashes to want.
func (v *verifier) matched() bool { return v != nil && v.want != "" && v.sum == v.want }

// countReader counts the bytes read through it, for readers on other
// goroutines (the read-ahead reads the blob on one of its own).
type countReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// DigestError says a layer's bytes do not match the digest that names them,
// or are not as many as its descriptor says.
type DigestError struct {
	What      string // "diff ID" or "blob digest", perhaps naming where the blob lies
	Got, Want string
	// GotSize and WantSize differ when the size was wrong (Got and Want
	// are then "").
	GotSize, WantSize int64
}

func (e *DigestError) Error() string {
	if e.Got == "" && e.GotSize == e.WantSize {
		return fmt.Sprintf("%s mismatch (truncated, damaged or tampered layer)", e.What)
	}
	if e.GotSize != e.WantSize {
		return fmt.Sprintf("%s mismatch: %d bytes, want %d (truncated, damaged or tampered layer)", e.What, e.GotSize, e.WantSize)
	}
	return fmt.Sprintf("%s mismatch: content hashes to %s, want %s (truncated, damaged or tampered layer)", e.What, shortDigest(e.Got), shortDigest(e.Want))
}

// retryableLayer is implemented by layers fetched over the network, whose
// stream may break off and be fetched again.
type retryableLayer interface {
	Retryable() bool
}

// layerRetryBackoff is the wait before each new attempt at a layer whose
// network stream broke off.
var layerRetryBackoff = []time.Duration{500 * time.Millisecond, 2 * time.Second}

// readLayerRetrying reads a layer, starting it again when a network stream
// breaks off midway (registry layers only: for a local file a short read
// means a truncated file).
// Only the first attempt publishes the entries it reads (pub).
func readLayerRetrying(ctx context.Context, l v1.Layer, lay *Layer, o *options, ahead bool, total *atomic.Int64, report func(), pub *publisher) error {
	rl, ok := l.(retryableLayer)
	for attempt := 0; ; attempt++ {
		_, err := readLayer(ctx, l, lay, o, ahead, total, report, pub)
		pub = nil
		if err == nil || !ok || !rl.Retryable() || attempt >= len(layerRetryBackoff) || ctx.Err() != nil || !transient(err) {
			return err
		}
		lay.Entries, lay.Files, lay.Content, lay.Sparse, lay.DiffIDVerified = nil, nil, nil, nil, false
		if err := sleep(ctx, layerRetryBackoff[attempt]); err != nil {
			return err
		}
	}
}

// transient tells network hiccups from errors that a retry cannot fix.
func transient(err error) bool {
	var de *DigestError
	if errors.As(err, &de) {
		return false
	}
	var ne net.Error
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed) || errors.As(err, &ne)
}

type readCloser struct {
	io.Reader
	close func() error
}

func (r readCloser) Close() error { return r.close() }

// decompress sniffs the stream's magic bytes and decodes gzip or zstd; any
// other stream is returned as is. It also says which it found.
func decompress(rc io.ReadCloser) (io.ReadCloser, compression, error) {
	stream, c, _, err := decompressAhead(rc, false)
	return stream, c, err
}

// decompressAhead is decompress that, with ahead and a compressed stream,
// reads rc in a goroutine of its own, ahead of the decoder: reading the
// blob (a registry's body, a file) and hashing it for its digest then run
// beside the decoder, whose single goroutine bounds how fast a large layer
// is read, rather than on it. stop stops that goroutine, so that rc may be
// read by another; closing the stream stops it too.
func decompressAhead(rc io.ReadCloser, ahead bool) (stream io.ReadCloser, c compression, stop func(), err error) {
	stop = func() {}
	br := bufio.NewReaderSize(rc, 1<<16)
	magic, err := br.Peek(4)
	if err != nil && !errors.Is(err, io.EOF) {
		_ = rc.Close()
		return nil, plainTar, stop, err
	}
	c = compressionOf(magic)
	if ahead && c != plainTar {
		r, halt := readBeside(br)
		stop = halt
		blob := rc
		br = bufio.NewReaderSize(r, 1<<16)
		rc = readCloser{br, func() error { stop(); return blob.Close() }}
	}
	stream, err = decoder(br, rc, c)
	return stream, c, stop, err
}

// readBeside reads r in a goroutine of its own, up to readBesideSize
// bytes ahead of the returned reader, which takes whatever has arrived:
// unlike a read-ahead that hands on whole buffers, a blob that comes
// slowly (a registry far away, the preview of a layer being read) reaches
// the decoder as soon as its bytes do. stop ends the goroutine, once its
// read in progress returns, and may be called more than once.
func readBeside(r io.Reader) (io.Reader, func()) {
	pr, pw := nio.Pipe(buffer.New(readBesideSize))
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, err := io.CopyBuffer(pw, r, make([]byte, 64<<10))
		_ = pw.CloseWithError(err) // nil: the reader sees io.EOF
	}()
	return pr, func() {
		_ = pr.CloseWithError(errStopped)
		<-done
	}
}

// readBesideSize is how far readBeside reads ahead.
const readBesideSize = 1 << 20

// errStopped is what a reader stopped by readBeside's stop returns.
var errStopped = errors.New("reading stopped")

// decoder decodes br, read from rc, as c says.
func decoder(br *bufio.Reader, rc io.ReadCloser, c compression) (io.ReadCloser, error) {
	switch c {
	case gzipTar:
		zr, err := newGzipMembers(br)
		if err != nil {
			_ = rc.Close()
			return nil, err
		}
		return readCloser{zr, func() error { _ = zr.zr.Close(); return rc.Close() }}, nil
	case zstdTar:
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(1<<30))
		if err != nil {
			_ = rc.Close()
			return nil, fmt.Errorf("zstd: %w", err)
		}
		return readCloser{zstdErrors{zr}, func() error { zr.Close(); return rc.Close() }}, nil
	}
	return readCloser{br, rc.Close}, nil
}

// zstdErrors says which decoder an error comes from.
type zstdErrors struct{ zr *zstd.Decoder }

func (z zstdErrors) Read(p []byte) (int, error) {
	n, err := z.zr.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = fmt.Errorf("zstd: %w", err)
	}
	return n, err
}

// gzipMembers decodes a gzip stream of one or more members (as gzip -d
// does) and names what follows the last one when it is not a member:
// trailing garbage, not a bare "unexpected EOF" or "invalid header".
type gzipMembers struct {
	br      *bufio.Reader
	zr      *gzip.Reader
	members int   // members decoded to their end
	err     error // the error that ends the stream, once known
}

func newGzipMembers(br *bufio.Reader) (*gzipMembers, error) {
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	zr.Multistream(false)
	return &gzipMembers{br: br, zr: zr}, nil
}

func (g *gzipMembers) Read(p []byte) (int, error) {
	for g.err == nil {
		n, err := g.zr.Read(p)
		if err == nil {
			return n, nil
		}
		if !errors.Is(err, io.EOF) {
			g.err = fmt.Errorf("gzip member %d: %w", g.members+1, err)
			return n, g.err
		}
		g.members++
		g.err = g.next()
		if n > 0 {
			return n, nil
		}
	}
	return 0, g.err
}

// next starts the member after the one just ended: nil when there is one,
// io.EOF at the end of the stream, else an error that names the garbage.
func (g *gzipMembers) next() error {
	magic, err := g.br.Peek(2)
	switch {
	case len(magic) == 0 && errors.Is(err, io.EOF):
		return io.EOF
	case err != nil && !errors.Is(err, io.EOF):
		return err
	case len(magic) < 2 || magic[0] != 0x1f || magic[1] != 0x8b:
		return fmt.Errorf("gzip: trailing garbage after %d complete gzip member(s): the bytes that follow are not gzip", g.members)
	}
	if err := g.zr.Reset(g.br); err != nil {
		return fmt.Errorf("gzip member %d: %w", g.members+1, err)
	}
	g.zr.Multistream(false)
	return nil
}

// checkRatio stops decompression bombs: streams that expand far beyond
// the bytes read from their blob once past bombFloor bytes. blob counts
// bytes actually read, never a size that a descriptor claims.
func checkRatio(n, blob, maxRatio int64, what string) error {
	if maxRatio > 0 && n > bombFloor && n/max(blob, 1) > maxRatio {
		return &limitError{fmt.Sprintf("decompression bomb: %d bytes read from %s expanded past %d bytes (ratio over %d; --max-ratio raises the limit)", blob, what, n, maxRatio)}
	}
	return nil
}

type countingReader struct {
	r        io.Reader
	done     <-chan struct{} // the context's: reading stops when it is closed
	ctx      context.Context
	n        int64
	total    *atomic.Int64
	blob     *atomic.Int64 // bytes read from the layer's blob, for the ratio check
	maxRatio int64
	report   func()
	lastN    int64
	lastT    time.Time
}

// progressEvery bounds how long progress may stand still while bytes flow.
const progressEvery = 200 * time.Millisecond

func (c *countingReader) Read(p []byte) (int, error) {
	select {
	case <-c.done:
		return 0, c.ctx.Err()
	default:
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	c.total.Add(int64(n))
	if err == nil && c.n > bombFloor {
		err = checkRatio(c.n, c.blob.Load(), c.maxRatio, "the blob")
	}
	if c.n-c.lastN > 8<<20 || (n > 0 && time.Since(c.lastT) > progressEvery) {
		c.lastN, c.lastT = c.n, time.Now()
		c.report()
	}
	return n, err
}

// readLayer reads one layer. With ahead, reading the blob (and checking
// its digest) and decompressing it run one goroutine ahead of hashing the
// diff ID, the tar parser and file hashing, so that the layer keeps two
// cores busy: an image whose bulk
// is one layer no longer reads on one core. It costs a copy of every byte,
// so layers that share the cores with others go without. It sets
// lay.DiffIDVerified when the bytes proved the diff ID, and returns the
// sha256 of the uncompressed tar when it hashed it ("" when it did not: the
// blob is the tar, or verifying is off).
// pub, when set, publishes the entries read so far (WithPartialEntries).
func readLayer(ctx context.Context, l v1.Layer, lay *Layer, o *options, ahead bool, total *atomic.Int64, report func(), pub *publisher) (string, error) {
	ol, err := openLayer(l, lay, o.verify, ahead)
	if err != nil {
		return "", err
	}
	defer ol.stream.Close()
	var rc io.Reader = ol.stream
	if ahead {
		// The goroutine ahead reads and decompresses, the work that
		// bounds a big layer; the diff ID is hashed behind it, beside
		// the tar parser, which has time to spare.
		src := io.Reader(ol.stream)
		if ol.diff != nil {
			src = ol.diff.rc
		}
		ra, err := readahead.NewReaderSize(src, readAheadBuffers, readAheadSize)
		if err != nil {
			return "", err
		}
		var r io.Reader = ra
		if ol.diff != nil {
			v := *ol.diff // the same check, on the bytes the read-ahead hands on (the first one never reads)
			v.rc = readCloser{ra, ra.Close}
			ol.diff, r = &v, &v
		}
		err = readEntries(ctx, r, lay, ol.blobRead, o, total, report, pub)
		_ = ra.Close() // stops the read-ahead; the stream stays open for blameDigest
		if err != nil {
			ol.stopBlob()
			return "", blameDigest(err, ol.blob)
		}
	} else if err := readEntries(ctx, rc, lay, ol.blobRead, o, total, report, pub); err != nil {
		ol.stopBlob()
		return "", blameDigest(err, ol.blob)
	}
	lay.DiffIDVerified = (ol.byBlob && lay.DiffID != "") || ol.diff.matched()
	if ol.diff != nil {
		return ol.diff.sum, nil
	}
	return "", nil
}

// The read-ahead: buffers in flight per layer and their size.
const (
	readAheadBuffers = 4
	readAheadSize    = 256 << 10
)

func readEntries(ctx context.Context, rc io.Reader, lay *Layer, blob *atomic.Int64, o *options, total *atomic.Int64, report func(), pub *publisher) error {
	cr := &countingReader{r: rc, ctx: ctx, done: ctx.Done(), total: total, blob: blob, maxRatio: o.maxRatio, report: report, lastT: time.Now()}
	tap := &headerTap{r: cr}
	tr := tar.NewReader(tap)
	h := xxhash.New()
	buf := make([]byte, 256<<10)
	// Paths are copied into chunks: the tar reader's own strings become
	// garbage at once, and a layer waiting to be merged costs its bytes.
	var paths Arena
	var scan *scanPipe
	if o.scan != nil {
		scan = newScanPipe(ctx, o.scan)
		defer func() {
			if scan != nil { // the read failed
				scan.abort()
			}
		}()
	}
	// dirs counts the directories the paths imply (see newDirs).
	dirs, prevPath := 0, ""
	for n := 0; ; n++ {
		if n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		tap.arm()
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("tar header after %d entries: %w", len(lay.Entries), err)
		}
		stored := int64(-1)
		if kind := sparseKind(hdr); kind != "" {
			if stored, err = tap.sparseStored(hdr, kind); err != nil {
				return fmt.Errorf("tar header after %d entries: %w", len(lay.Entries), err)
			}
		}
		tap.entryRead(hdr, stored)
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue // PAX records for the whole archive (git archive writes one): metadata, as docker treats it
		}
		if len(lay.Entries) >= o.maxEntries {
			return &limitError{fmt.Sprintf("more than %d entries (raise --max-entries to read it)", o.maxEntries)}
		}
		e := entryFromHeader(hdr)
		if dirs += newDirs(e.Path, prevPath); dirs > o.maxDirs {
			return &limitError{fmt.Sprintf("too many directories: the paths imply more than %d directories the layer does not list (a deep-path bomb? raise --max-dirs to read it)", o.maxDirs)}
		}
		e.Path, e.Link = paths.String(e.Path), paths.String(e.Link)
		prevPath = e.Path
		if stored >= 0 && e.Type == TypeRegular {
			// Never read: archive/tar would expand the holes. The next
			// header skips the stored bytes.
			lay.Sparse = append(lay.Sparse, SparseFile{Path: strings.Clone(e.Path), Stored: stored, Logical: hdr.Size})
			if e.Whiteout == NoWhiteout {
				e.Size = stored
			}
		} else if e.Type == TypeRegular && e.Whiteout == NoWhiteout && hdr.Size > 0 {
			var data []byte
			capture := o.capture != nil && hdr.Size <= o.captureLimit && o.capture(e.Path, hdr.Size)
			w := io.Discard
			var hb *bytes.Buffer
			if capture {
				hb = bytes.NewBuffer(make([]byte, 0, hdr.Size))
				w = hb
			}
			if o.hash {
				h.Reset()
				if capture {
					w = io.MultiWriter(h, hb)
				} else {
					w = h
				}
			}
			if scan != nil {
				scan.open(e.Path, hdr.Size)
				w = io.MultiWriter(w, scan)
			}
			_, err := io.CopyBuffer(w, tr, buf)
			if scan != nil {
				scan.close()
			}
			if err != nil {
				return fmt.Errorf("reading %s: %w", e.Path, err)
			}
			if o.hash {
				e.Digest = h.Sum64()
			}
			if capture {
				data = hb.Bytes()
				lay.Files = append(lay.Files, File{Path: strings.Clone(e.Path), Data: data})
			}
		}
		lay.Entries = append(lay.Entries, e)
		pub.entryRead(lay.Entries)
	}
	// Drain trailing padding so that the whole blob is read and its digest
	// (where the source verifies one) is checked.
	if _, err := io.CopyBuffer(io.Discard, cr, buf); err != nil {
		return err
	}
	lay.Size, lay.EntryCount = cr.n, len(lay.Entries)
	if scan != nil {
		lay.Content = scan.finish()
		scan = nil
	}
	if c := cap(lay.Entries); c-len(lay.Entries) > c/4 {
		lay.Entries = slices.Clone(lay.Entries) // drop what appending left spare
	}
	return nil
}

// fromCache fills lay from o's cache when it holds the layer, proven by
// its blob digest and diff ID; false means the layer must be read.
func fromCache(ctx context.Context, o *options, lay *Layer) bool {
	if o.cache == nil || o.claimedDigests || !o.verify || lay.DiffID == "" || lay.Digest == "" {
		return false
	}
	c, ok := o.cache.Get(ctx, lay.Digest, lay.DiffID)
	if !ok || c.EntryCount > o.maxEntries || cachedDirs(c.Entries) > o.maxDirs {
		return false // read it, and fail as reading fails past a bound
	}
	if o.scan != nil && c.Content == nil {
		return false // a content scan needs the bytes: a cached layer without its result is read again
	}
	lay.Size, lay.EntryCount, lay.Entries, lay.Files, lay.Content = c.Size, c.EntryCount, c.Entries, c.Files, c.Content
	lay.DiffIDVerified = true // the cache holds only layers so proven
	return true
}

// cachedDirs counts the directories the paths of a cached layer imply
// without listing them, as reading the layer counts them (newDirs), so that
// a layer from the cache keeps the bound --max-dirs sets on a read.
func cachedDirs(es []Entry) int {
	dirs, prev := 0, ""
	for _, e := range es {
		dirs += newDirs(e.Path, prev)
		prev = e.Path
	}
	return dirs
}

// newDirs counts the directories of path p (its proper prefixes ending
// before a "/") that prev, the path of the entry before it, does not have
// or is not: in a tar written as a directory walk, each directory a layer
// does not list once. It costs O(len(p)), so that one deep path costs its
// length, and a layer's count bounds the paths it adds to the merged tree.
func newDirs(p, prev string) int {
	n := min(len(p), len(prev))
	cp := 0
	if p[:n] == prev[:n] {
		cp = n
	} else {
		for cp < n && p[cp] == prev[cp] {
			cp++
		}
	}
	dirs := strings.Count(p[cp:], "/")
	if cp < len(p) && p[cp] == '/' && len(prev) == cp {
		dirs-- // prev is that directory
	}
	return dirs
}
