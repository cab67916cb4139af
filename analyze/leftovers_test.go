package analyze_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stagescope/stagescope/analyze"
	"github.com/stagescope/stagescope/analyze/leftovers"
	"github.com/stagescope/stagescope/analyze/rules"
	"github.com/stagescope/stagescope/layers"
	lt "github.com/stagescope/stagescope/layers/layerstest"
)

// analyzeSteps builds a real image from steps, reads it with the analyzers'
// capture and runs the analysis.
func analyzeSteps(t *testing.T, steps []lt.Step, opts ...analyze.Option) *analyze.Analysis {
	t.Helper()
	img, err := layers.Read(context.Background(), lt.Image(t, steps...), layers.WithCapture(analyze.Capture, analyze.CaptureLimit))
	if err != nil {
		t.Fatal(err)
	}
	return analyze.Run(img, opts...)
}

func files(names ...string) []lt.File {
	fs := make([]lt.File, len(names))
	for i, n := range names {
		fs[i] = lt.File{Name: n, Body: "content of " + n}
	}
	return fs
}

const (
	dpkgGCC = "Package: gcc-12\nStatus: install ok installed\nArchitecture: amd64\nVersion: 12.2.0-14\n\n" +
		"Package: zlib1g\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1:1.2.13\n"
	dpkgRuntime = "Package: zlib1g\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1:1.2.13\n\n" +
		"Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.36-9\n\n" +
		"Package: ca-certificates\nStatus: install ok installed\nArchitecture: all\nVersion: 20230311\n"
	pkgJSON     = `{"name":"app","version":"1.0.0","dependencies":{"express":"^4"},"devDependencies":{"typescript":"^5"}}`
	hiddenLock  = `{"name":"app","lockfileVersion":3,"packages":{"node_modules/express":{"version":"4.21.2"},"node_modules/typescript":{"version":"5.9.3","dev":true}}}`
	privateKey  = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n"
	certificate = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n"
)

// ruleCase is an image that must make a rule fire on path, and one on
// which it must stay silent.
type ruleCase struct {
	match   []lt.Step
	path    string // the finding's path
	layer   int
	hidden  int
	nomatch []lt.Step
}

func one(fs ...lt.File) []lt.Step { return []lt.Step{{CreatedBy: "RUN build", Files: fs}} }

