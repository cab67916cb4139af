package layers

import (
	"context"
	"errors"
	"sync/atomic"
	"time"
)

// WithPartialEntries hands fn, while the lowest layer not yet handed to
// WithEntries' fn is being read, the entries read of it so far, about every
// every: on the goroutine that calls WithEntries' fn, never overlapping its
// calls (it is idle then, waiting for that layer), each call with more
// entries than the last. The entries are a prefix of the layer's, in tar
// order, that no one changes afterwards; fn must not change them either.
// They come from bytes whose digest is not checked yet, and only from a
// layer's first attempt (a registry stream that breaks off is read again
// from its start): they are a preview of a layer still being read, to be
// shown as such and never reported. Reading never waits for fn: a reader
// only publishes the length it has reached.
//
// A docker save stream read in one pass (a local engine's, standard input,
// a compressed archive) names its layers only at its end: it publishes
// the entries of layer 0 only when the stream or the source tells, before
// the layer's member is read, that the member holds layer 0 (see
// layerZero), and then also all of them once the member is read, since
// the layer is handed on only at the stream's end. Should the stream show
// afterwards that the member was not layer 0 (it holds several images, or
// the member's bytes are not layer 0's diff ID), fn is called once more
// with no entries: what it was handed is withdrawn.
func WithPartialEntries(every time.Duration, fn func(ctx context.Context, index int, entries []Entry)) Option {
	return func(o *options) error {
		if every <= 0 {
			return errors.New("partial entries: the interval must be positive")
		}
		o.partial, o.partialEvery = fn, every
		return nil
	}
}

// partials carries the entries read so far of the layers being read from
// their readers to the goroutine that hands layers on (inOrder).
type partials struct {
	every time.Duration
	read  []atomic.Pointer[[]Entry] // per layer: the prefix last published
	wake  chan struct{}             // a prefix was published
}

// newPartials returns the partials of n layers, nil when o wants none.
func newPartials(o *options, n int) *partials {
	if o.partial == nil || o.entries == nil {
		return nil
	}
	return &partials{every: o.partialEvery, read: make([]atomic.Pointer[[]Entry], n), wake: make(chan struct{}, 1)}
}

// publisher returns what the reader of layer i calls as it reads; nil when
// p is.
func (p *partials) publisher(i int) *publisher {
	if p == nil {
		return nil
	}
	return &publisher{p: p, i: i, at: time.Now()}
}

// wakeup is the channel that tells a prefix was published (nil, which
// never delivers, when p is).
func (p *partials) wakeup() <-chan struct{} {
	if p == nil {
		return nil
	}
	return p.wake
}

// hand calls fn with the prefix of layer i published since had of its
// entries were handed on, if any and while ctx lasts, and returns how many
// are handed on now.
func (p *partials) hand(ctx context.Context, i, had int, fn func(context.Context, int, []Entry)) int {
	if p == nil || ctx.Err() != nil {
		return had
	}
	if es := p.read[i].Load(); es != nil && len(*es) > had {
		fn(ctx, i, *es)
		return len(*es)
	}
	return had
}

// forward hands fn, from a goroutine of its own, the entries of layer i
// read so far as they are published, until stop is called; stop returns
// once that goroutine is done, with how many entries it handed on. A
// reader that calls WithEntries' fn itself (a one-pass stream) forwards
// while it reads the layer, and calls neither meanwhile.
func (p *partials) forward(ctx context.Context, i int, fn func(context.Context, int, []Entry)) (stop func() int) {
	quit, done := make(chan struct{}), make(chan struct{})
	had := 0
	go func() {
		defer close(done)
		for {
			select {
			case <-quit:
				return
			case <-p.wake:
				had = p.hand(ctx, i, had, fn)
			}
		}
	}()
	return func() int {
		close(quit)
		<-done
		return had
	}
}

// drop forgets layer i's prefix once the layer is handed on whole.
func (p *partials) drop(i int) {
	if p != nil {
		p.read[i].Store(nil)
	}
}

// clockEvery is how many entries a publisher reads between two looks at
// the clock.
const clockEvery = 8

// publisher is one layer reader's end of partials.
type publisher struct {
	p  *partials
	i  int
	at time.Time // when the reader started or last published
	n  int       // entries read
}

// entryRead is called by the reader after each entry with the entries
// read so far: about every p.every it publishes them, which costs a clock
// read every clockEvery entries (a clock read costs ~33 ns here, an entry
// ~5 µs) and a slice header per publication.
func (pb *publisher) entryRead(es []Entry) {
	if pb == nil {
		return
	}
	if pb.n++; pb.n%clockEvery != 0 || time.Since(pb.at) < pb.p.every {
		return
	}
	pb.at = time.Now()
	es = es[:len(es):len(es)] // appending to it can never write where the reader does
	pb.p.read[pb.i].Store(&es)
	select {
	case pb.p.wake <- struct{}{}:
	default:
	}
}
