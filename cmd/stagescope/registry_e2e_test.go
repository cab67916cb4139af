package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/stagescope/stagescope/analyze/report"
	lt "github.com/stagescope/stagescope/layers/layerstest"
)

// TestDockerRegistryE2E runs `stagescope inspect --insecure` against a real
// Debian docker-registry (distribution) server on loopback, which .ci/run
// starts and names in STAGESCOPE_TEST_REGISTRY (host:port).
func TestDockerRegistryE2E(t *testing.T) {
	addr := os.Getenv("STAGESCOPE_TEST_REGISTRY")
	if addr == "" {
		t.Skip("STAGESCOPE_TEST_REGISTRY not set (.ci/run starts docker-registry and sets it)")
	}
	// Keep the machine's engine and credentials out of it.
	t.Setenv("DOCKER_HOST", "unix://"+t.TempDir()+"/no-engine.sock")
	t.Setenv("HOME", t.TempDir())
	t.Setenv("DOCKER_CONFIG", t.TempDir())

	img := lt.Image(t,
		lt.Step{CreatedBy: "ADD rootfs /", Files: []lt.File{lt.Dir("etc/"), {Name: "etc/os-release", Body: "ID=e2e\n"}}},
		lt.Step{CreatedBy: "RUN make", Files: []lt.File{lt.Dir("src/"), {Name: "src/big.o", Body: strings.Repeat("o", 4096)}}},
		lt.Step{CreatedBy: "RUN rm -rf /src", Files: []lt.File{lt.Whiteout("src")}},
	)
	arm := lt.WithPlatform(t, img, "arm64", "v8")
	repo := addr + "/stagescope-e2e/app"
	write := func(ref string, f func(name.Reference) error) {
		t.Helper()
		r, err := name.ParseReference(ref, name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		if err := f(r); err != nil {
			t.Fatalf("pushing %s: %v", ref, err)
		}
	}
	write(repo+":1", func(r name.Reference) error { return remote.Write(r, img) })
	write(repo+":multi", func(r name.Reference) error {
		return remote.WriteIndex(r, mutate.AppendManifests(empty.Index,
			mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
			mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}}},
		))
	})
	digest := func(img v1.Image) string {
		d, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		return d.String()
	}

	for _, tt := range []struct {
		name         string
		args         []string
		wantDigest   string
		wantPlatform string
	}{
		{"tag", []string{repo + ":1"}, digest(img), "linux/amd64"},
		{"digest", []string{repo + "@" + digest(img)}, digest(img), "linux/amd64"},
		{"transport prefix", []string{"docker://" + repo + ":1"}, digest(img), "linux/amd64"},
		{"platform from index", []string{"--platform", "linux/arm64", repo + ":multi"}, digest(arm), "linux/arm64/v8"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"inspect", "-o", "json", "--insecure"}, tt.args...)
			out, stderr, code, err := run(t, args...)
			if code != exitOK {
				t.Fatalf("stagescope %s: exit %d, %v; stderr %s", strings.Join(args, " "), code, err, stderr)
			}
			var rep report.Report
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatal(err)
			}
			if rep.Image.Source != "registry" || rep.Image.Digest != tt.wantDigest || rep.Image.Platform != tt.wantPlatform {
				t.Errorf("image = source %s, digest %s, platform %s; want registry, %s, %s",
					rep.Image.Source, rep.Image.Digest, rep.Image.Platform, tt.wantDigest, tt.wantPlatform)
			}
			if got, want := len(rep.Layers), 3; got != want {
				t.Errorf("%d layers, want %d", got, want)
			}
			if got, want := rep.Summary.WastedBytes, int64(4096); got != want {
				t.Errorf("wasted bytes %d, want %d (src/big.o deleted)", got, want)
			}
		})
	}

	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"platform absent", []string{"--platform", "linux/s390x", repo + ":multi"},
			repo + ":multi: no image for platform linux/s390x (available: linux/amd64, linux/arm64/v8); pick one with --platform"},
		{"missing tag", []string{repo + ":nope"},
			"fetching " + repo + ":nope: not found in registry " + addr + " (404 Not Found): MANIFEST_UNKNOWN manifest unknown"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"inspect", "-o", "json", "--insecure"}, tt.args...)
			_, _, code, err := run(t, args...)
			if code != exitError || err == nil || err.Error() != tt.want {
				t.Errorf("exit %d, error %v; want exit %d, %q", code, err, exitError, tt.want)
			}
		})
	}
}