var ruleCases = map[string]ruleCase{
	"vcs.git":                      {match: one(files("app/.git/config", "app/.git/HEAD")...), path: "app/.git", nomatch: one(files("app/git/config", "app/.gitconfig")...)},
	"vcs.svn-hg":                   {match: one(files("app/.svn/entries")...), path: "app/.svn", nomatch: one(files("app/svn/entries")...)},
	"vcs.clutter":                  {match: one(files("app/.gitignore")...), path: "app/.gitignore", nomatch: one(files("app/node_modules/x/.gitignore", "usr/share/perl/.gitignore")...)},
	"toolchain.gcc":                {match: one(files("usr/lib/gcc/x86_64-linux-gnu/12/cc1")...), path: "usr/lib/gcc", nomatch: one(files("usr/lib/x86_64-linux-gnu/libgcc_s.so.1")...)},
	"toolchain.cc":                 {match: one(files("usr/bin/x86_64-linux-gnu-gcc-12")...), path: "usr/bin/x86_64-linux-gnu-gcc-12", nomatch: one(files("usr/bin/gzip", "usr/bin/ldd", "usr/bin/node")...)},
	"toolchain.llvm":               {match: one(files("usr/lib/llvm-14/lib/libLLVM-14.so")...), path: "usr/lib/llvm-14", nomatch: one(files("usr/lib/x86_64-linux-gnu/libLLVM-15.so.1")...)},
	"toolchain.build-tools":        {match: one(files("usr/bin/make")...), path: "usr/bin/make", nomatch: one(files("usr/bin/maker", "usr/local/bin/app")...)},
	"toolchain.go":                 {match: one(files("usr/local/go/bin/go")...), path: "usr/local/go", nomatch: one(files("usr/local/bin/goapp")...)},
	"toolchain.rust":               {match: one(files("usr/lib/rustlib/x86_64-unknown-linux-gnu/lib/libstd.rlib")...), path: "usr/lib/rustlib", nomatch: one(files("usr/local/bin/rustapp")...)},
	"toolchain.jdk":                {match: one(files("usr/lib/jvm/java-17/bin/javac")...), path: "usr/lib/jvm/java-17/bin/javac", nomatch: one(files("usr/lib/jvm/java-17/bin/java")...)},
	"toolchain.node-gyp":           {match: one(files("usr/share/nodejs/node-gyp/lib/build.js")...), path: "usr/share/nodejs/node-gyp", nomatch: one(files("usr/bin/node")...)},
	"package-cache.apt-lists":      {match: one(files("var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages")...), path: "var/lib/apt/lists", nomatch: one(files("var/lib/apt/extended_states")...)},
	"package-cache.apt-archives":   {match: one(files("var/cache/apt/archives/gcc-12_12.2.0-14_amd64.deb")...), path: "var/cache/apt", nomatch: one(files("var/cache/debconf/templates.dat")...)},
	"package-cache.apk":            {match: one(files("var/cache/apk/APKINDEX.tar.gz")...), path: "var/cache/apk", nomatch: one(files("etc/apk/repositories")...)},
	"package-cache.npm":            {match: one(files("root/.npm/_cacache/index-v5/aa/bb")...), path: "root/.npm", nomatch: one(files("app/npm/x")...)},
	"package-cache.yarn":           {match: one(files("usr/local/share/.cache/yarn/v6/pkg/index.js")...), path: "usr/local/share/.cache/yarn", nomatch: one(files("app/yarn.lock")...)},
	"package-cache.pnpm":           {match: one(files("root/.local/share/pnpm/store/v3/files/00/abc")...), path: "root/.local/share/pnpm/store", nomatch: one(files("app/pnpm-lock.yaml")...)},
	"package-cache.pip":            {match: one(files("root/.cache/pip/http/a/b")...), path: "root/.cache/pip", nomatch: one(files("usr/local/lib/python3.11/site-packages/pip/__init__.py")...)},
	"package-cache.composer":       {match: one(files("root/.composer/cache/files/x.zip")...), path: "root/.composer/cache", nomatch: one(files("app/composer.json")...)},
	"package-cache.bundler":        {match: one(files("usr/local/bundle/cache/rack-3.0.gem")...), path: "usr/local/bundle/cache", nomatch: one(files("usr/local/bundle/gems/rack-3.0/lib/rack.rb")...)},
	"package-cache.maven":          {match: one(files("root/.m2/repository/org/x/x.jar")...), path: "root/.m2", nomatch: one(files("app/app.jar")...)},
	"package-cache.gradle":         {match: one(files("root/.gradle/caches/modules-2/x.jar")...), path: "root/.gradle/caches", nomatch: one(files("app/build/libs/app.jar")...)},
	"package-cache.cargo-registry": {match: one(files("usr/local/cargo/registry/cache/x.crate")...), path: "usr/local/cargo/registry", nomatch: one(files("app/Cargo.lock")...)},
	"build-cache.go-build":         {match: one(files("root/.cache/go-build/00/abc-d")...), path: "root/.cache/go-build", nomatch: one(files("root/.cache/other/x")...)},
	"build-cache.go-mod":           {match: one(files("go/pkg/mod/cache/download/x.zip")...), path: "go/pkg/mod", nomatch: one(files("go/bin/tool")...)},
	"build-cache.next":             {match: one(files("app/.next/cache/webpack/x.pack")...), path: "app/.next/cache", nomatch: one(files("app/.next/server/app.js")...)},
	"build-cache.rust-target":      {match: one(files("app/Cargo.toml", "app/target/release/app")...), path: "app/target", nomatch: one(files("app/target/release/app")...)},
	"build-cache.ccache":           {match: one(files("root/.ccache/stats")...), path: "root/.ccache", nomatch: one(files("root/.cache/x")...)},
	"build-cache.tmp":              {match: one(files("tmp/build.tgz")...), path: "tmp", nomatch: one(files("srv/tmp/x")...)},
	"build-cache.objects":          {match: one(files("src/main.o")...), path: "src/main.o", nomatch: one(files("usr/lib/x86_64-linux-gnu/crt1.o")...)},
	"build-cache.source-maps":      {match: one(files("app/dist/app.js.map")...), path: "app/dist/app.js.map", nomatch: one(files("app/node_modules/x/index.js.map")...)},
	"build-cache.sources":          {match: one(files("src/main.go", "src/util.go")...), path: "src/*.go", nomatch: one(files("app/types.d.ts", "usr/share/doc/x/example.c")...)},
	"dev-headers.include":          {match: one(files("usr/include/zlib.h")...), path: "usr/include", nomatch: one(files("usr/lib/x86_64-linux-gnu/libz.so.1")...)},
	"dev-headers.static-libs":      {match: one(files("usr/lib/x86_64-linux-gnu/libz.a")...), path: "usr/lib/x86_64-linux-gnu/libz.a", nomatch: one(files("usr/lib/x86_64-linux-gnu/libz.so.1")...)},
	"dev-headers.pkg-config":       {match: one(files("usr/lib/x86_64-linux-gnu/pkgconfig/zlib.pc")...), path: "usr/lib/x86_64-linux-gnu/pkgconfig/zlib.pc", nomatch: one(files("usr/lib/x86_64-linux-gnu/libz.so.1")...)},
	"docs.doc":                     {match: one(files("usr/share/doc/zlib1g/changelog.gz")...), path: "usr/share/doc", nomatch: one(files("usr/share/doc/zlib1g/copyright")...)},
	"docs.man":                     {match: one(files("usr/share/man/man1/gzip.1.gz")...), path: "usr/share/man", nomatch: one(files("usr/share/zoneinfo/UTC")...)},
	"docs.info":                    {match: one(files("usr/share/info/gzip.info.gz")...), path: "usr/share/info", nomatch: one(files("usr/share/misc/magic")...)},
	"secret.dotenv":                {match: one(files("app/.env")...), path: "app/.env", nomatch: one(files("app/.env.example", "app/env")...)},
	"secret.ssh-key":               {match: one(files("root/.ssh/id_ed25519")...), path: "root/.ssh/id_ed25519", nomatch: one(files("root/.ssh/id_ed25519.pub", "root/.ssh/known_hosts")...)},
	"secret.private-key": {match: one(lt.File{Name: "app/certs/server.key", Body: privateKey}), path: "app/certs/server.key",
		nomatch: one(lt.File{Name: "app/certs/server.pem", Body: certificate}, lt.File{Name: "etc/ssl/certs/ca.pem", Body: certificate})},
	"secret.npmrc-token": {match: one(lt.File{Name: "app/.npmrc", Body: "//registry.npmjs.org/:_authToken=npm_0123456789\n"}), path: "app/.npmrc",
		nomatch: one(lt.File{Name: "app/.npmrc", Body: "registry=https://registry.npmjs.org/\n"})},
	"secret.credentials": {match: one(files("root/.git-credentials", "root/.aws/credentials")...), path: "root/.aws/credentials", nomatch: one(files("root/.gitconfig", "root/.aws/config")...)},
	"toolchain.package": {
		match: one(lt.File{Name: "var/lib/dpkg/status", Body: dpkgGCC},
			lt.File{Name: "var/lib/dpkg/info/gcc-12.list", Body: "/.\n/usr\n/usr/bin\n/usr/bin/x86_64-linux-gnu-gcc-12\n/usr/share/gcc-12/x.py\n"},
			lt.File{Name: "usr/bin/x86_64-linux-gnu-gcc-12", Body: "gcc"}, lt.File{Name: "usr/share/gcc-12/x.py", Body: "python"}),
		path: "usr",
		nomatch: one(lt.File{Name: "var/lib/dpkg/status", Body: dpkgRuntime},
			lt.File{Name: "var/lib/dpkg/info/zlib1g:amd64.list", Body: "/.\n/usr/lib/x86_64-linux-gnu/libz.so.1\n"},
			lt.File{Name: "usr/lib/x86_64-linux-gnu/libz.so.1", Body: "zlib"}),
	},
	"dev-dependency.npm": {
		match: one(lt.File{Name: "app/package.json", Body: pkgJSON}, lt.File{Name: "app/node_modules/.package-lock.json", Body: hiddenLock},
			lt.File{Name: "app/node_modules/express/package.json", Body: `{"name":"express","version":"4.21.2"}`},
			lt.File{Name: "app/node_modules/typescript/package.json", Body: `{"name":"typescript","version":"5.9.3"}`},
			lt.File{Name: "app/node_modules/typescript/lib/tsc.js", Body: "tsc"}),
		path: "app/node_modules/typescript",
		nomatch: one(lt.File{Name: "app/package.json", Body: pkgJSON}, lt.File{Name: "app/node_modules/.package-lock.json", Body: hiddenLock},
			lt.File{Name: "app/node_modules/express/package.json", Body: `{"name":"express","version":"4.21.2"}`}),
	},
	"wasted.deleted": {
		match: []lt.Step{{CreatedBy: "RUN curl -o /tmp/x.tgz", Files: files("tmp/x.tgz")}, {CreatedBy: "RUN rm /tmp/x.tgz", Files: []lt.File{lt.Whiteout("tmp/x.tgz")}}},
		path:  "tmp/x.tgz", hidden: 1,
		nomatch: []lt.Step{{CreatedBy: "RUN curl -o /tmp/x.tgz && rm /tmp/x.tgz", Files: files("srv/data")}},
	},
	"wasted.overwritten": {
		match: []lt.Step{{CreatedBy: "COPY config /etc/app.conf", Files: files("etc/app.conf")}, {CreatedBy: "RUN sed -i s/a/b/ /etc/app.conf", Files: files("etc/app.conf")}},
		path:  "etc/app.conf", hidden: 1,
		nomatch: []lt.Step{{CreatedBy: "COPY config /etc/app.conf", Files: files("etc/app.conf")}, {CreatedBy: "COPY other /etc/other.conf", Files: files("etc/other.conf")}},
	},
}

