package main

import (
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/stagescope/stagescope/analyze/diff"
	"github.com/stagescope/stagescope/layers/layerstest"
)

// TestDiffRegistrySharedLayerFetchedOnce diffs two images in a registry on
// loopback that share their base layer, and counts the blob downloads: the
// shared layer is fetched once, for A only.
func TestDiffRegistrySharedLayerFetchedOnce(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix://"+t.TempDir()+"/no-engine.sock")
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	var mu sync.Mutex
	fetched := map[string]int{} // blob digest -> GETs
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if i := strings.Index(r.URL.Path, "/blobs/"); i >= 0 && r.Method == http.MethodGet {
			mu.Lock()
			fetched[r.URL.Path[i+len("/blobs/"):]]++
			mu.Unlock()
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")

	base := []layerstest.File{{Name: "usr/lib/libbig.so", Body: strings.Repeat("L", 40_000)}}
	naive := layerstest.Layers(t, base, []layerstest.File{{Name: "usr/bin/cc", Body: strings.Repeat("c", 9_000)}})
	multi := layerstest.Layers(t, base, []layerstest.File{{Name: "app/main", Body: strings.Repeat("m", 2_000)}})
	push := func(ref string, img v1.Image) {
		r, err := name.ParseReference(ref, name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(r, img); err != nil {
			t.Fatal(err)
		}
	}
	push(host+"/app:naive", naive)
	push(host+"/app:multi", multi)
	dn, dm := layerstest.Digests(t, naive), layerstest.Digests(t, multi)
	if dn[0] != dm[0] {
		t.Fatalf("test images do not share their base layer: %s, %s", dn[0], dm[0])
	}
	mu.Lock()
	clear(fetched) // the pushes' checks are not reads
	mu.Unlock()

	out, _, code, err := run(t, "diff", "-o", "json", "--insecure", "--no-daemon", host+"/app:naive", host+"/app:multi")
	if code != exitOK {
		t.Fatalf("exit status %d: %v", code, err)
	}
	var r diff.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.SharedLayers.Layers != 1 || r.OnlyInA.Files != 1 || r.OnlyInB.Files != 1 {
		t.Errorf("shared %d layers, only in A %d files, only in B %d; want 1, 1, 1", r.SharedLayers.Layers, r.OnlyInA.Files, r.OnlyInB.Files)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, c := range []struct {
		what, digest string
		want         int
	}{
		{"shared base layer", dn[0], 1},
		{"naive's own layer", dn[1], 1},
		{"multi's own layer", dm[1], 1},
	} {
		if got := fetched[c.digest]; got != c.want {
			t.Errorf("%s (%s) fetched %d times, want %d", c.what, c.digest, got, c.want)
		}
	}
}
