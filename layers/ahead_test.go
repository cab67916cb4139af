package layers

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"
)

// TestAheadReader: what arrived is handed on while the source waits for
// more (a read-ahead that fills its buffers whole would hold it back), the
// bytes come whole and in order, the source's error comes after its bytes,
// and Close returns once the read in progress does.
func TestAheadReader(t *testing.T) {
	want := bytes.Repeat([]byte("0123456789abcdef"), 40_000) // 640 kB: more than the buffers hold
	pr, pw := io.Pipe()
	a := newAheadReader(pr, readAheadBuffers, readAheadSize)
	go func() {
		_, _ = pw.Write(want[:100])
	}()
	got := make([]byte, 100)
	read := make(chan error, 1)
	go func() {
		_, err := io.ReadFull(a, got)
		read <- err
	}()
	select {
	case err := <-read:
		if err != nil || !bytes.Equal(got, want[:100]) {
			t.Fatalf("first read: %q, %v; want the 100 bytes sent", got, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the 100 bytes sent were not handed on while the source held the rest back")
	}
	boom := errors.New("boom")
	go func() {
		_, _ = pw.Write(want[100:])
		pw.CloseWithError(boom)
	}()
	rest, err := io.ReadAll(a)
	if !errors.Is(err, boom) || !bytes.Equal(rest, want[100:]) {
		t.Errorf("the rest: %d bytes (equal: %v), error %v; want the %d bytes sent, then %v", len(rest), bytes.Equal(rest, want[100:]), err, len(want)-100, boom)
	}
	if err := a.Close(); err != nil {
		t.Errorf("Close after the end: %v", err)
	}

	// Close while the source holds everything back: it returns once the
	// goroutine's read does, and the reader is done.
	pr, pw = io.Pipe()
	a = newAheadReader(pr, readAheadBuffers, readAheadSize)
	closed := make(chan struct{})
	go func() {
		_ = a.Close()
		close(closed)
	}()
	_ = pw.Close() // the source ends: the goroutine's read returns
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return once the source's read did")
	}
	if _, err := a.Read(make([]byte, 1)); err == nil {
		t.Error("Read after Close returned no error")
	}
}