func TestEveryRuleHasCases(t *testing.T) {
	for _, r := range rules.All() {
		if _, ok := ruleCases[r.ID]; !ok {
			t.Errorf("rule %s has no matching and non-matching test case", r.ID)
		}
		if _, ok := rules.ByID(r.ID); !ok {
			t.Errorf("RuleByID(%q) finds nothing", r.ID)
		}
		if r.Why == "" || r.Fix == "" || !rules.ValidCategory(r.Category) {
			t.Errorf("rule %s: why %q, fix %q, category %q: all must be set", r.ID, r.Why, r.Fix, r.Category)
		}
	}
	for id := range ruleCases {
		if _, ok := rules.ByID(id); !ok {
			t.Errorf("test case for unknown rule %s", id)
		}
	}
}

func TestRules(t *testing.T) {
	for id, tc := range ruleCases {
		t.Run(id, func(t *testing.T) {
			a := analyzeSteps(t, tc.match)
			var got *leftovers.Finding
			for i := range a.Findings {
				if a.Findings[i].RuleID == id && a.Findings[i].Path == tc.path {
					got = &a.Findings[i]
				}
			}
			if got == nil {
				t.Fatalf("no %s finding at %s; findings: %v", id, tc.path, summary(a.Findings))
			}
			r, _ := rules.ByID(id)
			if got.Category != r.Category || got.Layer != tc.layer || got.Bytes <= 0 || got.Files < 1 {
				t.Errorf("finding %+v: want category %s, layer %d, bytes and files", *got, r.Category, tc.layer)
			}
			wantHidden := -1
			if tc.hidden > 0 {
				wantHidden = tc.hidden
			}
			if got.HiddenBy != wantHidden {
				t.Errorf("hidden by %d, want %d", got.HiddenBy, wantHidden)
			}
			if got.CreatedBy != a.Image.Layers[tc.layer].CreatedBy {
				t.Errorf("created by %q, want %q", got.CreatedBy, a.Image.Layers[tc.layer].CreatedBy)
			}
			if r.Category == rules.CatSecret && !a.ContentHashHidden(got.Path) {
				t.Errorf("the content hash of secret %s may be shown", got.Path)
			}

			a = analyzeSteps(t, tc.nomatch)
			for _, f := range a.Findings {
				if f.RuleID == id {
					t.Errorf("rule fired on the non-matching image: %+v", f)
				}
			}
		})
	}
}

