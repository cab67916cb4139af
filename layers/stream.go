package layers

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// ReadArchive reads a `docker save` stream (what an engine's image save API
// returns, or `docker save | gzip`) in a single pass, with nothing written to
// disk: each layer member is read as it streams by, and the layers are matched
// to manifest.json, which comes last, at the end. Classic and docker ≥ 25
// saves, plain or gzip/zstd layers, and a gzip- or zstd-compressed stream are
// all accepted. Layer digests are checked against the member names or the
// config's diff IDs.
func ReadArchive(ctx context.Context, r io.Reader, opts ...Option) (*Image, error) {
	o, err := makeOptions(opts...)
	if err != nil {
		return nil, err
	}
	return readArchive(ctx, r, "docker save stream", "", o, 0, zeroHint{})
}

// maxStreamMetadata bounds the JSON members a stream may hold in memory in
// all (configs, manifests, v1 layer JSON).
const maxStreamMetadata = 4 * maxMetadata

// streamedLayer is one layer member, read.
type streamedLayer struct {
	lay    Layer
	digest v1.Hash
	size   int64
	comp   compression
	// diffSum is the sha256 of a compressed member's uncompressed tar
	// ("" when not hashed); a plain member's is digest.
	diffSum string
	err     error
}

// oneShotLayer hands an already open stream to readLayer. It knows nothing
// about the layer but its bytes: digests are computed by the caller.
type oneShotLayer struct {
	r io.Reader
}

var errOneShot = errors.New("layer digest is known only after the stream is read")

func (l oneShotLayer) Digest() (v1.Hash, error)            { return v1.Hash{}, errOneShot }
func (l oneShotLayer) DiffID() (v1.Hash, error)            { return v1.Hash{}, errOneShot }
func (l oneShotLayer) Size() (int64, error)                { return -1, errOneShot }
func (l oneShotLayer) MediaType() (types.MediaType, error) { return "", errOneShot }
func (l oneShotLayer) Compressed() (io.ReadCloser, error)  { return io.NopCloser(l.r), nil }
func (l oneShotLayer) StoredCompressed() bool              { return true }

func (l oneShotLayer) Uncompressed() (io.ReadCloser, error) {
	rc, _, err := decompress(io.NopCloser(l.r))
	return rc, err
}

// isLayerMember tells the members of a docker save archive that hold layers:
// <id>/layer.tar (classic), blobs/<alg>/<hex> (docker ≥ 25), <hex>.tar[.gz]
// (go-containerregistry, podman).
func isLayerMember(name string) bool {
	if strings.HasPrefix(name, "blobs/") {
		return true
	}
	for _, suf := range []string{".tar", ".tar.gz", ".tgz", ".tar.zst"} {
		if strings.HasSuffix(name, suf) {
			return true
		}
	}
	return false
}

func looksLikeJSON(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && (b[0] == '{' || b[0] == '[')
}

// memStore holds the metadata members of a streamed archive; has also
// reports the layer members that were read, so that manifests naming them
// can be checked.
type memStore struct {
	name  string
	meta  map[string][]byte
	read  map[string]*streamedLayer
	links map[string]string
}

func (st *memStore) resolve(name string) string {
	name = cleanMember(name)
	for range 16 {
		t, ok := st.links[name]
		if !ok {
			break
		}
		name = t
	}
	return name
}

func (st *memStore) has(name string) bool {
	name = st.resolve(name)
	_, ok := st.meta[name]
	_, ok2 := st.read[name]
	return ok || ok2
}

func (st *memStore) open(name string) (io.ReadCloser, int64, error) {
	b, ok := st.meta[st.resolve(name)]
	if !ok {
		return nil, 0, fmt.Errorf("%s: no metadata member %s", st.name, name)
	}
	return io.NopCloser(bytes.NewReader(b)), int64(len(b)), nil
}

func (st *memStore) where() string { return st.name }

