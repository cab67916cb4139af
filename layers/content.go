package layers

import (
	"io"
	"sync"
	"sync/atomic"
)

// ContentScanner sees the contents of one layer's regular files while Read
// streams the layer, so that an analyzer can search every version of every
// file (deleted and overwritten ones too) without a second pass and without
// Read keeping the bytes. One ContentScanner serves one attempt at one
// layer. Its calls never overlap (Read holds a lock around each), but they
// may come from two goroutines: Open from the one that reads the layer,
// Write and Close from the one that feeds it the bytes meanwhile.
type ContentScanner interface {
	// Open starts the next regular file of the layer (path cleaned, size in
	// bytes). It returns where the file's bytes go, or nil to skip it. Read
	// closes the writer after the last byte; a Write that fails ends the
	// scan of that file only, never the read.
	Open(path string, size int64) io.WriteCloser
	// Result ends the layer: Read keeps what it returns in Layer.Content.
	Result() any
}

// WithContentScan hands the regular files of every layer read to a scanner
// made by start, one per layer (and per attempt, when a network stream is
// read again). What the scanner returns is kept in the layer's Content; a
// layer taken from WithKnownLayers keeps the Content of its earlier read.
func WithContentScan(start func() ContentScanner) Option {
	return func(o *options) error {
		o.scan = start
		return nil
	}
}

// scanPipe runs a layer's ContentScanner beside the reader: the reader
// opens each file on its own goroutine (Open is cheap and says which files
// to skip) and hands copies of the file's bytes to a goroutine that writes
// them to the scanner, so that searching contents overlaps with reading,
// verifying and parsing the rest of the layer, on a core that would
// otherwise wait. The scanner's calls never overlap: mu is held around
// each (Open on the reader's goroutine, Write and Close on the pipe's),
// and the channel keeps each file's bytes in order. At most pipeBuffers
// chunks are in flight; a reader that gets ahead waits for a free one.
type scanPipe struct {
	scan ContentScanner
	msgs chan pipeMsg
	free chan []byte
	done chan struct{}
	stop atomic.Bool // the read failed: drop what is still queued
	mu   sync.Mutex  // held around every call of scan
}

// pipeMsg is one Write (data, a chunk from free) or, with data nil, the
// Close of a file's writer.
type pipeMsg struct {
	f    *pipeFile
	data []byte
}

const (
	pipeBuffers = 8
	pipeChunk   = 256 << 10
)

func newScanPipe(scan ContentScanner) *scanPipe {
	p := &scanPipe{scan: scan, msgs: make(chan pipeMsg, 2*pipeBuffers), free: make(chan []byte, pipeBuffers), done: make(chan struct{})}
	for range pipeBuffers {
		p.free <- nil // made on first use: most layers have few text files
	}
	go p.run()
	return p
}

func (p *scanPipe) run() {
	defer close(p.done)
	for m := range p.msgs {
		p.mu.Lock()
		p.deliver(m)
		p.mu.Unlock()
	}
}

// deliver makes the scanner call m stands for, with mu held.
func (p *scanPipe) deliver(m pipeMsg) {
	f := m.f
	if m.data == nil {
		if !f.failed.Load() && !p.stop.Load() {
			_ = f.w.Close()
		}
		return
	}
	if !f.failed.Load() && !p.stop.Load() {
		if _, err := f.w.Write(m.data); err != nil {
			// The scan of this file ends (a binary file, say); the reader
			// stops sending its bytes.
			_ = f.w.Close()
			f.failed.Store(true)
		}
	}
	p.free <- m.data[:cap(m.data)]
}

// open starts the next file: nil when the scanner skips it.
func (p *scanPipe) open(path string, size int64) *pipeFile {
	p.mu.Lock()
	w := p.scan.Open(path, size)
	p.mu.Unlock()
	if w == nil {
		return nil
	}
	return &pipeFile{p: p, w: w}
}

// finish waits for the scanner to take every queued chunk and returns its
// result.
func (p *scanPipe) finish() any {
	close(p.msgs)
	<-p.done
	return p.scan.Result()
}

// abort ends the pipe of a read that failed, dropping what is queued.
func (p *scanPipe) abort() {
	p.stop.Store(true)
	close(p.msgs)
	<-p.done
}

// pipeFile is one file's way into the pipe: an io.Writer for the reader.
type pipeFile struct {
	p      *scanPipe
	w      io.WriteCloser
	failed atomic.Bool // set by the pipe's goroutine when a Write failed
}

// Write copies b into chunks for the scanner, unless the scan of this file
// has already ended. It never fails: the reader's own work goes on.
func (f *pipeFile) Write(b []byte) (int, error) {
	n := len(b)
	for len(b) > 0 && !f.failed.Load() {
		buf := <-f.p.free
		if buf == nil {
			buf = make([]byte, pipeChunk)
		}
		c := copy(buf, b)
		b = b[c:]
		f.p.msgs <- pipeMsg{f: f, data: buf[:c]}
	}
	return n, nil
}

// close queues the Close of the file's writer, after its last chunk.
func (f *pipeFile) close() {
	f.p.msgs <- pipeMsg{f: f}
}
