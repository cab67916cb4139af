package layers

import (
	"slices"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestReadOrder(t *testing.T) {
	sized := func(sizes ...int64) []Layer {
		ls := make([]Layer, len(sizes))
		for i, s := range sizes {
			ls[i].CompressedSize = s
		}
		return ls
	}
	for _, tc := range []struct {
		sizes       []int64
		parallelism int
		want        []int
	}{
		// The bench/gen large image: the two layers over a quarter of the
		// image first, the rest in index order.
		{[]int64{960, 592, 121, 245, 837, 15, 328, 199, 30}, 2, []int{0, 4, 1, 2, 3, 5, 6, 7, 8}},
		// A large top layer no longer comes last.
		{[]int64{10, 20, 30, 900}, 2, []int{3, 0, 1, 2}},
		// More cores: smaller layers count as large.
		{[]int64{100, 300, 200, 400}, 4, []int{3, 1, 2, 0}},
		{[]int64{5, 5, 5, 5}, 2, []int{0, 1, 2, 3}},
		{nil, 2, nil},
	} {
		if got := readOrder(sized(tc.sizes...), tc.parallelism); !slices.Equal(got, tc.want) {
			t.Errorf("readOrder(%v, %d) = %v, want %v", tc.sizes, tc.parallelism, got, tc.want)
		}
	}
}

// A missing ARM variant is docker's default one: v8 for arm64, v7 for arm.
func TestSatisfies(t *testing.T) {
	p := func(arch, variant string) v1.Platform {
		return v1.Platform{OS: "linux", Architecture: arch, Variant: variant}
	}
	for _, tc := range []struct {
		have, want v1.Platform
		ok         bool
	}{
		{p("arm64", ""), p("arm64", "v8"), true},
		{p("arm64", "v8"), p("arm64", ""), true},
		{p("arm64", ""), p("arm64", ""), true},
		{p("arm", ""), p("arm", "v7"), true},
		{p("arm", "v7"), p("arm", ""), true},
		{p("arm", ""), p("arm", "v6"), false},
		{p("arm", "v6"), p("arm", ""), false},
		{p("amd64", ""), p("arm64", "v8"), false},
		{p("amd64", ""), p("amd64", ""), true},
		{p("amd64", ""), p("amd64", "v3"), false},
	} {
		if got := satisfies(tc.have, tc.want); got != tc.ok {
			t.Errorf("satisfies(%s, %s) = %v, want %v", tc.have.String(), tc.want.String(), got, tc.ok)
		}
	}
}
