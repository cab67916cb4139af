package layerstest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"
)

// Save is the bytes of one of the real `docker save` streams in
// testdata/saves (see its README), uncompressed: what a pipe from the
// engine's save would carry.
func Save(t testing.TB, name string) []byte {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	return Gunzip(t, filepath.Join(filepath.Dir(here), "..", "..", "testdata", name))
}

// Gunzip is the uncompressed bytes of the gzip file at p.
func Gunzip(t testing.TB, p string) []byte {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	return b
}

// LayerZeroSpan finds the member of the docker save archive b that its
// manifest.json names as layer 0 (following links): where its bytes start
// in b and how many there are.
func LayerZeroSpan(b []byte) (off, size int64, err error) {
	type span struct {
		off, size int64
		link      string
	}
	members := map[string]span{}
	cr := &countingReader{r: bytes.NewReader(b)}
	tr := tar.NewReader(cr)
	var manifest []struct{ Layers []string }
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, 0, err
		}
		name := path.Clean(h.Name)
		switch h.Typeflag {
		case tar.TypeReg:
			members[name] = span{off: cr.n, size: h.Size}
		case tar.TypeSymlink:
			members[name] = span{link: path.Join(path.Dir(name), h.Linkname)}
		}
		if name == "manifest.json" {
			if err := json.NewDecoder(tr).Decode(&manifest); err != nil {
				return 0, 0, fmt.Errorf("manifest.json: %w", err)
			}
		}
	}
	if len(manifest) != 1 || len(manifest[0].Layers) == 0 {
		return 0, 0, errors.New("manifest.json does not list one image with layers")
	}
	name := path.Clean(manifest[0].Layers[0])
	for range 8 {
		m, ok := members[name]
		if !ok {
			break
		}
		if m.link == "" {
			return m.off, m.size, nil
		}
		name = m.link
	}
	return 0, 0, fmt.Errorf("layer 0 (%s) is not in the archive", manifest[0].Layers[0])
}

type countingReader struct {
	r io.Reader // not a Seeker: tar reads every byte, so n is exact
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// TrickleSave returns a reader of the docker save archive b as a slow pipe
// would carry it: up to half of layer 0's member in 16 KiB chunks 5 ms
// apart, then nothing until release is called (by the test, or at its
// end), then the rest. A reader of the stream is mid-way through layer 0
// until then.
func TrickleSave(t testing.TB, b []byte) (r io.Reader, release func()) {
	t.Helper()
	tr, release := TrickleZero(t, b)
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() {
		cancel()
		_ = pr.Close()
	})
	go func() {
		tr.Send(ctx, pw, b)
		_ = pw.Close()
	}()
	return pr, release
}

// TrickleZero is the Trickle that sends the docker save archive b as
// TrickleSave does, holding it half-way through layer 0's member until
// release is called (by the test, or at its end).
func TrickleZero(t testing.TB, b []byte) (tr Trickle, release func()) {
	t.Helper()
	off, size, err := LayerZeroSpan(b)
	if err != nil {
		t.Fatal(err)
	}
	gate := make(chan struct{})
	release = sync.OnceFunc(func() { close(gate) })
	t.Cleanup(release)
	return Trickle{Held: int(off + size/2), Chunk: 16 << 10, Pause: 5 * time.Millisecond, Release: gate}, release
}
