package cache

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gofrs/flock"
)

// DefaultMaxBytes caps a Dir when no size is given.
const DefaultMaxBytes = 2 << 30

// Dir is a Store of files in a directory, capped in size: past the cap the
// least recently used records go. Several processes may share one: a record
// appears whole or not at all (written aside, then renamed), and one
// process at a time evicts (a lock file).
type Dir struct {
	root string
	max  int64

	mu      sync.Mutex
	size    int64 // bytes under root at the last scan, plus what this process wrote since
	scanned bool
}

// dirLayout is the version of the directory's layout, a directory of its own.
const dirLayout = "v1"

// tmpPrefix names records being written; a crash leaves them behind, and
// eviction removes those older than staleTmp.
const (
	tmpPrefix = ".tmp-"
	staleTmp  = time.Hour
)

// DefaultDir is the cache directory under the user's cache directory.
func DefaultDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("layer cache: %w (use --cache DIR or --no-cache)", err)
	}
	return filepath.Join(d, "stagescope"), nil
}

// OpenDir opens (and creates) a cache directory holding at most maxBytes
// of records.
func OpenDir(root string, maxBytes int64) (*Dir, error) {
	if maxBytes <= 0 {
		return nil, fmt.Errorf("layer cache size must be positive, got %d", maxBytes)
	}
	d := &Dir{root: filepath.Join(root, dirLayout), max: maxBytes}
	if err := os.MkdirAll(d.root, 0o700); err != nil {
		return nil, fmt.Errorf("layer cache: %w", err)
	}
	return d, nil
}

func (d *Dir) path(key string) string {
	n := fileName(key)
	return filepath.Join(d.root, n[:2], n)
}

// Get implements Store. A hit marks the record as just used.
func (d *Dir) Get(_ context.Context, key string) ([]byte, bool, error) {
	p := d.path(key)
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("layer cache: %w", err)
	}
	now := time.Now()
	_ = os.Chtimes(p, now, now) // for eviction; a record being evicted is fine to lose
	return b, true, nil
}

// Set implements Store.
func (d *Dir) Set(_ context.Context, key string, val []byte) error {
	p := d.path(key)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return fmt.Errorf("layer cache: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(p), tmpPrefix+"*")
	if err != nil {
		return fmt.Errorf("layer cache: %w", err)
	}
	_, err = f.Write(val)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), p)
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return fmt.Errorf("layer cache: %w", err)
	}
	d.mu.Lock()
	d.size += int64(len(val))
	over := !d.scanned || d.size > d.max
	d.mu.Unlock()
	if over {
		return d.Evict()
	}
	return nil
}

// Evict removes the least recently used records until the directory holds
// at most nine tenths of its cap. When another process is evicting, it
// leaves the work to that one.
func (d *Dir) Evict() error {
	lock := flock.New(filepath.Join(d.root, ".evict.lock"))
	ok, err := lock.TryLock()
	if err != nil {
		return fmt.Errorf("layer cache: %w", err)
	}
	if !ok {
		return nil
	}
	defer func() { _ = lock.Unlock() }()
	type rec struct {
		path string
		size int64
		used time.Time
	}
	var (
		recs  []rec
		total int64
	)
	err = filepath.WalkDir(d.root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed by another process
			}
			return err
		}
		if e.IsDir() || strings.HasPrefix(e.Name(), ".evict") {
			return nil
		}
		info, err := e.Info()
		if err != nil {
			return nil // gone since
		}
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			if time.Since(info.ModTime()) > staleTmp {
				_ = os.Remove(p)
			}
			return nil
		}
		recs = append(recs, rec{p, info.Size(), info.ModTime()})
		total += info.Size()
		return nil
	})
	if err != nil {
		return fmt.Errorf("layer cache: %w", err)
	}
	if total > d.max {
		slices.SortFunc(recs, func(a, b rec) int { return a.used.Compare(b.used) })
		for _, r := range recs {
			if total <= d.max/10*9 {
				break
			}
			if err := os.Remove(r.path); err == nil || errors.Is(err, fs.ErrNotExist) {
				total -= r.size
			}
		}
	}
	d.mu.Lock()
	d.size, d.scanned = total, true
	d.mu.Unlock()
	return nil
}

// Size is the bytes of records under the directory at the last scan plus
// what this process wrote since.
func (d *Dir) Size() int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.size
}