func summary(fs []leftovers.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.RuleID+" "+f.Path)
	}
	return out
}

// A correct runtime image: the node binary, libc, production node_modules,
// CA certificates, the app binary, licences. Nothing may fire.
func TestRuntimeFilesAreNotLeftovers(t *testing.T) {
	steps := []lt.Step{
		{CreatedBy: "ADD rootfs /", Files: []lt.File{
			{Name: "var/lib/dpkg/status", Body: dpkgRuntime},
			{Name: "var/lib/dpkg/info/libc6:amd64.list", Body: "/.\n/lib/x86_64-linux-gnu/libc.so.6\n/usr/lib/x86_64-linux-gnu/libc.so.6\n"},
			{Name: "var/lib/dpkg/info/ca-certificates.list", Body: "/.\n/usr/share/ca-certificates/mozilla/ISRG_Root_X1.crt\n"},
			lt.Symlink("lib", "usr/lib"),
			{Name: "usr/lib/x86_64-linux-gnu/libc.so.6", Body: "libc"},
			{Name: "usr/lib/x86_64-linux-gnu/libstdc++.so.6", Body: "libstdc++"},
			{Name: "usr/lib/x86_64-linux-gnu/libgcc_s.so.1", Body: "libgcc"},
			{Name: "usr/share/ca-certificates/mozilla/ISRG_Root_X1.crt", Body: certificate},
			{Name: "etc/ssl/certs/ca-certificates.crt", Body: certificate},
			{Name: "etc/ssl/certs/ISRG_Root_X1.pem", Body: certificate},
			{Name: "usr/share/doc/libc6/copyright", Body: "GPL"},
			{Name: "usr/bin/node", Body: "node"},
			{Name: "usr/local/bin/app", Body: "app"},
			{Name: "usr/local/lib/python3.11/site-packages/certifi/cacert.pem", Body: certificate},
		}},
		{CreatedBy: "RUN npm ci --omit=dev", Files: []lt.File{
			{Name: "app/package.json", Body: pkgJSON},
			{Name: "app/node_modules/.package-lock.json", Body: `{"name":"app","lockfileVersion":3,"packages":{"node_modules/express":{"version":"4.21.2"}}}`},
			{Name: "app/node_modules/express/package.json", Body: `{"name":"express","version":"4.21.2"}`},
			{Name: "app/node_modules/express/index.js", Body: "module.exports = {}"},
			{Name: "app/node_modules/express/.github/workflows/ci.yml", Body: "ci"},
			{Name: "app/node_modules/express/lib/router.js.map", Body: "{}"},
			{Name: "app/dist/server.js", Body: "require('express')"},
		}},
	}
	a := analyzeSteps(t, steps)
	if len(a.Findings) != 0 {
		t.Errorf("findings on a correct runtime image: %v", summary(a.Findings))
	}
	if a.Leftovers.Bytes != 0 || a.Leftovers.RuntimeBytes != a.Metrics.TotalBytes {
		t.Errorf("leftovers %+v, want none and the runtime size equal to the image's %d", a.Leftovers, a.Metrics.TotalBytes)
	}
}

