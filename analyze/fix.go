package analyze

import (
	"errors"

	"github.com/stagescope/stagescope/analyze/dockerfile"
	"github.com/stagescope/stagescope/analyze/rewrite"
)

// ErrNothingToFix says the image has no leftovers a multi-stage build
// would drop, or no ecosystem was recognised.
var ErrNothingToFix = errors.New("nothing to rewrite: no leftovers a multi-stage build would drop, or no ecosystem recognised")

// Fix rewrites the user's Dockerfile f (stage target, "" for the last)
// into builder → runner with what the analysis learned. exists says
// whether an image reference can be pulled (the base's slim variant). It
// returns rewrite.ErrUnsupported for an ecosystem it has no rewrite for.
func Fix(a *Analysis, f *dockerfile.File, target string, exists func(string) bool) (*rewrite.Result, error) {
	sg := a.Suggestion
	if sg == nil {
		return nil, ErrNothingToFix
	}
	return rewrite.Rewrite(f, target, rewrite.Facts{
		Ecosystem: sg.Ecosystem, AppDir: sg.AppDir, Runtime: sg.Runtime,
		RuntimePackages: sg.RuntimePackages, Exists: exists,
	})
}
