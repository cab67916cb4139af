package analyze

import (
	"bufio"
	"bytes"
	"strings"

	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/analyze/sbom"
)

// SBOMComponents lists the packages of the analysed image for a bill of
// materials: the dpkg and apk packages of the visible package databases and
// the npm packages of its node_modules trees, each with the layer that added
// it and whether a multi-stage build would drop it (BuildOnly for OS
// packages, dev dependencies for npm). Call it before the tree is dropped.
func SBOMComponents(a *Analysis) []sbom.Component {
	files := VisibleFiles(a.Image, a.Tree)
	distro, release := osRelease(files)
	var out []sbom.Component
	for _, p := range InstalledPackages(files) {
		c := sbom.Component{Type: "deb", Distro: distro, Release: release, Name: p.Name, Version: p.Version, Arch: p.Arch, Layer: -1}
		if p.Manager == ManagerApk {
			c.Type = "apk"
		}
		c.Why, c.BuildOnly = BuildOnly(p)
		for _, n := range OwnedFiles(a.Tree, p) {
			if l := firstLayer(n); c.Layer < 0 || l < c.Layer {
				c.Layer = l
			}
		}
		out = append(out, c)
	}
	for _, np := range NodePackages(files) {
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

// osRelease returns ID and VERSION_ID of the image's os-release.
func osRelease(files map[string][]byte) (id, version string) {
	b := files[osReleasePath]
	if b == nil {
		b = files[osReleaseUsrLib]
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			continue
		}
		v = strings.Trim(v, `"'`)
		switch k {
		case "ID":
			id = v
		case "VERSION_ID":
			version = v
		}
	}
	return id, version
}
