// Package rules is stagescope's table of leftover rules (what a runtime
// image does not need, found by its path), the globs they are written in,
// an index that narrows the table to the rules a path may match, and the
// ignore list that silences rules and paths. It knows nothing of trees or
// findings: the leftover pass (analyze/leftovers) applies it.
package rules

import "slices"

// Category groups leftover findings. The names are part of the JSON contract.
type Category string

// The leftover categories.
const (
	CatToolchain     Category = "toolchain"
	CatPackageCache  Category = "package-cache"
	CatBuildCache    Category = "build-cache"
	CatDevDependency Category = "dev-dependency"
	CatDevHeaders    Category = "dev-headers"
	CatVCS           Category = "vcs"
	CatDocs          Category = "docs"
	CatSecret        Category = "secret"
	CatWasted        Category = "wasted"
)

// Severity ranks findings. The names are part of the JSON contract.
type Severity string

// The severities, lowest first.
const (
	SevInfo     Severity = "info"
	SevLow      Severity = "low"
	SevMedium   Severity = "medium"
	SevHigh     Severity = "high"
	SevCritical Severity = "critical"
)

// categories lists every leftover category, in the order reports show
// them.
var categories = []Category{
	CatToolchain, CatPackageCache, CatBuildCache, CatDevDependency, CatDevHeaders,
	CatVCS, CatDocs, CatSecret, CatWasted,
}

// Categories lists every leftover category, in the order reports show them.
func Categories() []Category { return slices.Clone(categories) }

// ValidCategory tells whether c names a leftover category.
func ValidCategory(c Category) bool { return slices.Contains(categories, c) }

// Rule is one entry of the leftover rule table: what a runtime image does
// not need, found by its path.
type Rule struct {
	// ID is stable: users silence rules by it (--ignore) and tools key on it.
	ID       string
	Category Category
	Severity Severity
	// Paths are slash globs over cleaned paths (no leading "/"): "*", "?"
	// and "[…]" match within one component, a "**" component matches any
	// number of components. A pattern ending in "/" matches a directory,
	// and the rule then takes every file below it, grouped in one finding.
	Paths []string
	// Unless are globs of paths the rule never takes, even below a matched
	// directory.
	Unless []string
	// Beside names a file that must sit next to a matched directory (a
	// Cargo "target" is one only beside a Cargo.toml).
	Beside string
	// Content, when set, is what the file's captured contents must hold
	// (any one of them). A file whose contents were not captured is judged
	// by its path alone, unless NeedContent is set.
	Content     []string
	NeedContent bool
	// Hidden rules also fire on versions a later layer deleted or
	// overwrote: those bytes still ship in the image.
	Hidden bool
	Why    string
	Fix    string
	// Cleanup is the clean-up a whole-image suggestion notes when the
	// rule finds something; rules of one package manager share it.
	Cleanup string
	// Ecosystem names the ecosystem ("go", "rust", "c") that a finding of
	// the rule shows the image was built with, for the suggestion.
	Ecosystem string
}

// Rule IDs of the findings that do not come from the path rule table.
const (
	Package       = "toolchain.package"
	DevDependency = "dev-dependency.npm"
	Deleted       = "wasted.deleted"
	Overwritten   = "wasted.overwritten"
)

// The rules of the analyzers' findings, so that every rule ID a finding
// can carry is listed (and can be silenced).
var (
	packageRule = Rule{ID: Package, Category: CatToolchain, Severity: SevMedium,
		Why: "an OS package needed only to build software",
		Fix: "install it only in the builder stage (apt-get install/apk add there), and keep the runtime stage to the runtime libraries"}
	devDependencyRule = Rule{ID: DevDependency, Category: CatDevDependency, Severity: SevMedium,
		Why: "a package installed only for development (devDependencies)",
		Fix: "install with `npm ci --omit=dev` in the runtime stage, or run `npm prune --omit=dev` after the build"}
	deletedRule = Rule{ID: Deleted, Category: CatWasted, Severity: SevMedium,
		Why: "files deleted by a later layer still ship in the layer that wrote them",
		Fix: fixSameRun}
	overwrittenRule = Rule{ID: Overwritten, Category: CatWasted, Severity: SevLow,
		Why: "files overwritten by a later layer still ship in the layer that wrote them",
		Fix: "change the file in the RUN that creates it, or start from a base that already has the version you need"}
)

