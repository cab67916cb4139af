package analyze

import (
	"strings"
	"testing"
)

// diveOrder agrees with the order spelled out component by component (by
// name; an ancestor after its descendants) on every pair of a set of paths
// built to share prefixes.
func TestDiveOrder(t *testing.T) {
	ref := func(a, b string) int {
		as, bs := strings.Split(a, "/"), strings.Split(b, "/")
		for k := 0; ; k++ {
			switch {
			case k == len(as) && k == len(bs):
				return 0
			case k == len(as):
				return 1
			case k == len(bs):
				return -1
			}
			if c := strings.Compare(as[k], bs[k]); c != 0 {
				return c
			}
		}
	}
	var paths []string
	parts := []string{"a", "a.b", "a-", "ab", "b", "A", "\x01", "~", ".wh.a"}
	for _, x := range parts {
		paths = append(paths, x)
		for _, y := range parts {
			paths = append(paths, x+"/"+y, x+y)
			for _, z := range parts[:4] {
				paths = append(paths, x+"/"+y+"/"+z)
			}
		}
	}
	sign := func(c int) int { return max(-1, min(1, c)) }
	for _, a := range paths {
		for _, b := range paths {
			if got, want := sign(diveOrder(a, b)), ref(a, b); got != want {
				t.Fatalf("diveOrder(%q, %q) = %d, want %d", a, b, got, want)
			}
		}
	}
}
