package layerstest

import (
	"context"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Registry serves img from go-containerregistry's registry on loopback, in
// the test process, behind wrap (nil: none), and returns its reference
// there (a plain-HTTP registry: load it with layers.WithInsecure).
func Registry(t testing.TB, img v1.Image, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	h := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	ref := strings.TrimPrefix(srv.URL, "http://") + "/test/image:1"
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatalf("pushing %s: %v", ref, err)
	}
	return ref
}

// Trickle is a blob sent slowly: its first Held bytes in chunks of Chunk
// bytes, Pause apart, then nothing until Release is closed, then the rest.
// Its reader is mid-blob for as long as a test wants, having read some of
// it over some time, as from a slow network or a slow decompression.
type Trickle struct {
	Digest  string // the blob's digest
	Held    int
	Chunk   int
	Pause   time.Duration
	Release <-chan struct{}
}

// Wrap serves reg, and every GET of the blob as the trickle says (see
// Registry: the image is pushed through it too, which GETs no blob).
func (tr Trickle) Wrap(reg http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/blobs/"+tr.Digest) {
			reg.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		reg.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		tr.Send(r.Context(), w, rec.Body.Bytes())
	})
}

// Send writes body to w as the trickle says, until ctx ends, flushing
// each chunk when w is an http.Flusher.
func (tr Trickle) Send(ctx context.Context, w io.Writer, body []byte) {
	held := min(tr.Held, len(body))
	flush := func() {
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
	}
	for off := 0; off < held; off += max(tr.Chunk, 1) {
		if _, err := w.Write(body[off:min(off+max(tr.Chunk, 1), held)]); err != nil {
			return
		}
		flush()
		select {
		case <-time.After(tr.Pause):
		case <-ctx.Done():
			return
		}
	}
	select {
	case <-tr.Release:
	case <-ctx.Done():
		return
	}
	_, _ = w.Write(body[held:])
}

// ManyFiles is n files of size pseudo-random bytes each (gzip cannot
// shrink them), under dir/0000/, dir/0001/, …: a layer large enough to be
// read over some time.
func ManyFiles(dir string, n, size int) []File {
	rng := rand.New(rand.NewPCG(uint64(n), uint64(size)))
	fs := make([]File, 0, n)
	for i := range n {
		b := make([]byte, size)
		for j := range b {
			b[j] = byte('a' + rng.IntN(26))
		}
		fs = append(fs, File{Name: fmt.Sprintf("%s/%04d/file", dir, i), Body: string(b)})
	}
	return fs
}

// TrickleFirst serves img from a registry on loopback (Registry) that sends
// its first layer's blob slowly, half of it in 16 KiB chunks 5 ms apart,
// and the rest once release is called (by the test, or at its end): a
// reader is mid-way through the first layer until then.
func TrickleFirst(t testing.TB, img v1.Image) (ref string, release func()) {
	t.Helper()
	return TrickleLayer(t, img, 0)
}

// TrickleLayer is TrickleFirst for layer i.
func TrickleLayer(t testing.TB, img v1.Image, i int) (ref string, release func()) {
	t.Helper()
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	size, err := ls[i].Size()
	if err != nil {
		t.Fatal(err)
	}
	gate := make(chan struct{})
	release = sync.OnceFunc(func() { close(gate) })
	t.Cleanup(release) // before the server closes: no request waits
	tr := Trickle{Digest: Digests(t, img)[i], Held: int(size / 2), Chunk: 16 << 10, Pause: 5 * time.Millisecond, Release: gate}
	return Registry(t, img, tr.Wrap), release
}