// knowledgeRules are the analyzers' rules, in the order reports list them.
var knowledgeRules = []*Rule{&packageRule, &devDependencyRule, &deletedRule, &overwrittenRule}

// ByID returns the rule of an ID, from the table or the analyzers.
func ByID(id string) (Rule, bool) {
	for _, set := range [][]Rule{pathRules, secretRules} {
		for _, r := range set {
			if r.ID == id {
				return r, true
			}
		}
	}
	for _, r := range knowledgeRules {
		if r.ID == id {
			return *r, true
		}
	}
	return Rule{}, false
}

// All lists every rule a finding can carry, in table order: the path
// rules, the secret rules, then the analyzers'.
func All() []Rule {
	out := slices.Clone(pathRules)
	out = append(out, secretRules...)
	for _, r := range knowledgeRules {
		out = append(out, *r)
	}
	return out
}

// distro are the trees a distribution's packages own: source-like files in
// them are not the app's.
var distro = []string{"usr/share/**", "usr/lib/**", "usr/lib64/**", "usr/include/**", "usr/libexec/**", "etc/**", "lib/**", "opt/**", "usr/local/lib/**", "usr/local/share/**"}

var distroPatterns = compileAll(distro)

// compileAll compiles globs.
func compileAll(globs []string) []pattern {
	ps := make([]pattern, len(globs))
	for i, g := range globs {
		ps[i] = compile(g)
	}
	return ps
}

// matchAny tells whether one of ps matches the path components segs
// exactly (not a parent of them).
func matchAny(ps []pattern, segs []string) bool {
	for i := range ps {
		if globSegs(ps[i].segs, segs, false) {
			return true
		}
	}
	return false
}

// notProject are trees that are never the user's project: test data, and
// the sources, tests and module caches a toolchain ships (the official
// golang image's /usr/local/go, Debian's golang-go under /usr/lib/go-*
// and /usr/share/go-*, rustup's toolchains, cargo's registry).
var notProject = []string{
	"**/testdata/**", "**/*_test.go",
	"usr/local/go/**", "usr/lib/go/**", "usr/lib/go-*/**", "usr/share/go/**", "usr/share/go-*/**", "usr/lib/golang/**",
	"usr/local/rustup/**", "**/.rustup/**", "usr/lib/rustlib/**", "usr/local/cargo/registry/**", "**/.cargo/registry/**",
	"**/go/pkg/mod/**",
}

var notProjectPatterns = compileAll(notProject)

// NotProject tells whether a path, given as its components, lies in test
// data or in a toolchain's own tree: what is there is not the user's
// project (a Go test key is no secret of theirs, a go.mod there no app).
func NotProject(segs []string) bool { return matchAny(notProjectPatterns, segs) }

// Distro tells whether a path, given as its components, lies in a tree a
// distribution's packages own (usr/share, usr/lib, etc, …).
func Distro(segs []string) bool { return matchAny(distroPatterns, segs) }

const (
	fixMulti     = "build in a builder stage and COPY --from=builder only the artifact into the runtime stage"
	fixSameRun   = "remove it in the same RUN that creates it, or build in a separate stage"
	fixIgnore    = "add it to .dockerignore, or COPY only what the app needs"
	fixAptClean  = "end the apt-get RUN with `rm -rf /var/lib/apt/lists/*`, or use a runtime stage without apt-get update"
	fixSecret    = "never COPY credentials into an image, not even to delete them later: use `RUN --mount=type=secret` and .dockerignore, and rotate this one"
	fixNoDocs    = "install with --no-install-recommends and a dpkg path-exclude for /usr/share/doc, man and info, or use a slim base"
	fixHeaders   = "install -dev packages only in the builder stage; the runtime stage needs just the shared libraries"
	fixCacheRule = "mount the cache (`RUN --mount=type=cache,target=…`) or clean it in the same RUN"
)

