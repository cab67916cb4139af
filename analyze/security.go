package analyze

import (
	"github.com/stagescope/stagescope/analyze/fstree"
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
	r.Redact(img)
	return r
}
