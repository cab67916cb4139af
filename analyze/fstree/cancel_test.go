package fstree

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stagescope/stagescope/layers"
)

// TestAddContextStops: merging one huge layer stops once ctx is done,
// instead of running to the layer's end.
func TestAddContextStops(t *testing.T) {
	entries := make([]layers.Entry, 200_000)
	for i := range entries {
		entries[i] = layers.Entry{Path: fmt.Sprintf("d%03d/f%06d", i%500, i), Size: 1, Type: layers.TypeRegular}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b := NewBuilder()
	if err := b.AddContext(ctx, entries); !errors.Is(err, context.Canceled) {
		t.Fatalf("AddContext with a cancelled ctx = %v, want context.Canceled", err)
	}
	got := b.Finish().Root.Children()
	if len(got) > 1 {
		t.Errorf("a cancelled merge added %d top-level directories, want at most the one before its first check", len(got))
	}

	b = NewBuilder()
	if err := b.AddContext(context.Background(), entries); err != nil {
		t.Fatal(err)
	}
	if got, want := len(b.Finish().Root.Children()), 500; got != want {
		t.Errorf("a full merge made %d top-level directories, want %d", got, want)
	}
}