// The clean-up notes that several rules share.
const (
	cleanupApt    = "apt: `apt-get update && apt-get install -y --no-install-recommends … && rm -rf /var/lib/apt/lists/*` in one RUN (apt-get clean drops /var/cache/apt/archives)"
	cleanupGo     = "go: cache mounts for /go/pkg/mod and /root/.cache/go-build keep both caches out of every layer"
	cleanupCargo  = "cargo: cache mounts for the registry and target/ keep them out of every layer"
	cleanupSecret = "secrets: a multi-stage build does not clean a layer already pushed; rotate the credentials found, keep them out with .dockerignore and pass build secrets with RUN --mount=type=secret"
)

// pathRules is the table of path rules, in the order they are tried: a file
// is taken by the first that matches it.
var pathRules = []Rule{
	// vcs first: a .git below any tree is reported as such.
	{ID: "vcs.git", Category: CatVCS, Severity: SevMedium,
		Paths: []string{"**/.git/"},
		Why:   "a Git repository (history, objects, maybe credentials in config) copied in with COPY . .",
		Fix:   "add .git to .dockerignore"},
	{ID: "vcs.svn-hg", Category: CatVCS, Severity: SevMedium,
		Paths: []string{"**/.svn/", "**/.hg/", "**/.bzr/"},
		Why:   "a version-control directory copied into the image",
		Fix:   fixIgnore},
	{ID: "vcs.clutter", Category: CatVCS, Severity: SevInfo,
		Paths: []string{"**/.github/", "**/.gitlab/", "**/.circleci/", "**/.vscode/", "**/.idea/",
			"**/.gitignore", "**/.gitattributes", "**/.gitmodules", "**/.dockerignore", "**/.gitlab-ci.yml",
			"**/.travis.yml", "**/.editorconfig", "**/.DS_Store", "**/Jenkinsfile"},
		Unless: append([]string{"**/node_modules/**"}, distro...),
		Why:    "editor and CI files copied in with COPY . .",
		Fix:    fixIgnore},

	// toolchain
	{ID: "toolchain.gcc", Category: CatToolchain, Severity: SevHigh,
		Paths:     []string{"usr/lib/gcc/", "usr/libexec/gcc/", "usr/lib/gcc-cross/", "usr/local/libexec/gcc/"},
		Why:       "the GCC compiler (cc1, cc1plus, collect2, lto) is needed only to build",
		Fix:       fixMulti,
		Ecosystem: "c"},
	{ID: "toolchain.cc", Category: CatToolchain, Severity: SevHigh,
		Paths: []string{"usr/bin/*-linux-gnu*-*", "usr/bin/*-linux-musl*-*", "usr/bin/gcc", "usr/bin/gcc-[0-9]*", "usr/bin/g++", "usr/bin/g++-[0-9]*",
			"usr/bin/cc", "usr/bin/c++", "usr/bin/cpp", "usr/bin/cpp-[0-9]*", "usr/bin/lto-dump*",
			"usr/bin/ld", "usr/bin/ld.*", "usr/bin/as", "usr/bin/gold", "usr/bin/gcov*", "usr/bin/gcc-ar*", "usr/bin/gcc-nm*", "usr/bin/gcc-ranlib*",
			"usr/bin/clang*", "usr/bin/llc", "usr/bin/lld*"},
		Why:       "C/C++ compiler, assembler or linker, needed only to build",
		Fix:       fixMulti,
		Ecosystem: "c"},
	{ID: "toolchain.llvm", Category: CatToolchain, Severity: SevHigh,
		Paths: []string{"usr/lib/llvm-*/"},
		Why:   "the LLVM/Clang toolchain is needed only to build",
		Fix:   fixMulti},
	{ID: "toolchain.build-tools", Category: CatToolchain, Severity: SevMedium,
		Paths: []string{"usr/bin/make", "usr/bin/gmake", "usr/bin/cmake", "usr/bin/ctest", "usr/bin/cpack", "usr/bin/ninja", "usr/bin/meson", "usr/bin/autoconf", "usr/bin/automake*", "usr/bin/libtool", "usr/bin/pkg-config", "usr/bin/pkgconf",
			"usr/share/cmake-*/", "usr/local/bin/cmake"},
		Why: "a build tool (make, cmake, ninja, autotools, pkg-config) is needed only to build",
		Fix: fixMulti},
	{ID: "toolchain.go", Category: CatToolchain, Severity: SevHigh,
		Paths:     []string{"usr/local/go/", "usr/lib/go-*/", "usr/lib/go/", "usr/share/go-*/", "usr/lib/golang/"},
		Why:       "the Go toolchain is needed only to build; a Go binary runs without it",
		Fix:       "build with `go build` in a golang builder stage and COPY --from=builder only the binary (CGO_ENABLED=0 runs even FROM scratch)",
		Ecosystem: "go"},
	{ID: "toolchain.rust", Category: CatToolchain, Severity: SevHigh,
		Paths: []string{"usr/lib/rustlib/", "usr/local/rustup/", "**/.rustup/", "usr/local/cargo/bin/", "**/.cargo/bin/",
			"usr/bin/rustc", "usr/bin/rustdoc", "usr/bin/cargo", "usr/bin/rust-gdb", "usr/bin/rust-lldb"},
		Why:       "the Rust toolchain (rustc, cargo, the standard library rlibs) is needed only to build",
		Fix:       "run `cargo build --release` in a rust builder stage and COPY --from=builder only target/release/<binary>",
		Ecosystem: "rust"},
	{ID: "toolchain.jdk", Category: CatToolchain, Severity: SevMedium,
		Paths: []string{"**/bin/javac", "**/jmods/", "usr/lib/jvm/*/lib/src.zip"},
		Why:   "a JDK (javac, jmods) where a JRE would do",
		Fix:   "run the app on a JRE (or a jlink-ed runtime) base; keep the JDK in the builder stage"},
	{ID: "toolchain.node-gyp", Category: CatToolchain, Severity: SevMedium,
		Paths: []string{"**/node_modules/node-gyp/", "usr/share/nodejs/node-gyp/", "usr/lib/node_modules/npm/node_modules/node-gyp/", "usr/local/lib/node_modules/npm/node_modules/node-gyp/", "usr/bin/node-gyp", "**/.cache/node-gyp/", "**/.node-gyp/"},
		Why:   "node-gyp and the Node headers it downloads build native addons; running them needs neither",
		Fix:   "build native addons in the builder stage and COPY --from=builder the built node_modules"},

	// package caches
	{ID: "package-cache.apt-lists", Category: CatPackageCache, Severity: SevMedium,
		Paths:   []string{"var/lib/apt/lists/"},
		Why:     "apt package indexes from apt-get update are needed only to install packages",
		Fix:     fixAptClean,
		Cleanup: cleanupApt},
	{ID: "package-cache.apt-archives", Category: CatPackageCache, Severity: SevMedium,
		Paths:   []string{"var/cache/apt/"},
		Why:     "downloaded .deb archives and apt's package caches",
		Fix:     "run `apt-get clean` (and `rm -rf /var/lib/apt/lists/*`) in the same RUN as apt-get install",
		Cleanup: cleanupApt},
	{ID: "package-cache.apk", Category: CatPackageCache, Severity: SevMedium,
		Paths:   []string{"var/cache/apk/", "etc/apk/cache/"},
		Why:     "the apk download cache",
		Fix:     "use `apk add --no-cache`",
		Cleanup: "apk: `apk add --no-cache …`"},
	{ID: "package-cache.npm", Category: CatPackageCache, Severity: SevMedium,
		Paths:   []string{"**/.npm/"},
		Why:     "npm's download cache (_cacache) and logs",
		Fix:     "run `npm cache clean --force` in the same RUN as npm install/ci, or use a cache mount (`RUN --mount=type=cache,target=/root/.npm`)",
		Cleanup: "npm: `npm ci … && npm cache clean --force` in one RUN, or `RUN --mount=type=cache,target=/root/.npm npm ci`"},
	{ID: "package-cache.yarn", Category: CatPackageCache, Severity: SevMedium,
		Paths:   []string{"usr/local/share/.cache/yarn/", "**/.cache/yarn/", "**/.yarn/berry/cache/", "**/.yarn-cache/"},
		Why:     "yarn's download cache",
		Fix:     "run `yarn cache clean` in the same RUN as yarn install, or use a cache mount",
		Cleanup: "yarn: `yarn install --frozen-lockfile && yarn cache clean` in one RUN"},
	{ID: "package-cache.pnpm", Category: CatPackageCache, Severity: SevMedium,
		Paths:   []string{"**/.pnpm-store/", "**/.local/share/pnpm/store/", "**/.cache/pnpm/"},
		Why:     "pnpm's content-addressed store",
		Fix:     "run `pnpm store prune` in the same RUN, or use a cache mount",
		Cleanup: "pnpm: `RUN --mount=type=cache,target=/root/.local/share/pnpm/store pnpm install --frozen-lockfile`"},
	{ID: "package-cache.pip", Category: CatPackageCache, Severity: SevMedium,
		Paths:   []string{"**/.cache/pip/"},
		Why:     "pip's download and wheel cache",
		Fix:     "use `pip install --no-cache-dir` (or PIP_NO_CACHE_DIR=1)",
		Cleanup: "pip: `pip install --no-cache-dir …`"},
	{ID: "package-cache.composer", Category: CatPackageCache, Severity: SevMedium,
		Paths:   []string{"**/.composer/cache/", "**/.cache/composer/"},
		Why:     "Composer's download cache",
		Fix:     "run `composer install --no-cache` or `composer clear-cache` in the same RUN",
		Cleanup: "composer: run `composer install --no-cache` or `composer clear-cache` in the same RUN"},
	{ID: "package-cache.bundler", Category: CatPackageCache, Severity: SevMedium,
		Paths:   []string{"**/.bundle/cache/", "usr/local/bundle/cache/", "**/.gem/specs/"},
		Why:     "Bundler's and RubyGems' download caches",
		Fix:     "run `bundle install` then `rm -rf /usr/local/bundle/cache` in the same RUN",
		Cleanup: "bundler: run `bundle install` then `rm -rf /usr/local/bundle/cache` in the same RUN"},
	{ID: "package-cache.maven", Category: CatPackageCache, Severity: SevMedium,
		Paths:   []string{"**/.m2/"},
		Why:     "the Maven local repository holds every build dependency",
		Fix:     fixMulti,
		Cleanup: "maven: " + fixMulti},
	{ID: "package-cache.gradle", Category: CatPackageCache, Severity: SevMedium,
		Paths:   []string{"**/.gradle/caches/", "**/.gradle/wrapper/dists/"},
		Why:     "Gradle's dependency caches and wrapper distributions",
		Fix:     fixMulti,
		Cleanup: "gradle: " + fixMulti},
	{ID: "package-cache.cargo-registry", Category: CatPackageCache, Severity: SevMedium,
		Paths:   []string{"**/.cargo/registry/", "**/.cargo/git/", "usr/local/cargo/registry/", "usr/local/cargo/git/"},
		Why:     "Cargo's crate registry and git checkouts",
		Fix:     fixMulti,
		Cleanup: cleanupCargo},

	// build caches
	{ID: "build-cache.go-build", Category: CatBuildCache, Severity: SevMedium,
		Paths:   []string{"**/.cache/go-build/"},
		Why:     "the Go build cache",
		Fix:     fixCacheRule + " (`RUN --mount=type=cache,target=/root/.cache/go-build`), or build in a separate stage",
		Cleanup: cleanupGo, Ecosystem: "go"},
	{ID: "build-cache.go-mod", Category: CatBuildCache, Severity: SevMedium,
		Paths:   []string{"**/go/pkg/mod/"},
		Why:     "the Go module cache holds the sources of every dependency",
		Fix:     fixCacheRule + " (`RUN --mount=type=cache,target=/go/pkg/mod`), or build in a separate stage",
		Cleanup: cleanupGo},
	{ID: "build-cache.next", Category: CatBuildCache, Severity: SevMedium,
		Paths: []string{"**/.next/cache/"},
		Why:   "Next.js build cache, not read by `next start`",
		Fix:   "COPY --from=builder only .next/standalone, .next/static and public (or delete .next/cache)"},
	{ID: "build-cache.rust-target", Category: CatBuildCache, Severity: SevMedium,
		Paths: []string{"**/target/"}, Beside: "Cargo.toml",
		Why:     "Cargo's target directory: intermediate objects, dependency builds and incremental caches",
		Fix:     "COPY --from=builder only target/release/<binary> into the runtime stage",
		Cleanup: cleanupCargo},
	{ID: "build-cache.ccache", Category: CatBuildCache, Severity: SevMedium,
		Paths: []string{"**/.ccache/", "**/.cache/ccache/", "**/.cache/sccache/", "**/.cache/bazel/", "**/node_modules/.cache/", "**/.parcel-cache/", "**/.turbo/"},
		Why:   "a compiler or bundler cache",
		Fix:   fixCacheRule},
	{ID: "build-cache.tmp", Category: CatBuildCache, Severity: SevLow,
		Paths: []string{"tmp/", "var/tmp/"},
		Why:   "build debris left in /tmp or /var/tmp",
		Fix:   fixSameRun},
	{ID: "build-cache.objects", Category: CatBuildCache, Severity: SevLow,
		Paths:  []string{"**/*.o", "**/*.obj"},
		Unless: append([]string{"**/node_modules/**"}, distro...),
		Why:    "object files from a compile; the linked program does not need them",
		Fix:    fixMulti},
	{ID: "build-cache.source-maps", Category: CatBuildCache, Severity: SevInfo,
		Paths:  []string{"**/*.js.map", "**/*.css.map"},
		Unless: append([]string{"**/node_modules/**"}, distro...),
		Why:    "source maps of the app's own bundle; production serving does not need them",
		Fix:    "build without source maps for production, or leave *.map out of the runtime stage"},
	{ID: "build-cache.sources", Category: CatBuildCache, Severity: SevLow,
		Paths:  []string{"**/*.go", "**/*.rs", "**/*.c", "**/*.cc", "**/*.cpp", "**/*.cxx", "**/*.ts", "**/*.tsx"},
		Unless: append([]string{"**/node_modules/**", "**/*.d.ts", "**/vendor/**"}, distro...),
		Why:    "source code of a compiled app: the runtime needs only the build output",
		Fix:    "COPY only the build output into the runtime stage (and keep sources out with .dockerignore)"},

	// dev headers and link-time files
	{ID: "dev-headers.include", Category: CatDevHeaders, Severity: SevLow,
		Paths: []string{"usr/include/", "usr/local/include/"},
		Why:   "C/C++ headers are read only by a compiler",
		Fix:   fixHeaders},
	{ID: "dev-headers.static-libs", Category: CatDevHeaders, Severity: SevLow,
		Paths:  []string{"**/*.a", "**/*.la", "usr/lib/**/*.o", "usr/lib64/**/*.o"},
		Unless: []string{"**/node_modules/**"},
		Why:    "static libraries and libtool archives are read only by a linker",
		Fix:    fixHeaders},
	{ID: "dev-headers.pkg-config", Category: CatDevHeaders, Severity: SevInfo,
		Paths: []string{"**/pkgconfig/*.pc"},
		Why:   "pkg-config files describe how to compile against a library",
		Fix:   fixHeaders},

	// docs
	{ID: "docs.doc", Category: CatDocs, Severity: SevInfo,
		Paths:  []string{"usr/share/doc/", "usr/local/share/doc/", "usr/share/gtk-doc/"},
		Unless: []string{"usr/share/doc/*/copyright", "usr/share/doc/*/copyright.*"},
		Why:    "package documentation (copyright files are kept: licences may require them)",
		Fix:    fixNoDocs},
	{ID: "docs.man", Category: CatDocs, Severity: SevInfo,
		Paths: []string{"usr/share/man/", "usr/local/share/man/", "usr/man/"},
		Why:   "manual pages",
		Fix:   fixNoDocs},
	{ID: "docs.info", Category: CatDocs, Severity: SevInfo,
		Paths: []string{"usr/share/info/", "usr/local/share/info/"},
		Why:   "GNU info pages",
		Fix:   fixNoDocs},
}

