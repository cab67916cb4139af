package cache_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/stagescope/stagescope/layers"
	"github.com/stagescope/stagescope/layers/cache"
	lt "github.com/stagescope/stagescope/layers/layerstest"
)

// capture keeps the contents the tests look for: every file named *.txt.
func capture(p string, _ int64) bool { return strings.HasSuffix(p, ".txt") }

var base = lt.Step{CreatedBy: "ADD rootfs /", Files: []lt.File{
	lt.Dir("etc"), {Name: "etc/os-release.txt", Body: "ID=debian\n"},
	{Name: "usr/bin/tool", Body: strings.Repeat("t", 30_000), Mode: 0o755, UID: 7, GID: 8},
	lt.Symlink("usr/bin/alias", "tool"), lt.Hardlink("usr/bin/hard", "usr/bin/tool"),
	{Name: "usr/lib/a/b/c/deep/name-that-shares-a-prefix.so", Body: "x"},
	{Name: "usr/lib/a/b/c/deep/name-that-shares-a-prefix.so.1", Body: ""},
}}

func images(t *testing.T) (a, b v1.Image) {
	a = lt.Image(t, base, lt.Step{CreatedBy: "RUN build", Files: []lt.File{{Name: "usr/bin/cc", Body: strings.Repeat("c", 50_000)}, lt.Whiteout("usr/bin/alias")}})
	b = lt.Image(t, base, lt.Step{CreatedBy: "COPY app /app", Files: []lt.File{{Name: "app/notes.txt", Body: "hello"}, lt.Opaque("etc")}})
	return a, b
}

