package layers

import (
	"context"
	"io"
	"sync/atomic"
)

// ContentScanner sees the contents of one layer's regular files while Read
// streams the layer, so that an analyzer can search every version of every
// file (deleted and overwritten ones too) without a second pass and without
// Read keeping the bytes. One ContentScanner serves one attempt at one
// layer. Its calls come in order from one goroutine (the scan's, beside the
// reader), never at once.
type ContentScanner interface {
	// Open starts the next regular file of the layer (path cleaned, size in
	// bytes). It returns where the file's bytes go, or nil to skip it. Read
	// closes the writer after the last byte; a Write that fails ends the
	// scan of that file only, never the read.
	Open(path string, size int64) io.WriteCloser
	// Result ends the layer: Read keeps what it returns in Layer.Content.
	Result() any
}

// ContentScan is what WithContentScan needs: how to start a layer's
// scanner, and which files' bytes it wants.
type ContentScan struct {
	// Start makes the scanner of one layer (and of each attempt, when a
	// network stream is read again). ctx ends when the read of the layer
	// fails or is cancelled: work the scanner does on its own (a goroutine
	// parsing a stream, a long search) should then stop; Read still closes
	// the writer it has open, and calls nothing else but Result.
	Start func(ctx context.Context) ContentScanner
	// Wants tells, from a file's path, size and first bytes (those of its
	// first write), whether the scanner's writer wants the file's bytes.
	// Read hands over only the bytes of the files it wants, and Open is
	// called for every file all the same. Wants runs on the reading
	// goroutine, beside the scanner's calls: it must not touch the
	// scanner's state. Nil wants every file.
	Wants func(path string, size int64, head []byte) bool
}

// WithContentScan hands the regular files of every layer read to a scanner
// made by cs.Start, one per layer. What the scanner returns is kept in the
// layer's Content; a layer taken from WithKnownLayers keeps the Content of
// its earlier read.
func WithContentScan(cs ContentScan) Option {
	return func(o *options) error {
		o.scan = &cs
		return nil
	}
}

// scanPipe runs a layer's ContentScanner beside the reader, on a goroutine
// of its own, so that searching contents overlaps with reading, verifying
// and parsing the rest of the layer on a core that would otherwise wait.
// The reader writes down what it sees as operations (open a file, its
// bytes, close it) into batches; the scan's goroutine makes the scanner's
// calls batch by batch, in order. Batching keeps the two goroutines from
// waking each other for every file (a layer holds tens of thousands), and
// the reader never waits on the scanner but for a free batch: at most
// pipeBatches are in flight.
type scanPipe struct {
	scan   ContentScanner
	wants  func(path string, size int64, head []byte) bool
	cancel context.CancelFunc
	msgs   chan *pipeBatch
	free   chan *pipeBatch
	done   chan struct{}
	stop   atomic.Bool // the read failed: drop what is still queued
	// failed is the number of the last file whose Write failed (the scan
	// of it ended: a binary file, say), so that the reader stops sending
	// its bytes.
	failed atomic.Uint64

	// The reader's side.
	cur    *pipeBatch
	file   uint64 // number of the file being read (from 1)
	path   string
	size   int64
	opened bool // the file's first write was seen
	wanted bool // and Wants took it
}

// pipeOp is one of the scanner's calls: the Open of file path (number
// file), a Write of data[lo:hi] of its batch, or the Close of the writer;
// a Write and a Close are of the file last opened.
type pipeOp struct {
	kind   uint8
	path   string
	size   int64
	file   uint64
	lo, hi int
}

const (
	opOpen = iota
	opWrite
	opClose
)

// pipeBatch is a run of operations and the bytes their writes carry.
type pipeBatch struct {
	ops  []pipeOp
	data []byte
}

const (
	pipeBatches  = 8
	pipeBatchLen = 256 << 10
	// pipeBatchOps sends a batch of many small files before its bytes fill.
	pipeBatchOps = 4096
)

