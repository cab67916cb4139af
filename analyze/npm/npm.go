// Package npm finds the packages installed in node_modules trees and tells
// the development dependencies from the rest, from the package.json files
// and lockfiles layers.Read captured. Capture declares the files it reads.
package npm

import (
	"encoding/json"
	"path"
	"slices"
	"strings"

	"github.com/stagescope/stagescope/analyze/pkgdb"
	"github.com/stagescope/stagescope/layers"
)

// Where NodePackages learned whether a package is a dev dependency.
const (
	// SourceHiddenLockfile is node_modules/.package-lock.json, npm's record
	// of what is really installed.
	SourceHiddenLockfile = "hidden-lockfile"
	// SourcePackageLock is the app's package-lock.json or
	// npm-shrinkwrap.json (lockfile v1, v2 or v3).
	SourcePackageLock = "package-lock"
	// SourcePackageJSON is the dependency graph of the package.json files,
	// resolved as Node resolves require().
	SourcePackageJSON = "package.json"
	// SourceOSPackage: the tree belongs to a dpkg or apk package (Debian
	// ships node modules in /usr/share/nodejs with bundled components);
	// npm did not install it and --omit=dev cannot drop any of it, so it
	// is reported as not dev.
	SourceOSPackage = "os-package"
	// SourceUnknown: the tree has no root package.json and no lockfile
	// lists the package; it is reported as not dev.
	SourceUnknown = "unknown"
)

// NodePackage is one package installed in a node_modules tree.
type NodePackage struct {
	Root    string // directory holding the tree's top node_modules, e.g. "app"
	Path    string // package directory, e.g. "app/node_modules/@types/node"
	Name    string // "@types/node"
	Version string
	Dev     bool // installed only for development (npm ci --omit=dev drops it)
	Source  string
	// OSPackage names the dpkg or apk package that owns the tree's root
	// package.json, when Source is SourceOSPackage.
	OSPackage string
}

// nodeManifest is the part of a package.json that NodePackages reads.
type nodeManifest struct {
	Name                 string         `json:"name"`
	Version              string         `json:"version"`
	Dependencies         map[string]any `json:"dependencies"`
	DevDependencies      map[string]any `json:"devDependencies"`
	OptionalDependencies map[string]any `json:"optionalDependencies"`
	PeerDependencies     map[string]any `json:"peerDependencies"`
}