// Totals count each file once, per category and overall, and the runtime
// estimate drops exactly the visible leftover bytes.
func TestLeftoverTotals(t *testing.T) {
	steps := []lt.Step{
		{CreatedBy: "RUN apt-get install gcc", Files: []lt.File{
			{Name: "var/lib/dpkg/status", Body: dpkgGCC},
			{Name: "var/lib/dpkg/info/gcc-12.list", Body: "/.\n/usr/lib/gcc/x86_64-linux-gnu/12/cc1\n"},
			{Name: "usr/lib/gcc/x86_64-linux-gnu/12/cc1", Body: strings.Repeat("c", 1000)},
			{Name: "usr/share/doc/gcc-12/README", Body: strings.Repeat("d", 100)},
			{Name: "app/server", Body: strings.Repeat("s", 5000)},
		}},
		{CreatedBy: "COPY . /app", Files: []lt.File{{Name: "app/.env", Body: strings.Repeat("e", 10)}}},
		{CreatedBy: "RUN rm /app/.env", Files: []lt.File{lt.Whiteout("app/.env")}},
	}
	a := analyzeSteps(t, steps)
	got := a.Leftovers
	// cc1 is claimed by toolchain.gcc and toolchain.package: one file.
	want := leftovers.Leftovers{
		Categories: []leftovers.CategoryTotal{
			{Category: rules.CatToolchain, Findings: 2, Files: 1, Bytes: 1000},
			{Category: rules.CatDocs, Findings: 1, Files: 1, Bytes: 100},
			{Category: rules.CatSecret, Findings: 1, Files: 1, Bytes: 10},
			{Category: rules.CatWasted, Findings: 1, Files: 1, Bytes: 10},
		},
		Files:        3,
		Bytes:        1110,
		ShippedBytes: a.Metrics.TotalBytes + 10,
		LayerBytes:   []int64{1100, 10, 0},
		LayerFiles:   []int64{2, 1, 0},
		RuntimeBytes: a.Metrics.TotalBytes - 1100,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("leftovers (-want +got):\n%s", diff)
	}
}