// secretRules are checked on every version of every file, deleted and
// overwritten ones included.
var secretRules = []Rule{
	{ID: "secret.dotenv", Category: CatSecret, Severity: SevHigh, Hidden: true,
		Paths:   []string{"**/.env", "**/.env.*"},
		Unless:  append([]string{"**/.env.example", "**/.env.sample", "**/.env.template", "**/.env.dist", "**/.env.*.example"}, notProject...),
		Why:     "a .env file usually holds credentials and API keys",
		Fix:     fixSecret,
		Cleanup: cleanupSecret},
	{ID: "secret.ssh-key", Category: CatSecret, Severity: SevCritical, Hidden: true,
		Paths:   []string{"**/id_rsa", "**/id_dsa", "**/id_ecdsa", "**/id_ed25519", "**/id_ecdsa_sk", "**/id_ed25519_sk"},
		Unless:  notProject,
		Why:     "an SSH private key",
		Fix:     fixSecret,
		Cleanup: cleanupSecret},
	{ID: "secret.private-key", Category: CatSecret, Severity: SevCritical, Hidden: true,
		Paths: []string{"**/*.pem", "**/*.key", "**/*.p12", "**/*.pfx"},
		Unless: append([]string{"etc/ssl/certs/**", "usr/local/share/ca-certificates/**", "etc/pki/**", "etc/apt/**", "usr/share/**", "usr/lib/**", "usr/local/lib/python3*/**",
			"**/site-packages/**", "**/dist-packages/**", "**/node_modules/**"}, notProject...),
		Content: []string{"PRIVATE KEY-----"},
		Why:     "a private key",
		Fix:     fixSecret,
		Cleanup: cleanupSecret},
	{ID: "secret.npmrc-token", Category: CatSecret, Severity: SevHigh, Hidden: true,
		Paths:   []string{"**/.npmrc"},
		Content: []string{"_authToken", "_auth=", "_auth =", "_password"}, NeedContent: true,
		Why:     "an .npmrc with a registry token",
		Fix:     "pass the token with `RUN --mount=type=secret,id=npmrc,target=/root/.npmrc npm ci` instead of copying .npmrc",
		Cleanup: cleanupSecret},
	{ID: "secret.credentials", Category: CatSecret, Severity: SevHigh, Hidden: true,
		Paths: []string{"**/.git-credentials", "**/.aws/credentials", "**/.config/gcloud/credentials.db", "**/.config/gcloud/application_default_credentials.json",
			"**/.azure/accessTokens.json", "**/.azure/msal_token_cache.*", "**/.netrc", "**/.pypirc", "**/.docker/config.json", "**/.kube/config"},
		Why:     "a credentials file of git, a cloud CLI, a registry or a package index",
		Fix:     fixSecret,
		Cleanup: cleanupSecret},
}
