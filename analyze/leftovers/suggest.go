package leftovers

import (
	"cmp"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/analyze/pkgdb"
	"github.com/stagescope/stagescope/analyze/rules"
	"github.com/stagescope/stagescope/layers"
)

// The ecosystems Suggest recognises (rules.Rule.Ecosystem names them too).
const (
	EcoNode   = "node"
	EcoGo     = "go"
	EcoRust   = "rust"
	EcoC      = "c"
	EcoPython = "python"
)

// Suggestion is a fix for the whole image: a multi-stage Dockerfile
// skeleton in the builder → runner pattern.
type Suggestion struct {
	Ecosystem string
	// Dockerfile is the skeleton, ready to adapt.
	Dockerfile string
	// Keep are the runner's COPY --from=builder lines.
	Keep []string
	// Notes are the clean-ups per package manager seen, and what the
	// skeleton assumed.
	Notes []string
	// SavedBytes estimates what the runner leaves out: leftovers and waste.
	SavedBytes int64
	// Runtime are the image paths (absolute) the runner needs: the
	// program, build outputs, static files; for Node the app directory's
	// package manifests and lockfile.
	Runtime []string
	// AppDir is the project's directory in the image (absolute), "" when
	// unknown.
	AppDir string
	// RuntimePackages are the runtime libraries of the -dev packages the
	// build used (C), for the runner to install.
	RuntimePackages []string
}

// projectFiles are the file names that say which ecosystem built an app.
var projectFiles = map[string]bool{
	"package.json": true, "go.mod": true, "Cargo.toml": true, "Makefile": true, "CMakeLists.txt": true,
	"requirements.txt": true, "pyproject.toml": true, "setup.py": true, "Pipfile": true,
}

// Facts are what the leftover pass learns about an image besides its
// findings: the suggestion is made from them (Suggest).
type Facts struct {
	// Config is the image's config (entrypoint, command, working
	// directory).
	Config layers.Config
	// Tree is the merged filesystem.
	Tree *fstree.Tree
	// Projects lists the directories holding each project file name
	// (package.json, go.mod, …), outside distribution trees and installed
	// packages.
	Projects map[string][]string
	// Versions are the versions of the installed OS packages, by name.
	Versions map[string]string
	// BuildPackages are the installed build-only OS packages.
	BuildPackages []pkgdb.Package
	// NodePackages tells whether an app's node_modules holds packages.
	NodePackages bool
}

// Suggest picks the ecosystem of an image from its facts and findings and
// writes the multi-stage skeleton that would drop saved bytes. It returns
// nil when there are no findings, or no ecosystem is recognised.
func Suggest(s *Facts, findings []Finding, saved int64) *Suggestion {
	if len(findings) == 0 {
		return nil
	}
	// has tells whether a finding's rule shows that the image built
	// something of an ecosystem (its build cache). A toolchain alone is
	// no project: an image that is only a toolchain (golang, gcc) gets no
	// skeleton, whose WORKDIR and saving would be the toolchain's own.
	has := func(eco string) bool {
		return slices.ContainsFunc(findings, func(f Finding) bool {
			r, _ := rules.ByID(f.RuleID)
			return r.Ecosystem == eco && r.Category != rules.CatToolchain
		})
	}
	workdir := strings.TrimPrefix(s.Config.WorkingDir, "/")
	dir := func(name string) string {
		ds := s.Projects[name]
		if len(ds) == 0 {
			return ""
		}
		if slices.Contains(ds, workdir) {
			return workdir
		}
		slices.Sort(ds)
		return ds[0]
	}
	sg := &Suggestion{SavedBytes: saved}
	var b strings.Builder
	switch {
	case dir("package.json") != "" && s.hasNode():
		sg.Ecosystem = EcoNode
		s.nodeSkeleton(&b, sg, dir("package.json"))
	case dir("go.mod") != "" || has(EcoGo):
		sg.Ecosystem = EcoGo
		s.goSkeleton(&b, sg, dir("go.mod"))
	case dir("Cargo.toml") != "" || has(EcoRust):
		sg.Ecosystem = EcoRust
		s.rustSkeleton(&b, sg, dir("Cargo.toml"))
	case dir("requirements.txt") != "" || dir("pyproject.toml") != "" || dir("setup.py") != "" || dir("Pipfile") != "":
		sg.Ecosystem = EcoPython
		s.pythonSkeleton(&b, sg, cmp.Or(dir("requirements.txt"), dir("pyproject.toml"), dir("setup.py"), dir("Pipfile")))
	case has(EcoC) || dir("Makefile") != "" || dir("CMakeLists.txt") != "":
		sg.Ecosystem = EcoC
		s.cSkeleton(&b, sg, cmp.Or(dir("Makefile"), dir("CMakeLists.txt"), workdir))
	default:
		return nil
	}
	sg.Dockerfile = b.String()
	cleanupNotes(findings, sg)
	return sg
}

