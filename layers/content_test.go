package layers_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stagescope/stagescope/layers"
	lt "github.com/stagescope/stagescope/layers/layerstest"
)

// recorder is a ContentScanner that writes down every file it is shown,
// and skips those named "skip".
type recorder struct {
	files []string
}

type recordedFile struct {
	r    *recorder
	path string
	buf  bytes.Buffer
	fail bool
}

func (r *recorder) Open(path string, size int64) io.WriteCloser {
	if path == "skip" {
		return nil
	}
	return &recordedFile{r: r, path: path, fail: path == "fails"}
}

func (r *recorder) Result() any { return r.files }

func (f *recordedFile) Write(p []byte) (int, error) {
	if f.fail {
		return 0, io.ErrShortWrite
	}
	return f.buf.Write(p)
}

func (f *recordedFile) Close() error {
	f.r.files = append(f.r.files, fmt.Sprintf("%s=%s", f.path, f.buf.String()))
	return nil
}

// scanWith is the content scan of the scanners start makes, wanting every
// file's bytes but those of names ending in ".bin".
func scanWith(start func() layers.ContentScanner) layers.Option {
	return layers.WithContentScan(layers.ContentScan{
		Start: func(context.Context) layers.ContentScanner { return start() },
		Wants: func(path string, _ int64, _ []byte) bool { return !strings.HasSuffix(path, ".bin") },
	})
}

func TestContentScanSeesEveryVersion(t *testing.T) {
	big := string(bytes.Repeat([]byte("0123456789"), 100_000)) // several copy buffers
	img := lt.Image(t,
		lt.Step{CreatedBy: "base", Files: []lt.File{
			{Name: "etc/app.conf", Body: "v1"},
			{Name: "gone", Body: "deleted later"},
			{Name: "skip", Body: "never shown"},
			{Name: "fails", Body: "a write error"},
			{Name: "x.bin", Body: "not wanted"},
			lt.Dir("d"),
			lt.Symlink("link", "etc/app.conf"),
		}},
		lt.Step{CreatedBy: "overwrite", Files: []lt.File{
			{Name: "etc/app.conf", Body: "v2"},
			lt.Whiteout("gone"),
			{Name: "big", Body: big},
			{Name: "empty", Body: ""},
		}},
	)
	for _, mode := range []struct {
		name string
		opts []layers.Option
	}{{"hashing", nil}, {"no digests", []layers.Option{layers.WithoutDigests()}}} {
		t.Run(mode.name, func(t *testing.T) {
			opts := append([]layers.Option{scanWith(func() layers.ContentScanner { return &recorder{} })}, mode.opts...)
			got := read(t, img, opts...)
			want := [][]string{
				// A failed Write closes the file at once, and only once; a
				// file Wants refuses is opened and closed without its bytes.
				{"etc/app.conf=v1", "gone=deleted later", "fails=", "x.bin="},
				{"etc/app.conf=v2", "big=" + big},
			}
			for i, l := range got.Layers {
				files, _ := l.Content.([]string)
				if diff := cmp.Diff(want[i], files); diff != "" {
					t.Errorf("layer %d: files shown (-want +got):\n%.2000s", i, diff)
				}
			}
		})
	}
}

func TestContentScanKnownLayersKeepContent(t *testing.T) {
	img := lt.Image(t, lt.Step{CreatedBy: "base", Files: []lt.File{{Name: "a", Body: "x"}}})
	scan := scanWith(func() layers.ContentScanner { return &recorder{} })
	first := read(t, img, scan)
	calls := 0
	again, err := layers.Read(context.Background(), img, layers.WithKnownLayers(first),
		scanWith(func() layers.ContentScanner { calls++; return &recorder{} }))
	if err != nil {
		t.Fatal(err)
	}
	if calls != 0 {
		t.Errorf("scanner started %d times for a known layer, want 0", calls)
	}
	if got, want := again.Layers[0].Content, any([]string{"a=x"}); !cmp.Equal(got, want) {
		t.Errorf("known layer's Content = %v, want %v", got, want)
	}
}

// mapCache is the smallest Cache: layers by blob digest, in memory.
type mapCache map[string]*layers.Layer

func (c mapCache) Get(_ context.Context, digest, _ string) (*layers.Layer, bool) {
	l, ok := c[digest]
	return l, ok
}

func (c mapCache) Put(_ context.Context, lay *layers.Layer) {
	l := *lay
	l.Content = nil // a cache that keeps no scan results
	c[lay.Digest] = &l
}

// TestContentScanBypassesCacheWithoutContent: a cached layer that lacks
// the content scan's result is read again rather than reported clean.
func TestContentScanBypassesCacheWithoutContent(t *testing.T) {
	img := lt.Image(t, lt.Step{CreatedBy: "base", Files: []lt.File{{Name: "a", Body: "x"}}})
	c := mapCache{}
	read(t, img, layers.WithCache(c)) // fills the cache
	if len(c) != 1 {
		t.Fatalf("cache holds %d layers, want 1", len(c))
	}
	got := read(t, img, layers.WithCache(c), scanWith(func() layers.ContentScanner { return &recorder{} }))
	if files, _ := got.Layers[0].Content.([]string); !cmp.Equal(files, []string{"a=x"}) {
		t.Errorf("Content = %v, want the layer scanned", got.Layers[0].Content)
	}
}

