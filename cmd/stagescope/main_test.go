package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stagescope/stagescope/analyze/analyzetest"
	"github.com/stagescope/stagescope/layers/layerstest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// The test binary doubles as the stagescope binary: with this variable set
// it runs main, so that tests see real exit statuses and real stdout and
// stderr without building anything.
const asMainEnv = "STAGESCOPE_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMainEnv) == "1" {
		main()
		return
	}
	if dir := os.Getenv(writeLargeCorpusEnv); dir != "" {
		if _, err := layerstest.WriteBadCorpus(dir, true); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	// The go builds of some tests (stagescopeBinary, TestVersion) keep
	// using the build cache go uses: its default lives under
	// XDG_CACHE_HOME, which moves just below, and an empty cache made them
	// compile the standard library and every module again (minutes in CI).
	if os.Getenv("GOCACHE") == "" {
		if out, err := exec.Command("go", "env", "GOCACHE").Output(); err == nil {
			os.Setenv("GOCACHE", strings.TrimSpace(string(out)))
		}
	}
	// The layer cache goes to a directory of the test run's own, never
	// the user's.
	dir, err := os.MkdirTemp("", "stagescope-test-cache-")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_CACHE_HOME", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// testImage is the image README's first command inspects.
const testImage = "../../testdata/leftovers.tar"

type result struct {
	stdout, stderr string
	code           int
}

// stagescope runs the program with args, no terminal, no stdin, and no
// reachable engine.
func stagescope(t *testing.T, args ...string) result {
	t.Helper()
	return stagescopeIn(t, "", args...)
}

// stagescopeIn runs stagescope in directory dir ("" is the package's).
func stagescopeIn(t *testing.T, dir string, args ...string) result {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), asMainEnv+"=1",
		"DOCKER_HOST=unix://"+filepath.Join(t.TempDir(), "no-engine.sock"),
		"NO_COLOR=1")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	r := result{stdout: out.String(), stderr: errOut.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	default:
		t.Fatalf("running stagescope %s: %v", strings.Join(args, " "), err)
	}
	return r
}

// wantOneLineError checks the contract for bad input: exit status 2, one
// line on stderr naming the problem, nothing on stdout, no panic.
func wantOneLineError(t *testing.T, r result, substrings ...string) {
	t.Helper()
	if r.code != exitError {
		t.Errorf("exit status %d, want %d (stderr %q)", r.code, exitError, r.stderr)
	}
	if r.stdout != "" {
		t.Errorf("stdout %q, want nothing", r.stdout)
	}
	msg := strings.TrimSuffix(r.stderr, "\n")
	if msg == "" || strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "stagescope: ") {
		t.Errorf("stderr %q, want one line starting with \"stagescope: \"", r.stderr)
	}
	for _, bad := range []string{"panic", "goroutine ", ".go:"} {
		if strings.Contains(msg, bad) {
			t.Errorf("stderr %q looks like a crash (%q)", msg, bad)
		}
	}
	for _, s := range substrings {
		if !strings.Contains(msg, s) {
			t.Errorf("stderr %q does not contain %q", msg, s)
		}
	}
}

