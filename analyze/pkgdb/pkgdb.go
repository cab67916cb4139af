// Package pkgdb reads the OS package databases an image carries (dpkg's
// status, info lists and status.d, apk's installed database) from the
// small files layers.Read captured, and knows which packages are only
// needed to build software. Capture declares the files it reads.
package pkgdb

import (
	"bufio"
	"bytes"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/layers"
)

// The package managers whose databases stagescope reads.
const (
	ManagerDpkg = "dpkg"
	ManagerApk  = "apk"
)

// The package databases, as cleaned paths.
const (
	dpkgStatusPath  = "var/lib/dpkg/status"
	dpkgInfoDir     = "var/lib/dpkg/info"
	dpkgStatusDDir  = "var/lib/dpkg/status.d"
	apkInstalledDB  = "lib/apk/db/installed"
	osReleasePath   = "etc/os-release"
	osReleaseUsrLib = "usr/lib/os-release"
)

// Size caps of the files Capture selects.
const (
	// Limit caps the package databases (a Debian status file with a
	// thousand packages is about 2 MiB).
	Limit = 8 << 20
	// smallLimit caps os-release.
	smallLimit = 64 << 10
)

// Capture is the layers.WithCapture predicate of the package databases:
// dpkg's status, info/*.list and status.d, apk's installed database, and
// os-release. p is cleaned (no leading "/"); pass Limit as the size cap.
func Capture(p string, size int64) bool {
	if size > Limit {
		return false
	}
	switch p {
	case dpkgStatusPath, apkInstalledDB:
		return true
	case osReleasePath, osReleaseUsrLib:
		return size <= smallLimit
	}
	dir, base := path.Split(p)
	switch strings.TrimSuffix(dir, "/") {
	case dpkgInfoDir:
		return strings.HasSuffix(base, ".list")
	case dpkgStatusDDir:
		return true
	}
	return false
}

// Package is one installed OS package and the paths its database says it
// owns.
type Package struct {
	Manager string // ManagerDpkg or ManagerApk
	Name    string
	Version string
	Arch    string
	// Depends names the packages this one depends on (Depends and
	// Pre-Depends for dpkg, D: for apk), every alternative included,
	// without versions or architecture qualifiers. Names may be virtual:
	// another package's Provides (apk's so:, cmd: and pc: names always are).
	Depends []string
	// Provides names the virtual packages this one provides.
	Provides []string
	// Files are cleaned paths (no leading "/"), sorted, as the database
	// lists them: directories included, and not resolved through symlinks
	// (dpkg lists "bin/sh" where a merged /usr has "usr/bin/sh").
	Files []string
}

// ParseDpkg reads a Debian package database: status is the contents of
// /var/lib/dpkg/status, files holds the captured files by cleaned path, of
// which it uses var/lib/dpkg/info/<name>[:<arch>].list and, for distroless
// images, var/lib/dpkg/status.d/<name> with its <name>.md5sums or
// <name>.list. Only packages whose Status says "installed" are returned,
// sorted by name and architecture. Malformed stanzas are skipped.
func ParseDpkg(status []byte, files map[string][]byte) []Package {
	lists := map[string][]byte{}   // package[:arch] -> .list
	statusD := map[string][]byte{} // status.d stanza files by base name
	sums := map[string][]byte{}    // status.d <name>.md5sums / .list
	for p, data := range files {
		p = layers.CleanPath(p)
		dir, base := path.Split(p)
		dir = strings.TrimSuffix(dir, "/")
		switch dir {
		case dpkgInfoDir:
			if name, ok := strings.CutSuffix(base, ".list"); ok {
				lists[name] = data
			}
		case dpkgStatusDDir:
			if name, ok := strings.CutSuffix(base, ".md5sums"); ok {
				sums[name] = data
			} else if name, ok := strings.CutSuffix(base, ".list"); ok {
				sums[name] = data
			} else if !strings.HasPrefix(base, ".") {
				statusD[base] = data
			}
		}
	}

	var out []Package
	seen := map[string]bool{}
	add := func(st stanza, files []string) {
		key := st.get("Package") + ":" + st.get("Architecture")
		if seen[key] {
			return
		}
		seen[key] = true
		p := Package{
			Manager:  ManagerDpkg,
			Name:     st.get("Package"),
			Version:  st.get("Version"),
			Arch:     st.get("Architecture"),
			Depends:  dpkgDepends(st.get("Pre-Depends"), st.get("Depends")),
			Provides: dpkgDepends(st.get("Provides")),
		}
		p.Files = append(files, conffiles(st.get("Conffiles"))...)
		p.Files = sortedUnique(p.Files)
		out = append(out, p)
	}
	for _, st := range parseStanzas(status) {
		if st.get("Package") == "" || !dpkgInstalled(st.get("Status")) {
			continue
		}
		name, arch := st.get("Package"), st.get("Architecture")
		list, ok := lists[name+":"+arch]
		if !ok {
			list = lists[name]
		}
		add(st, parseDpkgList(list))
	}
	names := make([]string, 0, len(statusD))
	for n := range statusD {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		for _, st := range parseStanzas(statusD[n]) {
			if st.get("Package") == "" {
				continue
			}
			// status.d stanzas of distroless images carry no Status
			// field: being there means being installed.
			if s := st.get("Status"); s != "" && !dpkgInstalled(s) {
				continue
			}
			add(st, parseSums(sums[n]))
		}
	}
	slices.SortFunc(out, func(a, b Package) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.Arch, b.Arch)
	})
	return out
}