// TestEmptyLeftoverFiles: a zero-byte file counts in the totals when a
// finding with bytes claims it, and not when its only finding, all empty,
// is dropped (the JSON said "files": 1 with no finding and no category).
func TestEmptyLeftoverFiles(t *testing.T) {
	tests := []struct {
		name  string
		files []lt.File
		want  leftovers.Leftovers
	}{
		{name: "only empty", files: []lt.File{{Name: "app/.git/HEAD"}, {Name: "app/main", Body: "m"}},
			want: leftovers.Leftovers{LayerBytes: []int64{0}, LayerFiles: []int64{0}}},
		{name: "empty beside bytes", files: []lt.File{{Name: "app/.git/HEAD"}, {Name: "app/.git/config", Body: "[core]"}},
			want: leftovers.Leftovers{Files: 2, Bytes: 6, LayerBytes: []int64{6}, LayerFiles: []int64{2},
				Categories: []leftovers.CategoryTotal{{Category: rules.CatVCS, Findings: 1, Files: 2, Bytes: 6}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := analyzeSteps(t, []lt.Step{{CreatedBy: "COPY . /app", Files: tt.files}})
			got := a.Leftovers
			got.ShippedBytes, got.RuntimeBytes = 0, 0
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("leftovers (-want +got):\n%s", diff)
			}
		})
	}
}

