package fstree

import (
	"math/rand/v2"
	"slices"
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

// diveSort orders items as sorting by diveOrder does, whether they come in
// the order of a directory walk (its linear path) or in any other.
func TestDiveSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	parts := []string{"a", "a.b", "a-", "ab", "b", "A", "~", ".wh.a", "a b"}
	for round := range 300 {
		set := map[string]bool{}
		for range 1 + rng.IntN(60) {
			var p string
			for d := range 1 + rng.IntN(4) {
				if d > 0 {
					p += "/"
				}
				p += parts[rng.IntN(len(parts))]
				if round%2 == 0 || rng.IntN(3) > 0 {
					set[p] = true // most ancestors present, as in layerItems
				}
			}
			set[p] = true
		}
		var items []diveItem
		for p := range set {
			items = append(items, diveItem{path: p})
		}
		want := slices.Clone(items)
		slices.SortFunc(want, func(a, b diveItem) int { return diveOrder(a.path, b.path) })
		if round%3 != 0 { // walk order: the linear path
			slices.SortFunc(items, func(a, b diveItem) int { return walkOrder(a.path, b.path) })
		}
		diveSort(items)
		for i := range items {
			if items[i].path != want[i].path {
				t.Fatalf("round %d: item %d is %q, want %q\ngot  %v\nwant %v", round, i, items[i].path, want[i].path, items, want)
			}
		}
	}
}
