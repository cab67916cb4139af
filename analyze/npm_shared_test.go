package analyze

import (
	"testing"
)

// nodeByPath indexes NodePackages' result.
func nodeByPath(pkgs []NodePackage) map[string]NodePackage {
	out := map[string]NodePackage{}
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
	pkgs := NodePackages(r.files)
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
		if p.Dev != dev || p.Source != SourceHiddenLockfile || p.Root != "app" || p.Name != name {
			t.Errorf("%s = %+v, want Dev %v from %s in root app", name, p, dev, SourceHiddenLockfile)
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
		if p.Dev || p.Source != SourceOSPackage || p.OSPackage == "" {
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
	fromLock := nodeByPath(NodePackages(files))
	delete(files, "app/package-lock.json")
	fromGraph := nodeByPath(NodePackages(files))
	for _, p := range pkgs {
		if p.Root != "app" {
			continue
		}
		l, g := fromLock[p.Path], fromGraph[p.Path]
		if l.Source != SourcePackageLock || g.Source != SourcePackageJSON {
			t.Errorf("%s: sources %q, %q, want %q, %q", p.Path, l.Source, g.Source, SourcePackageLock, SourcePackageJSON)
		}
		if l.Dev != p.Dev || g.Dev != p.Dev {
			t.Errorf("%s: dev from hidden lockfile %v, package-lock %v, package.json graph %v; want all equal", p.Path, p.Dev, l.Dev, g.Dev)
		}
	}
}

// webapp-multi ran `npm ci --omit=dev`: production packages only.
func TestSharedWebappMultiNodePackages(t *testing.T) {
	r := readShared(t, "webapp-multi")
	pkgs := NodePackages(r.files)
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
		if p.Root == "app" && p.Source != SourceHiddenLockfile {
			t.Errorf("%s source %q, want %q", p.Path, p.Source, SourceHiddenLockfile)
		}
	}
}