// read reads img with c (nil: no cache) and returns the image and the
// layer bytes streamed.
func read(t *testing.T, img v1.Image, c layers.Cache) (*layers.Image, int64) {
	t.Helper()
	var n atomic.Int64
	opts := []layers.Option{layers.WithCapture(capture, 1<<20), layers.WithProgress(func(p layers.Progress) { n.Store(max(n.Load(), p.BytesRead)) })}
	if c != nil {
		opts = append(opts, layers.WithCache(c))
	}
	got, err := layers.Read(context.Background(), img, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return got, n.Load()
}

func version(tool string) string { return cache.Version(tool, "txt", 1<<20, true) }

func TestDirCacheAcrossRuns(t *testing.T) {
	imgA, imgB := images(t)
	fresh, all := read(t, imgB, nil)
	dir := t.TempDir()

	open := func(v string) (*cache.Cache, *[]string) {
		d, err := cache.OpenDir(dir, 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		var warnings []string
		return cache.New(d, v, func(s string) { warnings = append(warnings, s) }), &warnings
	}

	// A first run reads A and keeps its layers.
	c1, _ := open(version("v1"))
	if _, n := read(t, imgA, c1); n == 0 {
		t.Fatal("cold run read no bytes")
	}
	if got := c1.Stats(); got.Puts != 2 || got.Hits != 0 {
		t.Errorf("cold run stats = %+v, want 2 puts and no hits", got)
	}

	// A second run (a new process) reads B: the shared base comes from disk.
	c2, warns := open(version("v1"))
	got, n := read(t, imgB, c2)
	if diff := cmp.Diff(fresh, got); diff != "" {
		t.Errorf("B read through the cache differs from a fresh read (-fresh +cached):\n%s", diff)
	}
	if want := fresh.Layers[1].Size; n != want {
		t.Errorf("bytes read = %d, want %d (B's own layer; the base is %d bytes)", n, want, fresh.Layers[0].Size)
	}
	// A third run reads B again: nothing is streamed.
	c3, _ := open(version("v1"))
	got, n = read(t, imgB, c3)
	if diff := cmp.Diff(fresh, got); diff != "" {
		t.Errorf("warm read of B differs from a fresh read (-fresh +cached):\n%s", diff)
	}
	if n != 0 {
		t.Errorf("warm run read %d bytes, want 0 (of %d)", n, all)
	}
	if len(*warns) != 0 {
		t.Errorf("warnings: %q", *warns)
	}

	// Another analyzer version never reads these records.
	c4, _ := open(version("v2"))
	if _, n := read(t, imgB, c4); n != all {
		t.Errorf("run of another version read %d bytes, want all %d", n, all)
	}
	if got := c4.Stats(); got.Hits != 0 {
		t.Errorf("another version hit %d records", got.Hits)
	}
}

func TestDamagedRecordIsAMiss(t *testing.T) {
	imgA, _ := images(t)
	fresh, all := read(t, imgA, nil)
	for _, tc := range []struct {
		name  string
		spoil func([]byte) []byte
	}{
		{"flipped byte", func(b []byte) []byte { b[len(b)/2] ^= 0x40; return b }},
		{"truncated", func(b []byte) []byte { return b[:len(b)-3] }},
		{"empty", func([]byte) []byte { return nil }},
		{"foreign", func([]byte) []byte { return []byte("{\"some\": \"json\"}") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			d, err := cache.OpenDir(dir, 1<<30)
			if err != nil {
				t.Fatal(err)
			}
			read(t, imgA, cache.New(d, version("v1"), nil))
			// Spoil every record (proofs are a few bytes and end up as
			// "not proven"; layer records as damaged).
			var spoiled int
			err = filepath.WalkDir(filepath.Join(dir, "v1"), func(p string, e os.DirEntry, err error) error {
				if err != nil || e.IsDir() || strings.HasPrefix(e.Name(), ".") {
					return err
				}
				b, err := os.ReadFile(p)
				if err != nil || !strings.HasPrefix(string(b), "SSLC") {
					return err // a proof: leave it, so that the record is read
				}
				spoiled++
				return os.WriteFile(p, tc.spoil(b), 0o600)
			})
			if err != nil || spoiled == 0 {
				t.Fatalf("spoiling records: %v (%d spoiled)", err, spoiled)
			}
			var warnings []string
			c := cache.New(d, version("v1"), func(s string) { warnings = append(warnings, s) })
			got, n := read(t, imgA, c)
			if diff := cmp.Diff(fresh, got); diff != "" {
				t.Errorf("read over spoiled records differs from a fresh read:\n%s", diff)
			}
			if n != all {
				t.Errorf("bytes read = %d, want all %d", n, all)
			}
			if c.Stats().Hits != 0 {
				t.Errorf("hits = %d, want 0", c.Stats().Hits)
			}
			if got := c.Stats().Damaged; got != int64(spoiled) {
				t.Errorf("damaged = %d, want %d", got, spoiled)
			}
			if len(warnings) != spoiled {
				t.Errorf("warnings = %q, want one for each of %d records", warnings, spoiled)
			}
			for _, w := range warnings {
				if !strings.Contains(w, "ignoring the record") {
					t.Errorf("unexpected warning %q", w)
				}
			}
		})
	}
}

// lyingLayer claims another layer's diff ID.
type lyingLayer struct {
	v1.Layer
	diffID v1.Hash
}

func (l lyingLayer) DiffID() (v1.Hash, error) { return l.diffID, nil }

func TestCachedResultNeedsAProvenDiffID(t *testing.T) {
	imgA, _ := images(t)
	dir := t.TempDir()
	d, err := cache.OpenDir(dir, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	read(t, imgA, cache.New(d, version("v1"), nil))

	// An image whose only layer is other bytes claiming A's base diff ID.
	ls, err := imgA.Layers()
	if err != nil {
		t.Fatal(err)
	}
	claimed, err := ls[0].DiffID()
	if err != nil {
		t.Fatal(err)
	}
	other := lt.Layer(t, lt.File{Name: "evil", Body: "not the base"})
	liar, err := mutate.Append(empty.Image, mutate.Addendum{Layer: lyingLayer{other, claimed}})
	if err != nil {
		t.Fatal(err)
	}
	c := cache.New(d, version("v1"), nil)
	_, err = layers.Read(context.Background(), liar, layers.WithCache(c))
	if err == nil || !strings.Contains(err.Error(), "diff ID mismatch") {
		t.Errorf("reading a layer that claims a cached diff ID: err = %v, want a diff ID mismatch", err)
	}
	if c.Stats().Hits != 0 {
		t.Errorf("the cache answered for an unproven blob (%d hits)", c.Stats().Hits)
	}
}

func TestSharedWithinARun(t *testing.T) {
	imgA, imgB := images(t)
	freshA, allA := read(t, imgA, nil)
	freshB, _ := read(t, imgB, nil)
	c := cache.New(nil, version("v1"), nil)
	for _, img := range []*layers.Image{freshA, freshB} {
		for _, l := range img.Layers {
			c.Want(l.DiffID, 1)
		}
	}
	if _, n := read(t, imgA, c); n != allA {
		t.Errorf("first image read %d bytes, want %d", n, allA)
	}
	gotB, n := read(t, imgB, c)
	if want := freshB.Layers[1].Size; n != want {
		t.Errorf("second image read %d bytes, want %d (its own layer only)", n, want)
	}
	if diff := cmp.Diff(freshB, gotB); diff != "" {
		t.Errorf("second image differs from a fresh read:\n%s", diff)
	}
	// Nothing more is wanted: a third read of B reads everything again.
	if _, n := read(t, imgB, c); n == 0 {
		t.Error("a layer no longer wanted stayed in memory")
	}
}

func TestOCILayoutThroughCache(t *testing.T) {
	// Layers stored compressed: the read checks the blob digest and the
	// diff ID, and the cache records the proof between them.
	imgA, _ := images(t)
	src, err := layers.Load(context.Background(), "oci:"+lt.OCILayout(t, imgA))
	if err != nil {
		t.Fatal(err)
	}
	fresh, all := read(t, src.Image, nil)
	d, err := cache.OpenDir(t.TempDir(), 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	read(t, src.Image, cache.New(d, version("v1"), nil))
	got, n := read(t, src.Image, cache.New(d, version("v1"), nil))
	if n != 0 {
		t.Errorf("warm read of an OCI layout streamed %d of %d bytes", n, all)
	}
	if diff := cmp.Diff(fresh, got); diff != "" {
		t.Errorf("warm read differs from a fresh one:\n%s", diff)
	}
}

func TestDirTwoProcessesAtOnce(t *testing.T) {
	// Two Dirs on one directory (as two processes would have), writing
	// and reading the same keys at once: every Get sees a whole record.
	root := t.TempDir()
	var wg sync.WaitGroup
	recs := map[string][]byte{}
	for i := range 20 {
		recs[string(rune('a'+i))] = []byte(strings.Repeat(string(rune('a'+i)), 10_000+i))
	}
	errs := make(chan string, 100)
	for range 2 {
		d, err := cache.OpenDir(root, 150_000) // small: evictions run too
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := range 10 {
				for k, v := range recs {
					if round%2 == 0 {
						if err := d.Set(context.Background(), k, v); err != nil {
							errs <- err.Error()
						}
						continue
					}
					got, ok, err := d.Get(context.Background(), k)
					if err != nil {
						errs <- err.Error()
					}
					if ok && string(got) != string(v) {
						errs <- "key " + k + ": a partial or wrong record"
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestDirEvictsLeastRecentlyUsed(t *testing.T) {
	root := t.TempDir()
	d, err := cache.OpenDir(root, 10_000)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rec := []byte(strings.Repeat("r", 3_000))
	for _, k := range []string{"old", "used", "newer"} {
		if err := d.Set(ctx, k, rec); err != nil {
			t.Fatal(err)
		}
		// mtimes must differ for the order to be seen
		setAge(t, root, k)
	}
	if _, ok, _ := d.Get(ctx, "used"); !ok { // now the most recently used
		t.Fatal("used: missing before eviction")
	}
	if err := d.Set(ctx, "new", rec); err != nil { // 12,000 bytes: over the cap
		t.Fatal(err)
	}
	for _, tc := range []struct {
		key  string
		want bool
	}{{"old", false}, {"newer", true}, {"used", true}, {"new", true}} {
		_, ok, err := d.Get(ctx, tc.key)
		if err != nil {
			t.Fatal(err)
		}
		if ok != tc.want {
			t.Errorf("%s kept = %t, want %t", tc.key, ok, tc.want)
		}
	}
	if got := d.Size(); got > 9_000 {
		t.Errorf("size after eviction = %d, want at most 9000", got)
	}
}

// setAge makes every record under root a minute older, so that records
// written one after the other have distinct use times.
func setAge(t *testing.T, root, _ string) {
	t.Helper()
	err := filepath.WalkDir(root, func(p string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			return err
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		old := info.ModTime().Add(-time.Minute)
		return os.Chtimes(p, old, old)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestDockerSaveNeverFromCache: a docker save names its layers as it
// likes, so a digest there proves nothing until the bytes are read. Once a
// good archive's layer is cached, an archive whose layer is damaged but
// claims the same diff ID must still be read, and fail, not be served the
// good layer's result; nor may a known layer (diff's shared layers) stand
// in for it.
func TestDockerSaveNeverFromCache(t *testing.T) {
	ctx := context.Background()
	var files []lt.File
	for i := range 50 {
		files = append(files, lt.File{Name: fmt.Sprintf("app/f%03d", i), Body: fmt.Sprintf("CONTENT-%03d", i)})
	}
	img := lt.Layers(t, files)
	good := lt.DockerSave(t, img, "app:1", lt.SaveClassic, false)
	bad := bytes.Clone(good)
	k := bytes.Index(bad, []byte("CONTENT-042"))
	if k < 0 {
		t.Fatal("the layer's content is not in the archive")
	}
	bad[k] = 'X'

	d, err := cache.OpenDir(t.TempDir(), 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	c := cache.New(d, version("v1"), nil)
	readArchive := func(b []byte, opts ...layers.Option) (*layers.Image, error) {
		src, err := layers.Load(ctx, lt.WriteFile(t, "app.tar", b))
		if err != nil {
			t.Fatal(err)
		}
		return src.Read(ctx, opts...)
	}
	// The layer, read from a source that names blobs by their contents,
	// is cached: a second read takes nothing from the stream.
	read(t, img, c)
	if _, n := read(t, img, c); n != 0 {
		t.Fatalf("the layer was not cached: %d bytes read again", n)
	}
	known, err := readArchive(good, layers.WithCache(c))
	if err != nil {
		t.Fatalf("good archive: %v", err)
	}
	if _, err := readArchive(bad, layers.WithCache(c)); err == nil || !strings.Contains(err.Error(), "mismatch") {
		t.Errorf("damaged archive claiming a cached diff ID: error %v, want a digest mismatch", err)
	}
	if _, err := readArchive(bad, layers.WithKnownLayers(known)); err == nil || !strings.Contains(err.Error(), "mismatch") {
		t.Errorf("damaged archive claiming a known layer's diff ID: error %v, want a digest mismatch", err)
	}
}