func TestIgnore(t *testing.T) {
	steps := one(files("usr/share/doc/x/README", "usr/share/man/man1/x.1.gz", "app/.git/HEAD", "app/dist/a.js.map", "app/dist/b.js.map")...)
	tests := []struct {
		ignore rules.Ignore
		want   []string
	}{
		{rules.Ignore{}, []string{"docs.doc usr/share/doc", "docs.man usr/share/man", "vcs.git app/.git", "build-cache.source-maps app/dist/*.js.map"}},
		{rules.Ignore{Rules: []string{"docs.man", "vcs.git"}}, []string{"docs.doc usr/share/doc", "build-cache.source-maps app/dist/*.js.map"}},
		{rules.Ignore{Paths: []string{"usr/share"}}, []string{"vcs.git app/.git", "build-cache.source-maps app/dist/*.js.map"}},
		{rules.Ignore{Paths: []string{"/app/dist/a.js.map", "**/.git"}}, []string{"docs.doc usr/share/doc", "docs.man usr/share/man", "build-cache.source-maps app/dist/b.js.map"}},
	}
	for _, tt := range tests {
		a := analyzeSteps(t, steps, analyze.WithIgnore(tt.ignore))
		got := summary(a.Findings)
		slices.Sort(got)
		slices.Sort(tt.want)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ignore %+v: findings (-want +got):\n%s", tt.ignore, diff)
		}
		var sum int64
		for _, c := range a.Leftovers.Categories {
			sum += c.Bytes
		}
		if sum != a.Leftovers.Bytes {
			t.Errorf("ignore %+v: categories sum to %d, union is %d (no file is in two categories here)", tt.ignore, sum, a.Leftovers.Bytes)
		}
	}
}

func TestFindingNames(t *testing.T) {
	wasted := leftovers.Finding{Kind: leftovers.KindWasted, Path: "", Claims: []string{"app/a", "var/b"}}
	tests := []struct {
		f    leftovers.Finding
		p    string
		want bool
	}{
		{leftovers.Finding{Kind: leftovers.KindDir, Path: "app/.git"}, "app/.git/HEAD", true},
		{leftovers.Finding{Kind: leftovers.KindDir, Path: "app/.git"}, "app/.gitignore", false},
		{leftovers.Finding{Kind: leftovers.KindGlob, Path: "app/dist/*.js.map"}, "app/dist/a.js.map", true},
		{leftovers.Finding{Kind: leftovers.KindGlob, Path: "app/dist/*.js.map"}, "app/dist/server.js", false},
		{leftovers.Finding{Kind: leftovers.KindGlob, Path: "app/dist/*.js.map"}, "app/dist/sub/a.js.map", false},
		{leftovers.Finding{Kind: leftovers.KindFile, Path: "src/main.go"}, "src/main.go", true},
		{leftovers.Finding{Kind: leftovers.KindFile, Path: "src/main.go"}, "src/main.go/x", false},
		// Hidden versions spread over the image: their common directory
		// is the root, yet they name only their own files.
		{wasted, "app/a", true},
		{wasted, "var/b", true},
		{wasted, "anything/at/all", false},
	}
	for _, tt := range tests {
		if got := tt.f.Names(tt.p); got != tt.want {
			t.Errorf("Finding{Kind: %d, Path: %q}.Names(%q) = %v, want %v", tt.f.Kind, tt.f.Path, tt.p, got, tt.want)
		}
	}
}

