package layers_test

import (
	"bytes"
	"context"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/stagescope/stagescope/layers"
	lt "github.com/stagescope/stagescope/layers/layerstest"
)

// FuzzReadLayer feeds arbitrary bytes to the layer reader as one layer's
// tar stream: it may fail, never panic, every entry path it returns is
// clean, and sizes cannot lie: only regular files have any, and together
// they never exceed the bytes of the stream (a device's size field, a
// sparse file's holes count nothing). The seeds hold device sizes, sparse
// maps of every kind and long PAX paths.
func FuzzReadLayer(f *testing.F) {
	f.Add(lt.Tar(f, lt.Dir("./etc/"), lt.File{Name: "./etc/passwd", Body: "root"}, lt.Whiteout("etc/shadow"), lt.Opaque("var")))
	f.Add(lt.Tar(f, lt.Symlink("/a", "b"), lt.Hardlink("c", "/a"), lt.File{Name: "../../x", Body: "y"}))
	f.Add([]byte{})
	for _, name := range slices.Sorted(maps.Keys(lt.HostileLayers())) {
		f.Add(lt.HostileLayers()[name])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(data)), nil
		})
		if err != nil {
			return
		}
		img, err := mutate.AppendLayers(empty.Image, l)
		if err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		got, err := layers.Read(ctx, img, layers.WithMaxEntries(100_000))
		if err != nil {
			return
		}
		var sum int64
		for _, e := range got.Layers[0].Entries {
			if e.Path != layers.CleanPath(e.Path) {
				t.Errorf("entry path %q is not clean", e.Path)
			}
			if e.Size < 0 || e.Type != layers.TypeRegular && e.Size != 0 {
				t.Errorf("entry %q (%s) has size %d", e.Path, e.Type, e.Size)
			}
			sum += e.Size
		}
		if sum > got.Layers[0].Size {
			t.Errorf("entries hold %d bytes, more than the %d of the stream", sum, got.Layers[0].Size)
		}
	})
}

// FuzzLoadArchive feeds arbitrary bytes to the loader as a file: manifest
// and config parsing may fail, never panic.
func FuzzLoadArchive(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("..", "testdata", "bad", "corpus", "*.tar"))
	for _, p := range seeds {
		if b, err := os.ReadFile(p); err == nil && len(b) < 1<<20 {
			f.Add(b)
		}
	}
	f.Add([]byte("not a tar"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "image.tar")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		src, err := layers.Load(ctx, p, layers.WithoutDaemon())
		if err != nil {
			return
		}
		_, _ = layers.Read(ctx, src.Image, layers.WithMaxEntries(100_000))
	})
}
