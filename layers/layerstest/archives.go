package layerstest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// SaveStyle is the layout of a `docker save` archive.
type SaveStyle int

const (
	// SaveClassic is docker < 25: <id>/layer.tar, <config hex>.json,
	// manifest.json and repositories, layers first.
	SaveClassic SaveStyle = iota
	// SaveOCI is docker ≥ 25: an OCI layout (blobs/sha256/…, index.json,
	// oci-layout) that also carries manifest.json.
	SaveOCI
)

// DockerSave returns the bytes of a docker save archive of img tagged tag,
// in the given style, with plain tar layers or, if gzipLayers, gzip ones.
func DockerSave(t testing.TB, img v1.Image, tag string, style SaveStyle, gzipLayers bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	rawCfg, err := img.RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cfgName, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	entry := struct {
		Config   string
		RepoTags []string
		Layers   []string
	}{RepoTags: []string{tag}}
	m := v1.Manifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1,
		Config: v1.Descriptor{MediaType: types.OCIConfigJSON, Size: int64(len(rawCfg)), Digest: cfgName}}
	for i, l := range ls {
		b, digest, mt := layerBlob(t, l, gzipLayers)
		var name string
		switch style {
		case SaveClassic:
			// Docker names the directory after a v1 layer ID; any
			// unique hex will do.
			name = digest.Hex[:60] + "abc" + string(rune('0'+i%10)) + "/layer.tar"
			AddFile(t, tw, name[:len(name)-len("/layer.tar")]+"/VERSION", []byte("1.0"))
		case SaveOCI:
			name = "blobs/sha256/" + digest.Hex
		}
		AddFile(t, tw, name, b)
		entry.Layers = append(entry.Layers, name)
		m.Layers = append(m.Layers, v1.Descriptor{MediaType: mt, Size: int64(len(b)), Digest: digest})
	}
	switch style {
	case SaveClassic:
		entry.Config = cfgName.Hex + ".json"
		AddFile(t, tw, entry.Config, rawCfg)
	case SaveOCI:
		entry.Config = "blobs/sha256/" + cfgName.Hex
		AddFile(t, tw, entry.Config, rawCfg)
		rawManifest := mustJSON(t, m)
		md, _, err := v1.SHA256(bytes.NewReader(rawManifest))
		if err != nil {
			t.Fatal(err)
		}
		AddFile(t, tw, "blobs/sha256/"+md.Hex, rawManifest)
		AddFile(t, tw, "index.json", mustJSON(t, v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex,
			Manifests: []v1.Descriptor{{MediaType: types.OCIManifestSchema1, Size: int64(len(rawManifest)), Digest: md,
				Annotations: map[string]string{"io.containerd.image.name": tag}}}}))
		AddFile(t, tw, "oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`))
	}
	AddFile(t, tw, "manifest.json", mustJSON(t, []any{entry}))
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func layerBlob(t testing.TB, l v1.Layer, gz bool) ([]byte, v1.Hash, types.MediaType) {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	mt := types.OCIUncompressedLayer
	if gz {
		b = Gzip(t, b)
		mt = types.OCILayer
	}
	h, _, err := v1.SHA256(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return b, h, mt
}

// Gzip compresses b.
func Gzip(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// AddFile writes a regular file member to tw.
func AddFile(t testing.TB, tw *tar.Writer, name string, b []byte) {
	t.Helper()
	if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(b)), ModTime: time.Unix(0, 0)}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write(b); err != nil {
		t.Fatal(err)
	}
}

// OCILayout writes img as an OCI image layout in a new temporary directory
// and returns its path.
func OCILayout(t testing.TB, img v1.Image) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "layout")
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TarDir returns a tar of the files under dir, with names relative to it
// (how `tar -C dir -cf x.tar .` makes an OCI archive).
func TarDir(t testing.TB, dir string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		h, err := tar.FileInfoHeader(fi, "")
		if err != nil {
			return err
		}
		h.Name = "./" + filepath.ToSlash(rel)
		if fi.IsDir() {
			h.Name += "/"
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			_, err = tw.Write(b)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// WriteFile writes b to name in a new temporary directory and returns the
// path.
func WriteFile(t testing.TB, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