// TestFileReplacedByDirectory: a file whose path a later layer turns into a
// directory still ships in its layer. A secret there is a finding, and its
// bytes are wasted like any other hidden copy.
func TestFileReplacedByDirectory(t *testing.T) {
	steps := []lt.Step{
		{CreatedBy: "COPY . /", Files: []lt.File{
			{Name: "app/.env", Body: "TOKEN=stagescope-dummy"},
			{Name: "root/.ssh/id_rsa", Body: privateKey},
		}},
		{CreatedBy: "RUN mkdir", Files: []lt.File{lt.Dir("app/.env/"), lt.Dir("root/.ssh/id_rsa/"), {Name: "app/.env/keep", Body: "x"}}},
	}
	a := analyzeSteps(t, steps)
	var secrets []string
	var wasted int64
	for _, f := range a.Findings {
		switch f.Category {
		case rules.CatSecret:
			secrets = append(secrets, fmt.Sprintf("%s %s layer %d hidden by %d", f.RuleID, f.Path, f.Layer, f.HiddenBy))
		case rules.CatWasted:
			wasted += f.Bytes
		}
	}
	slices.Sort(secrets)
	want := []string{
		"secret.dotenv app/.env layer 0 hidden by 1",
		"secret.ssh-key root/.ssh/id_rsa layer 0 hidden by 1",
	}
	if diff := cmp.Diff(want, secrets); diff != "" {
		t.Errorf("secret findings (-want +got):\n%s", diff)
	}
	if wasted != a.Metrics.WastedBytes {
		t.Errorf("wasted findings hold %d bytes, want the metrics' %d", wasted, a.Metrics.WastedBytes)
	}
}

// TestPackageFilesBehindSymlinks: the files a build-only package lists are
// found behind as many symlinked directories as the kernel follows (40),
// not the 8 the leftover pass once stopped at while the package view
// followed 40.
func TestPackageFilesBehindSymlinks(t *testing.T) {
	for _, tt := range []struct {
		hops  int
		files int64
	}{{1, 1}, {10, 1}, {40, 1}, {41, 0}} {
		t.Run(fmt.Sprint(tt.hops, " hops"), func(t *testing.T) {
			// l0 -> l1 -> … -> usr/lib/gcc-real: tt.hops symlinks.
			fs := []lt.File{
				{Name: "var/lib/dpkg/status", Body: dpkgGCC},
				{Name: "var/lib/dpkg/info/gcc-12.list", Body: "/.\n/l0/cc1\n"},
				{Name: "usr/lib/gcc-real/cc1", Body: "cc1 proper"},
			}
			for i := range tt.hops {
				target := fmt.Sprintf("l%d", i+1)
				if i == tt.hops-1 {
					target = "usr/lib/gcc-real"
				}
				fs = append(fs, lt.Symlink(fmt.Sprintf("l%d", i), target))
			}
			a := analyzeSteps(t, one(fs...))
			var got int64
			for _, f := range a.Findings {
				if f.RuleID == rules.Package {
					got += f.Files
				}
			}
			if got != tt.files {
				t.Errorf("%s findings claim %d files, want %d (%s)", rules.Package, got, tt.files, summary(a.Findings))
			}
		})
	}
}

// TestFindingKinds: each finding says what its path names, and the
// findings whose path is only a common directory list the files they
// claim.
func TestFindingKinds(t *testing.T) {
	a := analyzeSteps(t, []lt.Step{
		{CreatedBy: "COPY . /app", Files: files("app/.git/HEAD", "app/.git/config", "app/main.o", "usr/lib/libx.a", "usr/lib/liby.a", "tmp/a/x", "srv/b/y")},
		{CreatedBy: "RUN rm", Files: []lt.File{lt.Whiteout("tmp/a/x"), lt.Whiteout("srv/b/y")}},
	})
	type kind struct {
		Path   string
		Kind   leftovers.Kind
		Claims []string
	}
	got := map[string]kind{}
	for _, f := range a.Findings {
		got[f.RuleID] = kind{f.Path, f.Kind, f.Claims}
	}
	want := map[string]kind{
		"vcs.git":                 {"app/.git", leftovers.KindDir, nil},
		"build-cache.objects":     {"app/main.o", leftovers.KindFile, nil},
		"dev-headers.static-libs": {"usr/lib/*.a", leftovers.KindGlob, nil},
		rules.Deleted:             {"", leftovers.KindWasted, []string{"srv/b/y", "tmp/a/x"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings by rule (-want +got):\n%s", diff)
	}
}
