package layers_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/stagescope/stagescope/layers"
	lt "github.com/stagescope/stagescope/layers/layerstest"
)

// shuffleIndexManifest rewrites a docker >= 25 save so that its OCI manifest
// lists the layers in reverse order while manifest.json keeps the right one,
// as in some real docker 25 saves (dive's test-oci-docker-image.tar).
func shuffleIndexManifest(t *testing.T, save []byte) []byte {
	t.Helper()
	type member struct {
		name string
		data []byte
	}
	var ms []member
	tr := tar.NewReader(bytes.NewReader(save))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, member{h.Name, b})
	}
	find := func(name string) int {
		i := slices.IndexFunc(ms, func(m member) bool { return m.name == name })
		if i < 0 {
			t.Fatalf("%s not in the save", name)
		}
		return i
	}
	var idx v1.IndexManifest
	ii := find("index.json")
	if err := json.Unmarshal(ms[ii].data, &idx); err != nil {
		t.Fatal(err)
	}
	mi := find("blobs/sha256/" + idx.Manifests[0].Digest.Hex)
	var m v1.Manifest
	if err := json.Unmarshal(ms[mi].data, &m); err != nil {
		t.Fatal(err)
	}
	slices.Reverse(m.Layers)
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	d, size, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	ms[mi] = member{"blobs/sha256/" + d.Hex, raw}
	idx.Manifests[0].Digest, idx.Manifests[0].Size = d, size
	if ms[ii].data, err = json.Marshal(idx); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, m := range ms {
		lt.AddFile(t, tw, m.name, m.data)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// A docker >= 25 save whose OCI manifest disagrees with manifest.json is
// read in manifest.json's order, as docker load does, both in place and as
// a stream.
func TestDockerSaveManifestOrderWins(t *testing.T) {
	ctx := context.Background()
	img := sourceImage(t)
	want, err := layers.Read(ctx, img)
	if err != nil {
		t.Fatal(err)
	}
	b := shuffleIndexManifest(t, lt.DockerSave(t, img, "app:1", lt.SaveOCI, false))
	ignore := []cmp.Option{sameContent, cmpopts.IgnoreFields(layers.Image{}, "Digest", "RepoTags")}

	src, err := layers.Load(ctx, "docker-archive:"+lt.WriteFile(t, "app.tar", b), layers.WithoutDaemon())
	if err != nil {
		t.Fatal(err)
	}
	got, err := layers.Read(ctx, src.Image)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, ignore...); diff != "" {
		t.Errorf("in place: Read mismatch (-want +got):\n%s", diff)
	}
	streamed, err := layers.ReadArchive(ctx, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, streamed, ignore...); diff != "" {
		t.Errorf("stream: ReadArchive mismatch (-want +got):\n%s", diff)
	}
}
