// Package cache keeps what layers.Read learns from a layer, so that a layer
// shared by many images is read once: within one run in memory, and across
// runs and machines in a Store (a size-capped directory, or Redis).
//
// A layer's results are filed under its diff ID and the analyzer version
// (what produced them: a record of another version is never read). They
// are used only for a layer whose blob digest is proven to uncompress to
// that diff ID: a blob whose digest is its diff ID (an uncompressed blob),
// or one that an earlier verified read proved, which the cache records as
// a proof (blob digest → diff ID). A damaged or foreign record is a miss
// and a warning, never a result.
package cache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/stagescope/stagescope/layers"
)

// FormatVersion is the version of the layer results this package files:
// raise it whenever layers.Read would produce different entries or captured
// files for the same layer bytes (a change to path cleaning, hashing or tar
// reading), or the record format changes.
const FormatVersion = 1

// Store keeps records by key. Get returns false for a key it does not
// hold. Implementations must be safe for concurrent use.
type Store interface {
	Get(ctx context.Context, key string) ([]byte, bool, error)
	Set(ctx context.Context, key string, val []byte) error
}

// Cache is a layers.Cache over an optional Store, with an in-memory share
// for the layers that later images of the same run will ask for.
type Cache struct {
	store   Store // nil: this run only
	version string
	warn    func(string) // called one at a time, under warnMu
	warnMu  sync.Mutex
	// content encodes and decodes a layer's Content (a content scanner's
	// result) as the TagContent section; nil: Content is not kept.
	encContent func(any) ([]byte, error)
	decContent func([]byte) (any, error)

	mu     sync.Mutex
	proven map[string]string        // blob digest → diff ID, seen this run
	wanted map[string]int           // diff ID → reads still to come this run
	held   map[string]*layers.Layer // by diff ID, while wanted
	warned map[string]bool

	hits, misses, puts, damaged  atomic.Int64
	bytesIn, bytesOut, layerRead atomic.Int64
}

// Stats counts what a Cache did.
type Stats struct {
	Hits, Misses, Puts int64
	Damaged            int64 // records that were a miss because damaged or foreign
	BytesIn, BytesOut  int64 // record bytes read from and written to the store
	// LayerBytes are the uncompressed bytes of the layers read (Put).
	LayerBytes int64
}

// New makes a cache over store (nil keeps results for this run only).
// version names the analyzer that makes and reads the results: what
// layers.Read captures and how (see Version). warn, if not nil, hears
// about damaged records and failing stores.
func New(store Store, version string, warn func(string)) *Cache {
	if warn == nil {
		warn = func(string) {}
	}
	return &Cache{
		store:   store,
		version: version,
		warn:    warn,
		proven:  map[string]string{},
		wanted:  map[string]int{},
		held:    map[string]*layers.Layer{},
		warned:  map[string]bool{},
	}
}

// Version is the analyzer version of a cache: this package's format, the
// tool's version, and the read settings that shape a layer's results
// (what is captured, up to what size, whether contents are hashed).
func Version(tool, capture string, captureLimit int64, hashed bool) string {
	return fmt.Sprintf("f%d/%s/capture=%s,%d/hash=%t", FormatVersion, tool, capture, captureLimit, hashed)
}

// KeepContent makes the cache keep each layer's Content (what a
// layers.ContentScanner returned) with enc, and restore it with dec. A
// layer kept without it is read again by a Read that scans contents.
func (c *Cache) KeepContent(enc func(any) ([]byte, error), dec func([]byte) (any, error)) {
	c.encContent, c.decContent = enc, dec
}

// Want says that diffID will be asked for n more times in this run: a
// result read or fetched for it stays in memory until then.
func (c *Cache) Want(diffID string, n int) {
	c.mu.Lock()
	c.wanted[diffID] += n
	c.mu.Unlock()
}

// Stats returns the counters so far.
func (c *Cache) Stats() Stats {
	return Stats{
		Hits: c.hits.Load(), Misses: c.misses.Load(), Puts: c.puts.Load(), Damaged: c.damaged.Load(),
		BytesIn: c.bytesIn.Load(), BytesOut: c.bytesOut.Load(), LayerBytes: c.layerRead.Load(),
	}
}

// Keys in a Store. A proof holds for every version; results only for theirs.
func (c *Cache) layerKey(diffID string) string {
	return "stagescope/layer/" + c.version + "/" + diffID
}

func proofKey(digest string) string { return "stagescope/proof/" + digest }

// Get implements layers.Cache.
func (c *Cache) Get(ctx context.Context, digest, diffID string) (*layers.Layer, bool) {
	lay, ok := c.get(ctx, digest, diffID)
	if ok {
		c.hits.Add(1)
	} else {
		c.misses.Add(1)
	}
	return lay, ok
}

