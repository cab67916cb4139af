package analyze

import (
	"slices"
	"testing"

	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/analyze/npm"
	"github.com/stagescope/stagescope/analyze/pkgdb"
)

// packageNamed returns the installed package called name, failing the test
// when it is absent.
func packageNamed(t *testing.T, pkgs []pkgdb.Package, name string) pkgdb.Package {
	t.Helper()
	i := slices.IndexFunc(pkgs, func(p pkgdb.Package) bool { return p.Name == name })
	if i < 0 {
		t.Fatalf("package %s not installed", name)
	}
	return pkgs[i]
}

func ownedPaths(t *fstree.Tree, p pkgdb.Package) []string {
	var out []string
	for _, n := range pkgdb.OwnedFiles(t, p) {
		out = append(out, n.Path())
	}
	return out
}

// On capp-naive (Debian bookworm + apt-get install build-essential
// zlib1g-dev make) the compiler packages are build-only and own files from
// the install layer; the base system's packages are not build-only.
func TestSharedCappNaivePackages(t *testing.T) {
	r := readShared(t, "capp-naive")
	install := layerMatching(t, r.img, "apt-get install -y build-essential zlib1g-dev make")
	pkgs := pkgdb.Installed(r.files)
	if len(pkgs) < 150 {
		t.Fatalf("got %d installed packages, want the ~200 of debian bookworm plus build-essential", len(pkgs))
	}

	ownedBy := map[string]string{ // a file each build-only package must own
		"build-essential":           "usr/share/build-essential/essential-packages-list",
		"gcc-12":                    "usr/lib/gcc/x86_64-linux-gnu/12/collect2",
		"cpp-12":                    "usr/lib/gcc/x86_64-linux-gnu/12/cc1",
		"libc6-dev":                 "usr/include/stdio.h",
		"zlib1g-dev":                "usr/include/zlib.h",
		"make":                      "usr/bin/make",
		"g++-12":                    "usr/lib/gcc/x86_64-linux-gnu/12/cc1plus",
		"binutils-x86-64-linux-gnu": "usr/bin/x86_64-linux-gnu-ld.bfd",
	}
	for name, file := range ownedBy {
		p := packageNamed(t, pkgs, name)
		if _, ok := pkgdb.BuildOnly(p); !ok {
			t.Errorf("BuildOnly(%s) = false, want true", name)
		}
		if got := ownedPaths(r.tree, p); !slices.Contains(got, file) {
			t.Errorf("%s owns %d visible files, want %s among them", name, len(got), file)
		}
	}

	// Every build-only package came with the install layer; none is part
	// of the debian base.
	var buildBytes int64
	for _, p := range pkgs {
		why, ok := pkgdb.BuildOnly(p)
		if !ok {
			continue
		}
		nodes := pkgdb.OwnedFiles(r.tree, p)
		if len(nodes) == 0 {
			t.Errorf("build-only %s (%s) owns no visible file", p.Name, why)
		}
		for _, n := range nodes {
			if l := int(n.Last().Layer); l != install {
				t.Errorf("build-only %s owns %s from layer %d, want the install layer %d", p.Name, n.Path(), l, install)
			}
			buildBytes += n.Last().Size
		}
	}
	if buildBytes < 100<<20 {
		t.Errorf("build-only packages own %d bytes, want over 100 MiB (gcc-12 and g++-12 alone weigh more)", buildBytes)
	}
	if got := pkgdb.NeededBy(pkgs); len(got) != 0 {
		t.Errorf("NeededBy = %v, want no runtime package needing a build-only one", got)
	}

	for _, name := range []string{"libc6", "libstdc++6", "libgcc-s1", "gcc-12-base", "zlib1g", "tzdata", "perl-base", "dpkg"} {
		if why, ok := pkgdb.BuildOnly(packageNamed(t, pkgs, name)); ok {
			t.Errorf("BuildOnly(%s) = %q, true, want false", name, why)
		}
	}

	// libc6's list says lib/x86_64-linux-gnu/libc.so.6; the image has it
	// behind the merged-/usr symlink lib -> usr/lib.
	libc := packageNamed(t, pkgs, "libc6")
	if !slices.Contains(libc.Files, "lib/x86_64-linux-gnu/libc.so.6") {
		t.Fatalf("libc6 files do not list lib/x86_64-linux-gnu/libc.so.6")
	}
	if got := ownedPaths(r.tree, libc); !slices.Contains(got, "usr/lib/x86_64-linux-gnu/libc.so.6") {
		t.Errorf("libc6 owns %d visible files, want usr/lib/x86_64-linux-gnu/libc.so.6 among them", len(got))
	}
}

// capp-multi ships the binary on debian bookworm-slim: no build-only
// package at all.
func TestSharedCappMultiPackages(t *testing.T) {
	r := readShared(t, "capp-multi")
	pkgs := pkgdb.Installed(r.files)
	if len(pkgs) < 50 {
		t.Fatalf("got %d installed packages, want debian bookworm-slim's", len(pkgs))
	}
	for _, p := range pkgs {
		if why, ok := pkgdb.BuildOnly(p); ok {
			t.Errorf("BuildOnly(%s) = %q, true, want false", p.Name, why)
		}
	}
}

// webapp-multi's runtime base is Debian's node:18, whose npm depends on
// node-gyp and, through it, on -dev packages: build-only, but npm needs
// them.
func TestSharedWebappMultiPackages(t *testing.T) {
	r := readShared(t, "webapp-multi")
	pkgs := pkgdb.Installed(r.files)
	needed := pkgdb.NeededBy(pkgs)
	var build []string
	for _, p := range pkgs {
		if _, ok := pkgdb.BuildOnly(p); ok {
			build = append(build, p.Name)
			if !slices.Contains(needed[p.Name], "npm") {
				t.Errorf("NeededBy[%s] = %v, want npm among them", p.Name, needed[p.Name])
			}
		}
	}
	if !slices.Contains(build, "node-gyp") || !slices.Contains(build, "libnode-dev") {
		t.Errorf("build-only packages %v, want node-gyp and libnode-dev among them", build)
	}
}

// BenchmarkAnalyzers measures the package and npm analyzers over
// webapp-naive's captured files (575 dpkg packages, ~500 node packages),
// the reading excluded.
func BenchmarkAnalyzers(b *testing.B) {
	r := readShared(b, "webapp-naive")
	for b.Loop() {
		files := VisibleFiles(r.img, r.tree)
		pkgs := pkgdb.Installed(files)
		for _, p := range pkgs {
			pkgdb.OwnedFiles(r.tree, p)
		}
		pkgdb.NeededBy(pkgs)
		npm.NodePackages(files, pkgdb.Installed(files))
	}
}
