package analyze

import (
	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/analyze/leftovers"
	"github.com/stagescope/stagescope/analyze/perms"
	"github.com/stagescope/stagescope/layers"
)

// CaptureLimit is the largest size cap of the files the analyzers read:
// pass it to layers.WithCapture together with Capture.
const CaptureLimit = leftovers.CaptureLimit

// Capture is the layers.WithCapture predicate of Run: every file an
// analyzer reads, as each declares next to its parser (leftovers.Capture,
// perms.Capture). Pass CaptureLimit as the size cap.
func Capture(p string, size int64) bool {
	return leftovers.Capture(p, size) || perms.Capture(p, size)
}

// VisibleFiles returns the captured contents of the files that exist in the
// final filesystem, keyed by cleaned path: for each path, the contents
// captured from the layer that holds its visible version. Files that a
// later layer deleted, overwrote with something not captured, or hid
// behind an opaque directory are left out.
func VisibleFiles(img *layers.Image, t *fstree.Tree) map[string][]byte {
	out := map[string][]byte{}
	for i := range img.Layers {
		for _, f := range img.Layers[i].Files {
			n := t.Lookup(f.Path)
			if n == nil || !n.Visible() {
				continue
			}
			v := n.Last()
			if int(v.Layer) != i || v.Type != layers.TypeRegular {
				continue
			}
			out[f.Path] = f.Data
		}
	}
	return out
}
