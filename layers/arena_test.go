package layers

import (
	"fmt"
	"strings"
	"testing"
)

// Strings handed out by an Arena keep their bytes while later ones fill
// and roll over its chunks, whatever their length: empty, small, and past
// the size that is copied on its own.
func TestArena(t *testing.T) {
	var a Arena
	var want, got []string
	for i := range 40_000 {
		s := fmt.Sprintf("%d/%s", i, strings.Repeat("x", i%97))
		switch i % 1000 {
		case 0:
			s = ""
		case 1:
			s = strings.Repeat("big", arenaChunk/16) // over a sixteenth of a chunk
		}
		want = append(want, s)
		got = append(got, a.String(s))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("string %d is %.40q, want %.40q", i, got[i], want[i])
		}
	}
}
