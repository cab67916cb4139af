package main

import (
	"strings"
	"testing"

	"github.com/stagescope/stagescope/layers/layerstest"
)

// TestTextSingular: the text report of a one-file image with one leftover
// says "1 file" and "1 finding", never "1 files".
func TestTextSingular(t *testing.T) {
	t.Parallel()
	img := writeArchive(t, layerstest.Layers(t, []layerstest.File{{Name: "app/.git/config", Body: strings.Repeat("g", 300)}}))
	out, _, code, err := run(t, "inspect", "-o", "text", img)
	if code != exitOK {
		t.Fatalf("exit status %d: %v", code, err)
	}
	for _, want := range []string{"in 1 file; layers", "Leftovers   300 B in 1 file (", "Largest leftovers (1 finding)"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
	for _, bad := range []string{" 1 files", " 1 findings", " 1 layers"} {
		if strings.Contains(out, bad) {
			t.Errorf("%q in:\n%s", bad, out)
		}
	}
}
