package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stagescope/stagescope/layers/layerstest"
)

// TestInterruptDeepDirs starts the real binary on deep-dirs-bomb.tar with
// --max-dirs raised past its 12 million implied directories (minutes of
// merging and analysis, GiBs), and stops it with SIGINT at several points
// and with --timeout: it must exit within a second of either, with one
// clean line and status 2 (issues 20 and 22: the merge and the analysis
// once ignored both).
func TestInterruptDeepDirs(t *testing.T) {
	dir := t.TempDir()
	var bomb *layerstest.BadCase
	for _, c := range layerstest.BadCases() {
		if c.Name == "deep-dirs-bomb.tar" && !c.Again {
			bomb = &c
			break
		}
	}
	if bomb == nil {
		t.Fatal("no deep-dirs-bomb.tar in the corpus")
	}
	if err := bomb.Write(dir); err != nil {
		t.Fatal(err)
	}
	bin := stagescopeBinary(t)
	for _, tc := range []struct {
		name    string
		args    []string
		signal  time.Duration // when SIGINT is sent; 0: never
		timeout time.Duration // --timeout; 0: none
		want    string
	}{
		{name: "SIGINT after 1s", signal: time.Second, want: `^stagescope: interrupted$`},
		{name: "SIGINT after 4s", signal: 4 * time.Second, want: `^stagescope: interrupted$`},
		{name: "SIGINT after 8s", signal: 8 * time.Second, want: `^stagescope: interrupted$`},
		{name: "--timeout 3s", timeout: 3 * time.Second, want: `^stagescope: timed out after 3s \(--timeout\)$`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"inspect", "-o", "json", "--max-dirs", "20000000"}
			if tc.timeout > 0 {
				args = append(args, "--timeout", tc.timeout.String())
			}
			cmd := exec.Command(bin, append(args, filepath.Join(dir, bomb.Name))...)
			cmd.Env = append(os.Environ(), "DOCKER_HOST=unix:///nonexistent.sock")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			start := time.Now()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			stop := tc.timeout
			if tc.signal > 0 {
				stop = tc.signal
				select {
				case err := <-exited:
					t.Fatalf("stagescope ended after %s, before the signal: %v; stderr %q", time.Since(start), err, stderr.String())
				case <-time.After(tc.signal):
				}
				if err := cmd.Process.Signal(os.Interrupt); err != nil {
					t.Fatal(err)
				}
			}
			var err error
			select {
			case err = <-exited:
			case <-time.After(stop + 30*time.Second):
				_ = cmd.Process.Kill()
				if err := <-exited; err == nil {
					t.Log("stagescope ended just as it was killed")
				}
				t.Fatalf("stagescope still ran 30 s after being stopped at %s", stop)
			}
			late := time.Since(start) - stop
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != exitError {
				t.Fatalf("exit: %v, want status %d; stderr %q", err, exitError, stderr.String())
			}
			if late > time.Second {
				t.Errorf("exited %s after being stopped, want at most 1s", late.Round(time.Millisecond))
			}
			line := strings.TrimSuffix(stderr.String(), "\n")
			if !regexp.MustCompile(tc.want).MatchString(line) {
				t.Errorf("stderr %q, want one line matching %q", stderr.String(), tc.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout %.100q, want nothing", stdout.String())
			}
			t.Logf("exited %s after being stopped at %s", late.Round(time.Millisecond), stop)
		})
	}
}
