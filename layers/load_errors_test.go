package layers_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stagescope/stagescope/layers"
	lt "github.com/stagescope/stagescope/layers/layerstest"
)

// Every way of naming a wrong image is one line that says what failed and
// where.
func TestLoadErrors(t *testing.T) {
	noDocker(t)
	ctx := context.Background()
	img := sourceImage(t)
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.tar")
	classic := lt.WriteFile(t, "classic.tar", lt.DockerSave(t, img, "app:1", lt.SaveClassic, false))
	ociTar := lt.WriteFile(t, "app.oci.tar", lt.TarDir(t, lt.OCILayout(t, img)))
	empty := lt.WriteFile(t, "empty.tar", nil)

	// An OCI layout whose first layer blob was lost.
	broken := lt.OCILayout(t, img)
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	d0, err := ls[0].Digest()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(broken, "blobs", "sha256", d0.Hex)); err != nil {
		t.Fatal(err)
	}
	// An archive whose manifest.json is not JSON.
	badManifest := lt.WriteFile(t, "bad.tar", lt.Tar(t, lt.File{Name: "manifest.json", Body: "{not json"}))

	const use = "(use docker://, docker-archive:, oci:, oci-archive: or docker-daemon:)"
	tests := []struct {
		name string
		ref  string
		opts []layers.LoadOption
		want string
	}{
		{"empty reference", "", nil, "empty image reference"},
		{"missing file", "./missing.tar", nil, "opening ./missing.tar: no such file or directory"},
		{"missing docker archive", "docker-archive:" + missing, nil, "opening " + missing + ": no such file or directory"},
		{"missing layout", "oci:" + missing, nil, "opening " + missing + ": no such file or directory"},
		{"missing OCI archive", "oci-archive:" + missing, nil, "opening " + missing + ": no such file or directory"},
		{"unknown transport", "ftp://example.com/app", nil, `unknown transport "ftp" in "ftp://example.com/app" ` + use},
		{"unsupported transport", "containers-storage:app", nil, `unsupported transport "containers-storage" in "containers-storage:app" ` + use},
		{"unparsable reference", "Bad/Ref:1", nil, `invalid image reference "Bad/Ref:1": could not parse reference: Bad/Ref:1`},
		{"unparsable registry reference", "docker://app::1", nil, `invalid image reference "app::1": could not parse reference: app::1`},
		{"bad platform", "app:1", []layers.LoadOption{layers.WithPlatform("linux/amd64/v2/x")}, `invalid platform "linux/amd64/v2/x": want os/arch[/variant] (linux/arm64, linux/arm/v7) or an architecture (arm64)`},
		{"unknown architecture", "app:1", []layers.LoadOption{layers.WithPlatform("nosucharch")}, `invalid platform "nosucharch": want os/arch[/variant] (linux/arm64, linux/arm/v7) or an architecture (arm64)`},
		{"empty archive", "docker-archive:" + empty, nil, empty + " is not a docker save archive: not a tar archive"},
		{"layout prefix on a tar", "oci:" + ociTar, nil, ociTar + " is not an OCI image layout: not a directory (for a tar of one use oci-archive:" + ociTar + ")"},
		{"docker prefix on a directory", "docker-archive:" + dir, nil, dir + " is not a docker save archive: a directory (for an OCI image layout use oci:" + dir + ")"},
		{"docker prefix on an OCI archive", "docker-archive:" + ociTar, nil, ociTar + " is not a docker save archive: no manifest.json (it is an OCI archive: use oci-archive:" + ociTar + ")"},
		{"OCI prefix on a docker archive", "oci-archive:" + classic, nil, classic + " is not an OCI archive: no index.json (it is a docker save archive: use docker-archive:" + classic + ")"},
		{"layout without index", "oci:" + dir, nil, dir + " is not an OCI image layout: no index.json"},
		{"layout missing a blob", broken, nil, broken + ": layer 0 blob " + d0.String() + " is missing"},
		{"bad manifest.json", badManifest, nil, "manifest.json in " + badManifest + ": invalid JSON at byte 2: invalid character 'n' looking for beginning of object key string"},
		{"stdin without a pipe", "-", nil, `"-" reads an image from standard input, and this is a terminal: pipe one in (docker save app:1 | stagescope inspect -)`},
		{"engine without engine", "docker-daemon:app:1", nil, "docker-daemon:app:1: engine at " + os.Getenv("DOCKER_HOST") + ": dial unix " + strings.TrimPrefix(os.Getenv("DOCKER_HOST"), "unix://") + ": connect: no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := layers.Load(ctx, tt.ref, append(tt.opts, layers.WithoutDaemon())...)
			if err == nil {
				t.Fatalf("Load(%q) = %s source, want an error", tt.ref, src.Kind)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("Load(%q) error\n got  %q\n want %q", tt.ref, got, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

// A layer that is cut short in an OCI archive fails the read with the blob
// named; nothing is read past the archive.
func TestOCIArchiveTruncatedLayer(t *testing.T) {
	ctx := context.Background()
	img := sourceImage(t)
	dir := lt.OCILayout(t, img)
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	d2, err := ls[2].Digest()
	if err != nil {
		t.Fatal(err)
	}
	blob := filepath.Join(dir, "blobs", "sha256", d2.Hex)
	b, err := os.ReadFile(blob)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(blob, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{dir, lt.WriteFile(t, "app.oci.tar", lt.TarDir(t, dir))} {
		src, err := layers.Load(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		_, err = src.Read(ctx)
		if err == nil || !strings.Contains(err.Error(), "reading layer 2") || !strings.Contains(err.Error(), d2.String()) {
			t.Errorf("Read(%s) error %v, want one naming layer 2 and blob %s", ref, err, d2)
		}
	}
}
