package analyze

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/layers"
	"github.com/stagescope/stagescope/layers/layerstest"
)

// sharedRead is one shared image read with the analyzers' capture predicate.
type sharedRead struct {
	img   *layers.Image
	tree  *fstree.Tree
	files map[string][]byte
}

var (
	sharedMu    sync.Mutex
	sharedReads = map[string]*sharedRead{}
)

// readShared reads one of the shared real images with the analyzers'
// capture predicate, once per test binary, skipping when it has not been
// built or with -short.
func readShared(t testing.TB, name string) *sharedRead {
	t.Helper()
	if testing.Short() {
		t.Skip("reads a large real image")
	}
	p := layerstest.SharedImage(t, name)
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if r, ok := sharedReads[name]; ok {
		return r
	}
	img, err := tarball.ImageFromPath(p, nil)
	if err != nil {
		t.Fatalf("opening %s: %v", p, err)
	}
	li, err := layers.Read(context.Background(), img, layers.WithoutDigests(), layers.WithCapture(Capture, CaptureLimit))
	if err != nil {
		t.Fatalf("reading %s: %v", p, err)
	}
	tree := Run(li).Tree
	r := &sharedRead{img: li, tree: tree, files: VisibleFiles(li, tree)}
	sharedReads[name] = r
	return r
}

// layerMatching returns the index of the first layer whose created_by
// contains s, failing the test when there is none.
func layerMatching(t *testing.T, img *layers.Image, s string) int {
	t.Helper()
	for i, l := range img.Layers {
		if strings.Contains(l.CreatedBy, s) {
			return i
		}
	}
	t.Fatalf("no layer created by %q", s)
	return -1
}
