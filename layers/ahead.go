package layers

import (
	"errors"
	"io"
)

// aheadReader reads r in a goroutine of its own, up to n reads of at most
// size bytes ahead of its reader, and hands each read on as it came. A
// read-ahead of fixed buffers that hands a buffer on only once full (as
// github.com/klauspost/readahead does) holds back the bytes that already
// arrived of a source that is slow, or stalls: a registry's blob sent
// slowly, an engine's save stream. Those bytes can be the first thousands
// of a layer's entries, which the preview of layer 0 shows while the rest
// comes (WithPartialEntries).
type aheadReader struct {
	full chan []byte // reads done, in order; closed after the last
	free chan []byte // buffers to read into
	cur  []byte      // what remains of the read being handed on
	last []byte      // its buffer, given back once it is used up
	err  error       // what ended the reads, once full is closed
	quit chan struct{}
	done chan struct{}
}

func newAheadReader(r io.Reader, n, size int) *aheadReader {
	a := &aheadReader{full: make(chan []byte, n), free: make(chan []byte, n), quit: make(chan struct{}), done: make(chan struct{})}
	for range n {
		a.free <- make([]byte, size)
	}
	go a.run(r)
	return a
}

func (a *aheadReader) run(r io.Reader) {
	defer close(a.done)
	defer close(a.full)
	for {
		var b []byte
		select {
		case b = <-a.free:
		case <-a.quit:
			return
		}
		n, err := r.Read(b[:cap(b)])
		if n > 0 {
			select {
			case a.full <- b[:n]:
			case <-a.quit:
				return
			}
		} else {
			a.free <- b
		}
		if err != nil {
			a.err = err
			return
		}
	}
}

var errReadAfterClose = errors.New("read-ahead: read after Close")

func (a *aheadReader) Read(p []byte) (int, error) {
	for len(a.cur) == 0 {
		if a.last != nil {
			a.free <- a.last[:cap(a.last)] // never blocks: there are as many buffers as room
			a.last = nil
		}
		b, ok := <-a.full
		if !ok {
			return 0, a.err
		}
		a.cur, a.last = b, b
	}
	n := copy(p, a.cur)
	a.cur = a.cur[n:]
	return n, nil
}

// Close stops the goroutine, once its read in progress returns, and
// leaves r to be read by another. It does not close r.
func (a *aheadReader) Close() error {
	select {
	case <-a.quit:
	default:
		close(a.quit)
	}
	<-a.done
	if a.err == nil || errors.Is(a.err, io.EOF) {
		a.err = errReadAfterClose
	}
	a.cur = nil
	return nil
}
