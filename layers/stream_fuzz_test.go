package layers_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stagescope/stagescope/layers"
	lt "github.com/stagescope/stagescope/layers/layerstest"
)

// FuzzReadArchive feeds mangled docker save streams to ReadArchive: it must
// return an image or a one-line error, never panic or hang.
func FuzzReadArchive(f *testing.F) {
	img := lt.Layers(f, []lt.File{lt.Dir("etc/"), {Name: "etc/a", Body: "a"}}, []lt.File{lt.Whiteout("etc/a")})
	for _, style := range []lt.SaveStyle{lt.SaveClassic, lt.SaveOCI} {
		for _, gz := range []bool{false, true} {
			f.Add(lt.DockerSave(f, img, "fuzz:1", style, gz))
		}
	}
	f.Add(lt.Gzip(f, lt.DockerSave(f, img, "fuzz:1", lt.SaveClassic, false)))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := layers.ReadArchive(context.Background(), bytes.NewReader(data), layers.WithMaxEntries(10_000))
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
			return
		}
		if got == nil {
			t.Fatal("nil image and nil error")
		}
	})
}
