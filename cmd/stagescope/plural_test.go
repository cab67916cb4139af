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

// TestGateErrorSingular: the closing line of a failed gate counts its
// thresholds as the report does: "1 threshold failed", "2 thresholds
// failed", never "1 threshold(s)".
func TestGateErrorSingular(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--highest-leftover-bytes", "1"}, "stagescope: 1 threshold failed\n"},
		{[]string{"--highest-leftover-bytes", "1", "--forbid-rule", "secret.dotenv"}, "stagescope: 2 thresholds failed\n"},
	} {
		r := stagescope(t, append(append([]string{"inspect", "-o", "json"}, tc.args...), testImage)...)
		if r.code != exitGate || r.stderr != tc.want {
			t.Errorf("%v: exit %d, stderr %q; want %d, %q", tc.args, r.code, r.stderr, exitGate, tc.want)
		}
	}
}