// runtimeDeps are the names a package needs when it runs: npm installs
// dependencies, optional and (since npm 7) peer dependencies, never a
// dependency's devDependencies.
func (m *nodeManifest) runtimeDeps() []string {
	var out []string
	for _, deps := range []map[string]any{m.Dependencies, m.OptionalDependencies, m.PeerDependencies} {
		for n := range deps {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// lockfile is a package-lock.json, npm-shrinkwrap.json or hidden lockfile.
type lockfile struct {
	LockfileVersion int                      `json:"lockfileVersion"`
	Packages        map[string]lockPackage   `json:"packages"`
	Dependencies    map[string]lockPackageV1 `json:"dependencies"`
}

// lockPackage is an entry of the v2/v3 "packages" map, keyed by the path
// relative to the project ("node_modules/a/node_modules/b").
type lockPackage struct {
	Version string `json:"version"`
	Dev     bool   `json:"dev"`
	// DevOptional packages are needed by a dev dependency and by an
	// optional one: --omit=dev keeps them.
	DevOptional bool `json:"devOptional"`
	Optional    bool `json:"optional"`
	Link        bool `json:"link"`
}

// lockPackageV1 is an entry of the v1 "dependencies" tree.
type lockPackageV1 struct {
	Version      string                   `json:"version"`
	Dev          bool                     `json:"dev"`
	Optional     bool                     `json:"optional"`
	Dependencies map[string]lockPackageV1 `json:"dependencies"`
}

// parseLockfile returns, for each package path relative to the project
// ("node_modules/x"), whether the lockfile marks it dev-only; nil when the
// lockfile cannot be read.
func parseLockfile(b []byte) map[string]bool {
	if b == nil {
		return nil
	}
	var lf lockfile
	if err := json.Unmarshal(b, &lf); err != nil {
		return nil
	}
	out := map[string]bool{}
	if len(lf.Packages) > 0 {
		for p, e := range lf.Packages {
			if p == "" || e.Link {
				continue
			}
			out[layers.CleanPath(p)] = e.Dev
		}
		return out
	}
	var walk func(prefix string, deps map[string]lockPackageV1)
	walk = func(prefix string, deps map[string]lockPackageV1) {
		for name, e := range deps {
			p := path.Join(prefix, "node_modules", name)
			out[p] = e.Dev
			walk(p, e.Dependencies)
		}
	}
	walk("", lf.Dependencies)
	if len(out) == 0 {
		return nil
	}
	return out
}

// splitNodeModules splits the directory of a package.json inside a
// node_modules tree into the tree's root and the package name. It accepts
// only real package directories: root/node_modules/<name> or
// root/node_modules/@scope/<name>, repeated through nested node_modules,
// where root itself is not inside a node_modules tree. Package.json files
// deeper inside a package (test fixtures, sub-exports) are rejected.
func splitNodeModules(dir string) (root, name string, ok bool) {
	parts := strings.Split(dir, "/")
	first := slices.Index(parts, "node_modules")
	if first < 0 {
		return "", "", false
	}
	root = strings.Join(parts[:first], "/")
	i := first
	for i < len(parts) {
		if parts[i] != "node_modules" || i+1 >= len(parts) {
			return "", "", false
		}
		i++
		n := parts[i]
		if strings.HasPrefix(n, "@") {
			if i+1 >= len(parts) {
				return "", "", false
			}
			i++
			n += "/" + parts[i]
		}
		if n == "" || strings.HasPrefix(n, ".") {
			return "", "", false
		}
		name = n
		i++
	}
	return root, name, true
}

// insideNodeModules tells whether a path lies in a node_modules directory.
func insideNodeModules(p string) bool {
	return p == "node_modules" || strings.HasPrefix(p, "node_modules/") || strings.Contains(p, "/node_modules/") || strings.HasSuffix(p, "/node_modules")
}

// lockfiles reads the lockfiles of a project directory once each.
type lockfiles struct {
	get    func(string) []byte
	parsed map[string]map[string]bool // by lockfile path; nil when absent or unreadable
}

func (l *lockfiles) read(p string) map[string]bool {
	m, ok := l.parsed[p]
	if !ok {
		m = parseLockfile(l.get(p))
		l.parsed[p] = m
	}
	return m
}

// lookup finds the lockfile entry of the package in dir, a package of the
// tree rooted at root: the hidden lockfile, then package-lock.json, then
// npm-shrinkwrap.json of root, then the same of each directory above it (a
// workspace member's nested node_modules are listed in the lockfiles of
// the workspace root, as "packages/a/node_modules/x").
func (l *lockfiles) lookup(root, dir string) (dev bool, source string, ok bool) {
	for a := root; ; a = parentDir(a) {
		rel := strings.TrimPrefix(strings.TrimPrefix(dir, a), "/")
		if d, ok := l.read(path.Join(a, "node_modules/.package-lock.json"))[rel]; ok {
			return d, SourceHiddenLockfile, true
		}
		for _, name := range []string{"package-lock.json", "npm-shrinkwrap.json"} {
			if d, ok := l.read(path.Join(a, name))[rel]; ok {
				return d, SourcePackageLock, true
			}
		}
		if a == "" {
			return false, "", false
		}
	}
}

// parentDir returns the parent of a cleaned path, "" for a top-level one.
func parentDir(p string) string {
	d := path.Dir(p)
	if d == "." || d == "/" {
		return ""
	}
	return d
}

// osOwners maps the roots whose package.json an installed OS package owns
// to that package's name.
func osOwners(os []pkgdb.Package, roots map[string]bool) map[string]string {
	out := map[string]string{}
	if len(os) == 0 {
		return out
	}
	want := map[string]string{} // root package.json -> root
	for r := range roots {
		want[path.Join(r, "package.json")] = r
	}
	for _, p := range os {
		for _, f := range p.Files {
			if r, ok := want[f]; ok {
				out[r] = p.Name
			}
		}
	}
	return out
}

// NodePackages finds every node_modules tree among the captured files
// (keyed by cleaned path; see Capture) and tells for each installed
// package, known by its package.json, whether it is a dev dependency. It
// trusts, per package, the tree's hidden lockfile first, then the
// project's package-lock.json (or npm-shrinkwrap.json), then the
// package.json graph: dev when reachable from the root's devDependencies
// and not from its dependencies, optionalDependencies or
// peerDependencies, resolving each name as Node does (the package's own
// node_modules first, then walking up). Trees whose root package.json a
// dpkg or apk package owns (one of os, the installed OS packages) are OS
// packages, never dev. Results are sorted by path.
func NodePackages(files map[string][]byte, os []pkgdb.Package) []NodePackage {
	type installed struct {
		root, dir, name string
		m               *nodeManifest
	}
	pkgs := map[string]*installed{} // by package directory
	roots := map[string]bool{}
	for p, data := range files {
		p = layers.CleanPath(p)
		dir, base := path.Split(p)
		if base != "package.json" {
			continue
		}
		dir = strings.TrimSuffix(dir, "/")
		root, name, ok := splitNodeModules(dir)
		if !ok {
			continue
		}
		m := &nodeManifest{}
		if err := json.Unmarshal(data, m); err != nil {
			m = &nodeManifest{} // unreadable manifest: an installed package without known dependencies
		}
		pkgs[dir] = &installed{root: root, dir: dir, name: name, m: m}
		roots[root] = true
	}
	if len(pkgs) == 0 {
		return nil
	}
	get := func(p string) []byte {
		if b, ok := files[p]; ok {
			return b
		}
		return files["/"+p]
	}

	// resolve finds the package that require(name) loads from dir.
	resolve := func(dir, name string) *installed {
		d := dir
		for {
			if path.Base(d) != "node_modules" {
				if p, ok := pkgs[path.Join(d, "node_modules", name)]; ok {
					return p
				}
			}
			if d == "" {
				return nil
			}
			d = parentDir(d)
		}
	}
	reach := func(root string, names []string) map[string]bool {
		seen := map[string]bool{}
		var queue []*installed
		push := func(from, name string) {
			if p := resolve(from, name); p != nil && !seen[p.dir] {
				seen[p.dir] = true
				queue = append(queue, p)
			}
		}
		for _, n := range names {
			push(root, n)
		}
		for len(queue) > 0 {
			p := queue[0]
			queue = queue[1:]
			for _, n := range p.m.runtimeDeps() {
				push(p.dir, n)
			}
		}
		return seen
	}

	owners := osOwners(os, roots)
	locks := lockfiles{get: get, parsed: map[string]map[string]bool{}}
	var out []NodePackage
	for root := range roots {
		if owner, ok := owners[root]; ok {
			for _, p := range pkgs {
				if p.root == root {
					out = append(out, NodePackage{Root: root, Path: p.dir, Name: p.name, Version: p.m.Version, Source: SourceOSPackage, OSPackage: owner})
				}
			}
			continue
		}
		var prod, dev map[string]bool
		haveManifest := false
		if b := get(path.Join(root, "package.json")); b != nil {
			var rm nodeManifest
			if json.Unmarshal(b, &rm) == nil {
				haveManifest = true
				prod = reach(root, rm.runtimeDeps())
				devNames := make([]string, 0, len(rm.DevDependencies))
				for n := range rm.DevDependencies {
					devNames = append(devNames, n)
				}
				slices.Sort(devNames)
				dev = reach(root, devNames)
			}
		}
		for _, p := range pkgs {
			if p.root != root {
				continue
			}
			np := NodePackage{Root: root, Path: p.dir, Name: p.name, Version: p.m.Version}
			if d, src, ok := locks.lookup(root, p.dir); ok {
				np.Dev, np.Source = d, src
			} else if haveManifest {
				np.Dev, np.Source = dev[p.dir] && !prod[p.dir], SourcePackageJSON
			} else {
				np.Source = SourceUnknown
			}
			out = append(out, np)
		}
	}
	slices.SortFunc(out, func(a, b NodePackage) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// Size caps of the files Capture selects.
const (
	// Limit caps lockfiles.
	Limit = 8 << 20
	// manifestLimit caps package.json files.
	manifestLimit = 1 << 20
	// smallLimit caps .npmrc files.
	smallLimit = 64 << 10
)

// Capture is the layers.WithCapture predicate of NodePackages and of the
// .npmrc secret rule: package.json of projects and of installed packages,
// package-lock.json, npm-shrinkwrap.json, node_modules/.package-lock.json
// and .npmrc. p is cleaned (no leading "/"); pass Limit as the size cap.
func Capture(p string, size int64) bool {
	if size > Limit {
		return false
	}
	dir, base := path.Split(p)
	dir = strings.TrimSuffix(dir, "/")
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
