package npm

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stagescope/stagescope/analyze/pkgdb"
)

// manifest returns a package.json of an installed package.
func manifest(name, version string, deps ...string) []byte {
	s := fmt.Sprintf(`{"name": %q, "version": %q`, name, version)
	if len(deps) > 0 {
		s += `, "dependencies": {`
		for i, d := range deps {
			if i > 0 {
				s += ", "
			}
			s += fmt.Sprintf("%q: \"*\"", d)
		}
		s += "}"
	}
	return []byte(s + "}\n")
}

// appManifest is the root package.json of the test app.
const appManifest = `{
  "name": "shop",
  "version": "1.0.0",
  "private": true,
  "scripts": {"build": "tsc", "test": "jest"},
  "dependencies": {"express": "^4.21.2"},
  "optionalDependencies": {"fsevents": "^2.3.3"},
  "devDependencies": {"typescript": "^5.7.0", "@types/node": "^18.19.0", "jest": "^29.7.0"}
}
`

// installedTree is what `npm install` leaves in app/node_modules for
// appManifest: express and its nested debug@2 are production, jest pulls
// in debug@4 at the top, ms is shared by both debug versions.
func installedTree() map[string][]byte {
	return map[string][]byte{
		"app/package.json":                                         []byte(appManifest),
		"app/node_modules/express/package.json":                    manifest("express", "4.21.2", "debug", "ms"),
		"app/node_modules/express/node_modules/debug/package.json": manifest("debug", "2.6.9", "ms"),
		"app/node_modules/ms/package.json":                         manifest("ms", "2.1.3"),
		"app/node_modules/debug/package.json":                      manifest("debug", "4.4.0", "ms"),
		"app/node_modules/jest/package.json":                       manifest("jest", "29.7.0", "debug", "@jest/core"),
		"app/node_modules/@jest/core/package.json":                 manifest("@jest/core", "29.7.0"),
		"app/node_modules/typescript/package.json":                 manifest("typescript", "5.7.3"),
		"app/node_modules/@types/node/package.json":                manifest("@types/node", "18.19.70"),
		// files inside packages that are not installed packages
		"app/node_modules/typescript/lib/package.json":                     []byte(`{"name":"not-a-package"}`),
		"app/node_modules/ms/test/fixtures/node_modules/fake/package.json": manifest("fake", "0.0.0"),
		"app/node_modules/@types/package.json":                             manifest("@types", "0.0.0"),
	}
}

// hiddenLockfile is node_modules/.package-lock.json for installedTree.
const hiddenLockfile = `{
  "name": "shop",
  "version": "1.0.0",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "node_modules/@jest/core": {"version": "29.7.0", "dev": true},
    "node_modules/@types/node": {"version": "18.19.70", "dev": true, "license": "MIT"},
    "node_modules/debug": {"version": "4.4.0", "dev": true},
    "node_modules/express": {"version": "4.21.2"},
    "node_modules/express/node_modules/debug": {"version": "2.6.9"},
    "node_modules/jest": {"version": "29.7.0", "dev": true},
    "node_modules/ms": {"version": "2.1.3"},
    "node_modules/typescript": {"version": "5.7.3", "dev": true, "bin": {"tsc": "bin/tsc"}}
  }
}
`

// wantTree is the classification of installedTree; source says where it
// comes from.
func wantTree(source string) []NodePackage {
	p := func(path, name, version string, dev bool) NodePackage {
		return NodePackage{Root: "app", Path: "app/node_modules/" + path, Name: name, Version: version, Dev: dev, Source: source}
	}
	return []NodePackage{
		p("@jest/core", "@jest/core", "29.7.0", true),
		p("@types/node", "@types/node", "18.19.70", true),
		p("debug", "debug", "4.4.0", true),
		p("express", "express", "4.21.2", false),
		p("express/node_modules/debug", "debug", "2.6.9", false),
		p("jest", "jest", "29.7.0", true),
		p("ms", "ms", "2.1.3", false),
		p("typescript", "typescript", "5.7.3", true),
	}
}

