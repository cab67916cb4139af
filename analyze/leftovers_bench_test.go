package analyze

import (
	"context"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/layers"
	"github.com/stagescope/stagescope/layers/layerstest"
)

// BenchmarkInspectLeftovers measures what the leftover analyzers add to
// inspect on a large real image: "without" reads and merges as inspect
// does (digests on, layers merged as they stream) and measures the tree;
// "with" also captures the analyzers' small files and runs the rules, the
// package and npm analyzers, the totals and the suggestion.
//
//	go test ./analyze -run '^$' -bench InspectLeftovers -benchtime 1x -count 3
//
// STAGESCOPE_BENCH_IMAGE-free: it uses rustapp-naive (2 GB) of the shared
// images and skips when they are absent.
func BenchmarkInspectLeftovers(b *testing.B) {
	p := layerstest.SharedImage(b, "rustapp-naive")
	ctx := context.Background()
	for _, tc := range []struct {
		name      string
		leftovers bool
	}{{"without", false}, {"with", true}} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				img, err := tarball.ImageFromPath(p, nil)
				if err != nil {
					b.Fatal(err)
				}
				if tc.leftovers {
					a, err := Read(ctx, &layers.Source{Image: img})
					if err != nil {
						b.Fatal(err)
					}
					b.ReportMetric(float64(len(a.Findings)), "findings")
					continue
				}
				bl := fstree.NewBuilder()
				if _, err := layers.Read(ctx, img, layers.WithEntries(func(_ context.Context, _ int, es []layers.Entry) { bl.Add(es) })); err != nil {
					b.Fatal(err)
				}
				_ = fstree.Measure(bl.Finish())
				_ = bl.DiveMetrics()
			}
		})
	}
}

// BenchmarkLeftoverPass is the leftover pass alone (rules, package and npm
// analyzers, totals, suggestion) over the merged tree of rustapp-naive, to
// set against the read that BenchmarkInspectLeftovers times.
func BenchmarkLeftoverPass(b *testing.B) {
	r := readShared(b, "rustapp-naive")
	a := &Analysis{Image: r.img, Tree: r.tree, Metrics: fstree.Measure(r.tree)}
	for b.Loop() {
		findLeftovers(a)
	}
	b.ReportMetric(float64(len(a.Findings)), "findings")
}