func newScanPipe(ctx context.Context, cs *ContentScan) *scanPipe {
	ctx, cancel := context.WithCancel(ctx)
	p := &scanPipe{scan: cs.Start(ctx), wants: cs.Wants, cancel: cancel,
		msgs: make(chan *pipeBatch, pipeBatches), free: make(chan *pipeBatch, pipeBatches), done: make(chan struct{})}
	for range pipeBatches {
		p.free <- nil // made on first use: most layers have few text files
	}
	go p.run()
	return p
}

// run makes the scanner's calls, batch by batch.
func (p *scanPipe) run() {
	defer close(p.done)
	var (
		w      io.WriteCloser
		file   uint64
		failed bool
	)
	for b := range p.msgs {
		for _, op := range b.ops {
			if p.stop.Load() {
				break
			}
			switch op.kind {
			case opOpen:
				w, file, failed = p.scan.Open(op.path, op.size), op.file, false
			case opWrite:
				if w == nil || failed {
					continue
				}
				if _, err := w.Write(b.data[op.lo:op.hi]); err != nil {
					// The scan of this file ends; the reader stops
					// sending its bytes.
					_ = w.Close()
					failed = true
					p.failed.Store(file)
				}
			case opClose:
				if w != nil && !failed {
					_ = w.Close()
				}
				w = nil
			}
		}
		b.ops, b.data = b.ops[:0], b.data[:0]
		p.free <- b
	}
	if w != nil && !failed {
		_ = w.Close() // the read failed in the middle of a file
	}
}

// batch returns the batch being filled, waiting for a free one.
func (p *scanPipe) batch() *pipeBatch {
	if p.cur == nil {
		p.cur = <-p.free
		if p.cur == nil {
			p.cur = &pipeBatch{data: make([]byte, 0, pipeBatchLen)}
		}
	}
	return p.cur
}

// send hands the batch being filled to the scan's goroutine.
func (p *scanPipe) send() {
	if p.cur != nil {
		p.msgs <- p.cur
		p.cur = nil
	}
}

// add appends op to the batch being filled, sending it when full.
func (p *scanPipe) add(op pipeOp) {
	b := p.batch()
	b.ops = append(b.ops, op)
	if len(b.ops) >= pipeBatchOps {
		p.send()
	}
}

// open starts the next regular file; its bytes follow through Write.
func (p *scanPipe) open(path string, size int64) {
	p.file++
	p.path, p.size, p.opened, p.wanted = path, size, false, false
	p.add(pipeOp{kind: opOpen, path: path, size: size, file: p.file})
}

// Write copies b into batches for the scanner, unless it does not want
// the file or the scan of it has ended. It never fails: the reader's own
// work goes on.
func (p *scanPipe) Write(b []byte) (int, error) {
	n := len(b)
	if !p.opened {
		p.opened = true
		p.wanted = p.wants == nil || p.wants(p.path, p.size, b)
	}
	for len(b) > 0 && p.wanted && p.failed.Load() != p.file {
		if p.cur != nil && len(b) <= pipeBatchLen && len(b) > cap(p.cur.data)-len(p.cur.data) {
			// A write that fits a batch stays whole: the scanner then
			// searches a small file where it lies, not through a window.
			p.send()
		}
		bt := p.batch()
		c := min(len(b), cap(bt.data)-len(bt.data))
		lo := len(bt.data)
		bt.data = append(bt.data, b[:c]...)
		b = b[c:]
		full := len(bt.data) == cap(bt.data)
		// add may send the batch (its operations full): then it is the
		// scan's, and not to be looked at again.
		p.add(pipeOp{kind: opWrite, lo: lo, hi: lo + c})
		if full && p.cur == bt {
			p.send()
		}
	}
	return n, nil
}

// close queues the Close of the file's writer, after its last bytes.
func (p *scanPipe) close() {
	p.add(pipeOp{kind: opClose})
}

// finish waits for the scanner to take every queued call and returns its
// result.
func (p *scanPipe) finish() any {
	p.send()
	close(p.msgs)
	<-p.done
	p.cancel()
	return p.scan.Result()
}

// abort ends the pipe of a read that failed: the scanner's own work is
// cancelled, what is queued dropped, and its open writer closed.
func (p *scanPipe) abort() {
	p.stop.Store(true)
	p.cancel()
	p.send()
	close(p.msgs)
	<-p.done
}