// dpkgInstalled tells whether a Status value ("want flag status", e.g.
// "install ok installed" or "hold ok installed") means the package's files
// are on disk.
func dpkgInstalled(status string) bool {
	f := strings.Fields(status)
	return len(f) == 3 && f[1] == "ok" && f[2] == "installed"
}

// dpkgDepends turns dependency fields ("libc6 (>= 2.34), debconf |
// debconf-2.0, python3:any") into bare names.
func dpkgDepends(fields ...string) []string {
	var out []string
	for _, f := range fields {
		for _, alt := range strings.FieldsFunc(f, func(r rune) bool { return r == ',' || r == '|' }) {
			name := strings.TrimSpace(alt)
			if i := strings.IndexAny(name, " (["); i >= 0 {
				name = name[:i]
			}
			name, _, _ = strings.Cut(name, ":")
			if name != "" {
				out = append(out, name)
			}
		}
	}
	return sortedUnique(out)
}

// conffiles reads the Conffiles field: one " /path md5 [obsolete]" per line.
func conffiles(v string) []string {
	var out []string
	for _, line := range strings.Split(v, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || !strings.HasPrefix(f[0], "/") {
			continue
		}
		if p := layers.CleanPath(f[0]); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// parseDpkgList reads an info/*.list file: one absolute path per line,
// starting with "/.".
func parseDpkgList(b []byte) []string {
	var out []string
	for line := range bytes.Lines(b) {
		p := layers.CleanPath(string(bytes.TrimRight(line, "\r\n")))
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// parseSums reads a distroless status.d/<name>.md5sums ("<md5>  <path>")
// or status.d/<name>.list (one path per line).
func parseSums(b []byte) []string {
	var out []string
	for line := range bytes.Lines(b) {
		s := strings.TrimRight(string(line), "\r\n")
		if s == "" {
			continue
		}
		if !strings.HasPrefix(s, "/") {
			if _, p, ok := strings.Cut(s, "  "); ok {
				s = p
			}
		}
		if p := layers.CleanPath(s); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// stanza is one paragraph of a Debian control file. Field names are kept as
// written; continuation lines are joined with "\n".
type stanza []field

type field struct{ name, value string }

func (s stanza) get(name string) string {
	for _, f := range s {
		if strings.EqualFold(f.name, name) {
			return f.value
		}
	}
	return ""
}

// parseStanzas splits a control file into paragraphs separated by blank
// lines. Lines that are neither "Name: value" nor a continuation are
// ignored.
func parseStanzas(b []byte) []stanza {
	var (
		out []stanza
		cur stanza
	)
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), len(b)+1)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		switch {
		case strings.TrimSpace(line) == "":
			if len(cur) > 0 {
				out = append(out, cur)
				cur = nil
			}
		case line[0] == ' ' || line[0] == '\t':
			if len(cur) > 0 {
				cur[len(cur)-1].value += "\n" + line
			}
		case line[0] == '#':
		default:
			name, value, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			cur = append(cur, field{name: strings.TrimSpace(name), value: strings.TrimSpace(value)})
		}
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// ParseApk reads Alpine's /lib/apk/db/installed: one stanza per package of
// "X:value" lines, P: name, V: version, A: arch, D: dependencies, F: a
// directory and R: a file in the last F: directory.
func ParseApk(db []byte) []Package {
	var (
		out []Package
		cur *Package
		dir string
	)
	flush := func() {
		if cur != nil && cur.Name != "" {
			cur.Files = sortedUnique(cur.Files)
			cur.Depends = sortedUnique(cur.Depends)
			cur.Provides = sortedUnique(cur.Provides)
			out = append(out, *cur)
		}
		cur, dir = nil, ""
	}
	for line := range bytes.Lines(db) {
		s := strings.TrimRight(string(line), "\r\n")
		if s == "" {
			flush()
			continue
		}
		if len(s) < 2 || s[1] != ':' {
			continue
		}
		if cur == nil {
			cur = &Package{Manager: ManagerApk}
		}
		v := s[2:]
		switch s[0] {
		case 'P':
			cur.Name = v
		case 'V':
			cur.Version = v
		case 'A':
			cur.Arch = v
		case 'D':
			for _, d := range strings.Fields(v) {
				if d = apkDepName(d); d != "" {
					cur.Depends = append(cur.Depends, d)
				}
			}
		case 'p':
			for _, d := range strings.Fields(v) {
				if d = apkDepName(d); d != "" {
					cur.Provides = append(cur.Provides, d)
				}
			}
		case 'F':
			dir = layers.CleanPath(v)
			if dir != "" {
				cur.Files = append(cur.Files, dir)
			}
		case 'R':
			if p := layers.CleanPath(path.Join(dir, v)); p != "" {
				cur.Files = append(cur.Files, p)
			}
		}
	}
	flush()
	slices.SortFunc(out, func(a, b Package) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// apkDepName strips a dependency's or provide's version ("musl>=1.2",
// "so:libc.musl-x86_64.so.1=1") and repository tag ("gcc@edge"), and drops
// conflicts ("!foo").
func apkDepName(d string) string {
	if strings.HasPrefix(d, "!") {
		return ""
	}
	if i := strings.IndexAny(d, "<>=~@"); i >= 0 {
		d = d[:i]
	}
	return d
}

func sortedUnique(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

// buildOnlyRule says why packages matching a name pattern are needed only
// to build software.
type buildOnlyRule struct {
	re  *regexp.Regexp
	why string
}

const (
	whyCompiler = "C/C++ compiler"
	whyBinutils = "assembler and linker (binutils)"
	whyHeaders  = "development headers and link-time files"
	whyBuild    = "build tool"
	whyGCCLib   = "library used only by the GCC compiler or its sanitizers"
	whyGo       = "Go toolchain"
	whyRust     = "Rust toolchain"
	whyLLVM     = "LLVM/Clang compiler toolchain"
	whyJDK      = "Java development kit (javac, jmods) where a JRE would do"
	whyNodeGyp  = "native Node.js addon build tool"
	whyMeta     = "meta-package that pulls in the compiler toolchain"
)

// buildOnlyRules is matched in order against a package's full name. The
// patterns are anchored. Runtime libraries that compiled programs load
// (libc6, libstdc++6, libgcc-s1, libgomp1, libatomic1, libquadmath0,
// libllvmN, libmpfr6, gcc-N-base) deliberately match nothing.
var buildOnlyRules = []buildOnlyRule{
	{regexp.MustCompile(`^(build-essential|build-base|alpine-sdk)$`), whyMeta},
	{regexp.MustCompile(`^(gcc|g\+\+|cpp|gfortran|gccgo|gnat|gdc)(-[0-9.]+)?(-[a-z0-9_-]+-linux-gnu[a-z0-9]*)?$`), whyCompiler},
	{regexp.MustCompile(`^(c\+\+|cc)$`), whyCompiler},
	{regexp.MustCompile(`^(binutils(-.+)?|libbinutils|libctf0|libctf-nobfd0|libgprofng0|libsframe[0-9]+|gold)$`), whyBinutils},
	{regexp.MustCompile(`^(libcc1-0|libisl[0-9]+|isl[0-9]*|libmpc3|mpc1|lib(asan|lsan|tsan|ubsan|hwasan)[0-9]+)$`), whyGCCLib},
	{regexp.MustCompile(`^(make|make-guile|cmake|cmake-data|ninja-build|ninja|samurai|meson|scons|bazel[0-9.-]*)$`), whyBuild},
	{regexp.MustCompile(`^(autoconf|autoconf-archive|automake(-[0-9.]+)?|autotools-dev|autopoint|libtool|libtool-bin)$`), whyBuild},
	{regexp.MustCompile(`^(pkg-config|pkgconf|pkgconf-bin|libpkgconf[0-9]+|bison|byacc|flex|m4|patch|ccache|nasm|yasm|rpcsvc-proto)$`), whyBuild},
	{regexp.MustCompile(`^(dpkg-dev|libdpkg-perl|fakeroot|libfakeroot|debhelper|dh-autoreconf|abuild|maven|gradle|ant)$`), whyBuild},
	{regexp.MustCompile(`^(golang|golang-go|golang-src|golang-doc|golang-[0-9.]+(-go|-src|-doc)?|go|gccgo(-[0-9]+)?)$`), whyGo},
	{regexp.MustCompile(`^(rustc|rustc-web|cargo|cargo-web|rust|rustup|libstd-rust-[0-9.]+)$`), whyRust},
	{regexp.MustCompile(`^(llvm|llvm[0-9]*(-.+)?|llvm-[0-9]+(-.+)?|clang|clang[0-9]*(-.+)?|clang-[0-9]+(-.+)?|lld|lld-[0-9]+|lld[0-9]+)$`), whyLLVM},
	{regexp.MustCompile(`^(default-jdk(-headless)?|openjdk-[0-9]+-jdk(-headless)?|openjdk[0-9]+(-jdk)?)$`), whyJDK},
	{regexp.MustCompile(`^(node-gyp|gyp)$`), whyNodeGyp},
	{regexp.MustCompile(`.-dev$`), whyHeaders},
	{regexp.MustCompile(`.-(dev-bin|devtools)$`), whyHeaders},
	{regexp.MustCompile(`^(linux-headers(-.+)?|fortify-headers|manpages-dev)$`), whyHeaders},
}

// runtimeLibs are libraries that the toolchain patterns would catch but
// that programs load at run time (Mesa loads Alpine's llvmN-libs).
var runtimeLibs = regexp.MustCompile(`^(llvm[0-9]*-libs|clang[0-9]*-libs)$`)

// BuildOnly tells whether an installed package is needed only to build
// software (compilers, headers, build tools), never to run it, and says
// why in a few words.
func BuildOnly(p Package) (why string, ok bool) {
	if runtimeLibs.MatchString(p.Name) {
		return "", false
	}
	for _, r := range buildOnlyRules {
		if r.re.MatchString(p.Name) {
			return r.why, true
		}
	}
	return "", false
}

// Installed reads whichever package databases are among the captured
// files (keyed by cleaned path; see Capture): dpkg's status, info lists and
// status.d, and apk's installed database.
func Installed(files map[string][]byte) []Package {
	out := ParseDpkg(files[dpkgStatusPath], files)
	return append(out, ParseApk(files[apkInstalledDB])...)
}

// OwnedFiles returns the nodes of the regular files a package owns that are
// visible in the final filesystem, each once, in the order of p.Files.
// Directories of the listed paths are resolved through the tree's
// symlinks, so that "bin/bash" of a dpkg list finds "usr/bin/bash" behind a
// merged /usr's "bin -> usr/bin".
func OwnedFiles(t *fstree.Tree, p Package) []*fstree.Node {
	var out []*fstree.Node
	seen := map[*fstree.Node]bool{}
	for _, f := range p.Files {
		n := t.Resolve(f)
		if n == nil || seen[n] || !n.Visible() || n.Last().Type != layers.TypeRegular {
			continue
		}
		seen[n] = true
		out = append(out, n)
	}
	return out
}

// NeededBy tells, for each installed build-only package (see BuildOnly),
// which installed packages that are not build-only depend on it, directly
// or through other build-only packages: removing it would remove them too
// (Debian's npm, for one, depends on node-gyp and libnode-dev). Packages no
// runtime package needs are absent from the map.
func NeededBy(pkgs []Package) map[string][]string {
	installed := map[string]bool{}
	for _, p := range pkgs {
		installed[p.Name] = true
	}
	// reverse dependencies: name -> packages depending on it
	rdeps := map[string][]string{}
	build := map[string]bool{}
	for _, p := range pkgs {
		if _, ok := BuildOnly(p); ok {
			build[p.Name] = true
		}
		for _, d := range p.Depends {
			if installed[d] && d != p.Name {
				rdeps[d] = append(rdeps[d], p.Name)
			}
		}
	}
	out := map[string][]string{}
	for name := range build {
		seen := map[string]bool{name: true}
		queue := []string{name}
		var holders []string
		for len(queue) > 0 {
			cur := queue[0]
			queue = queue[1:]
			for _, r := range rdeps[cur] {
				if seen[r] {
					continue
				}
				seen[r] = true
				if build[r] {
					queue = append(queue, r)
				} else {
					holders = append(holders, r)
				}
			}
		}
		if len(holders) > 0 {
			out[name] = sortedUnique(holders)
		}
	}
	return out
}

// OSRelease returns ID and VERSION_ID of the image's os-release among
// the captured files.
func OSRelease(files map[string][]byte) (id, version string) {
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
