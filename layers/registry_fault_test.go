package layers_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/stagescope/stagescope/layers"
	lt "github.com/stagescope/stagescope/layers/layerstest"
)

// faultRegistry is a real registry (go-containerregistry's) behind a proxy
// that injects faults into the requests a test chooses.
type faultRegistry struct {
	reg   http.Handler
	fault func(w http.ResponseWriter, r *http.Request, n int) bool // true: handled
	mu    sync.Mutex
	count map[string]int // requests per kind: "manifest", "blob", "token", …
}

func (f *faultRegistry) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	kind := "other"
	switch {
	case strings.Contains(r.URL.Path, "/blobs/"):
		kind = "blob"
	case strings.Contains(r.URL.Path, "/manifests/"):
		kind = "manifest"
	case r.URL.Path == "/token":
		kind = "token"
	}
	f.mu.Lock()
	f.count[kind]++
	n := f.count[kind]
	f.mu.Unlock()
	if f.fault != nil && f.fault(w, r, n) {
		return
	}
	f.reg.ServeHTTP(w, r)
}

func (f *faultRegistry) requests(kind string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.count[kind]
}

// randomLayerImage is an image whose single layer holds size random bytes,
// so that compression cannot shrink it and streaming takes a while.
func randomLayerImage(t *testing.T, size int) v1.Image {
	b := make([]byte, size)
	rand.New(rand.NewSource(7)).Read(b)
	return lt.Image(t,
		lt.Step{CreatedBy: "COPY blob /", Files: []lt.File{{Name: "blob", Body: string(b)}}},
		lt.Step{CreatedBy: "COPY hello /", Files: []lt.File{{Name: "etc/hello", Body: "hello\n"}}},
	)
}

