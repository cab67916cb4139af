package layers

import (
	"context"
	"io"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/stagescope/stagescope/layers/layerstest"
)

// TestReadFileSeeks reads files back from images stored in each way:
// an uncompressed blob in a file (docker save's layer.tar, classic and OCI
// style; an OCI layout's blob) is read where it lies, seeking past the
// contents of the files before; a gzip one is decompressed again. Both
// give the same bytes.
func TestReadFileSeeks(t *testing.T) {
	files := []layerstest.File{
		{Name: "big.bin", Body: strings.Repeat("b", 3<<20)},
		{Name: "etc/conf", Body: "after the big one\n"},
		layerstest.Hardlink("etc/conf-link", "etc/conf"),
	}
	img := layerstest.Image(t,
		layerstest.Step{CreatedBy: "base", Files: files},
		layerstest.Step{CreatedBy: "more", Files: []layerstest.File{{Name: "etc/conf", Body: "v2"}}},
	)
	save := func(name string, style layerstest.SaveStyle, gz bool) string {
		return layerstest.WriteFile(t, name, layerstest.DockerSave(t, img, "app:1", style, gz))
	}
	tests := []struct {
		name string
		ref  string
		seek bool // the layers are read where they lie
	}{
		{"docker save", save("classic.tar", layerstest.SaveClassic, false), true},
		{"docker save, OCI style", save("oci-style.tar", layerstest.SaveOCI, false), true},
		{"OCI layout, uncompressed blobs", "oci:" + uncompressedLayout(t, img), true},
		{"docker save, gzip layers", save("gzip.tar", layerstest.SaveClassic, true), false},
		{"OCI layout, gzip blobs", "oci:" + layerstest.OCILayout(t, img), false},
	}
	reads := []struct {
		layer int
		path  string
		want  string
	}{
		{0, "etc/conf", "after the big one\n"},
		{0, "etc/conf-link", "after the big one\n"},
		{1, "etc/conf", "v2"},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := Load(ctx, tt.ref, WithoutDaemon())
			if err != nil {
				t.Fatal(err)
			}
			ls, err := src.Image.Layers()
			if err != nil {
				t.Fatal(err)
			}
			for i, l := range ls {
				rs, c, ok := storedTar(l)
				if ok {
					_ = c.Close()
				}
				if ok != tt.seek || (ok && rs == nil) {
					t.Errorf("layer %d read where it lies: %v, want %v", i, ok, tt.seek)
				}
			}
			for _, r := range reads {
				got, size, err := ReadFile(ctx, src.Image, r.layer, r.path, 1<<20)
				if err != nil {
					t.Errorf("ReadFile(%d, %s): %v", r.layer, r.path, err)
					continue
				}
				if string(got) != r.want || size != int64(len(r.want)) {
					t.Errorf("ReadFile(%d, %s) = %q (%d bytes), want %q", r.layer, r.path, got, size, r.want)
				}
			}
		})
	}
}

// uncompressedLayout writes img as an OCI layout whose layer blobs are
// plain tars, and returns its path.
func uncompressedLayout(t testing.TB, img v1.Image) string {
	t.Helper()
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	plain := empty.Image
	for _, l := range ls {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		_ = rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if plain, err = mutate.AppendLayers(plain, static.NewLayer(b, types.OCIUncompressedLayer)); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if plain, err = mutate.ConfigFile(plain, cfg); err != nil {
		t.Fatal(err)
	}
	return layerstest.OCILayout(t, plain)
}
