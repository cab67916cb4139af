package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestResolveBuild(t *testing.T) {
	t.Parallel()
	vcs := func(mainVersion string, settings ...string) *debug.BuildInfo {
		bi := &debug.BuildInfo{Main: debug.Module{Path: "github.com/stagescope/stagescope", Version: mainVersion}}
		for i := 0; i+1 < len(settings); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
		}
		return bi
	}
	const rev = "0123456789abcdef0123456789abcdef01234567"
	checkout := vcs("(devel)", "vcs.revision", rev, "vcs.time", "2026-12-01T10:00:00Z", "vcs.modified", "false")
	dirty := vcs("(devel)", "vcs.revision", rev, "vcs.time", "2026-12-01T10:00:00Z", "vcs.modified", "true")
	ldflags := build{Version: "v0.1.0", Commit: rev, Date: "2026-12-04T12:00:00Z"}
	for _, tc := range []struct {
		name string
		in   build
		bi   *debug.BuildInfo
		want build
	}{
		{"release ldflags win over the build info", ldflags, dirty, ldflags},
		{"no build info", build{Version: "dev"}, nil, build{Version: "dev", Commit: "unknown", Date: "unknown"}},
		{"go install @v0.3.1", build{Version: "dev"}, vcs("v0.3.1"),
			build{Version: "v0.3.1", Commit: "unknown", Date: "unknown"}},
		{"go install @latest of an untagged commit", build{Version: "dev"}, vcs("v0.0.0-20261204101500-0123456789ab"),
			build{Version: "v0.0.0-20261204101500-0123456789ab", Commit: "0123456789ab", Date: "2026-12-04T10:15:00Z"}},
		{"go install @main after a tag", build{Version: "dev"}, vcs("v0.1.1-0.20261204101500-0123456789ab"),
			build{Version: "v0.1.1-0.20261204101500-0123456789ab", Commit: "0123456789ab", Date: "2026-12-04T10:15:00Z"}},
		{"go install @main after a pre-release", build{Version: "dev"}, vcs("v0.2.0-rc.1.0.20261204101500-0123456789ab"),
			build{Version: "v0.2.0-rc.1.0.20261204101500-0123456789ab", Commit: "0123456789ab", Date: "2026-12-04T10:15:00Z"}},
		{"go build in a clean checkout", build{Version: "dev"}, checkout,
			build{Version: "dev-0123456789ab", Commit: rev, Date: "2026-12-01T10:00:00Z"}},
		{"go build in a dirty checkout", build{Version: "dev"}, dirty,
			build{Version: "dev-0123456789ab-dirty", Commit: rev, Date: "2026-12-01T10:00:00Z"}},
		{"go build without VCS stamping", build{Version: "dev"}, vcs("(devel)"),
			build{Version: "dev", Commit: "unknown", Date: "unknown"}},
		{"a tagged release version is not a pseudo-version", build{Version: "dev"}, vcs("v1.20261204101500.0"),
			build{Version: "v1.20261204101500.0", Commit: "unknown", Date: "unknown"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := resolveBuild(tc.in, tc.bi)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("resolveBuild(%+v) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	r := stagescope(t, "version")
	if r.code != exitOK || r.stderr != "" {
		t.Fatalf("exit status %d, stderr %q; want 0 and nothing", r.code, r.stderr)
	}
	want := "stagescope " + binary.Version + "\ncommit:   " + binary.Commit + "\ndate:     " + binary.Date +
		"\ngo:       " + runtime.Version() + "\nplatform: " + runtime.GOOS + "/" + runtime.GOARCH + "\n"
	if diff := cmp.Diff(want, r.stdout); diff != "" {
		t.Errorf("stagescope version (-want +got):\n%s", diff)
	}

	r = stagescope(t, "version", "-o", "json")
	if r.code != exitOK || r.stderr != "" {
		t.Fatalf("-o json: exit status %d, stderr %q; want 0 and nothing", r.code, r.stderr)
	}
	var got build
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("-o json: %v in %q", err, r.stdout)
	}
	if diff := cmp.Diff(binary, got); diff != "" {
		t.Errorf("stagescope version -o json (-want +got):\n%s", diff)
	}

	wantOneLineError(t, stagescope(t, "version", "-o", "yaml"), `unknown output format "yaml"`)
}

// TestVersionLdflags builds the binary as the release does and checks that
// the linker flags reach `stagescope version` and the JSON report.
func TestVersionLdflags(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	exe := filepath.Join(t.TempDir(), "stagescope")
	const (
		v = "v9.8.7"
		c = "fedcba9876543210fedcba9876543210fedcba98"
		d = "2026-12-04T12:34:56Z"
	)
	// Only the link step differs from the test's own build, so the
	// packages come from the build cache.
	ldflags := "-s -w -X main.version=" + v + " -X main.commit=" + c + " -X main.date=" + d
	build := exec.Command("go", "build", "-ldflags", ldflags, "-o", exe, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(exe, "version").Output()
	if err != nil {
		t.Fatalf("stagescope version: %v", err)
	}
	for _, want := range []string{"stagescope " + v + "\n", "commit:   " + c + "\n", "date:     " + d + "\n"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("stagescope version printed\n%s\nwant a line %q", out, want)
		}
	}
	out, err = exec.Command(exe, "inspect", "-o", "json", testImage).Output()
	if err != nil {
		t.Fatalf("stagescope inspect: %v", err)
	}
	if !strings.Contains(string(out), `"version": "`+v+`"`) {
		t.Errorf("the JSON report does not name the tool version %s:\n%.300s", v, out)
	}
}

// TestDocs writes the man pages and completions the release ships, twice,
// and checks they are there, describe the real commands, and do not change
// from one run to the next (reproducible archives).
func TestDocs(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1764849600") // 2025-12-04T12:00:00Z
	var runs []map[string]string
	for range 2 {
		dir := t.TempDir()
		r := stagescope(t, "docs", "--dir", dir)
		if r.code != exitOK || r.stderr != "" || r.stdout != "" {
			t.Fatalf("docs: exit status %d, stdout %q, stderr %q; want 0 and nothing", r.code, r.stdout, r.stderr)
		}
		files := map[string]string{}
		err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(p)
			rel, _ := filepath.Rel(dir, p)
			files[filepath.ToSlash(rel)] = string(b)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, files)
	}
	files := runs[0]
	if diff := cmp.Diff(runs[0], runs[1]); diff != "" {
		t.Errorf("two runs wrote different files (-first +second):\n%.2000s", diff)
	}
	var names []string
	for n := range files {
		names = append(names, n)
	}
	wantNames := []string{
		"completions/stagescope.bash", "completions/stagescope.fish", "completions/stagescope.ps1", "completions/stagescope.zsh",
		"man/stagescope-completion-bash.1", "man/stagescope-completion-fish.1", "man/stagescope-completion-powershell.1",
		"man/stagescope-completion-zsh.1", "man/stagescope-completion.1", "man/stagescope-diff.1", "man/stagescope-fix.1",
		"man/stagescope-inspect.1", "man/stagescope-merge.1", "man/stagescope-rules.1", "man/stagescope-version.1", "man/stagescope.1",
	}
	if diff := cmp.Diff(wantNames, names, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("files written (-want +got):\n%s", diff)
	}
	for name, want := range map[string]string{
		"man/stagescope-inspect.1":         `.TH "STAGESCOPE-INSPECT" "1" "Dec 2025" "stagescope ` + version + `" "stagescope manual"`,
		"man/stagescope.1":                 `\fBstagescope-inspect(1)\fP`,
		"completions/stagescope.bash":      "__start_stagescope()",
		"completions/stagescope.zsh":       "#compdef stagescope",
		"completions/stagescope.fish":      "complete -c stagescope ",
		"completions/stagescope.ps1":       "Register-ArgumentCompleter -CommandName 'stagescope'",
		"man/stagescope-version.1":         `\fB-o\fP, \fB--output\fP="text"`,
		"man/stagescope-completion.1":      `.SH SEE ALSO`,
		"man/stagescope-diff.1":            `stagescope diff A B [flags]`,
		"man/stagescope-fix.1":             `stagescope fix --dockerfile PATH IMAGE [flags]`,
		"man/stagescope-completion-bash.1": `.TH "STAGESCOPE-COMPLETION-BASH"`,
	} {
		if !strings.Contains(files[name], want) {
			t.Errorf("%s does not contain %q:\n%.600s", name, want, files[name])
		}
	}
	if strings.Contains(files["man/stagescope.1"], "docs") {
		t.Errorf("the hidden docs command shows in stagescope(1):\n%s", files["man/stagescope.1"])
	}

	wantOneLineError(t, stagescope(t, "docs"), `required flag(s) "dir" not set`)
	t.Setenv("SOURCE_DATE_EPOCH", "yesterday")
	wantOneLineError(t, stagescope(t, "docs", "--dir", t.TempDir()), "SOURCE_DATE_EPOCH")
}

// TestGoBuildID: the cache's name for this build is the build ID that `go
// tool buildid` reads from the executable (here the test binary), and a
// file that is not ELF has none (the SHA-256 of the file stands in).
func TestGoBuildID(t *testing.T) {
	t.Parallel()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH to read the build ID with")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(goBin, "tool", "buildid", exe).Output()
	if err != nil {
		t.Fatalf("go tool buildid: %v", err)
	}
	if got, want := goBuildID(exe), strings.TrimSpace(string(out)); got != want || want == "" {
		t.Errorf("goBuildID = %q, want %q", got, want)
	}
	if got := analyzerVersion(); got != version+"+build."+strings.TrimSpace(string(out)) {
		t.Errorf("analyzerVersion = %q, want the version and the build ID", got)
	}
	if got := goBuildID(filepath.Join("..", "..", "testdata", "leftovers.tar")); got != "" {
		t.Errorf("goBuildID of a tar = %q, want \"\"", got)
	}
}