// newFaultRegistry pushes img through a clean server and returns the
// faulty proxy's reference to it.
func newFaultRegistry(t *testing.T, img v1.Image, handlers ...http.Handler) (*faultRegistry, string) {
	t.Helper()
	reg := registry.New(registry.Logger(nilLogger()))
	if len(handlers) > 0 {
		reg = handlers[0]
	}
	clean := httptest.NewServer(reg)
	t.Cleanup(clean.Close)
	ref, err := name.ParseReference(strings.TrimPrefix(clean.URL, "http://")+"/app/faulty:1", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	f := &faultRegistry{reg: reg, count: map[string]int{}}
	proxy := httptest.NewServer(f)
	t.Cleanup(proxy.Close)
	return f, strings.TrimPrefix(proxy.URL, "http://") + "/app/faulty:1"
}

var fastRetries = layers.WithRemoteOptions(remote.WithRetryBackoff(remote.Backoff{Duration: 10 * time.Millisecond, Factor: 2, Steps: 3}))

func loadAndRead(ctx context.Context, ref string, opts ...layers.Option) (*layers.Image, error) {
	src, err := layers.Load(ctx, ref, layers.WithInsecure(), layers.WithoutDaemon(), fastRetries)
	if err != nil {
		return nil, err
	}
	return layers.Read(ctx, src.Image, opts...)
}

func nilLogger() *log.Logger { return log.New(io.Discard, "", 0) }

func TestRegistryFaults(t *testing.T) {
	img := randomLayerImage(t, 1<<20)
	blobs := lt.Digests(t, img)
	reg := registry.New(registry.Logger(nilLogger()))
	tests := []struct {
		name    string
		fault   func(w http.ResponseWriter, r *http.Request, n int) bool
		wantErr string // "" means the read must succeed
		// wantDigests are the blob digests of which a *layers.DigestError
		// must name one.
		wantDigests []string
		check       func(t *testing.T, f *faultRegistry, elapsed time.Duration)
	}{
		{
			name: "500 then 502 on the manifest, then served",
			fault: func(w http.ResponseWriter, r *http.Request, n int) bool {
				if strings.Contains(r.URL.Path, "/manifests/") && n <= 2 {
					w.WriteHeader([]int{http.StatusInternalServerError, http.StatusBadGateway}[n-1])
					return true
				}
				return false
			},
			check: func(t *testing.T, f *faultRegistry, _ time.Duration) {
				if got := f.requests("manifest"); got < 3 {
					t.Errorf("manifest requests = %d, want at least 3 (two retried failures)", got)
				}
			},
		},
		{
			name: "503 on every blob",
			fault: func(w http.ResponseWriter, r *http.Request, n int) bool {
				if strings.Contains(r.URL.Path, "/blobs/") {
					w.WriteHeader(http.StatusServiceUnavailable)
					return true
				}
				return false
			},
			wantErr: "503",
		},
		{
			name: "429 with Retry-After is honoured",
			fault: func(w http.ResponseWriter, r *http.Request, n int) bool {
				if strings.Contains(r.URL.Path, "/blobs/") && n == 1 {
					w.Header().Set("Retry-After", "1")
					w.WriteHeader(http.StatusTooManyRequests)
					return true
				}
				return false
			},
			check: func(t *testing.T, f *faultRegistry, elapsed time.Duration) {
				if elapsed < 900*time.Millisecond {
					t.Errorf("finished after %s, want a wait of about the 1 s Retry-After", elapsed)
				}
			},
		},
		{
			name: "connection dropped mid-blob is fetched again",
			fault: func(w http.ResponseWriter, r *http.Request, n int) bool {
				if isLayerBlob(blobs, r) && n <= 2 {
					// Send the real headers and part of the blob, then cut the connection.
					rec := httptest.NewRecorder()
					reg.ServeHTTP(rec, r)
					hj, ok := w.(http.Hijacker)
					if !ok {
						return false
					}
					conn, buf, err := hj.Hijack()
					if err != nil {
						return false
					}
					fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nContent-Type: application/octet-stream\r\n\r\n", rec.Body.Len())
					_, _ = buf.Write(rec.Body.Bytes()[:rec.Body.Len()/2]) // the client sees a cut-off body
					buf.Flush()
					conn.Close()
					return true
				}
				return false
			},
			check: func(t *testing.T, f *faultRegistry, _ time.Duration) {
				if got := f.requests("blob"); got < 3 {
					t.Errorf("blob requests = %d, want the cut ones fetched again", got)
				}
			},
		},
		{
			name: "401 without a token flow",
			fault: func(w http.ResponseWriter, r *http.Request, n int) bool {
				w.WriteHeader(http.StatusUnauthorized)
				return true
			},
			wantErr: "401",
		},
		{
			name: "blob with the wrong bytes",
			fault: func(w http.ResponseWriter, r *http.Request, n int) bool {
				if isLayerBlob(blobs, r) {
					rec := httptest.NewRecorder()
					reg.ServeHTTP(rec, r)
					b := rec.Body.Bytes()
					b[len(b)/2] ^= 0xff // same length, one byte changed
					w.Header().Set("Content-Type", "application/octet-stream")
					_, _ = w.Write(b) // a client that hung up is the client's problem
					return true
				}
				return false
			},
			wantErr:     "blob digest mismatch: content hashes to sha256:",
			wantDigests: blobs,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, ref := newFaultRegistry(t, img, reg)
			f.fault = tc.fault
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			start := time.Now()
			got, err := loadAndRead(ctx, ref)
			elapsed := time.Since(start)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("read failed: %v", err)
				}
				if len(got.Layers) != 2 || len(got.Layers[0].Entries) != 1 || got.Layers[0].Entries[0].Size != 1<<20 {
					t.Fatalf("read a wrong image: %+v", got.Layers)
				}
			} else {
				if err == nil {
					t.Fatalf("read succeeded, want an error containing %q", tc.wantErr)
				}
				msg := err.Error()
				if !strings.Contains(msg, tc.wantErr) {
					t.Errorf("error %q does not contain %q", msg, tc.wantErr)
				}
				var de *layers.DigestError
				switch {
				case tc.wantDigests == nil:
				case !errors.As(err, &de):
					t.Errorf("error %q (%T) is no *layers.DigestError", msg, err)
				case de.What != "blob digest" || !slices.Contains(tc.wantDigests, de.Want) || de.Got == "" || de.Got == de.Want:
					t.Errorf("DigestError = %+v, want a blob digest mismatch against one of %s", *de, tc.wantDigests)
				}
			}
			if tc.check != nil {
				tc.check(t, f, elapsed)
			}
		})
	}
}

// isLayerBlob tells GETs of the layer blobs named by digests from other
// requests.
func isLayerBlob(digests []string, r *http.Request) bool {
	if r.Method != http.MethodGet || !strings.Contains(r.URL.Path, "/blobs/") {
		return false
	}
	return slices.ContainsFunc(digests, func(d string) bool { return strings.HasSuffix(r.URL.Path, d) })
}

