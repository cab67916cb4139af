package layers_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/stagescope/stagescope/layers"
	lt "github.com/stagescope/stagescope/layers/layerstest"
)

// engineHost is the DOCKER_HOST of a real Docker or Podman engine the test
// may load images into (scripts/engine-e2e.sh starts one); the tests skip
// without it.
func engineHost(t *testing.T) string {
	t.Helper()
	h := os.Getenv("STAGESCOPE_TEST_DOCKER_HOST")
	if h == "" {
		t.Skip("STAGESCOPE_TEST_DOCKER_HOST not set: run scripts/engine-e2e.sh")
	}
	t.Setenv("DOCKER_HOST", h)
	return h
}

// engineClient is an HTTP client of the engine at host (http://engine/…).
func engineClient(t *testing.T, host string) *http.Client {
	t.Helper()
	u, err := url.Parse(host)
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "unix" {
		t.Fatalf("engine host %s: the test speaks unix:// only", host)
	}
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", u.Path)
	}}}
}

// engineLoad feeds a docker save archive to the engine's image load API, as
// `docker load` does.
func engineLoad(t *testing.T, host string, archive io.Reader) {
	t.Helper()
	resp, err := engineClient(t, host).Post("http://engine/images/load?quiet=1", "application/x-tar", archive)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || bytes.Contains(body, []byte(`"error"`)) {
		t.Fatalf("image load: %s: %s", resp.Status, body)
	}
}

