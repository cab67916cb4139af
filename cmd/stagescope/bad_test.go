package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stagescope/stagescope/layers/layerstest"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// stagescopeBinary builds the real binary once per test run.
func stagescopeBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "stagescope-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "stagescope")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = errors.New(string(out))
		}
	})
	if binErr != nil {
		t.Fatalf("building stagescope: %v", binErr)
	}
	return binPath
}

// treeDigest hashes every file name and content under dir, to prove that
// a run changed nothing on disk.
func treeDigest(t *testing.T, dir string) [32]byte {
	t.Helper()
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		h.Write([]byte(p))
		if !d.Type().IsRegular() {
			return nil
		}
		// Streamed, not read whole: the large cases are hundreds of MB,
		// and this process's peak memory is inherited by every run it
		// measures (see TestBadCorpusLarge).
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(h, f)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

// Bounds of every corpus run unless its case sets its own.
const (
	defaultMaxSeconds = 60
	defaultMaxRSS     = 2 << 30
)

// injected matches a line that a name from an image would have injected:
// the hostile cases spell such lines "FAKE line".
var injected = regexp.MustCompile(`(?m)^\s*(stagescope: )?FAKE`)

func runBadCases(t *testing.T, dir string, cases []layerstest.BadCase) {
	bin := stagescopeBinary(t)
	dir, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	before := treeDigest(t, dir)
	for _, c := range cases {
		name := c.Name + strings.Join(c.Args, "")
		if c.Diff != "" {
			name += "-diff-" + c.Diff
		} else if len(c.JSON) > 0 {
			name += "-json"
		}
		t.Run(name, func(t *testing.T) {
			work := t.TempDir()
			// -o json unless the case asks for another format: two
			// formats cannot both write to stdout.
			args := []string{"inspect"}
			if !slices.Contains(c.Args, "-o") {
				args = append(args, "-o", "json")
			}
			args = append(args, c.Args...)
			args = append(args, filepath.Join(dir, c.Name))
			if c.Diff != "" {
				args = append([]string{"diff"}, c.Args...)
				args = append(args, filepath.Join(dir, c.Name), filepath.Join(dir, c.Diff))
			}
			maxSeconds, maxRSS := c.MaxSeconds, c.MaxRSS
			if maxSeconds == 0 {
				maxSeconds = defaultMaxSeconds
			}
			if maxRSS == 0 {
				maxRSS = defaultMaxRSS
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, args...)
			cmd.Dir = work
			cmd.Env = append(os.Environ(), "TMPDIR="+work, "DOCKER_HOST=unix:///nonexistent.sock")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			start := time.Now()
			err := cmd.Run()
			elapsed := time.Since(start)
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatalf("running stagescope: %v", err)
			}
			msg := stderr.String()
			if code != c.Exit {
				t.Fatalf("exit status %d, want %d; stderr: %s", code, c.Exit, msg)
			}
			if elapsed > time.Duration(maxSeconds)*time.Second {
				t.Errorf("run took %s, want at most %ds", elapsed.Round(time.Millisecond), maxSeconds)
			}
			if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
				if rss := ru.Maxrss * 1024; rss > maxRSS {
					t.Errorf("peak RSS %d MiB, want at most %d MiB", rss>>20, maxRSS>>20)
				}
			}
			if strings.Contains(msg, "goroutine ") || strings.Contains(msg, "panic") {
				t.Fatalf("stderr has a panic or goroutine dump:\n%s", msg)
			}
			// Whatever the format, nothing from the image reaches the
			// terminal raw: no control byte but the newline, no
			// injected line.
			for what, b := range map[string][]byte{"stdout": stdout.Bytes(), "stderr": stderr.Bytes()} {
				if i := bytes.IndexFunc(b, func(r rune) bool { return r != '\n' && (r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0) }); i >= 0 {
					t.Errorf("%s holds control character %q at byte %d: %.80q", what, b[i], i, b[max(0, i-40):])
				}
				if m := injected.Find(b); m != nil {
					t.Errorf("%s has an injected line %q", what, m)
				}
			}
			if c.Exit != exitError { // a report, even when the gate failed (1)
				switch {
				case c.Exit == 0 && c.Warning != "":
					if !regexp.MustCompile(c.Warning).MatchString(strings.TrimSuffix(msg, "\n")) {
						t.Errorf("stderr = %q, want one line matching %q", msg, c.Warning)
					}
				case c.Exit == 0 && msg != "":
					t.Errorf("stderr = %q, want nothing", msg)
				}
				isJSON := c.Diff == "" && !slices.Contains(c.Args, "text")
				if isJSON && !bytes.Contains(stdout.Bytes(), []byte(`"schemaVersion"`)) {
					t.Errorf("stdout is not a report: %.200s", stdout.String())
				}
				for _, re := range c.Stdout {
					if !regexp.MustCompile(re).Match(stdout.Bytes()) {
						t.Errorf("stdout does not match %q:\n%s", re, stdout.String())
					}
				}
				if len(c.JSON) > 0 {
					checkJSON(t, stdout.Bytes(), c.JSON)
				}
			} else {
				if stdout.Len() != 0 {
					t.Errorf("stdout = %.200q, want nothing on error", stdout.String())
				}
				line := strings.TrimSuffix(msg, "\n")
				if strings.Contains(line, "\n") || !strings.HasPrefix(line, "stagescope: ") {
					t.Errorf("error is not one line starting with \"stagescope: \":\n%s", msg)
				}
				if !regexp.MustCompile(c.Error).MatchString(line) {
					t.Errorf("error %q does not match %q", line, c.Error)
				}
				// Go's own names mean nothing to the user.
				if m := goInternals.FindString(line); m != "" {
					t.Errorf("error %q shows Go internals (%q)", line, m)
				}
				// The image is named once: "x.tar: reading layer 1: x.tar:
				// blob …" tells the user nothing the first name did not.
				named, _, _ := strings.Cut(line, "; pick one with ") // a command to run names it again
				if p := filepath.Join(dir, c.Name); strings.Count(named, p) > 1 {
					t.Errorf("error %q names %s more than once", line, p)
				}
			}
			if entries, _ := os.ReadDir(work); len(entries) != 0 {
				t.Errorf("run left %d files in its working/temp dir", len(entries))
			}
		})
	}
	if after := treeDigest(t, dir); after != before {
		t.Errorf("the corpus changed on disk while being read")
	}
}