func TestNodePackages(t *testing.T) {
	with := func(extra map[string]string) map[string][]byte {
		files := installedTree()
		for k, v := range extra {
			files[k] = []byte(v)
		}
		return files
	}
	tests := []struct {
		name  string
		files map[string][]byte
		want  []NodePackage
	}{
		{name: "package.json graph", files: with(nil), want: wantTree(SourcePackageJSON)},
		{
			name:  "hidden lockfile",
			files: with(map[string]string{"app/node_modules/.package-lock.json": hiddenLockfile}),
			want:  wantTree(SourceHiddenLockfile),
		},
		{
			name:  "package-lock v3",
			files: with(map[string]string{"app/package-lock.json": hiddenLockfile}),
			want:  wantTree(SourcePackageLock),
		},
		{
			// npm 7-8 writes both maps; the packages map wins.
			name: "package-lock v2",
			files: with(map[string]string{"app/package-lock.json": `{
  "name": "shop", "lockfileVersion": 2, "requires": true,
  "packages": {
    "": {"name": "shop", "dependencies": {"express": "^4.21.2"}},
    "node_modules/@jest/core": {"version": "29.7.0", "dev": true},
    "node_modules/@types/node": {"version": "18.19.70", "dev": true},
    "node_modules/debug": {"version": "4.4.0", "dev": true},
    "node_modules/express": {"version": "4.21.2"},
    "node_modules/express/node_modules/debug": {"version": "2.6.9"},
    "node_modules/jest": {"version": "29.7.0", "dev": true},
    "node_modules/ms": {"version": "2.1.3"},
    "node_modules/typescript": {"version": "5.7.3", "dev": true}
  },
  "dependencies": {
    "express": {"version": "4.21.2", "dev": true},
    "typescript": {"version": "5.7.3"}
  }
}`}),
			want: wantTree(SourcePackageLock),
		},
		{
			name: "package-lock v1",
			files: with(map[string]string{"app/package-lock.json": `{
  "name": "shop", "version": "1.0.0", "lockfileVersion": 1, "requires": true,
  "dependencies": {
    "@jest/core": {"version": "29.7.0", "dev": true},
    "@types/node": {"version": "18.19.70", "dev": true},
    "debug": {"version": "4.4.0", "dev": true, "requires": {"ms": "2.1.3"}},
    "express": {"version": "4.21.2", "requires": {"debug": "2.6.9"},
      "dependencies": {"debug": {"version": "2.6.9", "requires": {"ms": "2.0.0"}}}},
    "jest": {"version": "29.7.0", "dev": true},
    "ms": {"version": "2.1.3"},
    "typescript": {"version": "5.7.3", "dev": true}
  }
}`}),
			want: wantTree(SourcePackageLock),
		},
		{
			// the hidden lockfile is trusted over the project lockfile,
			// and a package neither lists falls back to package.json.
			name: "hidden lockfile first, then package.json",
			files: with(map[string]string{
				"app/node_modules/.package-lock.json": `{"lockfileVersion": 3, "packages": {
  "node_modules/typescript": {"version": "5.7.3", "dev": true},
  "node_modules/express": {"version": "4.21.2"}}}`,
				"app/package-lock.json": `{"lockfileVersion": 3, "packages": {
  "node_modules/typescript": {"version": "5.7.3"},
  "node_modules/jest": {"version": "29.7.0", "dev": true}}}`,
			}),
			want: func() []NodePackage {
				w := wantTree(SourcePackageJSON)
				for i := range w {
					switch w[i].Name {
					case "typescript", "express":
						w[i].Source = SourceHiddenLockfile
					case "jest":
						w[i].Source = SourcePackageLock
					}
				}
				return w
			}(),
		},
		{
			name: "devOptional and optional are kept by --omit=dev",
			files: map[string][]byte{
				"srv/node_modules/.package-lock.json": []byte(`{"lockfileVersion": 3, "packages": {
  "node_modules/fsevents": {"version": "2.3.3", "optional": true},
  "node_modules/nan": {"version": "2.22.0", "devOptional": true},
  "node_modules/@esbuild/linux-x64": {"version": "0.25.0", "dev": true, "optional": true}}}`),
				"srv/node_modules/fsevents/package.json":           manifest("fsevents", "2.3.3"),
				"srv/node_modules/nan/package.json":                manifest("nan", "2.22.0"),
				"srv/node_modules/@esbuild/linux-x64/package.json": manifest("@esbuild/linux-x64", "0.25.0"),
			},
			want: []NodePackage{
				{Root: "srv", Path: "srv/node_modules/@esbuild/linux-x64", Name: "@esbuild/linux-x64", Version: "0.25.0", Dev: true, Source: SourceHiddenLockfile},
				{Root: "srv", Path: "srv/node_modules/fsevents", Name: "fsevents", Version: "2.3.3", Source: SourceHiddenLockfile},
				{Root: "srv", Path: "srv/node_modules/nan", Name: "nan", Version: "2.22.0", Source: SourceHiddenLockfile},
			},
		},
		{
			// peer dependencies are installed by npm 7+ and needed at run
			// time; a dev package that is also a peer of a prod one is prod.
			name: "several roots, peers, a tree at the image root and one without manifest",
			files: map[string][]byte{
				"package.json":                                []byte(`{"dependencies": {"react-dom": "^18"}, "devDependencies": {"react": "^18", "vite": "^5"}}`),
				"node_modules/react-dom/package.json":         []byte(`{"name": "react-dom", "version": "18.3.1", "peerDependencies": {"react": "^18"}}`),
				"node_modules/react/package.json":             manifest("react", "18.3.1"),
				"node_modules/vite/package.json":              manifest("vite", "5.4.0", "rollup"),
				"node_modules/rollup/package.json":            manifest("rollup", "4.0.0"),
				"opt/api/package.json":                        []byte(`{"devDependencies": {"eslint": "^9"}}`),
				"opt/api/node_modules/eslint/package.json":    manifest("eslint", "9.17.0"),
				"usr/local/lib/node_modules/npm/package.json": manifest("npm", "10.8.2"),
			},
			want: []NodePackage{
				{Root: "", Path: "node_modules/react", Name: "react", Version: "18.3.1", Source: SourcePackageJSON},
				{Root: "", Path: "node_modules/react-dom", Name: "react-dom", Version: "18.3.1", Source: SourcePackageJSON},
				{Root: "", Path: "node_modules/rollup", Name: "rollup", Version: "4.0.0", Dev: true, Source: SourcePackageJSON},
				{Root: "", Path: "node_modules/vite", Name: "vite", Version: "5.4.0", Dev: true, Source: SourcePackageJSON},
				{Root: "opt/api", Path: "opt/api/node_modules/eslint", Name: "eslint", Version: "9.17.0", Dev: true, Source: SourcePackageJSON},
				{Root: "usr/local/lib", Path: "usr/local/lib/node_modules/npm", Name: "npm", Version: "10.8.2", Source: SourceUnknown},
			},
		},
		{
			name: "unreadable files",
			files: map[string][]byte{
				"app/package.json":                     []byte(`{"devDependencies": {"jest": "^29"}}`),
				"app/package-lock.json":                []byte(`{"lockfileVersion": 3, "packages": {`),
				"app/node_modules/.package-lock.json":  []byte("\x00\x01"),
				"app/node_modules/jest/package.json":   manifest("jest", "29.7.0"),
				"app/node_modules/broken/package.json": []byte(`{"name": "broken", "version": `),
			},
			want: []NodePackage{
				{Root: "app", Path: "app/node_modules/broken", Name: "broken", Source: SourcePackageJSON},
				{Root: "app", Path: "app/node_modules/jest", Name: "jest", Version: "29.7.0", Dev: true, Source: SourcePackageJSON},
			},
		},
		{
			// Debian's node-cliui bundles its devDependency gts; npm did
			// not install that tree, so nothing in it is a dev leftover.
			name: "tree owned by a dpkg package",
			files: map[string][]byte{
				"var/lib/dpkg/status": []byte("Package: node-cliui\nStatus: install ok installed\nArchitecture: all\nVersion: 7.0.4+repack+~cs3.1.0-4\n"),
				"var/lib/dpkg/info/node-cliui.list": []byte("/.\n/usr/share/nodejs/cliui\n/usr/share/nodejs/cliui/package.json\n" +
					"/usr/share/nodejs/cliui/node_modules/gts/package.json\n"),
				"usr/share/nodejs/cliui/package.json":                  []byte(`{"name": "cliui", "devDependencies": {"gts": "^3"}}`),
				"usr/share/nodejs/cliui/node_modules/gts/package.json": manifest("gts", "3.1.0"),
				"app/package.json":                                     []byte(`{"devDependencies": {"gts": "^3"}}`),
				"app/node_modules/gts/package.json":                    manifest("gts", "3.1.0"),
			},
			want: []NodePackage{
				{Root: "app", Path: "app/node_modules/gts", Name: "gts", Version: "3.1.0", Dev: true, Source: SourcePackageJSON},
				{Root: "usr/share/nodejs/cliui", Path: "usr/share/nodejs/cliui/node_modules/gts", Name: "gts", Version: "3.1.0", Source: SourceOSPackage, OSPackage: "node-cliui"},
			},
		},
		{
			// npm workspaces: a member's own node_modules are listed in the
			// workspace root's lockfile; the member's link is skipped.
			name: "workspace member",
			files: map[string][]byte{
				"app/package.json": []byte(`{"workspaces": ["packages/*"], "devDependencies": {"jest": "^29"}}`),
				"app/package-lock.json": []byte(`{"lockfileVersion": 3, "packages": {
  "": {"workspaces": ["packages/*"]},
  "node_modules/api": {"resolved": "packages/api", "link": true},
  "node_modules/jest": {"version": "29.7.0", "dev": true},
  "packages/api": {"version": "1.0.0"},
  "packages/api/node_modules/express": {"version": "4.21.2"},
  "packages/api/node_modules/supertest": {"version": "7.0.0", "dev": true}}}`),
				"app/node_modules/jest/package.json":                   manifest("jest", "29.7.0"),
				"app/packages/api/package.json":                        []byte(`{"name": "api", "dependencies": {"express": "^4"}, "devDependencies": {"supertest": "^7"}}`),
				"app/packages/api/node_modules/express/package.json":   manifest("express", "4.21.2"),
				"app/packages/api/node_modules/supertest/package.json": manifest("supertest", "7.0.0"),
				"app/packages/api/node_modules/chalk/package.json":     manifest("chalk", "5.3.0"),
			},
			want: []NodePackage{
				{Root: "app", Path: "app/node_modules/jest", Name: "jest", Version: "29.7.0", Dev: true, Source: SourcePackageLock},
				{Root: "app/packages/api", Path: "app/packages/api/node_modules/chalk", Name: "chalk", Version: "5.3.0", Source: SourcePackageJSON},
				{Root: "app/packages/api", Path: "app/packages/api/node_modules/express", Name: "express", Version: "4.21.2", Source: SourcePackageLock},
				{Root: "app/packages/api", Path: "app/packages/api/node_modules/supertest", Name: "supertest", Version: "7.0.0", Dev: true, Source: SourcePackageLock},
			},
		},
		{name: "no node_modules", files: map[string][]byte{"app/package.json": []byte(appManifest)}, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NodePackages(tt.files, pkgdb.Installed(tt.files))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("NodePackages (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSplitNodeModules(t *testing.T) {
	tests := []struct {
		dir, root, name string
		ok              bool
	}{
		{"app/node_modules/express", "app", "express", true},
		{"node_modules/express", "", "express", true},
		{"app/node_modules/@types/node", "app", "@types/node", true},
		{"app/node_modules/a/node_modules/@s/b", "app", "@s/b", true},
		{"app/node_modules/a/node_modules/b/node_modules/c", "app", "c", true},
		{"app/node_modules/@types", "", "", false},
		{"app/node_modules/a/lib", "", "", false},
		{"app/node_modules/a/test/node_modules/b", "", "", false},
		{"app/node_modules/.bin", "", "", false},
		{"app/node_modules", "", "", false},
		{"app/src", "", "", false},
	}
	for _, tt := range tests {
		root, name, ok := splitNodeModules(tt.dir)
		if root != tt.root || name != tt.name || ok != tt.ok {
			t.Errorf("splitNodeModules(%q) = %q, %q, %v, want %q, %q, %v", tt.dir, root, name, ok, tt.root, tt.name, tt.ok)
		}
	}
}
