package layers_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stagescope/stagescope/layers"
	lt "github.com/stagescope/stagescope/layers/layerstest"
)

func TestWithKnownLayers(t *testing.T) {
	ctx := context.Background()
	base := lt.Step{CreatedBy: "ADD rootfs /", Files: []lt.File{lt.Dir("etc"), {Name: "etc/os-release", Body: strings.Repeat("b", 20_000)}}}
	imgA := lt.Image(t, base, lt.Step{CreatedBy: "RUN build", Files: []lt.File{{Name: "usr/bin/cc", Body: strings.Repeat("c", 50_000)}}})
	imgB := lt.Image(t, base, lt.Step{CreatedBy: "COPY app /app", Files: []lt.File{{Name: "app/app", Body: strings.Repeat("a", 7_000)}}})

	a, err := layers.Read(ctx, imgA)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := layers.Read(ctx, imgB)
	if err != nil {
		t.Fatal(err)
	}
	var read, done atomic.Int64
	b, err := layers.Read(ctx, imgB, layers.WithKnownLayers(a), layers.WithProgress(func(p layers.Progress) {
		// calls come one at a time; keep the largest
		read.Store(max(read.Load(), p.BytesRead))
		done.Store(max(done.Load(), int64(p.LayersDone)))
	}))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fresh, b); diff != "" {
		t.Errorf("image read with known layers differs from a fresh read (-fresh +known):\n%s", diff)
	}
	if a.Layers[0].DiffID != b.Layers[0].DiffID || a.Layers[1].DiffID == b.Layers[1].DiffID {
		t.Fatalf("test images should share exactly their base layer: A %s %s, B %s %s",
			a.Layers[0].DiffID, a.Layers[1].DiffID, b.Layers[0].DiffID, b.Layers[1].DiffID)
	}
	// Only B's own layer was streamed; the base came from A.
	if got, want := read.Load(), fresh.Layers[1].Size; got != want {
		t.Errorf("bytes read = %d, want %d (B's own layer only; the shared base is %d bytes)", got, want, fresh.Layers[0].Size)
	}
	if got := done.Load(); got != 2 {
		t.Errorf("layers done = %d, want 2", got)
	}
	if &b.Layers[0].Entries[0] != &a.Layers[0].Entries[0] {
		t.Error("the shared layer's entries were copied, not taken from A")
	}

	// Without the option every layer is read.
	read.Store(0)
	if _, err := layers.Read(ctx, imgB, layers.WithProgress(func(p layers.Progress) { read.Store(max(read.Load(), p.BytesRead)) })); err != nil {
		t.Fatal(err)
	}
	if got, want := read.Load(), fresh.Layers[0].Size+fresh.Layers[1].Size; got != want {
		t.Errorf("bytes read without known layers = %d, want %d", got, want)
	}
}
