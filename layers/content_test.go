package layers_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
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

func TestContentScanSeesEveryVersion(t *testing.T) {
	big := string(bytes.Repeat([]byte("0123456789"), 100_000)) // several copy buffers
	img := lt.Image(t,
		lt.Step{CreatedBy: "base", Files: []lt.File{
			{Name: "etc/app.conf", Body: "v1"},
			{Name: "gone", Body: "deleted later"},
			{Name: "skip", Body: "never shown"},
			{Name: "fails", Body: "a write error"},
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
			opts := append([]layers.Option{layers.WithContentScan(func() layers.ContentScanner { return &recorder{} })}, mode.opts...)
			got := read(t, img, opts...)
			want := [][]string{
				// A failed Write closes the file at once, and only once.
				{"etc/app.conf=v1", "gone=deleted later", "fails="},
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
	scan := layers.WithContentScan(func() layers.ContentScanner { return &recorder{} })
	first := read(t, img, scan)
	calls := 0
	again, err := layers.Read(context.Background(), img, layers.WithKnownLayers(first),
		layers.WithContentScan(func() layers.ContentScanner { calls++; return &recorder{} }))
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
	got := read(t, img, layers.WithCache(c), layers.WithContentScan(func() layers.ContentScanner { return &recorder{} }))
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
// under the race detector it proves that Read never overlaps them (Open
// comes from the reading goroutine, Write and Close from the pipe's).
type tally struct{ calls, bytes int }

type tallyFile struct{ t *tally }

func (t *tally) Open(string, int64) io.WriteCloser { t.calls++; return tallyFile{t} }
func (t *tally) Result() any                       { return *t }
func (f tallyFile) Write(p []byte) (int, error)    { f.t.calls++; f.t.bytes += len(p); return len(p), nil }
func (f tallyFile) Close() error                   { f.t.calls++; return nil }

func TestContentScanCallsNeverOverlap(t *testing.T) {
	var files []lt.File
	for i := range 200 {
		files = append(files, lt.File{Name: fmt.Sprintf("f%03d", i), Body: strings.Repeat("x", 1+i*997)})
	}
	img := lt.Image(t, lt.Step{CreatedBy: "base", Files: files})
	got := read(t, img, layers.WithContentScan(func() layers.ContentScanner { return &tally{} }))
	res, _ := got.Layers[0].Content.(tally)
	want := 0
	for i := range 200 {
		want += 1 + i*997
	}
	if res.bytes != want {
		t.Errorf("scanner saw %d bytes, want %d", res.bytes, want)
	}
}