// readArchive reads the image sel names (see parseDockerManifest) from a
// docker save stream. hint is what the source knows of layer 0's member:
// with WithPartialEntries, the entries read so far of the member found to
// hold layer 0 are shown while it is read (see layerZero).
func readArchive(ctx context.Context, r io.Reader, where, sel string, o *options, wantLayers int, hint zeroHint) (*Image, error) {
	// The bytes read from the file (or the engine): an outer gzip or zstd
	// is held to the decompression ratio against them, and every read
	// checks ctx, even while the tar reader skips a member.
	var raw atomic.Int64
	rc, _, err := decompress(io.NopCloser(&countReader{r: r, n: &raw}))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	defer rc.Close()
	outer := &archiveGuard{r: rc, ctx: ctx, raw: &raw, maxRatio: o.maxRatio}
	st := &memStore{name: where, meta: map[string][]byte{}, read: map[string]*streamedLayer{}, links: map[string]string{}}

	var (
		bytesRead atomic.Int64
		done      int
		progMu    sync.Mutex
	)
	report := func() {
		if o.progress == nil {
			return
		}
		progMu.Lock()
		defer progMu.Unlock()
		o.progress(Progress{LayersDone: done, LayersTotal: max(wantLayers, done), BytesRead: bytesRead.Load()})
	}

	tr := tar.NewReader(outer)
	br := bufio.NewReaderSize(nil, 64<<10)
	var metaBytes int64
	pv := &streamPreview{zero: layerZero{zeroHint: hint}, parts: newPartials(o, 1), fn: o.partial}
	for members := 0; ; members++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if members == 0 {
				return nil, fmt.Errorf("%s is not a container image: not a tar archive (%w)", where, err)
			}
			return nil, fmt.Errorf("%s: reading tar header after %d members: %w", where, members, err)
		}
		if members >= maxMembers {
			return nil, fmt.Errorf("%s: more than %d tar members, not an image archive", where, maxMembers)
		}
		name := cleanMember(h.Name)
		switch h.Typeflag {
		case tar.TypeSymlink:
			if strings.HasPrefix(h.Linkname, "/") {
				st.links[name] = cleanMember(h.Linkname)
			} else {
				st.links[name] = cleanMember(name + "/../" + h.Linkname)
			}
			continue
		case tar.TypeLink:
			st.links[name] = cleanMember(h.Linkname)
			continue
		case tar.TypeReg:
		default:
			continue
		}
		br.Reset(tr)
		head, err := br.Peek(512)
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: reading member %s: %w", where, name, err)
		}
		switch {
		case looksLikeJSON(head) && h.Size <= maxMetadata:
			if metaBytes += h.Size; metaBytes > maxStreamMetadata {
				return nil, fmt.Errorf("%s: more than %d bytes of JSON members, not an image archive", where, maxStreamMetadata)
			}
			b, err := io.ReadAll(br)
			if err != nil {
				return nil, fmt.Errorf("%s: reading member %s: %w", where, name, err)
			}
			st.meta[name] = b
			pv.sawJSON(ctx, name, b)
		case isLayerMember(name):
			sl := &streamedLayer{size: h.Size, comp: compressionOf(head)}
			sl.lay.CompressedSize = h.Size
			hw := sha256.New()
			// One layer at a time: the read-ahead keeps a second core
			// busy. The blob and (for a compressed member) its tar are
			// hashed in this one read; manifest.json, which comes last,
			// says what they must be.
			pub, stop := pv.start(ctx, name)
			sl.diffSum, sl.err = readLayer(ctx, oneShotLayer{io.TeeReader(br, hw)}, &sl.lay, o, true, &bytesRead, report, pub)
			handed := stop()
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if outer.err != nil {
				return nil, fmt.Errorf("%s: reading member %s: %w", where, name, outer.err)
			}
			if sl.err == nil {
				sl.digest = v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", hw.Sum(nil))}
			}
			pv.read(ctx, sl, handed)
			st.read[name] = sl
			done++
			report()
		}
	}
	return st.image(ctx, sel, o)
}

// image matches the layers read to manifest.json.
func (st *memStore) image(ctx context.Context, sel string, o *options) (*Image, error) {
	raw, ok := st.meta["manifest.json"]
	if !ok {
		if _, isOCI := st.meta["index.json"]; isOCI {
			return nil, fmt.Errorf("%s is an OCI archive: only a docker save archive can be read in one pass (from a pipe, or through gzip or zstd); write it to a plain .tar file and open that", st.name)
		}
		return nil, fmt.Errorf("%s is not a container image: no manifest.json", st.name)
	}
	e, err := parseDockerManifest(raw, st.name, sel)
	if err != nil {
		return nil, err
	}
	rawCfg, ok := st.meta[st.resolve(e.Config)]
	if !ok {
		return nil, fmt.Errorf("%s: config %s named by manifest.json is missing", st.name, e.Config)
	}
	cfgDigest, cfg, err := dockerConfig(rawCfg, e, st.name)
	if err != nil {
		return nil, err
	}
	out := &Image{
		ConfigDigest: cfgDigest.String(),
		RepoTags:     e.RepoTags,
		Platform:     platformString(cfg.OS, cfg.Architecture, cfg.Variant),
		Config:       summarizeConfig(cfg),
		Layers:       make([]Layer, len(e.Layers)),
	}
	createdBy := layerHistory(cfg.History, len(e.Layers))
	for i, name := range e.Layers {
		diffID := cfg.RootFS.DiffIDs[i]
		sl, ok := st.read[st.resolve(name)]
		if !ok {
			return nil, fmt.Errorf("%s: layer %d (%s) named by manifest.json is missing", st.name, i, name)
		}
		if sl.err != nil {
			return nil, fmt.Errorf("%s: reading layer %d (%s): %w", st.name, i, name, sl.err)
		}
		if want, named := digestFromBlobName(name); named && want != sl.digest {
			return nil, fmt.Errorf("%s: layer %d (%s): digest mismatch: content is %s, want %s", st.name, i, name, sl.digest, want)
		}
		lay := sl.lay
		// The diff ID is the digest of the uncompressed tar: the member
		// itself when it is plain, else what it decompressed to.
		got := sl.diffSum
		if sl.comp == plainTar {
			got = sl.digest.String()
		}
		if got != "" {
			if got != diffID.String() {
				return nil, fmt.Errorf("%s: layer %d (%s): %w", st.name, i, name, &DigestError{What: "diff ID", Got: got, Want: diffID.String()})
			}
			lay.DiffIDVerified = true
		}
		lay.Index = i
		lay.Digest = sl.digest.String()
		lay.DiffID = diffID.String()
		lay.MediaType = string(sl.comp.dockerMediaType())
		lay.CompressedSize = sl.size
		lay.CreatedBy = createdBy[i]
		out.Layers[i] = lay
	}
	if _, ok := st.meta["index.json"]; ok {
		if img := adoptIndexManifest(st, cfgDigest); img != nil && sameLayerBlobs(img.m.Layers, e.Layers) {
			sum := sha256.Sum256(img.raw)
			out.Digest = fmt.Sprintf("sha256:%x", sum)
			for i := range out.Layers {
				if i < len(img.m.Layers) {
					out.Layers[i].MediaType = string(img.m.Layers[i].MediaType)
				}
			}
		}
	}
	// Without an OCI index the archive stores no manifest: Digest stays ""
	// rather than the digest of one made up here.
	if o.layerDone != nil {
		for _, l := range out.Layers {
			o.layerDone(l)
		}
	}
	// Every layer is read already: they are handed on here, in order.
	for i := range out.Layers {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if o.entries != nil {
			o.entries(ctx, i, out.Layers[i].Entries)
			out.Layers[i].Entries = nil
		}
	}
	return out, nil
}