func TestFlagValidation(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"inspect", "-o", "yaml", testImage}, []string{`unknown output format "yaml"`, "json"}},
		{[]string{"inspect", "--output=", testImage}, []string{`unknown output format ""`}},
		{[]string{"inspect", "--parallel", "-1", testImage}, []string{"--parallel must not be negative, got -1"}},
		{[]string{"inspect", "--parallel", "two", testImage}, []string{`invalid argument "two" for "--parallel"`}},
		{[]string{"inspect", "--max-entries", "0", testImage}, []string{"--max-entries must be at least 1, got 0"}},
		{[]string{"inspect", "--max-dirs", "0", testImage}, []string{"--max-dirs must be at least 1, got 0"}},
		{[]string{"inspect", "--max-ratio", "-1", testImage}, []string{"--max-ratio must not be negative, got -1"}},
		{[]string{"inspect", "--timeout", "-1s", testImage}, []string{"--timeout must not be negative"}},
		// diff shares inspect's source flags, checks and limits.
		{[]string{"diff", "--max-ratio", "-1", testImage, testImage}, []string{"--max-ratio must not be negative, got -1"}},
		{[]string{"diff", "--max-entries", "1", testImage, testImage}, []string{"more than 1 entries"}},
		{[]string{"inspect", "--timeout", "soon", testImage}, []string{`invalid argument "soon" for "--timeout"`}},
		{[]string{"inspect", "--platform", "linux/amd64/v2/x", testImage}, []string{`invalid platform "linux/amd64/v2/x"`}},
		{[]string{"inspect", "--bogus", testImage}, []string{"unknown flag: --bogus"}},
		{[]string{"inspect", "-o", "cyclonedx", testImage, testImage}, []string{"-o cyclonedx shows one image; use -o text or -o json for many"}},
		{[]string{"inspect"}, []string{"inspect needs an image, e.g. `stagescope inspect myapp:latest`"}},
		{[]string{"inspect", "-o", "tui", testImage, testImage}, []string{"-o tui shows one image"}},
		{[]string{"inspect", "--shard", "4/4", testImage}, []string{"--shard \"4/4\": want I/N"}},
		{[]string{"inspect", "--shard", "x", testImage}, []string{"--shard \"x\": want I/N"}},
		{[]string{"inspect", "--tags", "all", testImage}, []string{"--tags needs --catalog"}},
		{[]string{"inspect", "--no-cache", "--cache", "/tmp/x", testImage}, []string{"contradict"}},
		{[]string{"inspect", "--cache-size", "lots", testImage}, []string{"--cache-size \"lots\""}},
		{[]string{"inspect", "--cache", "redis://127.0.0.1:1/0", testImage}, []string{"layer cache redis://127.0.0.1:1/0", "connection refused"}},
		{[]string{"inspect", "--refs", "/nonexistent/refs", testImage}, []string{"--refs: open /nonexistent/refs"}},
		{[]string{"version", "extra"}, []string{`unknown command "extra"`}},
		// stagescope IMAGE is inspect; a near miss of a command is a typo
		{[]string{"inspct", testImage}, []string{`unknown command "inspct" (did you mean "inspect"?)`}},
		{[]string{"dif"}, []string{`unknown command "dif" (did you mean "diff"?)`}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			wantOneLineError(t, stagescope(t, tc.args...), tc.want...)
		})
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	notImage := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notImage, []byte("these are not the layers you are looking for\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	emptyDir := filepath.Join(dir, "empty")
	if err := os.Mkdir(emptyDir, 0o755); err != nil {
		t.Fatal(err)
	}
	whole, err := os.ReadFile(testImage)
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "truncated.tar")
	if err := os.WriteFile(truncated, whole[:len(whole)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		ref  string
		want []string
	}{
		{"missing file", "./no-such-image.tar", []string{"./no-such-image.tar", "no such file or directory"}},
		{"missing file with transport", "docker-archive:" + filepath.Join(dir, "gone.tar"), []string{"gone.tar", "no such file or directory"}},
		{"missing layout", "oci:" + filepath.Join(dir, "gone"), []string{"gone", "no such file or directory"}},
		{"not an image", notImage, []string{"notes.txt", "is not a container image"}},
		{"empty directory", emptyDir, []string{"empty", "is not a container image"}},
		{"truncated archive", truncated, []string{"truncated.tar", "truncated"}},
		{"unknown transport", "ftp://example.invalid/app", []string{`unknown transport "ftp"`}},
		{"unsupported transport", "containers-storage:app", []string{`unsupported transport "containers-storage"`}},
		{"bad reference", "Not A/Reference!", []string{`invalid image reference "Not A/Reference!"`}},
		{"bad digest reference", "app@sha256:123", []string{`invalid image reference "app@sha256:123"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, format := range []string{"text", "json"} {
				before := listDir(t, dir)
				wantOneLineError(t, stagescope(t, "inspect", "-o", format, tc.ref), tc.want...)
				if diff := cmp.Diff(before, listDir(t, dir)); diff != "" {
					t.Errorf("-o %s changed files on disk (-before +after):\n%s", format, diff)
				}
			}
		})
	}
}

// listDir lists the files below dir with their sizes.
func listDir(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		out[p] = fi.Size()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte, equal func(want, got []byte) string) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := equal(want, got); diff != "" {
		t.Errorf("%s differs from the golden file (-want +got; go test -update rewrites it):\n%s", p, diff)
	}
}

// sameJSON compares two JSON documents by meaning: key order and spacing
// do not matter, values and array order do.
func sameJSON(t *testing.T) func(want, got []byte) string {
	return func(want, got []byte) string {
		var w, g any
		if err := json.Unmarshal(want, &w); err != nil {
			t.Fatalf("golden file is not JSON: %v", err)
		}
		if err := json.Unmarshal(got, &g); err != nil {
			return "output is not JSON: " + err.Error()
		}
		return cmp.Diff(w, g)
	}
}

func sameText(want, got []byte) string { return cmp.Diff(string(want), string(got)) }

func TestInspectGolden(t *testing.T) {
	t.Parallel()
	t.Run("json", func(t *testing.T) {
		r := stagescope(t, "inspect", "-o", "json", testImage)
		if r.code != exitOK || r.stderr != "" {
			t.Fatalf("exit status %d, stderr %q; want 0 and nothing", r.code, r.stderr)
		}
		analyzetest.ValidateReport(t, []byte(r.stdout))
		golden(t, "inspect-leftovers.json", []byte(r.stdout), sameJSON(t))
	})
	t.Run("text", func(t *testing.T) {
		r := stagescope(t, "inspect", "-o", "text", testImage)
		if r.code != exitOK || r.stderr != "" {
			t.Fatalf("exit status %d, stderr %q; want 0 and nothing", r.code, r.stderr)
		}
		golden(t, "inspect-leftovers.txt", []byte(r.stdout), sameText)
	})
	t.Run("auto is text without a terminal", func(t *testing.T) {
		auto := stagescope(t, "inspect", testImage)
		text := stagescope(t, "inspect", "-o", "text", testImage)
		if auto.code != exitOK || auto.stdout != text.stdout {
			t.Errorf("inspect without -o: exit status %d and output\n%s\nwant 0 and the -o text output", auto.code, auto.stdout)
		}
	})
	t.Run("same report through every transport spelling", func(t *testing.T) {
		plain := stagescope(t, "inspect", "-o", "json", testImage)
		prefixed := stagescope(t, "inspect", "-o", "json", "docker-archive:"+testImage)
		var a, b map[string]any
		if err := json.Unmarshal([]byte(plain.stdout), &a); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(prefixed.stdout), &b); err != nil {
			t.Fatalf("docker-archive: output is not JSON: %v (stderr %q)", err, prefixed.stderr)
		}
		delete(a["image"].(map[string]any), "reference")
		delete(b["image"].(map[string]any), "reference")
		if diff := cmp.Diff(a, b); diff != "" {
			t.Errorf("docker-archive: prefix changes the report (-plain +prefixed):\n%s", diff)
		}
	})
}

func TestCompletion(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		shell string
		want  *regexp.Regexp
	}{
		{"bash", regexp.MustCompile(`(?m)^__start_stagescope\(\)`)},
		{"zsh", regexp.MustCompile(`(?m)^#compdef stagescope`)},
		{"fish", regexp.MustCompile(`complete -c stagescope `)},
		{"powershell", regexp.MustCompile(`Register-ArgumentCompleter -CommandName 'stagescope'`)},
	} {
		t.Run(tc.shell, func(t *testing.T) {
			r := stagescope(t, "completion", tc.shell)
			if r.code != exitOK || r.stderr != "" {
				t.Fatalf("exit status %d, stderr %q; want 0 and nothing", r.code, r.stderr)
			}
			if !tc.want.MatchString(r.stdout) {
				t.Errorf("completion %s output does not match %s:\n%.400s", tc.shell, tc.want, r.stdout)
			}
		})
	}
	// The scripts call back into the program; the output flag completes
	// to the formats without file names.
	r := stagescope(t, "__complete", "inspect", "-o", "")
	if r.code != exitOK {
		t.Fatalf("__complete: exit status %d, stderr %q", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	got := lines[:len(lines)-1]
	want := []string{"auto", "tui", "text", "json", "sarif", "cyclonedx"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("completions of -o (-want +got):\n%s", diff)
	}
	if d := lines[len(lines)-1]; d != ":4" { // cobra.ShellCompDirectiveNoFileComp
		t.Errorf("completion directive %q, want :4 (no file completion)", d)
	}
	// Subcommands complete too.
	r = stagescope(t, "__complete", "")
	for _, sub := range []string{"inspect", "diff", "version", "completion"} {
		if !strings.Contains(r.stdout, sub) {
			t.Errorf("completing subcommands: %q missing from\n%s", sub, r.stdout)
		}
	}
}

func TestHelpHasExamples(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"inspect", "--help"}, {"version", "--help"}, {"diff", "--help"}} {
		r := stagescope(t, args...)
		if r.code != exitOK {
			t.Errorf("%s: exit status %d, stderr %q", strings.Join(args, " "), r.code, r.stderr)
		}
		if !strings.Contains(r.stdout, "Examples:") {
			t.Errorf("%s has no examples:\n%s", strings.Join(args, " "), r.stdout)
		}
	}
}

// STAGESCOPE_CPUPROFILE's profile is complete even when the run fails: it
// is stopped before os.Exit. A profile that cannot be created is one line on
// stderr, and the run goes on.
func TestCPUProfileOnFailure(t *testing.T) {
	p := filepath.Join(t.TempDir(), "cpu.prof")
	t.Setenv("STAGESCOPE_CPUPROFILE", p)
	r := stagescope(t, "inspect", "-o", "json", filepath.Join(t.TempDir(), "missing.tar"))
	if r.code != exitError {
		t.Fatalf("exit status %d, want %d", r.code, exitError)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f) // a pprof profile is gzipped protobuf
	if err != nil {
		t.Fatalf("profile: %v", err)
	}
	if n, err := io.Copy(io.Discard, zr); err != nil || n == 0 {
		t.Fatalf("profile: %d bytes, %v", n, err)
	}

	t.Setenv("STAGESCOPE_CPUPROFILE", filepath.Join(t.TempDir(), "no", "such", "dir", "cpu.prof"))
	r = stagescope(t, "inspect", "-o", "json", testImage)
	if r.code != exitOK || !strings.Contains(r.stderr, "STAGESCOPE_CPUPROFILE") || !strings.Contains(r.stdout, `"schemaVersion"`) {
		t.Errorf("unwritable profile: exit %d, stderr %q, stdout %.60q", r.code, r.stderr, r.stdout)
	}
}
