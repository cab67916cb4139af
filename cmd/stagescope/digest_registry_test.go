package main

import (
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/stagescope/stagescope/layers"
	"github.com/stagescope/stagescope/layers/layerstest"
)

// TestRegistryBlobDigestMismatch serves an image from a registry on
// loopback (go-containerregistry's) whose layer blob comes back with one
// byte changed: inspect fails with exit status 2 and one line naming the
// blob digest mismatch, from a *layers.DigestError like every other
// digest check, and writes no report.
func TestRegistryBlobDigestMismatch(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	img := layerstest.Layers(t, []layerstest.File{{Name: "app/main", Body: strings.Repeat("m", 20_000)}})
	blob := layerstest.Digests(t, img)[0]
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/blobs/"+blob) {
			reg.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		reg.ServeHTTP(rec, r)
		b := rec.Body.Bytes()
		b[len(b)/2] ^= 0xff // as many bytes, one of them changed
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(b)
	}))
	t.Cleanup(srv.Close)
	ref := strings.TrimPrefix(srv.URL, "http://") + "/app:corrupt"
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}

	args := []string{"inspect", "--insecure", "--no-daemon", "-o", "json", ref}
	res := stagescope(t, args...)
	t.Logf("stderr: %s", res.stderr)
	wantOneLineError(t, res, "blob digest mismatch: content hashes to sha256:", "want "+blob[:len("sha256:")+12])

	_, _, code, err := run(t, args...)
	var de *layers.DigestError
	switch {
	case code != exitError:
		t.Errorf("exit status %d, want %d", code, exitError)
	case !errors.As(err, &de):
		t.Errorf("error %q (%T) is no *layers.DigestError", err, err)
	case de.What != "blob digest" || de.Want != blob || de.Got == "" || de.Got == de.Want:
		t.Errorf("DigestError = %+v, want a blob digest mismatch against %s", *de, blob)
	}
}