// archiveGuard reads a docker save stream for readArchive: it stops when
// ctx is done, and when an outer gzip or zstd expands beyond maxRatio times
// the bytes read from the file (a bomb of a member, or of a member the tar
// reader only skips).
type archiveGuard struct {
	r        io.Reader
	ctx      context.Context
	raw      *atomic.Int64
	n        int64
	maxRatio int64
	err      error // the bound it stopped at
}

func (g *archiveGuard) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	if err := g.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := g.r.Read(p)
	g.n += int64(n)
	if err == nil && g.n > bombFloor {
		if g.err = checkRatio(g.n, g.raw.Load(), g.maxRatio, "the archive"); g.err != nil {
			return n, g.err
		}
	}
	return n, err
}

// streamPreview shows the entries of layer 0 while a docker save stream is
// read (WithPartialEntries): the member layerZero recognises publishes them
// as it is read, forwarded to fn, and the whole of them once read. It
// calls fn on readArchive's goroutine, or on one that ends before the
// member's read returns: never beside WithEntries' fn, which readArchive
// calls once the stream has ended.
type streamPreview struct {
	zero    layerZero
	parts   *partials // nil when no one wants a preview
	fn      func(context.Context, int, []Entry)
	taken   bool   // a member was recognised: no other one is
	reading bool   // the member being read is that one
	shown   bool   // fn holds entries of it
	sum     string // the diff ID its bytes hash to, once read
}

func (pv *streamPreview) sawJSON(ctx context.Context, name string, b []byte) {
	if pv.parts == nil {
		return
	}
	pv.zero.sawJSON(name, b)
	if pv.shown && pv.zero.wrong(pv.sum) {
		pv.withdraw(ctx)
	}
}

// start returns what the reader of the member name publishes with, and
// what stops the forwarding, returning how many entries fn holds: nil and
// a no-op unless the member holds layer 0.
func (pv *streamPreview) start(ctx context.Context, name string) (*publisher, func() int) {
	if pv.parts == nil || pv.taken || !pv.zero.is(name) {
		return nil, func() int { return 0 }
	}
	pv.taken, pv.reading = true, true
	return pv.parts.publisher(0), pv.parts.forward(ctx, 0, pv.fn)
}

// read takes a member just read: if it is the one recognised, of which fn
// holds handed entries, fn gets all of them, or a withdrawal if the member
// proved not to be layer 0.
func (pv *streamPreview) read(ctx context.Context, sl *streamedLayer, handed int) {
	if !pv.reading {
		return
	}
	pv.reading, pv.shown = false, handed > 0
	pv.sum = sl.diffSum
	if sl.comp == plainTar {
		pv.sum = sl.digest.String()
	}
	if sl.err != nil || pv.zero.wrong(pv.sum) {
		pv.withdraw(ctx)
		return
	}
	if es := sl.lay.Entries; len(es) > handed && ctx.Err() == nil {
		pv.fn(ctx, 0, es[:len(es):len(es)])
		pv.shown = true
	}
}

// withdraw tells fn that what it holds is not layer 0's.
func (pv *streamPreview) withdraw(ctx context.Context) {
	if pv.shown && ctx.Err() == nil {
		pv.fn(ctx, 0, nil)
	}
	pv.shown = false
}
