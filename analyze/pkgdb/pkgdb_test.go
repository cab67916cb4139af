package pkgdb

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// dpkgStatus is a Debian bookworm status file cut down to a few stanzas,
// with the shapes that matter: a Multi-Arch: same library with conffiles,
// an Architecture: all package, a held package, a removed package that
// kept its conffiles, a half-installed one, and a Description whose
// continuation lines look like fields.
const dpkgStatus = `Package: libc6
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 13001
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u14
Replaces: libc6-amd64
Depends: libgcc-s1
Recommends: libidn2-0 (>= 2.0.5~)
Suggests: glibc-doc, debconf | debconf-2.0, libc-l10n, locales
Conffiles:
 /etc/ld.so.conf.d/x86_64-linux-gnu.conf d4e7a7b88a71b5ffd9e2644e71a0cfab
Description: GNU C Library: Shared libraries
 Contains the standard libraries that are used by nearly all programs on
 the system.
Homepage: https://www.gnu.org/software/libc/libc.html

Package: make
Status: install ok installed
Priority: optional
Section: devel
Installed-Size: 1592
Maintainer: Manoj Srivastava <srivasta@debian.org>
Architecture: amd64
Multi-Arch: allowed
Source: make-dfsg
Version: 4.3-4.1
Depends: libc6 (>= 2.34)
Suggests: make-doc
Description: utility for directing compilation
 GNU Make is a utility which controls the generation of executables
 Package: not-a-package
 Status: install ok installed

Package: ca-certificates
Status: hold ok installed
Priority: optional
Section: misc
Architecture: all
Multi-Arch: foreign
Version: 20230311
Depends: openssl (>= 1.1.1), debconf (>= 0.5) | debconf-2.0
Provides: ca-certificates-bundle
Conffiles:
 /etc/ca-certificates.conf newconffile
 /etc/ca-certificates.conf.dpkg-old 6f3e0fd8bbd9fa7c1dd8a0fd10ca7bd9 obsolete
Description: Common CA certificates

Package: dash
Essential: yes
Status: install ok installed
Priority: required
Section: shells
Installed-Size: 195
Architecture: amd64
Multi-Arch: foreign
Version: 0.5.12-2
Pre-Depends: libc6 (>= 2.34), debianutils (>= 5.6-0.1)
Description: POSIX-compliant shell

Package: oldpkg
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0-1
Conffiles:
 /etc/oldpkg.conf 0123456789abcdef0123456789abcdef

Package: halfpkg
Status: install reinstreq half-installed
Architecture: amd64
Version: 2.0-1
`

var dpkgFiles = map[string][]byte{
	"var/lib/dpkg/info/libc6:amd64.list": []byte("/.\n/etc\n/etc/ld.so.conf.d\n/etc/ld.so.conf.d/x86_64-linux-gnu.conf\n/lib/x86_64-linux-gnu/libc.so.6\n/usr/lib/x86_64-linux-gnu/gconv/gconv-modules\n"),
	"var/lib/dpkg/info/make.list":        []byte("/.\n/usr\n/usr/bin\n/usr/bin/make\n/usr/include/gnumake.h\n"),
	"var/lib/dpkg/info/ca-certificates.list": []byte("/.\n/usr/sbin/update-ca-certificates\n" +
		"/usr/share/ca-certificates/mozilla/ACCVRAIZ1.crt\n"),
	"var/lib/dpkg/info/oldpkg.list":          []byte("/.\n/etc/oldpkg.conf\n"),
	"var/lib/dpkg/info/halfpkg:amd64.list":   []byte("/.\n/usr/bin/half\n"),
	"var/lib/dpkg/info/make.md5sums":         []byte("0123456789abcdef0123456789abcdef  usr/bin/make\n"),
	"var/lib/dpkg/info/libc6:amd64.triggers": []byte("activate-noawait ldconfig\n"),
}

