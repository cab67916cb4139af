package analyze

import "github.com/stagescope/stagescope/layers"

// Analysis is everything stagescope learns about one image.
type Analysis struct {
	Image   *layers.Image
	Tree    *Tree
	Metrics *Metrics
	Dive    DiveMetrics
	// Findings are the leftovers found, largest first.
	Findings []Finding
}

// Run merges the image's layers and measures the result.
func Run(img *layers.Image) *Analysis {
	b := NewBuilder()
	for i := range img.Layers {
		b.Add(img.Layers[i].Entries)
	}
	t := b.Finish()
	m := Measure(t)
	for i := range img.Layers {
		m.LayerBytes += img.Layers[i].Size
	}
	return &Analysis{Image: img, Tree: t, Metrics: m, Dive: b.dive.metrics()}
}