// TestRegistryTokenFlow: the registry answers 401 with a Bearer challenge;
// credentials from the Docker config buy a token at the realm.
func TestRegistryTokenFlow(t *testing.T) {
	img := randomLayerImage(t, 64<<10)
	f, ref := newFaultRegistry(t, img)
	host := strings.SplitN(ref, "/", 2)[0]
	const token = "s3cr3t-token"
	f.fault = func(w http.ResponseWriter, r *http.Request, n int) bool {
		if r.URL.Path == "/token" {
			user, pass, ok := r.BasicAuth()
			if !ok || user != "alice" || pass != "wonderland" {
				w.WriteHeader(http.StatusUnauthorized)
				return true
			}
			fmt.Fprintf(w, `{"token":%q}`, token)
			return true
		}
		if r.Header.Get("Authorization") != "Bearer "+token {
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="http://%s/token",service="test",scope="repository:app/faulty:pull"`, host))
			w.WriteHeader(http.StatusUnauthorized)
			return true
		}
		return false
	}
	cfgDir := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte("alice:wonderland"))
	if err := os.WriteFile(filepath.Join(cfgDir, "config.json"), []byte(fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, host, auth)), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER_CONFIG", cfgDir)
	if _, err := loadAndRead(context.Background(), ref); err != nil {
		t.Fatalf("read with credentials: %v", err)
	}
	if f.requests("token") == 0 {
		t.Errorf("no token was requested")
	}
	// Wrong credentials: a clear authentication error.
	auth = base64.StdEncoding.EncodeToString([]byte("alice:wrong"))
	if err := os.WriteFile(filepath.Join(cfgDir, "config.json"), []byte(fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, host, auth)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := loadAndRead(context.Background(), ref)
	if err == nil || !strings.Contains(err.Error(), "401") && !strings.Contains(strings.ToLower(err.Error()), "unauthorized") {
		t.Errorf("read with wrong credentials: err = %v, want a 401/unauthorized error", err)
	}
}

// slowBlobs serves blobs in small chunks with pauses.
func slowBlobs(reg http.Handler, chunk int, pause time.Duration) func(w http.ResponseWriter, r *http.Request, n int) bool {
	return func(w http.ResponseWriter, r *http.Request, n int) bool {
		if !strings.Contains(r.URL.Path, "/blobs/") || r.Method != http.MethodGet {
			return false
		}
		rec := httptest.NewRecorder()
		reg.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		drip(w, r, rec.Body.Bytes(), chunk, pause)
		return true
	}
}

// drip sends body in chunks of chunk bytes, flushed, pause apart, until
// the client hangs up.
func drip(w http.ResponseWriter, r *http.Request, body []byte, chunk int, pause time.Duration) {
	for len(body) > 0 {
		m := min(chunk, len(body))
		if _, err := w.Write(body[:m]); err != nil {
			return
		}
		w.(http.Flusher).Flush()
		body = body[m:]
		select {
		case <-r.Context().Done():
			return
		case <-time.After(pause):
		}
	}
}

// TestRegistrySlow: progress keeps moving while a slow registry streams,
// a timeout bounds the whole read, and cancelling (Ctrl-C) stops it at once.
func TestRegistrySlow(t *testing.T) {
	img := randomLayerImage(t, 1<<20)
	f, ref := newFaultRegistry(t, img)
	f.fault = slowBlobs(f.reg, 32<<10, 20*time.Millisecond)

	var updates []int64
	var mu sync.Mutex
	got, err := loadAndRead(context.Background(), ref, layers.WithProgress(func(p layers.Progress) {
		mu.Lock()
		updates = append(updates, p.BytesRead)
		mu.Unlock()
	}))
	if err != nil {
		t.Fatalf("slow read: %v", err)
	}
	if len(got.Layers) != 2 {
		t.Fatalf("got %d layers", len(got.Layers))
	}
	if len(updates) < 3 {
		t.Errorf("progress reported %d times during a slow read, want it to keep moving", len(updates))
	}

	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = loadAndRead(ctx, ref)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("timed-out read: err = %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("timed-out read took %s", d)
	}

	ctx, cancel = context.WithCancel(context.Background())
	var once atomic.Bool
	start = time.Now()
	_, err = loadAndRead(ctx, ref, layers.WithProgress(func(p layers.Progress) {
		if p.BytesRead > 0 && once.CompareAndSwap(false, true) {
			cancel()
		}
	}))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled read: err = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("cancelled read took %s to stop", d)
	}
}

// serveManifest answers a manifest GET with m, as a registry would.
func serveManifest(w http.ResponseWriter, mt types.MediaType, m any) {
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	w.Header().Set("Content-Type", string(mt))
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}

// endless writes filler until the client hangs up.
func endless(w http.ResponseWriter, r *http.Request, filler byte) {
	w.Header().Set("Content-Type", "application/octet-stream")
	chunk := bytes.Repeat([]byte{filler}, 64<<10)
	for r.Context().Err() == nil {
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
}

// TestRegistryBounds: a misbehaving registry ends in one clear error, soon,
// whatever it sends: descriptor sizes that are unknown or huge over
// endless bodies, an endless manifest, a redirect loop, silence or a
// trickle, an index of thousands of platforms.
func TestRegistryBounds(t *testing.T) {
	img := randomLayerImage(t, 64<<10)
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	mt, err := img.MediaType()
	if err != nil {
		t.Fatal(err)
	}
	withManifest := func(edit func(m *v1.Manifest)) func(w http.ResponseWriter, r *http.Request) bool {
		return func(w http.ResponseWriter, r *http.Request) bool {
			if !strings.Contains(r.URL.Path, "/manifests/") {
				return false
			}
			c := m.DeepCopy()
			edit(c)
			serveManifest(w, mt, c)
			return true
		}
	}
	isBlob := func(r *http.Request, d v1.Hash) bool {
		return r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/blobs/"+d.String())
	}
	tests := []struct {
		name    string
		fault   func(w http.ResponseWriter, r *http.Request) bool
		stall   time.Duration // 0: the default
		wantErr string        // a regular expression
	}{
		{
			name: "config of unknown size, endless body",
			fault: func(w http.ResponseWriter, r *http.Request) bool {
				if isBlob(r, m.Config.Digest) {
					endless(w, r, ' ')
					return true
				}
				return withManifest(func(m *v1.Manifest) { m.Config.Size = -1 })(w, r)
			},
			wantErr: `config sha256:.* claims -1 bytes; a config must be 0 to 67108864 bytes`,
		},
		{
			name: "config of 8 GiB, endless body",
			fault: func(w http.ResponseWriter, r *http.Request) bool {
				if isBlob(r, m.Config.Digest) {
					endless(w, r, ' ')
					return true
				}
				return withManifest(func(m *v1.Manifest) { m.Config.Size = 8 << 30 })(w, r)
			},
			wantErr: `config sha256:.* claims 8589934592 bytes`,
		},
		{
			name: "endless manifest",
			fault: func(w http.ResponseWriter, r *http.Request) bool {
				if strings.Contains(r.URL.Path, "/manifests/") {
					endless(w, r, ' ')
					return true
				}
				return false
			},
			wantErr: `manifest .*more than the 67108864 bytes allowed for metadata`,
		},
		{
			name: "manifest that says it is 1 GiB",
			fault: func(w http.ResponseWriter, r *http.Request) bool {
				if strings.Contains(r.URL.Path, "/manifests/") {
					w.Header().Set("Content-Length", strconv.Itoa(1<<30))
					w.Header().Set("Content-Type", string(mt))
					w.WriteHeader(http.StatusOK)
					return true
				}
				return false
			},
			wantErr: `manifest .*1073741824 bytes, more than the 67108864 allowed for metadata`,
		},
		{
			name: "layer of unknown size, endless body",
			fault: func(w http.ResponseWriter, r *http.Request) bool {
				if isBlob(r, m.Layers[0].Digest) {
					endless(w, r, 0)
					return true
				}
				return withManifest(func(m *v1.Manifest) { m.Layers[0].Size = -1 })(w, r)
			},
			wantErr: `layer 0 \(sha256:.*\) claims -1 bytes; a layer's size must be known`,
		},
		{
			name: "same-host redirect loop",
			fault: func(w http.ResponseWriter, r *http.Request) bool {
				if isBlob(r, m.Layers[0].Digest) {
					http.Redirect(w, r, r.URL.Path, http.StatusFound)
					return true
				}
				return false
			},
			wantErr: `a redirect loop \(more than 10 redirects\): http://.*/blobs/sha256:.* → .*/blobs/sha256:`,
		},
		{
			name: "headers, then silence",
			fault: func(w http.ResponseWriter, r *http.Request) bool {
				if isBlob(r, m.Layers[0].Digest) {
					w.Header().Set("Content-Length", strconv.FormatInt(m.Layers[0].Size, 10))
					w.WriteHeader(http.StatusOK)
					w.(http.Flusher).Flush()
					<-r.Context().Done()
					return true
				}
				return false
			},
			stall:   300 * time.Millisecond,
			wantErr: `registry 127\.0\.0\.1:\d+ stalled: less than 1024 bytes in 300ms of waiting \(--stall-timeout\)`,
		},
		{
			name: "no headers at all",
			fault: func(w http.ResponseWriter, r *http.Request) bool {
				if isBlob(r, m.Layers[0].Digest) {
					<-r.Context().Done()
					return true
				}
				return false
			},
			stall:   300 * time.Millisecond,
			wantErr: `stalled: less than 1024 bytes in 300ms`,
		},
		{
			name: "a byte every 20 ms",
			fault: func(w http.ResponseWriter, r *http.Request) bool {
				if isBlob(r, m.Layers[0].Digest) {
					w.Header().Set("Content-Length", strconv.FormatInt(m.Layers[0].Size, 10))
					for r.Context().Err() == nil {
						if _, err := w.Write([]byte{0x1f}); err != nil {
							return true
						}
						w.(http.Flusher).Flush()
						time.Sleep(20 * time.Millisecond)
					}
					return true
				}
				return false
			},
			stall:   300 * time.Millisecond,
			wantErr: `stalled: less than 1024 bytes in 300ms`,
		},
		{
			name: "index of 10 000 platforms, none ours",
			fault: func(w http.ResponseWriter, r *http.Request) bool {
				if !strings.Contains(r.URL.Path, "/manifests/") {
					return false
				}
				idx := v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex}
				for i := range 10_000 {
					idx.Manifests = append(idx.Manifests, v1.Descriptor{MediaType: types.OCIManifestSchema1, Size: 100,
						Digest:   v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%064x", i)},
						Platform: &v1.Platform{OS: "plan9", Architecture: fmt.Sprintf("arch%d", i)}})
				}
				serveManifest(w, types.OCIImageIndex, idx)
				return true
			},
			wantErr: `no image for platform linux/\w+ \(available: plan9/arch0, .*plan9/arch7 and 9992 more, 10000 in all\)`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, ref := newFaultRegistry(t, img)
			f.fault = func(w http.ResponseWriter, r *http.Request, _ int) bool { return tc.fault(w, r) }
			lopts := []layers.LoadOption{layers.WithInsecure(), layers.WithoutDaemon(), fastRetries, layers.WithPlatform("linux/amd64")}
			if tc.stall > 0 {
				lopts = append(lopts, layers.WithStallTimeout(tc.stall))
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			start := time.Now()
			var err error
			if src, lerr := layers.Load(ctx, ref, lopts...); lerr != nil {
				err = lerr
			} else {
				_, err = src.Read(ctx)
			}
			elapsed := time.Since(start)
			if err == nil {
				t.Fatalf("read succeeded, want an error matching %q", tc.wantErr)
			}
			msg := err.Error()
			if !regexp.MustCompile(tc.wantErr).MatchString(msg) {
				t.Errorf("error %q does not match %q", msg, tc.wantErr)
			}
			if strings.Contains(msg, "\n") || len(msg) > 600 {
				t.Errorf("error is %d bytes over %d lines, want one short line", len(msg), strings.Count(msg, "\n")+1)
			}
			if ctx.Err() != nil {
				t.Errorf("the read ran into the test's 60 s deadline (%s): it must end on its own", elapsed)
			}
		})
	}
}