// checkJSON compares the values at JSON pointers of a report.
func checkJSON(t *testing.T, report []byte, want map[string]any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(report))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("stdout is not JSON: %v", err)
	}
	for ptr, w := range want {
		v := doc
		for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
			switch n := v.(type) {
			case map[string]any:
				v = n[tok]
			case []any:
				i, err := strconv.Atoi(tok)
				if err != nil || i >= len(n) {
					v = nil
					break
				}
				v = n[i]
			default:
				v = nil
			}
		}
		if got, want := fmt.Sprint(v), fmt.Sprint(w); got != want {
			t.Errorf("report %s = %q, want %q", ptr, got, want)
		}
	}
}

// TestBadCorpus runs every committed hostile input through the real binary.
func TestBadCorpus(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("..", "..", "testdata", "bad", "corpus")
	var cases []layerstest.BadCase
	for _, c := range layerstest.BadCases() {
		if !c.Large {
			cases = append(cases, c)
		}
	}
	if len(cases) < 30 {
		t.Fatalf("corpus has %d small cases, want at least 30", len(cases))
	}
	runBadCases(t, dir, cases)
}

// TestBadCorpusLarge generates the large cases (a gzip bomb, a layer with a
// million entries) in a temporary dir.
func TestBadCorpusLarge(t *testing.T) {
	t.Parallel()
	if os.Getenv("STAGESCOPE_LARGE_CORPUS") == "" {
		t.Skip("set STAGESCOPE_LARGE_CORPUS=1 to generate and run the large hostile inputs (.ci/run does, without -race)")
	}
	// The cases are written by a child process: building them in memory
	// takes this process past a gigabyte, and Linux hands a process's peak
	// RSS on to the programs it starts (exec keeps the parent's high-water
	// mark), so every run measured after it would read as that big.
	dir := t.TempDir()
	gen := exec.Command(os.Args[0], "-test.run=^$")
	gen.Env = append(os.Environ(), writeLargeCorpusEnv+"="+dir)
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("writing the large cases: %v\n%s", err, out)
	}
	// The cases with a memory bound of their own run first, the tightest
	// first, for the same reason: the reports of the others (a million
	// entries, a 500 000-component path) take this process past the bounds.
	var bounded, rest []layerstest.BadCase
	for _, c := range layerstest.BadCases() {
		switch {
		case c.Large && c.MaxRSS != 0:
			bounded = append(bounded, c)
		case c.Large:
			rest = append(rest, c)
		}
	}
	slices.SortStableFunc(bounded, func(a, b layerstest.BadCase) int { return cmp.Compare(a.MaxRSS, b.MaxRSS) })
	runBadCases(t, dir, append(bounded, rest...))
}

// writeLargeCorpusEnv, set to a directory, makes the test binary write the
// large hostile cases there and exit (see TestBadCorpusLarge).
const writeLargeCorpusEnv = "STAGESCOPE_WRITE_LARGE_CORPUS"

// goInternals matches what Go's decoders and runtime put in errors about
// the program rather than the input: struct and type names.
var goInternals = regexp.MustCompile(`Go (struct field|value of type)|\bv1\.[A-Z]\w+|dockerSaveEntry|\*?\w+\.\w+ of type|\[\]string|map\[string\]`)
