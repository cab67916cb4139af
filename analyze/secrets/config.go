package secrets

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/stagescope/stagescope/layers"
)

// ScanConfig searches the strings of the image config that builds leave
// secrets in: Env (NAME=value), Labels, Entrypoint, Cmd, and every history
// created_by (build-arg values and literals of RUN lines). A history entry
// that made a layer reports that layer; the rest report layer -1.
func ScanConfig(img *layers.Image) []Finding {
	var out []Finding
	search := func(where string, layer int, s string, lines bool) {
		searchAll([]byte(s), func(h hit) {
			line := 0
			if lines {
				line = h.line
			}
			out = append(out, newFinding(h.rule, where, layer, line, h.value))
		})
	}
	c := &img.Config
	for _, kv := range c.Env {
		name, _, _ := strings.Cut(kv, "=")
		search("config:Env/"+name, -1, kv, false)
	}
	for _, k := range slices.Sorted(maps.Keys(c.Labels)) {
		search("config:Labels/"+k, -1, k+"="+c.Labels[k], false)
	}
	search("config:Entrypoint", -1, strings.Join(c.Entrypoint, " "), false)
	search("config:Cmd", -1, strings.Join(c.Cmd, " "), false)
	layer := 0
	for i, h := range c.History {
		l := -1
		if !h.EmptyLayer {
			if layer < len(img.Layers) {
				l = layer
			}
			layer++
		}
		search(fmt.Sprintf("config:history/%d", i), l, h.CreatedBy, true)
	}
	for i := range out {
		out[i].StillShips = true // the config ships with the image
	}
	return out
}

// RedactText returns s with every secret the rules find in it redacted:
// for strings shown before the scan of the whole image is done (a layer's
// history while the layers are still being read).
func RedactText(s string) string {
	var pairs []string
	searchAll([]byte(s), func(h hit) { pairs = append(pairs, string(h.value), Redact(string(h.value))) })
	if len(pairs) == 0 {
		return s
	}
	return strings.NewReplacer(pairs...).Replace(s)
}
