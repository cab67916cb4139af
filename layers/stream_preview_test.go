package layers_test

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/stagescope/stagescope/layers"
	lt "github.com/stagescope/stagescope/layers/layerstest"
)

// previewSteps is the image testdata/saves holds (see its README): a first
// layer of 2000 files, and two small ones.
func previewSteps() []lt.Step {
	return []lt.Step{
		{CreatedBy: "COPY docs /", Files: lt.ManyFiles("usr/share/doc", 2000, 0)},
		{CreatedBy: "COPY hello /", Files: []lt.File{{Name: "etc/hello", Body: "hello\n"}}},
		{CreatedBy: "COPY app.conf /", Files: []lt.File{{Name: "etc/app.conf", Body: "port=8080\n"}}},
	}
}

// TestStreamPreview reads real docker save streams as they come down a
// pipe (stagescope inspect -), in one pass. Where the stream tells which
// member is layer 0 before that member is read (docker 20.10's classic
// save: the v1 JSON without a parent comes right before its layer.tar),
// the entries read so far of it are handed on while the stream is held
// back half-way through it, and all of them once it is read; where it does
// not (podman writes the layers before the config, docker 25 wrote this
// layer 0 before the config, go-containerregistry names layers by their
// compressed digests), none are. The image read is the same either way.
func TestStreamPreview(t *testing.T) {
	var ggcr bytes.Buffer
	tag, err := name.NewTag("stagescope-e2e/preview:1")
	if err != nil {
		t.Fatal(err)
	}
	if err := tarball.Write(tag, lt.Image(t, previewSteps()...), &ggcr); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		archive []byte
		preview bool
	}{
		{"docker 20.10", lt.Save(t, "saves/docker-20.10.tar.gz"), true},
		{"podman 4.3", lt.Save(t, "saves/podman-4.3.tar.gz"), false},
		{"docker 25", lt.Gunzip(t, filepath.Join("..", "testdata", "dive", "test-oci-docker-image.tar.gz")), false},
		{"go-containerregistry tarball", ggcr.Bytes(), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			want, err := layers.ReadArchive(ctx, bytes.NewReader(tt.archive), layers.WithEntries(func(context.Context, int, []layers.Entry) {}))
			if err != nil {
				t.Fatal(err)
			}
			p := newPartials()
			r := io.Reader(bytes.NewReader(tt.archive))
			if tt.preview {
				var release func()
				r, release = lt.TrickleSave(t, tt.archive)
				p.releaseEarly(release)
			}
			got, err := layers.ReadArchive(ctx, r, p.options()...)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("the image read with a preview differs (-without +with):\n%s", diff)
			}
			if !tt.preview {
				if len(p.calls) > 0 {
					t.Errorf("%d partial calls, the first of layer %d with %d entries; want none: the stream does not tell which member is layer 0", len(p.calls), p.calls[0].index, len(p.calls[0].paths))
				}
				return
			}
			p.check(t, true)
		})
	}
}

// TestStreamPreviewWithdrawn: a classic save of two images shows two
// layers without a parent; the first one's entries, handed on as layer 0's,
// are withdrawn once the second shows that the stream holds several
// images, and reading then fails as it must without a choice of image.
func TestStreamPreviewWithdrawn(t *testing.T) {
	p := newPartials()
	_, err := layers.ReadArchive(context.Background(), bytes.NewReader(lt.Save(t, "saves/docker-20.10-two-images.tar.gz")), p.options()...)
	if err == nil || !strings.Contains(err.Error(), "holds 2 images") {
		t.Fatalf("got error %v, want one saying the stream holds 2 images", err)
	}
	n := len(p.calls)
	if n < 2 || len(p.calls[n-1].paths) != 0 || len(p.calls[n-2].paths) != 2000 {
		var got []int
		for _, c := range p.calls {
			got = append(got, len(c.paths))
		}
		t.Errorf("entries handed on per partial call: %v; want the first image's layer 0 whole (2000), then none", got)
	}
}
