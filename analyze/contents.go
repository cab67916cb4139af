package analyze

import (
	"path"
	"strings"

	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/layers"
)

// Size caps of the files the analyzers read. CaptureLimit is the largest of
// them: pass it to layers.WithCapture together with CaptureContents.
const (
	// CaptureLimit caps package databases and lockfiles (a Debian status
	// file with a thousand packages is about 2 MiB).
	CaptureLimit = 8 << 20
	// manifestLimit caps package.json files.
	manifestLimit = 1 << 20
	// smallLimit caps .npmrc and os-release.
	smallLimit = 64 << 10
)

// CaptureContents is the layers.WithCapture predicate of the analyzers: it
// selects the package databases (dpkg status, info/*.list, status.d, apk
// installed), apt's extended_states and apk's world, os-release, and the
// npm files NodePackages reads (package.json of projects and of installed
// packages, package-lock.json, npm-shrinkwrap.json,
// node_modules/.package-lock.json) plus .npmrc files. p is cleaned (no
// leading "/").
func CaptureContents(p string, size int64) bool {
	if size > CaptureLimit {
		return false
	}
	dir, base := path.Split(p)
	dir = strings.TrimSuffix(dir, "/")
	switch p {
	case dpkgStatusPath, apkInstalledDB:
		return true
	case osReleasePath, osReleaseUsrLib:
		return size <= smallLimit
	}
	switch dir {
	case dpkgInfoDir:
		return strings.HasSuffix(base, ".list")
	case dpkgStatusDDir:
		return true
	}
	switch base {
	case "package.json":
		if size > manifestLimit {
			return false
		}
		if !insideNodeModules(dir) {
			return true // a project's own manifest (or any outside node_modules)
		}
		_, _, ok := splitNodeModules(dir)
		return ok
	case "package-lock.json", "npm-shrinkwrap.json":
		return !insideNodeModules(dir)
	case ".package-lock.json":
		if path.Base(dir) != "node_modules" {
			return false
		}
		return !insideNodeModules(path.Dir(dir))
	case ".npmrc":
		return size <= smallLimit && !insideNodeModules(dir)
	}
	return false
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