func TestEngineSource(t *testing.T) {
	host := engineHost(t)
	ctx := context.Background()
	img := sourceImage(t)
	want, err := layers.Read(ctx, img)
	if err != nil {
		t.Fatal(err)
	}
	engineLoad(t, host, bytes.NewReader(lt.DockerSave(t, img, "stagescope-e2e/app:1", lt.SaveClassic, false)))

	for _, tt := range []struct{ ref, wantRef string }{
		{"docker-daemon:stagescope-e2e/app:1", "stagescope-e2e/app:1"},
		{"stagescope-e2e/app:1", "stagescope-e2e/app:1"}, // no prefix: the engine is asked first
	} {
		t.Run(tt.ref, func(t *testing.T) {
			src, err := layers.Load(ctx, tt.ref)
			if err != nil {
				t.Fatal(err)
			}
			if src.Kind != layers.KindDaemon || src.Reference != tt.wantRef {
				t.Errorf("Load(%s) = kind %s, reference %s; want %s, %s", tt.ref, src.Kind, src.Reference, layers.KindDaemon, tt.wantRef)
			}
			var last layers.Progress
			got, err := src.Read(ctx, layers.WithProgress(func(p layers.Progress) { last = p }))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got, sameContent, cmpopts.IgnoreFields(layers.Image{}, "Digest", "RepoTags", "RepoDigests")); diff != "" {
				t.Errorf("Read mismatch (-built +engine):\n%s", diff)
			}
			// The engine names the image by the tag it was loaded with
			// (podman with its localhost/ prefix).
			if len(got.RepoTags) != 1 || strings.TrimPrefix(got.RepoTags[0], "localhost/") != tt.wantRef {
				t.Errorf("RepoTags = %q, want the one tag %s", got.RepoTags, tt.wantRef)
			}
			if last.LayersDone != 3 || last.LayersTotal != 3 {
				t.Errorf("last progress %+v, want 3 of 3 layers", last)
			}
		})
	}

	t.Run("docker context", func(t *testing.T) {
		writeDockerContext(t, "e2e", host, true)
		src, err := layers.Load(ctx, "docker-daemon:stagescope-e2e/app:1")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := src.Read(ctx); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("platform", func(t *testing.T) {
		if _, err := layers.Load(ctx, "docker-daemon:stagescope-e2e/app:1", layers.WithPlatform("linux/amd64")); err != nil {
			t.Errorf("the image's own platform: %v", err)
		}
		_, err := layers.Load(ctx, "docker-daemon:stagescope-e2e/app:1", layers.WithPlatform("linux/arm64"))
		want := "docker-daemon:stagescope-e2e/app:1: the engine's image is linux/amd64, not linux/arm64"
		if err == nil || err.Error() != want {
			t.Errorf("got error %v, want %q", err, want)
		}
	})
	t.Run("canceled", func(t *testing.T) {
		src, err := layers.Load(ctx, "docker-daemon:stagescope-e2e/app:1")
		if err != nil {
			t.Fatal(err)
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := src.Read(cctx); !errors.Is(err, context.Canceled) {
			t.Errorf("Read with a canceled context: %v, want context.Canceled", err)
		}
	})
	t.Run("missing image", func(t *testing.T) {
		_, err := layers.Load(ctx, "docker-daemon:stagescope-e2e/missing:1")
		if err == nil || err.Error() != "docker-daemon:stagescope-e2e/missing:1: no such image in the engine at "+host {
			t.Errorf("got error %v, want no such image", err)
		}
	})
	t.Run("missing image falls through to the registry", func(t *testing.T) {
		start := time.Now()
		_, err := layers.Load(ctx, "127.0.0.1:1/stagescope-e2e/missing:1", layers.WithInsecure())
		if err == nil || !strings.HasPrefix(err.Error(), "fetching 127.0.0.1:1/stagescope-e2e/missing:1: ") {
			t.Errorf("got error %v, want the registry's", err)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("fall-through took %s", d)
		}
	})
}

// A real image built by buildah, loaded into the engine and read back from
// the engine's own save format, reads the same as its archive on disk.
func TestEngineSharedImage(t *testing.T) {
	host := engineHost(t)
	ctx := context.Background()
	archive := lt.SharedImage(t, "capp-multi")
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	engineLoad(t, host, f)
	src, err := layers.Load(ctx, archive)
	if err != nil {
		t.Fatal(err)
	}
	want, err := src.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	esrc, err := layers.Load(ctx, "docker-daemon:localhost/stagescope/capp:multi")
	if err != nil {
		t.Fatal(err)
	}
	got, err := esrc.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Names are the source's own: podman prefixes localhost/ and keeps a
	// repo digest, a docker save does neither.
	if diff := cmp.Diff(want, got, sameContent, cmpopts.EquateEmpty(), cmpopts.IgnoreFields(layers.Image{}, "Digest", "RepoTags", "RepoDigests")); diff != "" {
		t.Errorf("engine and archive differ (-archive +engine):\n%s", diff)
	}
}

// With no engine at DOCKER_HOST, a reference goes to the registry at once
// and the error is the registry's, with no word about the engine.
func TestNoEngineFallsThrough(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix://"+t.TempDir()+"/no.sock")
	start := time.Now()
	_, err := layers.Load(context.Background(), "127.0.0.1:1/app:1", layers.WithInsecure())
	if err == nil || !strings.HasPrefix(err.Error(), "fetching 127.0.0.1:1/app:1: ") || strings.Contains(err.Error(), "engine") {
		t.Errorf("got error %v, want the registry's only", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("fall-through took %s", d)
	}
	_, err = layers.Load(context.Background(), "docker-daemon:app:1")
	if err == nil || !strings.Contains(err.Error(), "docker-daemon:app:1: engine at unix://") || !strings.Contains(err.Error(), "no such file or directory") {
		t.Errorf("got error %v, want one naming the missing engine socket", err)
	}
}

// writeDockerContext records a docker context named name with endpoint host
// in a new DOCKER_CONFIG directory, as `docker context create` does, and
// makes it current unless current is false.
func writeDockerContext(t *testing.T, name, host string, current bool) {
	t.Helper()
	dir := t.TempDir()
	meta := filepath.Join(dir, "contexts", "meta", fmt.Sprintf("%x", sha256.Sum256([]byte(name))))
	if err := os.MkdirAll(meta, 0o755); err != nil {
		t.Fatal(err)
	}
	m := fmt.Sprintf(`{"Name":%q,"Metadata":{},"Endpoints":{"docker":{"Host":%q,"SkipTLSVerify":false}}}`, name, host)
	if err := os.WriteFile(filepath.Join(meta, "meta.json"), []byte(m), 0o644); err != nil {
		t.Fatal(err)
	}
	if current {
		if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(fmt.Sprintf(`{"currentContext":%q}`, name)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("DOCKER_CONFIG", dir)
	t.Setenv("DOCKER_HOST", "")
}

// Without DOCKER_HOST, the engine is the current docker context's.
func TestEngineFromDockerContext(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "ctx.sock")
	for _, tt := range []struct {
		name       string
		current    bool
		envContext string
	}{
		{"config currentContext", true, ""},
		{"DOCKER_CONTEXT", false, "remote"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			writeDockerContext(t, "remote", "unix://"+sock, tt.current)
			t.Setenv("DOCKER_CONTEXT", tt.envContext)
			_, err := layers.Load(context.Background(), "docker-daemon:app:1")
			want := "docker-daemon:app:1: engine at unix://" + sock + ": dial unix " + sock + ": connect: no such file or directory"
			if err == nil || err.Error() != want {
				t.Errorf("got error %v, want %q", err, want)
			}
		})
	}
	t.Run("unknown context", func(t *testing.T) {
		writeDockerContext(t, "remote", "unix://"+sock, false)
		t.Setenv("DOCKER_CONTEXT", "gone")
		_, err := layers.Load(context.Background(), "docker-daemon:app:1")
		want := `docker-daemon:app:1: docker context "gone": no such file or directory`
		if err == nil || err.Error() != want {
			t.Errorf("got error %v, want %q", err, want)
		}
	})
}

// engineGet returns the body of the engine's answer to a GET of path.
func engineGet(t *testing.T, c *http.Client, path string) []byte {
	t.Helper()
	resp, err := c.Get("http://engine" + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %v: %.200s", path, resp.Status, err, b)
	}
	return b
}

// TestEnginePreview reads an image from the engine through a proxy on a
// socket of its own that replays the engine's own save stream of the
// image slowly, holding it back half-way through layer 0's member: the
// entries of layer 0 read so far arrive while it is held, all of them once
// it is read, and the image read is the engine's. Docker 20.10 saves the
// classic format, where layer 0's v1 JSON names no parent; podman names
// the member after the diff ID its image inspect gave.
func TestEnginePreview(t *testing.T) {
	host := engineHost(t)
	ctx := context.Background()
	engineLoad(t, host, bytes.NewReader(lt.DockerSave(t, lt.Image(t, previewSteps()...), "stagescope-e2e/preview:1", lt.SaveClassic, false)))
	const ref = "docker-daemon:stagescope-e2e/preview:1"
	src, err := layers.Load(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	want, err := src.Read(ctx, layers.WithEntries(func(context.Context, int, []layers.Entry) {}))
	if err != nil {
		t.Fatal(err)
	}

	c := engineClient(t, host)
	var info struct {
		ID string `json:"Id"`
	}
	if err := json.Unmarshal(engineGet(t, c, "/images/stagescope-e2e/preview:1/json"), &info); err != nil {
		t.Fatal(err)
	}
	saved := engineGet(t, c, "/images/get?"+url.Values{"names": {info.ID}}.Encode())
	tr, release := lt.TrickleZero(t, saved)
	sock := filepath.Join(t.TempDir(), "proxy.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	engine := &httputil.ReverseProxy{
		Rewrite:   func(r *httputil.ProxyRequest) { r.SetURL(&url.URL{Scheme: "http", Host: "engine"}) },
		Transport: c.Transport,
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/images/get" {
			engine.ServeHTTP(w, r)
			return
		}
		if got := r.URL.Query()["names"]; len(got) != 1 || got[0] != info.ID {
			http.Error(w, fmt.Sprintf("the proxy replays the save of %s only, not of %q", info.ID, got), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/x-tar")
		tr.Send(r.Context(), w, saved)
	}))
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	t.Setenv("DOCKER_HOST", "unix://"+sock)

	p := newPartials()
	p.releaseEarly(release)
	src, err = layers.Load(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	got, err := src.Read(ctx, p.options()...)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the image read with a preview differs (-without +with):\n%s", diff)
	}
	if n := len(p.whole[0]); n != 2000 {
		t.Errorf("layer 0 has %d entries, want its 2000 files", n)
	}
	p.check(t, true)
}