func TestParseDpkg(t *testing.T) {
	got := ParseDpkg([]byte(dpkgStatus), dpkgFiles)
	want := []Package{
		{
			Manager: ManagerDpkg, Name: "ca-certificates", Version: "20230311", Arch: "all",
			Depends:  []string{"debconf", "debconf-2.0", "openssl"},
			Provides: []string{"ca-certificates-bundle"},
			Files: []string{
				"etc/ca-certificates.conf", "etc/ca-certificates.conf.dpkg-old",
				"usr/sbin/update-ca-certificates", "usr/share/ca-certificates/mozilla/ACCVRAIZ1.crt",
			},
		},
		{
			Manager: ManagerDpkg, Name: "dash", Version: "0.5.12-2", Arch: "amd64",
			Depends: []string{"debianutils", "libc6"},
		},
		{
			Manager: ManagerDpkg, Name: "libc6", Version: "2.36-9+deb12u14", Arch: "amd64",
			Depends: []string{"libgcc-s1"},
			Files: []string{
				"etc", "etc/ld.so.conf.d", "etc/ld.so.conf.d/x86_64-linux-gnu.conf",
				"lib/x86_64-linux-gnu/libc.so.6", "usr/lib/x86_64-linux-gnu/gconv/gconv-modules",
			},
		},
		{
			Manager: ManagerDpkg, Name: "make", Version: "4.3-4.1", Arch: "amd64",
			Depends: []string{"libc6"},
			Files:   []string{"usr", "usr/bin", "usr/bin/make", "usr/include/gnumake.h"},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseDpkg (-want +got):\n%s", diff)
	}
}

func TestParseDpkgEdgeCases(t *testing.T) {
	tests := []struct {
		name   string
		status string
		files  map[string][]byte
		want   []Package
	}{
		{name: "empty", want: nil},
		{
			name:   "missing list gives no files",
			status: "Package: tzdata\nStatus: install ok installed\nArchitecture: all\nVersion: 2024a-0+deb12u1\n",
			want:   []Package{{Manager: ManagerDpkg, Name: "tzdata", Version: "2024a-0+deb12u1", Arch: "all"}},
		},
		{
			// multiarch: one name, two architectures, a list each
			name: "multiarch pair",
			status: "Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nMulti-Arch: same\nVersion: 2.36-9\n\n" +
				"Package: libc6\nStatus: install ok installed\nArchitecture: i386\nMulti-Arch: same\nVersion: 2.36-9\n",
			files: map[string][]byte{
				"var/lib/dpkg/info/libc6:amd64.list": []byte("/.\n/lib/x86_64-linux-gnu/libc.so.6\n"),
				"var/lib/dpkg/info/libc6:i386.list":  []byte("/.\n/lib/i386-linux-gnu/libc.so.6\n"),
			},
			want: []Package{
				{Manager: ManagerDpkg, Name: "libc6", Version: "2.36-9", Arch: "amd64", Files: []string{"lib/x86_64-linux-gnu/libc.so.6"}},
				{Manager: ManagerDpkg, Name: "libc6", Version: "2.36-9", Arch: "i386", Files: []string{"lib/i386-linux-gnu/libc.so.6"}},
			},
		},
		{
			name:   "CRLF and leading slash keys",
			status: "Package: zlib1g\r\nStatus: install ok installed\r\nArchitecture: amd64\r\nVersion: 1:1.2.13.dfsg-1\r\n\r\n",
			files:  map[string][]byte{"/var/lib/dpkg/info/zlib1g:amd64.list": []byte("/.\r\n/usr/lib/x86_64-linux-gnu/libz.so.1\r\n")},
			want: []Package{{Manager: ManagerDpkg, Name: "zlib1g", Version: "1:1.2.13.dfsg-1", Arch: "amd64",
				Files: []string{"usr/lib/x86_64-linux-gnu/libz.so.1"}}},
		},
		{
			name:   "stanza without Package is skipped",
			status: "Status: install ok installed\nVersion: 1\n\nPackage: bash\nStatus: install ok installed\nArchitecture: amd64\nVersion: 5.2.15-2+b7\nPre-Depends: libc6 (>= 2.36), libtinfo6 (>= 6)\nDepends: base-files (>= 2.1.12), debianutils (>= 5.6-0.1)\n",
			want: []Package{{Manager: ManagerDpkg, Name: "bash", Version: "5.2.15-2+b7", Arch: "amd64",
				Depends: []string{"base-files", "debianutils", "libc6", "libtinfo6"}}},
		},
		{
			// gcr.io/distroless: no status file, one stanza per package in
			// status.d, the files in <name>.md5sums.
			name: "distroless status.d",
			files: map[string][]byte{
				"var/lib/dpkg/status.d/base":    []byte("Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n"),
				"var/lib/dpkg/status.d/libssl3": []byte("Package: libssl3\nVersion: 3.0.11-1~deb12u2\nArchitecture: amd64\nMulti-Arch: same\nDepends: libc6 (>= 2.34)\n"),
				"var/lib/dpkg/status.d/libssl3.md5sums": []byte("1b5a2a1e3c4d5e6f708192a3b4c5d6e7  usr/lib/x86_64-linux-gnu/libssl.so.3\n" +
					"2b5a2a1e3c4d5e6f708192a3b4c5d6e7  usr/share/doc/libssl3/changelog.Debian.gz\n"),
				"var/lib/dpkg/status.d/base.md5sums": []byte("3b5a2a1e3c4d5e6f708192a3b4c5d6e7  etc/debian_version\n"),
			},
			want: []Package{
				{Manager: ManagerDpkg, Name: "base-files", Version: "12.4+deb12u5", Arch: "amd64", Files: []string{"etc/debian_version"}},
				{Manager: ManagerDpkg, Name: "libssl3", Version: "3.0.11-1~deb12u2", Arch: "amd64", Depends: []string{"libc6"},
					Files: []string{"usr/lib/x86_64-linux-gnu/libssl.so.3", "usr/share/doc/libssl3/changelog.Debian.gz"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ParseDpkg([]byte(tt.status), tt.files)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseDpkg (-want +got):\n%s", diff)
			}
		})
	}
}

// apkInstalled is an Alpine 3.19 /lib/apk/db/installed cut down to two
// packages (checksums shortened).
const apkInstalled = `C:Q1lUj2RUdn2/3p5nHSWoL+eEEC4DY=
P:musl
V:1.2.4_git20230717-r4
A:x86_64
S:407278
I:667648
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl
m:Timo Teräs <timo.teras@iki.fi>
t:1701783640
c:a52ab6fe2abc3ed7d5fd7b0bd5f4e1c9bfc0ccf8
p:so:libc.musl-x86_64.so.1=1
F:lib
R:ld-musl-x86_64.so.1
a:0:0:755
Z:Q1l0jpeUCdw3hSsIKi+D0ZVTTYxOM=
R:libc.musl-x86_64.so.1
a:0:0:777
Z:Q17yJ3JFNypA4mxhJJr0ou6CzsJVI=

C:Q1cGVzd/fO9rWR+4lJcl0sgGx+Y6s=
P:gcc
V:13.2.1_git20231014-r0
A:x86_64
S:23935539
I:60481536
T:The GNU Compiler Collection
D:binutils>=2.41 libgcc>=13.2.1_git20231014-r0 !gcc-doc so:libc.musl-x86_64.so.1 so:libgmp.so.10 so:libisl.so.23
p:cmd:gcc=13.2.1_git20231014-r0 cmd:x86_64-alpine-linux-musl-gcc=13.2.1_git20231014-r0
F:usr
F:usr/bin
R:gcc
a:0:0:755
Z:Q1GdXIGhXm2cwHyVxdMHvEvwI4g9g=
R:x86_64-alpine-linux-musl-gcc
F:usr/libexec/gcc/x86_64-alpine-linux-musl/13.2.1
R:cc1
`

func TestParseApk(t *testing.T) {
	got := ParseApk([]byte(apkInstalled))
	want := []Package{
		{
			Manager: ManagerApk, Name: "gcc", Version: "13.2.1_git20231014-r0", Arch: "x86_64",
			Depends:  []string{"binutils", "libgcc", "so:libc.musl-x86_64.so.1", "so:libgmp.so.10", "so:libisl.so.23"},
			Provides: []string{"cmd:gcc", "cmd:x86_64-alpine-linux-musl-gcc"},
			Files: []string{
				"usr", "usr/bin", "usr/bin/gcc", "usr/bin/x86_64-alpine-linux-musl-gcc",
				"usr/libexec/gcc/x86_64-alpine-linux-musl/13.2.1",
				"usr/libexec/gcc/x86_64-alpine-linux-musl/13.2.1/cc1",
			},
		},
		{
			Manager: ManagerApk, Name: "musl", Version: "1.2.4_git20230717-r4", Arch: "x86_64",
			Provides: []string{"so:libc.musl-x86_64.so.1"},
			Files:    []string{"lib", "lib/ld-musl-x86_64.so.1", "lib/libc.musl-x86_64.so.1"},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseApk (-want +got):\n%s", diff)
	}
	if got := ParseApk(nil); got != nil {
		t.Errorf("ParseApk(nil) = %v, want nil", got)
	}
}

func TestBuildOnly(t *testing.T) {
	buildOnly := []struct{ manager, name, why string }{
		{ManagerDpkg, "build-essential", whyMeta},
		{ManagerDpkg, "gcc", whyCompiler},
		{ManagerDpkg, "gcc-12", whyCompiler},
		{ManagerDpkg, "g++", whyCompiler},
		{ManagerDpkg, "g++-12", whyCompiler},
		{ManagerDpkg, "cpp", whyCompiler},
		{ManagerDpkg, "cpp-12", whyCompiler},
		{ManagerDpkg, "gcc-12-x86-64-linux-gnu", whyCompiler},
		{ManagerDpkg, "gfortran-12", whyCompiler},
		{ManagerDpkg, "libc6-dev", whyHeaders},
		{ManagerDpkg, "zlib1g-dev", whyHeaders},
		{ManagerDpkg, "libstdc++-12-dev", whyHeaders},
		{ManagerDpkg, "libgcc-12-dev", whyHeaders},
		{ManagerDpkg, "linux-libc-dev", whyHeaders},
		{ManagerDpkg, "python3-dev", whyHeaders},
		{ManagerDpkg, "libpython3.11-dev", whyHeaders},
		{ManagerDpkg, "libc-dev-bin", whyHeaders},
		{ManagerDpkg, "libc-devtools", whyHeaders},
		{ManagerDpkg, "manpages-dev", whyHeaders},
		{ManagerDpkg, "binutils", whyBinutils},
		{ManagerDpkg, "binutils-common", whyBinutils},
		{ManagerDpkg, "binutils-x86-64-linux-gnu", whyBinutils},
		{ManagerDpkg, "libbinutils", whyBinutils},
		{ManagerDpkg, "libctf0", whyBinutils},
		{ManagerDpkg, "libgprofng0", whyBinutils},
		{ManagerDpkg, "libcc1-0", whyGCCLib},
		{ManagerDpkg, "libisl23", whyGCCLib},
		{ManagerDpkg, "libmpc3", whyGCCLib},
		{ManagerDpkg, "libasan8", whyGCCLib},
		{ManagerDpkg, "libubsan1", whyGCCLib},
		{ManagerDpkg, "make", whyBuild},
		{ManagerDpkg, "cmake", whyBuild},
		{ManagerDpkg, "autoconf", whyBuild},
		{ManagerDpkg, "automake", whyBuild},
		{ManagerDpkg, "libtool", whyBuild},
		{ManagerDpkg, "pkg-config", whyBuild},
		{ManagerDpkg, "pkgconf", whyBuild},
		{ManagerDpkg, "patch", whyBuild},
		{ManagerDpkg, "dpkg-dev", whyBuild},
		{ManagerDpkg, "libdpkg-perl", whyBuild},
		{ManagerDpkg, "rpcsvc-proto", whyBuild},
		{ManagerDpkg, "golang-go", whyGo},
		{ManagerDpkg, "golang-1.19-go", whyGo},
		{ManagerDpkg, "golang-1.19-src", whyGo},
		{ManagerDpkg, "golang-src", whyGo},
		{ManagerDpkg, "golang-github-pkg-errors-dev", whyHeaders},
		{ManagerDpkg, "rustc", whyRust},
		{ManagerDpkg, "cargo", whyRust},
		{ManagerDpkg, "libstd-rust-1.63", whyRust},
		{ManagerDpkg, "llvm-14", whyLLVM},
		{ManagerDpkg, "llvm-14-tools", whyLLVM},
		{ManagerDpkg, "clang", whyLLVM},
		{ManagerDpkg, "clang-16", whyLLVM},
		{ManagerDpkg, "lld-16", whyLLVM},
		{ManagerDpkg, "default-jdk", whyJDK},
		{ManagerDpkg, "default-jdk-headless", whyJDK},
		{ManagerDpkg, "openjdk-17-jdk", whyJDK},
		{ManagerDpkg, "openjdk-17-jdk-headless", whyJDK},
		{ManagerDpkg, "node-gyp", whyNodeGyp},
		{ManagerDpkg, "gyp", whyNodeGyp},
		{ManagerApk, "build-base", whyMeta},
		{ManagerApk, "gcc", whyCompiler},
		{ManagerApk, "g++", whyCompiler},
		{ManagerApk, "musl-dev", whyHeaders},
		{ManagerApk, "libc-dev", whyHeaders},
		{ManagerApk, "linux-headers", whyHeaders},
		{ManagerApk, "fortify-headers", whyHeaders},
		{ManagerApk, "binutils", whyBinutils},
		{ManagerApk, "isl26", whyGCCLib},
		{ManagerApk, "mpc1", whyGCCLib},
		{ManagerApk, "make", whyBuild},
		{ManagerApk, "samurai", whyBuild},
		{ManagerApk, "go", whyGo},
		{ManagerApk, "rust", whyRust},
		{ManagerApk, "cargo", whyRust},
		{ManagerApk, "clang17", whyLLVM},
		{ManagerApk, "openjdk17-jdk", whyJDK},
		{ManagerApk, "openjdk17", whyJDK},
	}
	for _, tt := range buildOnly {
		why, ok := BuildOnly(Package{Manager: tt.manager, Name: tt.name})
		if !ok || why != tt.why {
			t.Errorf("BuildOnly(%s %s) = %q, %v, want %q, true", tt.manager, tt.name, why, ok, tt.why)
		}
	}
	runtime := []struct{ manager, name string }{
		{ManagerDpkg, "libc6"},
		{ManagerDpkg, "libc-bin"},
		{ManagerDpkg, "libstdc++6"},
		{ManagerDpkg, "libgcc-s1"},
		{ManagerDpkg, "gcc-12-base"},
		{ManagerDpkg, "libgomp1"},
		{ManagerDpkg, "libatomic1"},
		{ManagerDpkg, "libquadmath0"},
		{ManagerDpkg, "libmpfr6"},
		{ManagerDpkg, "libllvm14"},
		{ManagerDpkg, "zlib1g"},
		{ManagerDpkg, "ca-certificates"},
		{ManagerDpkg, "nodejs"},
		{ManagerDpkg, "libnode108"},
		{ManagerDpkg, "npm"},
		{ManagerDpkg, "node-gyp-build"},
		{ManagerDpkg, "python3"},
		{ManagerDpkg, "python3-minimal"},
		{ManagerDpkg, "python3.11"},
		{ManagerDpkg, "libpython3.11-stdlib"},
		{ManagerDpkg, "openssl"},
		{ManagerDpkg, "libssl3"},
		{ManagerDpkg, "tzdata"},
		{ManagerDpkg, "udev"},
		{ManagerDpkg, "libudev1"},
		{ManagerDpkg, "makedev"},
		{ManagerDpkg, "patchutils"},
		{ManagerDpkg, "perl"},
		{ManagerDpkg, "curl"},
		{ManagerDpkg, "git"},
		{ManagerDpkg, "openjdk-17-jre"},
		{ManagerDpkg, "openjdk-17-jre-headless"},
		{ManagerDpkg, "default-jre-headless"},
		{ManagerDpkg, "libgo21"},
		{ManagerDpkg, "golang-docker-credential-helpers"},
		{ManagerApk, "musl"},
		{ManagerApk, "libgcc"},
		{ManagerApk, "libstdc++"},
		{ManagerApk, "gmp"},
		{ManagerApk, "busybox"},
		{ManagerApk, "nodejs"},
		{ManagerApk, "openjdk17-jre"},
		{ManagerApk, "openjdk17-jre-headless"},
		{ManagerApk, "go-md2man"},
		{ManagerApk, "llvm17-libs"},
		{ManagerApk, "clang17-libs"},
	}
	for _, tt := range runtime {
		if why, ok := BuildOnly(Package{Manager: tt.manager, Name: tt.name}); ok {
			t.Errorf("BuildOnly(%s %s) = %q, true, want false", tt.manager, tt.name, why)
		}
	}
}

func TestNeededBy(t *testing.T) {
	pkg := func(name string, deps ...string) Package {
		return Package{Manager: ManagerDpkg, Name: name, Depends: deps}
	}
	pkgs := []Package{
		pkg("npm", "node-gyp", "nodejs", "node-semver"),
		pkg("nodejs", "libnode108"),
		pkg("libnode108", "libc6"),
		pkg("node-gyp", "gyp", "libnode-dev", "nodejs"),
		pkg("libnode-dev", "libuv1-dev", "libnode108"),
		pkg("libuv1-dev", "libuv1"),
		pkg("gyp", "python3"),
		pkg("build-essential", "gcc", "make", "dpkg-dev"),
		pkg("gcc", "gcc-12"),
		pkg("gcc-12", "cpp-12", "libc6", "binutils"),
		pkg("cpp-12"),
		pkg("make", "libc6"),
		pkg("libc6", "libgcc-s1"),
	}
	want := map[string][]string{
		"gyp":         {"npm"},
		"libnode-dev": {"npm"},
		"libuv1-dev":  {"npm"},
		"node-gyp":    {"npm"},
	}
	if diff := cmp.Diff(want, NeededBy(pkgs)); diff != "" {
		t.Errorf("NeededBy (-want +got):\n%s", diff)
	}
}