func (s *Facts) hasNode() bool {
	for _, p := range []string{"usr/bin/node", "usr/local/bin/node", "usr/bin/nodejs"} {
		if n := s.Tree.Resolve(p); n != nil {
			return true
		}
	}
	return s.NodePackages
}

// pkgVersion returns the major[.minor] version of an installed OS package.
func (s *Facts) pkgVersion(name string, parts int) string {
	v, ok := s.Versions[name]
	if !ok {
		return ""
	}
	if i := strings.IndexAny(v, ":"); i >= 0 {
		v = v[i+1:]
	}
	if i := strings.IndexAny(v, "+-~"); i >= 0 {
		v = v[:i]
	}
	f := strings.SplitN(v, ".", parts+1)
	if len(f) > parts {
		f = f[:parts]
	}
	return strings.Join(f, ".")
}

func abs(p string) string { return "/" + strings.TrimPrefix(p, "/") }

func (s *Facts) nodeSkeleton(b *strings.Builder, sg *Suggestion, root string) {
	tag := "lts"
	if v := s.pkgVersion("nodejs", 1); v != "" {
		tag = v
	}
	app := abs(root)
	lock := "package-lock.json"
	if s.Tree.Lookup(path.Join(root, "package-lock.json")) == nil && s.Tree.Lookup(path.Join(root, "npm-shrinkwrap.json")) != nil {
		lock = "npm-shrinkwrap.json"
	}
	fmt.Fprintf(b, "FROM node:%s AS builder\nWORKDIR %s\nCOPY package.json %s ./\nRUN npm ci\nCOPY . .\nRUN npm run build --if-present\n\n", tag, app, lock)
	fmt.Fprintf(b, "FROM node:%s-slim AS runner\nWORKDIR %s\nENV NODE_ENV=production\n", tag, app)
	manifests := fmt.Sprintf("COPY --from=builder %s/package.json %s/%s ./", app, app, lock)
	sg.Keep = append(sg.Keep, manifests)
	sg.AppDir = app
	sg.Runtime = append(sg.Runtime, app+"/package.json")
	if s.Tree.Lookup(path.Join(root, lock)) != nil {
		sg.Runtime = append(sg.Runtime, app+"/"+lock)
	}
	fmt.Fprintf(b, "%s\nRUN npm ci --omit=dev && npm cache clean --force\n", manifests)
	for _, name := range []string{"dist", "build", "out", "lib", ".next", "public", "static", "views", "server.js", "index.js", "app.js"} {
		n := s.Tree.Lookup(path.Join(root, name))
		if n == nil || !n.Visible() {
			continue
		}
		line := fmt.Sprintf("COPY --from=builder %s/%s ./%s", app, name, name)
		if name == ".next" {
			sg.Notes = append(sg.Notes, "for Next.js, `output: \"standalone\"` lets the runner copy only .next/standalone and .next/static; never copy .next/cache")
		}
		sg.Keep = append(sg.Keep, line)
		sg.Runtime = append(sg.Runtime, app+"/"+name)
		if name == ".next" && s.Tree.Lookup(strings.TrimPrefix(app, "/")+"/.next/standalone") != nil {
			sg.Runtime = append(sg.Runtime, app+"/.next/standalone")
		}
		b.WriteString(line + "\n")
	}
	s.writeCmd(b)
	sg.Notes = append(sg.Notes, "`npm ci --omit=dev` installs only dependencies, optionalDependencies and peerDependencies: every devDependency stays in the builder")
}

func (s *Facts) goSkeleton(b *strings.Builder, sg *Suggestion, root string) {
	tag := "1"
	if v := s.goVersion(); v != "" {
		tag = v
	}
	bin, name := s.binaryOr("usr/local/bin/app")
	src := abs(cmp.Or(root, "src"))
	fmt.Fprintf(b, "FROM golang:%s AS builder\nWORKDIR %s\nCOPY go.mod go.sum ./\nRUN --mount=type=cache,target=/go/pkg/mod go mod download\nCOPY . .\n", tag, src)
	fmt.Fprintf(b, "RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \\\n    CGO_ENABLED=0 go build -trimpath -ldflags=\"-s -w\" -o /out/%s .\n\n", name)
	line := fmt.Sprintf("COPY --from=builder /out/%s %s", name, abs(bin))
	fmt.Fprintf(b, "FROM gcr.io/distroless/static-debian12 AS runner\n%s\nENTRYPOINT [\"%s\"]\n", line, abs(bin))
	sg.Keep = append(sg.Keep, line)
	sg.Runtime, sg.AppDir = append(sg.Runtime, abs(bin)), src
	sg.Notes = append(sg.Notes, "a CGO_ENABLED=0 binary needs no libc: distroless/static or even scratch runs it (add ca-certificates if it calls HTTPS)")
}

