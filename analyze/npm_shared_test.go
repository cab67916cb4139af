package analyze

import (
	"testing"

	"github.com/stagescope/stagescope/analyze/npm"

	"github.com/stagescope/stagescope/analyze/pkgdb"
)

// nodeByPath indexes npm.NodePackages' result.
func nodeByPath(pkgs []npm.NodePackage) map[string]npm.NodePackage {
	out := map[string]npm.NodePackage{}
	for _, p := range pkgs {
		out[p.Path] = p
	}
	return out
}

// webapp-naive ran `npm install` in /app: the hidden lockfile marks the
// devDependencies' trees; the package-lock.json and the package.json graph
// must agree with it on every installed package; Debian's own trees in
// /usr/share/nodejs belong to dpkg packages.
func TestSharedWebappNaiveNodePackages(t *testing.T) {
	r := readShared(t, "webapp-naive")
	pkgs := npm.NodePackages(r.files, pkgdb.Installed(r.files))
	byPath := nodeByPath(pkgs)
	for name, dev := range map[string]bool{
		"typescript": true, "jest": true, "eslint": true, "ts-node": true, "@esbuild/linux-x64": true,
		"@types/node": true, "express": false, "pino": false,
	} {
		p, ok := byPath["app/node_modules/"+name]
		if !ok {
			t.Errorf("app/node_modules/%s not found", name)
			continue
		}
		if p.Dev != dev || p.Source != npm.SourceHiddenLockfile || p.Root != "app" || p.Name != name {
			t.Errorf("%s = %+v, want Dev %v from %s in root app", name, p, dev, npm.SourceHiddenLockfile)
		}
	}
	var app, devs int
	for _, p := range pkgs {
		if p.Root == "app" {
			app++
			if p.Dev {
				devs++
			}
			continue
		}
		if p.Dev || p.Source != npm.SourceOSPackage || p.OSPackage == "" {
			t.Errorf("%s = %+v, want a tree of an OS package, not dev", p.Path, p)
		}
	}
	if app < 400 || devs < app/2 || devs == app {
		t.Errorf("app has %d packages, %d dev; want the ~450 of the webapp lockfile, mostly dev", app, devs)
	}

	// The same tree classified without the hidden lockfile, then without
	// any lockfile.
	files := map[string][]byte{}
	for k, v := range r.files {
		files[k] = v
	}
	delete(files, "app/node_modules/.package-lock.json")
	fromLock := nodeByPath(npm.NodePackages(files, pkgdb.Installed(files)))
	delete(files, "app/package-lock.json")
	fromGraph := nodeByPath(npm.NodePackages(files, pkgdb.Installed(files)))
	for _, p := range pkgs {
		if p.Root != "app" {
			continue
		}
		l, g := fromLock[p.Path], fromGraph[p.Path]
		if l.Source != npm.SourcePackageLock || g.Source != npm.SourcePackageJSON {
			t.Errorf("%s: sources %q, %q, want %q, %q", p.Path, l.Source, g.Source, npm.SourcePackageLock, npm.SourcePackageJSON)
		}
		if l.Dev != p.Dev || g.Dev != p.Dev {
			t.Errorf("%s: dev from hidden lockfile %v, package-lock %v, package.json graph %v; want all equal", p.Path, p.Dev, l.Dev, g.Dev)
		}
	}
}

// webapp-multi ran `npm ci --omit=dev`: production packages only.
func TestSharedWebappMultiNodePackages(t *testing.T) {
	r := readShared(t, "webapp-multi")
	pkgs := npm.NodePackages(r.files, pkgdb.Installed(r.files))
	byPath := nodeByPath(pkgs)
	for _, name := range []string{"express", "pino"} {
		if p, ok := byPath["app/node_modules/"+name]; !ok || p.Dev {
			t.Errorf("app/node_modules/%s = %+v, %v, want a prod package", name, p, ok)
		}
	}
	for _, p := range pkgs {
		if p.Dev {
			t.Errorf("%s is dev, want no dev package", p.Path)
		}
		if p.Root == "app" && p.Source != npm.SourceHiddenLockfile {
			t.Errorf("%s source %q, want %q", p.Path, p.Source, npm.SourceHiddenLockfile)
		}
	}
}
