package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
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
		if d.Type().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h.Write(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

func runBadCases(t *testing.T, dir string, cases []layerstest.BadCase) {
	bin := stagescopeBinary(t)
	dir, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	before := treeDigest(t, dir)
	for _, c := range cases {
		t.Run(c.Name+strings.Join(c.Args, ""), func(t *testing.T) {
			work := t.TempDir()
			args := append([]string{"inspect", "-o", "json"}, c.Args...)
			args = append(args, filepath.Join(dir, c.Name))
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, args...)
			cmd.Dir = work
			cmd.Env = append(os.Environ(), "TMPDIR="+work, "DOCKER_HOST=unix:///nonexistent.sock")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
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
			if strings.Contains(msg, "goroutine ") || strings.Contains(msg, "panic") {
				t.Fatalf("stderr has a panic or goroutine dump:\n%s", msg)
			}
			if c.Exit == 0 {
				if msg != "" {
					t.Errorf("stderr = %q, want nothing", msg)
				}
				if !bytes.Contains(stdout.Bytes(), []byte(`"schemaVersion"`)) {
					t.Errorf("stdout is not a report: %.200s", stdout.String())
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

// TestBadCorpus runs every committed hostile input through the real binary.
func TestBadCorpus(t *testing.T) {
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
	if os.Getenv("STAGESCOPE_LARGE_CORPUS") == "" {
		t.Skip("set STAGESCOPE_LARGE_CORPUS=1 to generate and run the large hostile inputs (.ci/run does, without -race)")
	}
	dir := t.TempDir()
	cases, err := layerstest.WriteBadCorpus(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	runBadCases(t, dir, cases)
}

// goInternals matches what Go's decoders and runtime put in errors about
// the program rather than the input: struct and type names.
var goInternals = regexp.MustCompile(`Go (struct field|value of type)|\bv1\.[A-Z]\w+|dockerSaveEntry|\*?\w+\.\w+ of type|\[\]string|map\[string\]`)
