package layers_test

import (
	"context"
	"testing"

	"github.com/stagescope/stagescope/layers"
	lt "github.com/stagescope/stagescope/layers/layerstest"
)

func TestReadSmoke(t *testing.T) {
	img := lt.Image(t,
		lt.Step{CreatedBy: "ADD rootfs /", Files: []lt.File{lt.Dir("./etc/"), {Name: "./etc/os-release", Body: "ID=test\n"}}},
		lt.Step{CreatedBy: "ENV A=b", Empty: true},
		lt.Step{CreatedBy: "RUN rm /etc/os-release", Files: []lt.File{lt.Whiteout("etc/os-release")}},
	)
	got, err := layers.Read(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Layers) != 2 {
		t.Fatalf("got %d layers, want 2", len(got.Layers))
	}
	if got, want := got.Layers[1].CreatedBy, "RUN rm /etc/os-release"; got != want {
		t.Errorf("layer 1 created by %q, want %q", got, want)
	}
	e := got.Layers[1].Entries[0]
	if e.Path != "etc/os-release" || e.Whiteout != layers.FileWhiteout {
		t.Errorf("whiteout entry = %+v, want path etc/os-release, FileWhiteout", e)
	}
	if d := got.Layers[0].Entries[1].Digest; d == 0 {
		t.Errorf("regular file has no digest")
	}
}
