package layers_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stagescope/stagescope/layers"
	lt "github.com/stagescope/stagescope/layers/layerstest"
)

// partialCall is one call of WithPartialEntries' fn.
type partialCall struct {
	index int
	paths []string
}

// TestPartialEntries reads an image from a registry on loopback that sends
// the first layer's blob slowly and then holds the rest back: the entries
// read so far of the first layer arrive while it is read (growing, each a
// prefix of the layer's entries), before the layer is handed on whole.
func TestPartialEntries(t *testing.T) {
	img := lt.Image(t,
		lt.Step{CreatedBy: "COPY docs /", Files: lt.ManyFiles("usr/share/doc", 3000, 300)},
		lt.Step{CreatedBy: "COPY hello /", Files: []lt.File{{Name: "etc/hello", Body: "hello\n"}}},
	)
	ref, releaseOnce := lt.TrickleFirst(t, img)

	var (
		mu      sync.Mutex
		calls   []partialCall
		whole   = map[int][]string{}
		early   = make(chan struct{}) // a partial call came before layer 0 was whole
		earlyOK sync.Once
	)
	partial := layers.WithPartialEntries(time.Millisecond, func(_ context.Context, i int, es []layers.Entry) {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, partialCall{i, paths(es)})
		if _, done := whole[0]; i == 0 && !done {
			earlyOK.Do(func() { close(early) })
		}
	})
	entries := layers.WithEntries(func(_ context.Context, i int, es []layers.Entry) {
		mu.Lock()
		defer mu.Unlock()
		whole[i] = paths(es)
	})
	go func() {
		select {
		case <-early:
		case <-time.After(20 * time.Second):
		}
		releaseOnce()
	}()
	ctx := context.Background()
	src, err := layers.Load(ctx, ref, layers.WithInsecure(), layers.WithoutDaemon())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Read(ctx, partial, entries); err != nil {
		t.Fatal(err)
	}
	select {
	case <-early:
	default:
		t.Fatal("no entries of layer 0 were handed on while its blob was held back half sent")
	}
	mu.Lock()
	defer mu.Unlock()
	if got := len(whole[0]); got < 3000 {
		t.Fatalf("layer 0 has %d entries, want at least its 3000 files", got)
	}
	last := 0
	for _, c := range calls {
		if c.index != 0 {
			continue
		}
		if n := len(c.paths); n <= last || n > len(whole[0]) {
			t.Errorf("partial call with %d entries after one with %d; want more, and at most the layer's %d", n, last, len(whole[0]))
		}
		last = len(c.paths)
		if diff := cmp.Diff(whole[0][:len(c.paths)], c.paths); diff != "" {
			t.Errorf("partial entries are not a prefix of the layer's (-layer +partial):\n%s", diff)
		}
	}
	if last == 0 {
		t.Error("no partial call for layer 0")
	}
}

func paths(es []layers.Entry) []string {
	out := make([]string, 0, len(es))
	for _, e := range es {
		out = append(out, e.Path)
	}
	return slices.Clip(out)
}
