package analyze

import (
	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/analyze/pkgdb"
	"github.com/stagescope/stagescope/analyze/sbom"
)

// SBOMComponents lists the packages of the analysed image for a bill of
// materials: the dpkg and apk packages of the visible package databases and
// the npm packages of its node_modules trees, each with the layer that added
// it and whether a multi-stage build would drop it (BuildOnly for OS
// packages, dev dependencies for npm). Call it before the tree is dropped.
func SBOMComponents(a *Analysis) []sbom.Component {
	var out []sbom.Component
	for _, p := range a.Packages {
		c := sbom.Component{Type: "deb", Distro: a.Distro, Release: a.Release, Name: p.Name, Version: p.Version, Arch: p.Arch, Layer: -1}
		if p.Manager == pkgdb.ManagerApk {
			c.Type = "apk"
		}
		c.Why, c.BuildOnly = pkgdb.BuildOnly(p)
		for _, n := range pkgdb.OwnedFiles(a.Tree, p) {
			if l := firstLayer(n); c.Layer < 0 || l < c.Layer {
				c.Layer = l
			}
		}
		out = append(out, c)
	}
	for _, np := range a.NodePackages {
		c := sbom.Component{Type: "npm", Name: np.Name, Version: np.Version, Path: np.Path, Layer: -1, BuildOnly: np.Dev}
		if np.Dev {
			c.Why = "an npm devDependency: npm ci --omit=dev leaves it out"
		}
		if n := a.Tree.Lookup(np.Path + "/package.json"); n != nil {
			c.Layer = firstLayer(n)
		}
		out = append(out, c)
	}
	return out
}

// firstLayer is the layer of a node's oldest version.
func firstLayer(n *fstree.Node) int {
	if vs := n.Versions(); len(vs) > 0 {
		return int(vs[0].Layer)
	}
	return -1
}