// TestCachedLayerKeepsBounds: a layer from the cache is held to the bounds
// a read of it is held to (--max-entries, --max-dirs): a bound the cached
// layer exceeds makes Read read it, and fail as reading fails.
func TestCachedLayerKeepsBounds(t *testing.T) {
	img := lt.Image(t, lt.Step{CreatedBy: "base", Files: []lt.File{{Name: "a/b/c/f", Body: "x"}, {Name: "g", Body: "y"}}})
	c := mapCache{}
	read(t, img, layers.WithCache(c)) // fills the cache
	if len(c) != 1 {
		t.Fatalf("cache holds %d layers, want 1", len(c))
	}
	for _, tc := range []struct {
		opt  layers.Option
		want string
	}{
		{layers.WithMaxDirs(2), "more than 2 directories"},
		{layers.WithMaxEntries(1), "more than 1 entries"},
	} {
		_, err := layers.Read(context.Background(), img, layers.WithCache(c), tc.opt)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Read from a cache holding the layer = %v, want an error with %q", err, tc.want)
		}
	}
	// Within the bounds the cache answers.
	got := read(t, img, layers.WithCache(c), layers.WithMaxDirs(3))
	if n := len(got.Layers[0].Entries); n != 2 {
		t.Errorf("cached read: %d entries, want 2", n)
	}
}

// tally is a ContentScanner whose calls all touch one unguarded counter:
// under the race detector it proves that Read never overlaps them.
type tally struct{ calls, bytes int }

type tallyFile struct{ t *tally }

func (t *tally) Open(string, int64) io.WriteCloser { t.calls++; return tallyFile{t} }
func (t *tally) Result() any                       { return *t }
func (f tallyFile) Write(p []byte) (int, error)    { f.t.calls++; f.t.bytes += len(p); return len(p), nil }
func (f tallyFile) Close() error                   { f.t.calls++; return nil }

func TestContentScanCallsNeverOverlap(t *testing.T) {
	for _, tc := range []struct {
		name  string
		size  func(i int) int
		n     int
		calls int // 0: not checked (a large file's bytes come in several writes)
	}{
		{"large files", func(i int) int { return 1 + i*997 }, 200, 0},
		// Three calls a file (open, write, close): batches are sent when
		// their calls fill up, some in the middle of a write.
		{"many small files", func(i int) int { return 1 + i%7 }, 5000, 3 * 5000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var files []lt.File
			want := 0
			for i := range tc.n {
				files = append(files, lt.File{Name: fmt.Sprintf("f%04d", i), Body: strings.Repeat("x", tc.size(i))})
				want += tc.size(i)
			}
			img := lt.Image(t, lt.Step{CreatedBy: "base", Files: files})
			got := read(t, img, scanWith(func() layers.ContentScanner { return &tally{} }))
			res, _ := got.Layers[0].Content.(tally)
			if res.bytes != want || (tc.calls > 0 && res.calls != tc.calls) {
				t.Errorf("scanner saw %d bytes in %d calls, want %d (in %d calls)", res.bytes, res.calls, want, tc.calls)
			}
		})
	}
}

// watcher records, across the layers' scanners, which writers were opened
// and closed, and the contexts the scanners were started with; its writer
// of the file named "trigger" cancels the read.
type watcher struct {
	mu      sync.Mutex
	open    map[string]int
	ctxs    []context.Context
	trigger func()
}

type watchedFile struct {
	w    *watcher
	path string
}

func (w *watcher) start(ctx context.Context) layers.ContentScanner {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.ctxs = append(w.ctxs, ctx)
	return watcherScan{w}
}

type watcherScan struct{ w *watcher }

func (s watcherScan) Open(path string, _ int64) io.WriteCloser {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	s.w.open[path]++
	return watchedFile{s.w, path}
}

func (s watcherScan) Result() any { return nil }

func (f watchedFile) Write(p []byte) (int, error) {
	if f.path == "trigger" {
		f.w.trigger()
	}
	return len(p), nil
}

func (f watchedFile) Close() error {
	f.w.mu.Lock()
	defer f.w.mu.Unlock()
	f.w.open[f.path]--
	return nil
}

// TestContentScanFailedRead: when a read fails with a file's scan under way
// (here the scanner itself cancels the read), the scanner's context ends and
// every writer it opened is closed: nothing of the scan is left running.
func TestContentScanFailedRead(t *testing.T) {
	rnd := make([]byte, 16<<20) // many reads after the trigger: the reader sees the cancel
	for i := range rnd {
		rnd[i] = byte(i * 7919 >> 5)
	}
	img := lt.Image(t,
		lt.Step{CreatedBy: "base", Files: []lt.File{{Name: "a", Body: "x"}}},
		lt.Step{CreatedBy: "trigger", Files: []lt.File{{Name: "trigger", Body: "go"}, {Name: "rest", Body: string(rnd)}}},
	)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &watcher{open: map[string]int{}, trigger: cancel}
	_, err := layers.Read(ctx, img, layers.WithContentScan(layers.ContentScan{Start: w.start}))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Read = %v, want context.Canceled", err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for p, n := range w.open {
		if n != 0 {
			t.Errorf("%s: %d writers left open", p, n)
		}
	}
	if len(w.ctxs) == 0 {
		t.Fatal("no scanner started")
	}
	for i, c := range w.ctxs {
		if c.Err() == nil {
			t.Errorf("scanner %d: its context has not ended", i)
		}
	}
}
