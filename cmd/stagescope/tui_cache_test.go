//go:build unix

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestTUIUsesLayerCache: the browser reads and fills the layer cache as -o
// json does. Its layers, read once by the browser, are not fetched again by
// -o json; a second browser on an image that shares the base layer fetches
// only its own layer; with --no-cache it fetches both again. Before, the
// browser read every layer every time, however often the image was seen.
func TestTUIUsesLayerCache(t *testing.T) {
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		t.Skip("tmux not installed")
	}
	if testing.Short() {
		t.Skip("runs the program in tmux")
	}
	bin, err := os.Executable() // the test binary runs main (see TestMain)
	if err != nil {
		t.Fatal(err)
	}
	fr := newFleetRegistry(t)
	dir := t.TempDir()
	cacheDir := filepath.Join(dir, "cache")
	sock := filepath.Join(dir, "tmux.sock")
	t.Cleanup(func() { _ = exec.Command(tmux, "-S", sock, "kill-server").Run() })
	script := filepath.Join(dir, "run.sh")
	if err := os.WriteFile(script, []byte("\"$@\"\necho \"EXIT=$?\"\nsleep 600\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	// browse opens the browser on ref in a new tmux session, waits until the
	// whole image is on the screen, quits and returns the layer blobs the
	// registry served meanwhile.
	session := 0
	var last string // the screen once the last browser quit
	browse := func(ref string, flags ...string) map[string]int {
		t.Helper()
		session++
		name := "s" + string(rune('0'+session))
		args := append([]string{"-S", sock, "new-session", "-d", "-s", name, "-x", "150", "-y", "40",
			"-e", "NO_COLOR=", "-e", "TERM=screen", "-e", asMainEnv + "=1",
			"-e", "DOCKER_HOST=unix://" + filepath.Join(dir, "no-engine.sock"),
			"sh", script, bin, "inspect", "--insecure", "--no-daemon"}, flags...)
		args = append(args, fr.host+"/"+ref)
		if out, err := exec.Command(tmux, args...).CombinedOutput(); err != nil {
			t.Fatalf("tmux new-session: %v\n%s", err, out)
		}
		screen := func() string {
			out, err := exec.Command(tmux, "-S", sock, "capture-pane", "-p", "-t", name).CombinedOutput()
			if err != nil {
				t.Fatalf("tmux capture-pane: %v\n%s", err, out)
			}
			return string(out)
		}
		waitFor := func(what, sub string) {
			t.Helper()
			deadline := time.Now().Add(60 * time.Second)
			for {
				s := screen()
				if strings.Contains(s, sub) {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s: the terminal never showed %s; it shows:\n%s", ref, what, s)
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
		waitFor("the whole image", "2 layers · ")
		if out, err := exec.Command(tmux, "-S", sock, "send-keys", "-t", name, "q").CombinedOutput(); err != nil {
			t.Fatalf("tmux send-keys: %v\n%s", err, out)
		}
		waitFor("the exit status 0", "EXIT=0")
		last = screen()
		return fr.gets()
	}
	fetched := func(got map[string]int) int {
		n := 0
		for _, c := range got {
			n += c
		}
		return n
	}

	if got := browse("team/big:1", "--cache", cacheDir); fetched(got) != 2 {
		t.Fatalf("first browser on team/big:1 fetched %v, want both layers once", got)
	}
	r := stagescope(t, "inspect", "-o", "json", "--insecure", "--no-daemon", "--cache", cacheDir, fr.host+"/team/big:1")
	if r.code != 0 {
		t.Fatalf("-o json: exit %d: %s", r.code, r.stderr)
	}
	if got := fr.gets(); fetched(got) != 0 {
		t.Errorf("-o json after the browser fetched %v, want nothing (the browser's reads are in the cache)", got)
	}
	got := browse("team/small:1", "--cache", cacheDir)
	if fetched(got) != 1 || got[fr.base] != 0 {
		t.Errorf("browser on team/small:1 fetched %v, want only its own layer (the base %s is cached)", got, fr.base)
	}
	if got := browse("team/big:1", "--no-cache"); fetched(got) != 2 {
		t.Errorf("browser with --no-cache fetched %v, want both layers", got)
	}

	// Damaged layer records (not the blob-to-diff-ID proofs, which hold
	// a digest) are read again, and the warning about them comes once the
	// browser has given the terminal back, not over its screen.
	err = filepath.WalkDir(cacheDir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil || bytes.HasPrefix(b, []byte("sha256:")) {
			return err
		}
		return os.WriteFile(path, []byte("damaged"), 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := browse("team/big:1", "--cache", cacheDir); fetched(got) != 2 {
		t.Errorf("browser on damaged records fetched %v, want both layers again", got)
	}
	if !strings.Contains(last, "stagescope: warning: layer cache: ignoring the record of") {
		t.Errorf("after the browser on damaged records, want the cache's warning on the terminal; it shows:\n%s", last)
	}
}