func (c *Cache) get(ctx context.Context, digest, diffID string) (*layers.Layer, bool) {
	if !c.isProven(ctx, digest, diffID) {
		return nil, false
	}
	c.mu.Lock()
	if lay, ok := c.held[diffID]; ok {
		c.used(diffID)
		c.mu.Unlock()
		return lay, true
	}
	c.mu.Unlock()
	if c.store == nil {
		return nil, false
	}
	key := c.layerKey(diffID)
	b, ok, err := c.store.Get(ctx, key)
	if err != nil {
		c.warnOnce("store", fmt.Sprintf("layer cache: %v (reading layers instead)", err))
		return nil, false
	}
	if !ok {
		return nil, false
	}
	c.bytesIn.Add(int64(len(b)))
	lay, extra, err := Decode(key, b)
	if err == nil {
		err = c.restoreContent(lay, extra)
	}
	if err != nil {
		c.damaged.Add(1)
		c.say(fmt.Sprintf("layer cache: ignoring the record of %s: %v", diffID, err))
		return nil, false
	}
	c.mu.Lock()
	c.used(diffID)
	if c.wanted[diffID] > 0 {
		c.held[diffID] = lay
	}
	c.mu.Unlock()
	return lay, true
}

// used counts one read of diffID done, and drops it from memory once no
// more are to come. c.mu is held.
func (c *Cache) used(diffID string) {
	if c.wanted[diffID] > 0 {
		c.wanted[diffID]--
	}
	if c.wanted[diffID] == 0 {
		delete(c.wanted, diffID)
		delete(c.held, diffID)
	}
}

// isProven tells whether a blob with this digest is known to uncompress to
// diffID.
func (c *Cache) isProven(ctx context.Context, digest, diffID string) bool {
	if digest == diffID {
		return true // an uncompressed blob: the bytes that were hashed
	}
	c.mu.Lock()
	d, ok := c.proven[digest]
	c.mu.Unlock()
	if ok || c.store == nil {
		return d == diffID
	}
	b, ok, err := c.store.Get(ctx, proofKey(digest))
	if err != nil {
		c.warnOnce("store", fmt.Sprintf("layer cache: %v (reading layers instead)", err))
		return false
	}
	if !ok || string(b) != diffID {
		return false
	}
	c.mu.Lock()
	c.proven[digest] = diffID
	c.mu.Unlock()
	return true
}

// Put implements layers.Cache: lay's blob digest and diff ID were checked
// against its bytes.
func (c *Cache) Put(ctx context.Context, lay *layers.Layer) {
	c.puts.Add(1)
	c.layerRead.Add(lay.Size)
	c.mu.Lock()
	c.proven[lay.Digest] = lay.DiffID
	c.used(lay.DiffID)
	if c.wanted[lay.DiffID] > 0 {
		// Read drops the entries it hands on; keep a copy of the slice
		// header (the entries themselves are never written again).
		cp := *lay
		c.held[lay.DiffID] = &cp
	}
	c.mu.Unlock()
	if c.store == nil {
		return
	}
	if lay.Digest != lay.DiffID {
		if err := c.store.Set(ctx, proofKey(lay.Digest), []byte(lay.DiffID)); err != nil {
			c.warnOnce("store", fmt.Sprintf("layer cache: %v (results not kept)", err))
			return
		}
	}
	key := c.layerKey(lay.DiffID)
	var extra []Section
	if lay.Content != nil && c.encContent != nil {
		data, err := c.encContent(lay.Content)
		if err != nil {
			c.warnOnce("content", fmt.Sprintf("layer cache: %v (results not kept)", err))
			return
		}
		extra = append(extra, Section{Tag: TagContent, Data: data})
	}
	b := Encode(key, lay, extra...)
	if err := c.store.Set(ctx, key, b); err != nil {
		c.warnOnce("store", fmt.Sprintf("layer cache: %v (results not kept)", err))
		return
	}
	c.bytesOut.Add(int64(len(b)))
}

// restoreContent decodes the TagContent section into lay.Content.
func (c *Cache) restoreContent(lay *layers.Layer, extra []Section) error {
	for _, sec := range extra {
		if sec.Tag != TagContent || c.decContent == nil {
			continue
		}
		v, err := c.decContent(sec.Data)
		if err != nil {
			return fmt.Errorf("content section: %w", err)
		}
		lay.Content = v
	}
	return nil
}

// warnOnce warns about what once per run: a store that is down would
// otherwise warn for every layer.
func (c *Cache) warnOnce(what, msg string) {
	c.mu.Lock()
	seen := c.warned[what]
	c.warned[what] = true
	c.mu.Unlock()
	if !seen {
		c.say(msg)
	}
}

// say hands msg to warn. Layers are read in parallel: warn hears one
// message at a time, so that it need not lock (a test's slice, a terminal).
func (c *Cache) say(msg string) {
	c.warnMu.Lock()
	defer c.warnMu.Unlock()
	c.warn(msg)
}

// fileName turns a key into a name safe for any file system.
func fileName(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}
