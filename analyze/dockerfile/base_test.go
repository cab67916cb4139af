package dockerfile

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/stagescope/stagescope/layers"
	"github.com/stagescope/stagescope/layers/layerstest"
)

func TestBoundaryFromHistory(t *testing.T) {
	tests := []struct {
		name  string
		steps []layerstest.Step
		want  *Boundary
	}{
		{
			name: "node base, the user's layers and trailing CMD",
			steps: append(append([]layerstest.Step(nil), nodeBase...),
				empty("/bin/sh -c #(nop) WORKDIR /app"), layer("/bin/sh -c npm ci"), empty(`/bin/sh -c #(nop) CMD ["npm", "start"]`)),
			want: &Boundary{Layers: 2, DetectedBy: ByHistory},
		},
		{
			name: "BuildKit ENTRYPOINT in the base",
			steps: []layerstest.Step{layer("ADD rootfs.tar.xz / # buildkit"), empty(`ENTRYPOINT ["/docker-entrypoint.sh"]`), empty(`CMD ["nginx"]`),
				layer("COPY site /usr/share/nginx/html # buildkit")},
			want: &Boundary{Layers: 1, DetectedBy: ByHistory},
		},
		{
			name:  "the base image itself",
			steps: nodeBase,
		},
		{
			name:  "a base without CMD (debootstrap import)",
			steps: []layerstest.Step{layer("imported from tarball"), layer("/bin/sh -c apt-get update"), empty(`/bin/sh -c #(nop) CMD ["goapp"]`)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := layerstest.Image(t, tt.steps...)
			read, err := layers.Read(context.Background(), img)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, BoundaryFromHistory(read.Config.History)); d != "" {
				t.Errorf("boundary (-want +got):\n%s", d)
			}
		})
	}
}

func TestBoundaryFromDiffIDs(t *testing.T) {
	diffIDs := func(img v1.Image) []string {
		read, err := layers.Read(context.Background(), img)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, l := range read.Layers {
			ids = append(ids, l.DiffID)
		}
		return ids
	}
	base := layerstest.Image(t, nodeBase...)
	app := layerstest.Image(t, append(append([]layerstest.Step(nil), nodeBase...), layer("/bin/sh -c npm ci"))...)
	other := layerstest.Image(t, layer("/bin/sh -c #(nop) ADD file:99 in / "))
	got, err := BoundaryFromDiffIDs(diffIDs(app), diffIDs(base), "localhost/node:18", "sha256:ab")
	if err != nil {
		t.Fatal(err)
	}
	if want := (&Boundary{Layers: 2, Name: "localhost/node:18", Digest: "sha256:ab", DetectedBy: ByFlag}); !cmp.Equal(got, want) {
		t.Errorf("boundary = %+v, want %+v", got, want)
	}
	for _, tt := range []struct {
		name      string
		img, base v1.Image
		want      string
	}{
		{"another image", app, other, "is not the image's base: its layer 0"},
		{"the image as base of its base", base, app, "has 3 layers, more than the image's 2"},
	} {
		_, err := BoundaryFromDiffIDs(diffIDs(tt.img), diffIDs(tt.base), "x", "")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error = %v, want one saying %q", tt.name, err, tt.want)
		}
	}
}

func TestAnnotatedBase(t *testing.T) {
	img := layerstest.Image(t, nodeBase...)
	img, ok := mutate.Annotations(img, map[string]string{
		AnnotationBaseName:   "localhost/debian:bookworm",
		AnnotationBaseDigest: "sha256:0123",
	}).(v1.Image)
	if !ok {
		t.Fatal("mutate.Annotations did not return an image")
	}
	read, err := layers.Read(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	name, digest := AnnotatedBase(read.Annotations)
	if name != "localhost/debian:bookworm" || digest != "sha256:0123" {
		t.Errorf("AnnotatedBase = %q, %q; want the annotations' values", name, digest)
	}
	if name, digest := AnnotatedBase(nil); name != "" || digest != "" {
		t.Errorf("AnnotatedBase(nil) = %q, %q; want empty", name, digest)
	}
}