func (s *Facts) rustSkeleton(b *strings.Builder, sg *Suggestion, root string) {
	tag := "1"
	if v := s.pkgVersion("rustc", 2); v != "" {
		tag = v
	}
	bin, name := s.binaryOr("usr/local/bin/app")
	src := abs(cmp.Or(root, "usr/src/app"))
	fmt.Fprintf(b, "FROM rust:%s AS builder\nWORKDIR %s\nCOPY . .\n", tag, src)
	fmt.Fprintf(b, "RUN --mount=type=cache,target=/usr/local/cargo/registry --mount=type=cache,target=%s/target \\\n    cargo build --release && cp target/release/%s /out-%s\n\n", src, name, name)
	line := fmt.Sprintf("COPY --from=builder /out-%s %s", name, abs(bin))
	fmt.Fprintf(b, "FROM debian:bookworm-slim AS runner\n%s\n", line)
	sg.Keep = append(sg.Keep, line)
	sg.Runtime, sg.AppDir = append(sg.Runtime, abs(bin)), src
	for _, d := range []string{"static", "public", "assets", "templates"} {
		if n := s.Tree.Lookup(path.Join(root, d)); n != nil && n.Visible() && n.IsDir() {
			l := fmt.Sprintf("COPY --from=builder %s/%s %s/%s", src, d, src, d)
			sg.Keep = append(sg.Keep, l)
			sg.Runtime = append(sg.Runtime, src+"/"+d)
			b.WriteString(l + "\n")
		}
	}
	fmt.Fprintf(b, "CMD [\"%s\"]\n", abs(bin))
}

func (s *Facts) cSkeleton(b *strings.Builder, sg *Suggestion, root string) {
	bin, name := s.binaryOr("usr/local/bin/app")
	src := abs(cmp.Or(root, "src"))
	fmt.Fprintf(b, "FROM debian:bookworm AS builder\nRUN apt-get update && apt-get install -y --no-install-recommends build-essential%s \\\n && rm -rf /var/lib/apt/lists/*\nWORKDIR %s\nCOPY . .\nRUN make\n\n", s.devPackages(), src)
	line := fmt.Sprintf("COPY --from=builder %s/%s %s", src, name, abs(bin))
	fmt.Fprintf(b, "FROM debian:bookworm-slim AS runner\n")
	if libs := s.runtimeLibs(); libs != "" {
		sg.RuntimePackages = strings.Fields(libs)
		fmt.Fprintf(b, "RUN apt-get update && apt-get install -y --no-install-recommends%s \\\n && rm -rf /var/lib/apt/lists/*\n", libs)
		sg.Notes = append(sg.Notes, "the runner installs the runtime libraries of the -dev packages the build used; check the names with `apt-cache show`")
	}
	fmt.Fprintf(b, "%s\n", line)
	s.writeCmd(b)
	sg.Keep = append(sg.Keep, line)
	sg.Runtime, sg.AppDir = append(sg.Runtime, abs(bin)), src
}

func (s *Facts) pythonSkeleton(b *strings.Builder, sg *Suggestion, root string) {
	app := abs(cmp.Or(root, "app"))
	fmt.Fprintf(b, "FROM python:3-slim AS builder\nWORKDIR %s\nCOPY requirements.txt ./\nRUN pip wheel --no-cache-dir --wheel-dir /wheels -r requirements.txt\n\n", app)
	fmt.Fprintf(b, "FROM python:3-slim AS runner\nWORKDIR %s\nCOPY --from=builder /wheels /wheels\nRUN pip install --no-cache-dir /wheels/* && rm -rf /wheels\nCOPY . .\n", app)
	s.writeCmd(b)
	sg.Keep = append(sg.Keep, "COPY --from=builder /wheels /wheels")
	sg.AppDir = app
	sg.Notes = append(sg.Notes, "compilers and -dev packages for wheels with C extensions belong in the builder only")
}

