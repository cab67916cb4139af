package layers

import (
	"context"
	"errors"
	"runtime"
	"time"
)

// Option configures Read.
type Option func(*options) error

// Progress reports how far Read has come. It is delivered from the reading
// goroutines, one call at a time.
type Progress struct {
	LayersDone  int
	LayersTotal int
	BytesRead   int64 // uncompressed tar bytes read so far, all layers
	BytesTotal  int64 // sum of the layers' compressed sizes when known, else 0
}

type options struct {
	parallelism  int
	hash         bool
	capture      func(path string, size int64) bool
	captureLimit int64
	progress     func(Progress)
	layerDone    func(Layer)
	entries      func(ctx context.Context, index int, entries []Entry)
	partial      func(ctx context.Context, index int, entries []Entry) // see WithPartialEntries
	partialEvery time.Duration
	maxEntries   int
	maxDirs      int
	known        map[knownKey]*Layer // see WithKnownLayers
	cache        Cache
	// claimedDigests: the layers' blob digests are claims the source does
	// not prove before the bytes are read (a docker save names its members
	// as it likes), so neither a cached result nor a known layer may stand
	// in for them.
	claimedDigests bool
	verify         bool
	maxRatio       int64
	scan           *ContentScan // see WithContentScan
}

// DefaultCaptureLimit is the largest file whose contents Read keeps by default.
const DefaultCaptureLimit = 4 << 20

// DefaultMaxEntries bounds the entries of one layer, so that a hostile image
// cannot exhaust memory.
const DefaultMaxEntries = 5_000_000

// DefaultMaxDirs bounds the directories one layer's paths may imply without
// listing them: each becomes a path of the merged tree, so a layer of a few
// KB whose 12 000 entries are 1 000 directories deep each would otherwise
// cost 12 million paths. Real layers list their directories, or imply far
// fewer than their entries.
const DefaultMaxDirs = 1_000_000

// DefaultMaxRatio bounds how many times larger than its blob a layer may
// decompress to, once it has passed bombFloor bytes. Real layers stay far
// below it; a decompression bomb does not.
const DefaultMaxRatio = 200

// bombFloor is the uncompressed size below which the ratio is not checked.
const bombFloor = 256 << 20

func makeOptions(opts ...Option) (*options, error) {
	o := &options{
		parallelism:  runtime.GOMAXPROCS(0),
		hash:         true,
		captureLimit: DefaultCaptureLimit,
		maxEntries:   DefaultMaxEntries,
		maxDirs:      DefaultMaxDirs,
		verify:       true,
		maxRatio:     DefaultMaxRatio,
	}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	if o.parallelism < 1 {
		return nil, errors.New("parallelism must be at least 1")
	}
	return o, nil
}

// WithParallelism sets how many layers are read at once (default GOMAXPROCS).
func WithParallelism(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return errors.New("parallelism must be at least 1")
		}
		o.parallelism = n
		return nil
	}
}

// WithoutDigests turns off content hashing: entries get a zero Digest and
// identical-content detection is lost, but reading gets cheaper.
func WithoutDigests() Option {
	return func(o *options) error {
		o.hash = false
		return nil
	}
}

// WithCapture keeps the contents of regular files for which match returns
// true and whose size is at most limit bytes. Everything else is streamed
// past and dropped.
func WithCapture(match func(path string, size int64) bool, limit int64) Option {
	return func(o *options) error {
		if limit < 0 {
			return errors.New("capture limit must not be negative")
		}
		o.capture = match
		o.captureLimit = limit
		return nil
	}
}

// WithProgress calls fn as layers stream.
func WithProgress(fn func(Progress)) Option {
	return func(o *options) error {
		o.progress = fn
		return nil
	}
}

// WithLayerDone calls fn once for each layer as soon as it has been read
// (in completion order, not index order).
func WithLayerDone(fn func(Layer)) Option {
	return func(o *options) error {
		o.layerDone = fn
		return nil
	}
}

