package layers_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/stagescope/stagescope/layers"
	lt "github.com/stagescope/stagescope/layers/layerstest"
)

// startRegistry serves go-containerregistry's registry on loopback, behind
// wrap when set, and returns its host:port.
func startRegistry(t *testing.T, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	h := http.Handler(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	if wrap != nil {
		h = wrap(h)
	}
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return strings.TrimPrefix(s.URL, "http://")
}

func push(t *testing.T, ref string, img v1.Image, opts ...remote.Option) {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img, opts...); err != nil {
		t.Fatal(err)
	}
}

// noDocker keeps the tests off any engine and credentials of the machine.
func noDocker(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix://"+t.TempDir()+"/no-engine.sock")
	t.Setenv("HOME", t.TempDir())
	t.Setenv("DOCKER_CONFIG", t.TempDir())
}

func TestRegistrySource(t *testing.T) {
	noDocker(t)
	ctx := context.Background()
	host := startRegistry(t, nil)
	img := sourceImage(t)
	push(t, host+"/app:1", img)
	want, err := layers.Read(ctx, img)
	if err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	repoDigest := []string{host + "/app@" + d.String()}
	for _, tt := range []struct {
		ref  string
		tags []string
	}{
		{host + "/app:1", []string{host + "/app:1"}},
		{"docker://" + host + "/app:1", []string{host + "/app:1"}},
		{host + "/app@" + d.String(), nil},
	} {
		ref := tt.ref
		src, err := layers.Load(ctx, ref, layers.WithInsecure())
		if err != nil {
			t.Fatalf("Load(%s): %v", ref, err)
		}
		if src.Kind != layers.KindRegistry {
			t.Errorf("Load(%s).Kind = %s, want registry", ref, src.Kind)
		}
		got, err := src.Read(ctx)
		if err != nil {
			t.Fatalf("Read(%s): %v", ref, err)
		}
		// the registry names the image: repo:tag (for a tag) and the
		// repo@digest pulled
		want.RepoTags, want.RepoDigests = tt.tags, repoDigest
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Read(%s) mismatch (-want +got):\n%s", ref, diff)
		}
	}
}

func TestRegistryPlatforms(t *testing.T) {
	noDocker(t)
	ctx := context.Background()
	host := startRegistry(t, nil)
	base := sourceImage(t)
	amd64 := lt.WithPlatform(t, base, "amd64", "")
	arm64 := lt.WithPlatform(t, base, "arm64", "v8")
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: amd64, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: arm64, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}}},
	)
	r, err := name.ParseReference(host+"/multi:1", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(r, idx); err != nil {
		t.Fatal(err)
	}
	idxDigest, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	digestOf := func(img v1.Image) string {
		d, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		return d.String()
	}
	tests := []struct {
		platform   string
		wantDigest string
		wantErr    string
	}{
		{"linux/arm64", digestOf(arm64), ""},
		{"linux/arm64/v8", digestOf(arm64), ""},
		{"linux/amd64", digestOf(amd64), ""},
		// docker's shorter and other spellings
		{"arm64", digestOf(arm64), ""},
		{"aarch64", digestOf(arm64), ""},
		{"linux/aarch64", digestOf(arm64), ""},
		{"amd64", digestOf(amd64), ""},
		{"x86_64", digestOf(amd64), ""},
		{"linux/s390x", "", host + "/multi:1: no image for platform linux/s390x (available: linux/amd64, linux/arm64/v8); pick one with --platform"},
	}
	for _, tt := range tests {
		t.Run(tt.platform, func(t *testing.T) {
			src, err := layers.Load(ctx, host+"/multi:1", layers.WithInsecure(), layers.WithPlatform(tt.platform))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("got error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := src.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got.Digest != tt.wantDigest {
				t.Errorf("picked %s, want %s", got.Digest, tt.wantDigest)
			}
			// the index named is told apart from the platform's manifest
			if id := idxDigest.String(); got.IndexDigest != id || !slices.Equal(got.RepoDigests, []string{host + "/multi@" + id}) {
				t.Errorf("IndexDigest %q, RepoDigests %q; want %s and %s/multi@%[3]s", got.IndexDigest, got.RepoDigests, id, host)
			}
		})
	}
}