// writeCmd repeats the image's own CMD/ENTRYPOINT in the runner.
func (s *Facts) writeCmd(b *strings.Builder) {
	cfg := s.Config
	q := func(args []string) string {
		out := make([]string, len(args))
		for i, a := range args {
			out[i] = fmt.Sprintf("%q", a)
		}
		return "[" + strings.Join(out, ", ") + "]"
	}
	if len(cfg.Entrypoint) > 0 {
		fmt.Fprintf(b, "ENTRYPOINT %s\n", q(cfg.Entrypoint))
	}
	if len(cfg.Cmd) > 0 {
		fmt.Fprintf(b, "CMD %s\n", q(cfg.Cmd))
	}
}

// binaryOr is the image's program (see binary) and its file name, or def
// when the config names none.
func (s *Facts) binaryOr(def string) (bin, name string) {
	bin = s.binary()
	if bin == "" {
		bin = def
	}
	return bin, path.Base(bin)
}

// binary finds the app's program: a word of ENTRYPOINT/CMD that resolves,
// through the PATH or the working directory, to a file outside the
// distribution's own directories (dpkg never installs into /usr/local).
func (s *Facts) binary() string {
	cfg := s.Config
	var words []string
	for _, a := range append(slices.Clone(cfg.Entrypoint), cfg.Cmd...) {
		words = append(words, strings.FieldsFunc(a, func(r rune) bool { return strings.ContainsRune(" \t|;&()<>", r) })...)
	}
	wd := strings.TrimPrefix(cfg.WorkingDir, "/")
	for _, w := range words {
		if strings.HasPrefix(w, "-") || strings.HasPrefix(w, "/dev/") {
			continue
		}
		var cands []string
		if strings.Contains(w, "/") {
			if strings.HasPrefix(w, "/") {
				cands = []string{strings.TrimPrefix(w, "/")}
			} else {
				cands = []string{path.Join(wd, w)}
			}
		} else {
			cands = []string{"usr/local/bin/" + w, "usr/local/sbin/" + w, path.Join(wd, w)}
		}
		for _, c := range cands {
			if n := s.Tree.Resolve(c); n != nil && !n.IsDir() {
				return c
			}
		}
	}
	return ""
}

func (s *Facts) goVersion() string {
	for name := range s.Versions {
		if strings.HasPrefix(name, "golang-1.") && strings.HasSuffix(name, "-go") {
			return strings.TrimSuffix(strings.TrimPrefix(name, "golang-"), "-go")
		}
	}
	return ""
}

// libDev tells the -dev packages of libraries an app links against from the
// ones any C toolchain brings.
func libDev(name string) bool {
	if !strings.HasSuffix(name, "-dev") || genericDev[name] || strings.HasPrefix(name, "libstdc++") || strings.HasPrefix(name, "libgcc") {
		return false
	}
	return strings.HasPrefix(name, "lib") || strings.HasPrefix(name, "zlib")
}

// genericDev are -dev packages that come with any C toolchain.
var genericDev = map[string]bool{"libc6-dev": true, "linux-libc-dev": true, "libcrypt-dev": true, "libnsl-dev": true, "libtirpc-dev": true, "libstdc++-12-dev": true, "libgcc-12-dev": true, "libc-dev-bin": true}

// devPackages lists the build-only -dev packages besides the toolchain's
// own, as " name1 name2".
func (s *Facts) devPackages() string {
	var out []string
	for _, p := range s.BuildPackages {
		if libDev(p.Name) {
			out = append(out, p.Name)
		}
	}
	slices.Sort(out)
	if len(out) == 0 {
		return ""
	}
	return " " + strings.Join(slices.Compact(out), " ")
}

// runtimeLibs names the runtime package of each -dev package, by the Debian
// convention that libfoo-dev's Depends holds the versioned libfooN.
func (s *Facts) runtimeLibs() string {
	var out []string
	for _, p := range s.BuildPackages {
		if !libDev(p.Name) {
			continue
		}
		stem := strings.TrimSuffix(p.Name, "-dev")
		for _, d := range p.Depends {
			if d != p.Name && strings.HasPrefix(d, stem) && !strings.HasSuffix(d, "-dev") {
				out = append(out, d)
				break
			}
		}
	}
	slices.Sort(out)
	if len(out) == 0 {
		return ""
	}
	return " " + strings.Join(slices.Compact(out), " ")
}

// cleanupNotes adds the clean-up note of every rule that found something
// (rules.Rule.Cleanup), each note once, in the order of the findings.
func cleanupNotes(findings []Finding, sg *Suggestion) {
	seen := map[string]bool{}
	for _, f := range findings {
		r, _ := rules.ByID(f.RuleID)
		if r.Cleanup == "" || seen[r.Cleanup] {
			continue
		}
		seen[r.Cleanup] = true
		sg.Notes = append(sg.Notes, r.Cleanup)
	}
}
