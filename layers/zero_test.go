package layers

import (
	"bytes"
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	lt "github.com/stagescope/stagescope/layers/layerstest"
)

// zeroCalls reads a docker save stream and returns how many entries each
// call of WithPartialEntries' fn was handed, about every every; with an
// interval no read reaches, only the member's once read, or a withdrawal.
// The first call calls first.
func zeroCalls(t *testing.T, every time.Duration, first func(), read func(...Option) error) []int {
	t.Helper()
	var (
		mu    sync.Mutex
		calls []int
	)
	err := read(
		WithPartialEntries(every, func(_ context.Context, i int, es []Entry) {
			mu.Lock()
			defer mu.Unlock()
			if i != 0 {
				t.Errorf("partial call of layer %d, want only layer 0's", i)
			}
			if len(calls) == 0 {
				first()
			}
			calls = append(calls, len(es))
		}),
		WithEntries(func(context.Context, int, []Entry) {}),
	)
	if err != nil {
		t.Fatal(err)
	}
	return calls
}

// TestLayerZeroHint reads real saves with what a source knows before the
// stream: an engine's image inspect gives layer 0's diff ID, which names
// layer 0's member in podman's and docker 25's saves, and which the bytes
// of docker 20.10's parentless classic layer must hash to; a docker archive
// on disk names the member in its manifest. The member's entries are
// handed on once it is read, unless its bytes prove it is not layer 0: then
// what was handed on while it was read is withdrawn. With a diff ID no
// member is named after, nothing is recognised.
func TestLayerZeroHint(t *testing.T) {
	ctx := context.Background()
	diffID0 := func(b []byte) (string, int) {
		img, err := ReadArchive(ctx, bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		return img.Layers[0].DiffID, img.Layers[0].EntryCount
	}
	const nobody = "sha256:0000000000000000000000000000000000000000000000000000000000000000"
	for _, tt := range []struct {
		name    string
		archive []byte
		wrong   bool
		want    func(n int) []int
	}{
		{"podman 4.3", lt.Save(t, "saves/podman-4.3.tar.gz"), false, func(n int) []int { return []int{n} }},
		{"docker 25", lt.Gunzip(t, filepath.Join("..", "testdata", "dive", "test-oci-docker-image.tar.gz")), false, func(n int) []int { return []int{n} }},
		{"docker 20.10", lt.Save(t, "saves/docker-20.10.tar.gz"), false, func(n int) []int { return []int{n} }},
		{"docker 20.10, another diff ID", lt.Save(t, "saves/docker-20.10.tar.gz"), true, func(int) []int { return nil }},
		{"podman 4.3, another diff ID", lt.Save(t, "saves/podman-4.3.tar.gz"), true, func(int) []int { return nil }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			diffID, n := diffID0(tt.archive)
			if tt.wrong {
				diffID = nobody
			}
			got := zeroCalls(t, time.Hour, func() {}, func(opts ...Option) error {
				o, err := makeOptions(opts...)
				if err != nil {
					return err
				}
				_, err = readArchive(ctx, bytes.NewReader(tt.archive), "engine", "", o, 3, zeroHint{diffID: diffID})
				return err
			})
			if diff := cmp.Diff(tt.want(n), got); diff != "" {
				t.Errorf("entries per partial call (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("docker archive with gzip layers on disk", func(t *testing.T) {
		img := lt.Image(t, lt.Step{CreatedBy: "COPY docs /", Files: lt.ManyFiles("usr/share/doc", 50, 10)},
			lt.Step{CreatedBy: "COPY hello /", Files: []lt.File{{Name: "etc/hello", Body: "hello\n"}}})
		path := lt.WriteFile(t, "app.tar", lt.DockerSave(t, img, "app:1", lt.SaveClassic, true))
		src, err := loadDockerArchive(path, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		if src.stream == nil {
			t.Fatal("the archive is not read as a stream: the test reads nothing it means to")
		}
		got := zeroCalls(t, time.Hour, func() {}, func(opts ...Option) error {
			_, err := src.Read(ctx, opts...)
			return err
		})
		if diff := cmp.Diff([]int{50}, got); diff != "" {
			t.Errorf("entries per partial call (-want +got):\n%s", diff)
		}
	})
	t.Run("docker 20.10, another diff ID, seen while read", func(t *testing.T) {
		archive := lt.Save(t, "saves/docker-20.10.tar.gz")
		r, release := lt.TrickleSave(t, archive)
		got := zeroCalls(t, time.Millisecond, release, func(opts ...Option) error {
			o, err := makeOptions(opts...)
			if err != nil {
				return err
			}
			_, err = readArchive(ctx, r, "engine", "", o, 3, zeroHint{diffID: nobody})
			return err
		})
		if len(got) < 2 || got[0] == 0 || got[len(got)-1] != 0 {
			t.Errorf("entries per partial call: %v; want some while layer 0 was read, then a withdrawal (0)", got)
		}
	})
}
