package analyze

import (
	"strings"

	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/analyze/perms"
	"github.com/stagescope/stagescope/analyze/rules"
	"github.com/stagescope/stagescope/analyze/secrets"
	"github.com/stagescope/stagescope/layers"
)

// WithSecretAllowlist accepts known secrets (by fingerprint or path glob):
// they move from the findings to the suppressed ones.
func WithSecretAllowlist(a secrets.Allowlist) Option {
	return func(o *options) { o.secretAllow = a }
}

// FindSecrets gathers the secrets found in img's layers (when Read ran
// with secrets.NewLayerScanner) and config, applies the allowlist, and
// redacts every value found from the strings of img that reports print.
func FindSecrets(img *layers.Image, t *fstree.Tree, allow secrets.Allowlist) *secrets.Result {
	r := secrets.Collect(img, func(p string, layer int) bool {
		n := t.Lookup(p)
		if n == nil {
			return false
		}
		for _, v := range n.Versions() {
			if int(v.Layer) == layer {
				return !v.Deleted && v.HiddenBy < 0
			}
		}
		return false
	})
	r.Allow(allow)
	r.SetAside(func(p string) bool { return rules.NotProject(strings.Split(strings.TrimPrefix(p, "/"), "/")) })
	r.Redact(img)
	return r
}

// CheckPermissions finds the permission and user problems of the merged
// tree t of img (see perms.Check): files are the visible captured files
// (VisibleFiles), owners were recorded while merging.
func CheckPermissions(img *layers.Image, t *fstree.Tree, visible map[string][]byte, owners *perms.Owners) []perms.Finding {
	files := map[string][]byte{}
	for p, b := range visible {
		if perms.Capture(p, int64(len(b))) {
			files[p] = b
		}
	}
	return perms.Check(img, t, files, owners)
}