// TestBlobMismatchReadAhead: a large layer's blob is read ahead of the
// decompressor by a goroutine of its own. When the bytes break the
// decompressor early, the error names the blob digest, found by reading
// the rest of the blob: that read must not race the goroutine ahead (run
// with -race), which the registry keeps busy by dripping the blob.
func TestBlobMismatchReadAhead(t *testing.T) {
	var text strings.Builder
	r := rand.New(rand.NewSource(3))
	for text.Len() < 4<<20 {
		fmt.Fprintf(&text, "line %d: %x\n", r.Int63(), r.Int63())
	}
	img := lt.Image(t,
		lt.Step{CreatedBy: "COPY log /", Files: []lt.File{{Name: "var/log/big.log", Body: text.String()}}},
		lt.Step{CreatedBy: "COPY hello /", Files: []lt.File{{Name: "etc/hello", Body: "hello\n"}}},
	)
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	big, err := ls[0].Digest()
	if err != nil {
		t.Fatal(err)
	}
	f, ref := newFaultRegistry(t, img)
	f.fault = func(w http.ResponseWriter, r *http.Request, n int) bool {
		if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, big.String()) {
			return false
		}
		rec := httptest.NewRecorder()
		f.reg.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		for i := 4096; i < 4096+64; i++ {
			body[i] ^= 0xff // the first deflate blocks break
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		drip(w, r, body, 16<<10, time.Millisecond)
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_, err = loadAndRead(ctx, ref)
	var de *layers.DigestError
	if !errors.As(err, &de) || de.What != "blob digest" || de.Want != big.String() || de.Got == de.Want {
		t.Fatalf("got error %v, want layer 0's blob digest mismatch against %s", err, big)
	}
}
