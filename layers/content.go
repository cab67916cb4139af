package layers

import "io"

// ContentScanner sees the contents of one layer's regular files while Read
// streams the layer, so that an analyzer can search every version of every
// file (deleted and overwritten ones too) without a second pass and without
// Read keeping the bytes. One ContentScanner serves one attempt at one
// layer, on one goroutine.
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

// fileSink sends a file's bytes to its scanner until a Write fails.
type fileSink struct {
	w io.WriteCloser
}

func (s *fileSink) Write(p []byte) (int, error) {
	if s.w != nil {
		if _, err := s.w.Write(p); err != nil {
			_ = s.w.Close()
			s.w = nil
		}
	}
	return len(p), nil
}

func (s *fileSink) close() {
	if s.w != nil {
		_ = s.w.Close()
		s.w = nil
	}
}
