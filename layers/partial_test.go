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

// partials records the calls of WithPartialEntries' and WithEntries' fn.
type partials struct {
	mu    sync.Mutex
	calls []partialCall
	whole map[int][]string
	// early is closed by a partial call with entries of layer 0 before
	// the layer was whole and before its source was released.
	early    chan struct{}
	once     sync.Once
	released bool
}

func newPartials() *partials {
	return &partials{whole: map[int][]string{}, early: make(chan struct{})}
}

// options are the read options that record.
func (p *partials) options() []layers.Option {
	return []layers.Option{
		layers.WithPartialEntries(time.Millisecond, func(_ context.Context, i int, es []layers.Entry) {
			p.mu.Lock()
			defer p.mu.Unlock()
			p.calls = append(p.calls, partialCall{i, paths(es)})
			if _, done := p.whole[0]; i == 0 && len(es) > 0 && !done && !p.released {
				p.once.Do(func() { close(p.early) })
			}
		}),
		layers.WithEntries(func(_ context.Context, i int, es []layers.Entry) {
			p.mu.Lock()
			defer p.mu.Unlock()
			p.whole[i] = paths(es)
		}),
	}
}

// releaseEarly calls release once a partial call came early, or after 20 s.
func (p *partials) releaseEarly(release func()) {
	go func() {
		select {
		case <-p.early:
		case <-time.After(20 * time.Second):
		}
		p.mu.Lock()
		p.released = true
		p.mu.Unlock()
		release()
	}()
}

// check fails t unless entries of layer 0 were handed on while it was read
// (early), each call with more than the last and a prefix of the layer's
// entries, the last with all of them when all wants so; and unless every
// call is of layer 0.
func (p *partials) check(t *testing.T, all bool) {
	t.Helper()
	select {
	case <-p.early:
	default:
		t.Fatal("no entries of layer 0 were handed on while it was held back half read")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	last := 0
	for _, c := range p.calls {
		if c.index != 0 {
			t.Errorf("partial call of layer %d; want only layer 0's", c.index)
			continue
		}
		if n := len(c.paths); n <= last || n > len(p.whole[0]) {
			t.Errorf("partial call with %d entries after one with %d; want more, and at most the layer's %d", n, last, len(p.whole[0]))
		}
		last = len(c.paths)
		if diff := cmp.Diff(p.whole[0][:min(len(c.paths), len(p.whole[0]))], c.paths); diff != "" {
			t.Errorf("partial entries are not a prefix of the layer's (-layer +partial):\n%s", diff)
		}
	}
	if all && last != len(p.whole[0]) {
		t.Errorf("the last partial call has %d entries, want all of layer 0's %d", last, len(p.whole[0]))
	}
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
	p := newPartials()
	p.releaseEarly(releaseOnce)
	ctx := context.Background()
	src, err := layers.Load(ctx, ref, layers.WithInsecure(), layers.WithoutDaemon())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Read(ctx, p.options()...); err != nil {
		t.Fatal(err)
	}
	if got := len(p.whole[0]); got < 3000 {
		t.Fatalf("layer 0 has %d entries, want at least its 3000 files", got)
	}
	p.check(t, false)
}

func paths(es []layers.Entry) []string {
	out := make([]string, 0, len(es))
	for _, e := range es {
		out = append(out, e.Path)
	}
	return slices.Clip(out)
}