// WithEntries hands every layer's entries to fn in index order, each layer
// as soon as it and every layer below it have been read; calls never
// overlap. Read then drops them: the layers of the returned Image have no
// Entries. A caller that merges layers in fn holds only the entries of the
// layers not yet handed on (those waiting for a lower one, and those that
// fn has not caught up with: fn runs on a goroutine of its own and never
// holds up reading), not the whole image's. Once reading fails or ctx is
// done, fn is not called again.
func WithEntries(fn func(ctx context.Context, index int, entries []Entry)) Option {
	return func(o *options) error {
		o.entries = fn
		return nil
	}
}

// WithMaxEntries bounds the number of entries a single layer may have.
func WithMaxEntries(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return errors.New("max entries must be at least 1")
		}
		o.maxEntries = n
		return nil
	}
}

// WithMaxDirs bounds the directories a single layer's paths may imply
// without listing them (counted as the directories of each path that the
// path before it in the tar did not have): a deep-path bomb stops with an
// error instead of exhausting memory.
func WithMaxDirs(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return errors.New("max dirs must be at least 1")
		}
		o.maxDirs = n
		return nil
	}
}

// WithKnownLayers makes Read take every layer whose blob digest and diff ID
// both match a layer of imgs (read earlier with the same options) from
// there instead of reading it again: images that share layers cost one read
// of each distinct layer. Only layers whose diff ID their bytes proved
// (Layer.DiffIDVerified) are taken: a config's diff ID alone proves
// nothing, and the blob digest is what the source checks the bytes it
// would have served against. The entries are shared, not copied; treat
// them as read-only.
func WithKnownLayers(imgs ...*Image) Option {
	return func(o *options) error {
		for _, img := range imgs {
			if img == nil {
				continue
			}
			for i := range img.Layers {
				l := &img.Layers[i]
				if l.DiffID == "" || l.Digest == "" || !l.DiffIDVerified {
					continue
				}
				if o.known == nil {
					o.known = map[knownKey]*Layer{}
				}
				o.known[knownKey{l.Digest, l.DiffID}] = l
			}
		}
		return nil
	}
}

// knownKey is what a known layer is found by: its blob digest and diff ID.
type knownKey struct{ digest, diffID string }

// WithoutVerify skips checking layer bytes against their digests (the blob
// digest for compressed blobs, the diff ID otherwise). Registry blobs are
// always checked by the registry client.
func WithoutVerify() Option {
	return func(o *options) error {
		o.verify = false
		return nil
	}
}

// WithMaxRatio bounds the decompression ratio of a layer (uncompressed
// bytes over blob bytes) beyond the first 256 MiB; 0 turns the check off.
func WithMaxRatio(r int64) Option {
	return func(o *options) error {
		if r < 0 {
			return errors.New("max ratio must not be negative")
		}
		o.maxRatio = r
		return nil
	}
}

// Cache keeps what Read learns from a layer (Size, EntryCount, Entries and
// Files), so that a later Read need not stream the layer again. A layer's
// results depend on the read options (capture, hashing): a Cache must keep
// apart what different options produced.
type Cache interface {
	// Get returns the results of the layer with this blob digest and diff
	// ID, or false. It must return true only when it has seen the blob
	// digest proven to uncompress to the diff ID (an earlier Put of a layer
	// with both, or the two are equal: an uncompressed blob).
	Get(ctx context.Context, digest, diffID string) (*Layer, bool)
	// Put keeps the results of a layer whose bytes Read has checked
	// against both its blob digest and its diff ID.
	Put(ctx context.Context, lay *Layer)
}

// withClaimedDigests keeps cached results and known layers from standing in
// for layers (Source.Read sets it for docker saves, whose digests prove
// nothing until read); layers read are still offered to the cache.
func withClaimedDigests(o *options) error {
	o.claimedDigests = true
	return nil
}

// WithCache makes Read take a layer's results from c instead of streaming
// it, when c holds them for the layer's blob digest and diff ID, and hand c
// every layer it reads. Only verified reads use a cache (see WithoutVerify)
// and only sources read layer by layer (not one-stream sources such as a
// local engine or a compressed docker save archive).
func WithCache(c Cache) Option {
	return func(o *options) error {
		o.cache = c
		return nil
	}
}