// basicAuth demands user:pass on every registry request, as a registry
// with `docker login` does.
func basicAuth(user, pass string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			u, p, ok := r.BasicAuth()
			if !ok || u != user || p != pass {
				w.Header().Set("WWW-Authenticate", `Basic realm="stagescope-test"`)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				fmt.Fprint(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func TestRegistryAuth(t *testing.T) {
	noDocker(t)
	ctx := context.Background()
	host := startRegistry(t, basicAuth("alice", "s3cret"))
	img := sourceImage(t)
	push(t, host+"/private:1", img, remote.WithAuth(&authn.Basic{Username: "alice", Password: "s3cret"}))

	_, err := layers.Load(ctx, host+"/private:1", layers.WithInsecure())
	wantErr := "fetching " + host + "/private:1: registry " + host + " refused access (401 Unauthorized); log in with `docker login " + host + "` or check the credentials: UNAUTHORIZED authentication required"
	if err == nil || err.Error() != wantErr {
		t.Fatalf("without credentials: got error %v, want %q", err, wantErr)
	}

	// The credentials `docker login` writes, found through the default
	// keychain.
	cfg := fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, host, base64.StdEncoding.EncodeToString([]byte("alice:s3cret")))
	if err := os.WriteFile(filepath.Join(os.Getenv("DOCKER_CONFIG"), "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	src, err := layers.Load(ctx, host+"/private:1", layers.WithInsecure())
	if err != nil {
		t.Fatalf("with credentials: %v", err)
	}
	got, err := src.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Layers) != 3 {
		t.Errorf("read %d layers, want 3", len(got.Layers))
	}
}

// failing answers status to every manifest request.
func failing(status int) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.Path, "/manifests/") {
				http.Error(w, "<html>\n<body>upstream down</body>\n</html>", status)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func TestRegistryRefusals(t *testing.T) {
	noDocker(t)
	ctx := context.Background()
	host := startRegistry(t, nil)
	push(t, host+"/app:1", sourceImage(t))
	down := startRegistry(t, failing(http.StatusServiceUnavailable))
	noRetry := layers.WithRemoteOptions(remote.WithRetryBackoff(remote.Backoff{Steps: 1}))
	tests := []struct {
		name, ref, want string
	}{
		{"missing tag", host + "/app:2", "fetching " + host + "/app:2: not found in registry " + host + " (404 Not Found): MANIFEST_UNKNOWN Unknown manifest"},
		{"missing repository", host + "/nope:1", "fetching " + host + "/nope:1: not found in registry " + host + " (404 Not Found): NAME_UNKNOWN Unknown name"},
		{"missing digest", host + "/app@sha256:" + strings.Repeat("0", 64), "fetching " + host + "/app@sha256:" + strings.Repeat("0", 64) + ": not found in registry " + host + " (404 Not Found): MANIFEST_UNKNOWN Unknown manifest"},
		{"server error", down + "/app:1", "fetching " + down + "/app:1: registry " + down + " answered 503 Service Unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := layers.Load(ctx, tt.ref, layers.WithInsecure(), noRetry)
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("error = %q\nwant    %q", got, tt.want)
			}
		})
	}
}

// --insecure also accepts a registry whose certificate does not verify
// (self-signed, as on a lab machine); without it, the registry is refused.
func TestRegistrySelfSignedTLS(t *testing.T) {
	noDocker(t)
	ctx := context.Background()
	s := httptest.NewUnstartedServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	s.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes
	s.StartTLS()
	t.Cleanup(s.Close)
	host := strings.TrimPrefix(s.URL, "https://")
	r, err := name.ParseReference(host + "/app:1")
	if err != nil {
		t.Fatal(err)
	}
	img := sourceImage(t)
	if err := remote.Write(r, img, remote.WithTransport(s.Client().Transport)); err != nil {
		t.Fatal(err)
	}
	_, err = layers.Load(ctx, host+"/app:1", layers.WithRemoteOptions(remote.WithRetryBackoff(remote.Backoff{Steps: 1})))
	if err == nil {
		t.Error("without --insecure: the unverified registry was accepted")
	}
	src, err := layers.Load(ctx, host+"/app:1", layers.WithInsecure())
	if err != nil {
		t.Fatalf("with --insecure: %v", err)
	}
	got, err := src.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if got.Digest != d.String() {
		t.Errorf("read %s, want %s", got.Digest, d)
	}
}

// An explicit --platform holds single-platform images to it too, whatever
// their source: a docker save archive, an OCI layout, a registry manifest.
func TestSinglePlatformImageChecked(t *testing.T) {
	noDocker(t)
	ctx := context.Background()
	host := startRegistry(t, nil)
	// An arm64 config names its variant, or (as many do) none: docker takes
	// none for v8.
	for _, variant := range []string{"v8", ""} {
		arm64 := lt.WithPlatform(t, sourceImage(t), "arm64", variant)
		archive := lt.WriteFile(t, "arm.tar", lt.DockerSave(t, arm64, "arm:1", lt.SaveClassic, false))
		layout := lt.OCILayout(t, arm64)
		r, err := name.ParseReference(host+"/arm:"+variant+"1", name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(r, arm64); err != nil {
			t.Fatal(err)
		}
		// An index whose arm64 entry names no variant either.
		amd64 := lt.WithPlatform(t, sourceImage(t), "amd64", "")
		idx := mutate.AppendManifests(empty.Index,
			mutate.IndexAddendum{Add: amd64, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
			mutate.IndexAddendum{Add: arm64, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64", Variant: variant}}},
		)
		ri, err := name.ParseReference(host+"/multi:"+variant+"1", name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.WriteIndex(ri, idx); err != nil {
			t.Fatal(err)
		}
		have := "linux/arm64"
		if variant != "" {
			have += "/" + variant
		}
		for _, ref := range []string{archive, "oci:" + layout, r.String(), ri.String()} {
			for _, ok := range []string{"linux/arm64", "linux/arm64/v8", "arm64", "aarch64"} {
				if _, err := layers.Load(ctx, ref, layers.WithInsecure(), layers.WithPlatform(ok)); err != nil {
					t.Errorf("Load(%s, --platform %s): %v", ref, ok, err)
				}
			}
			if ref == ri.String() {
				continue // an index has an amd64 image, and no arm/v7
			}
			if _, err := layers.Load(ctx, ref, layers.WithInsecure()); err != nil {
				t.Errorf("Load(%s) without --platform: %v", ref, err)
			}
			for _, bad := range []string{"linux/amd64", "linux/arm64/v9"} {
				_, err := layers.Load(ctx, ref, layers.WithInsecure(), layers.WithPlatform(bad))
				if err == nil || !strings.HasSuffix(err.Error(), ": the image is "+have+", not "+bad+" (--platform)") {
					t.Errorf("Load(%s, --platform %s): got %v, want the platform mismatch", ref, bad, err)
				}
			}
		}
	}
}
