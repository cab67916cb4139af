//go:build unix

package main

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/stagescope/stagescope/layers/layerstest"
)

// TestTUIInTmux drives the real binary in a real terminal (tmux) on the
// shipped testdata image, served by a registry on loopback that sends the
// first layer's blob slowly and holds back its second half, then the last
// layer's blob: the tree of the first layer's entries read so far is there
// while it is read, then the tree of the layers read, then the whole. It moves to a layer, filters the tree, jumps from a
// finding to its file, views and diffs a file, toggles what the tree
// hides, uses keys a config rebinds, and quits with the terminal restored.
func TestTUIInTmux(t *testing.T) {
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		t.Skip("tmux not installed")
	}
	if testing.Short() {
		t.Skip("runs the program in tmux")
	}
	img, err := filepath.Abs(testImage)
	if err != nil {
		t.Fatal(err)
	}
	bin, err := os.Executable() // the test binary runs main (see TestMain)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ref, releaseFirst, release := gatedRegistry(t, img)

	// Our own tmux server on its own socket, killed when the test ends.
	sock := filepath.Join(dir, "tmux.sock")
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(tmux, append([]string{"-S", sock}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	t.Cleanup(func() { _ = exec.Command(tmux, "-S", sock, "kill-server").Run() })

	script := filepath.Join(dir, "run.sh")
	body := `before=$(stty -g)
"$1" inspect --insecure "$2"
rc=$?
[ "$(stty -g)" = "$before" ] && echo TTY-RESTORED
echo "EXIT=$rc"
sleep 600
`
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	// A config in the working directory rebinds two keys.
	if err := os.WriteFile(filepath.Join(dir, ".stagescope.yaml"), []byte("keys:\n  quit: [Q, Ctrl-C]\n  tree.attributes: B\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"-c", dir, "-e", "NO_COLOR=", "-e", "TERM=screen", "-e", asMainEnv + "=1",
		"-e", "DOCKER_HOST=unix://" + filepath.Join(dir, "no-engine.sock")}
	run(append(append([]string{"new-session", "-d", "-x", "150", "-y", "46"}, env...), "sh", script, bin, ref)...)

	screen := func() string { return run("capture-pane", "-p") }
	waitFor := func(what string, ok func(string) bool) string {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			s := screen()
			if ok(s) {
				return s
			}
			if time.Now().After(deadline) {
				t.Fatalf("the terminal never showed %s; it shows:\n%s", what, s)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	contains := func(sub string) func(string) bool {
		return func(s string) bool { return strings.Contains(s, sub) }
	}
	keys := func(k ...string) { run(append([]string{"send-keys"}, k...)...) }

	// While the first layer's blob is half sent, the tree of its entries
	// read so far is there, its title saying the layer is being read.
	preview := regexp.MustCompile(`Files · layers 0–0 .*· reading layer 0: [0-9,]+ entr`) // the rest of the title is cut at the pane's width
	waitFor("the tree of the first layer's entries read so far", func(s string) bool {
		return preview.MatchString(s) && strings.Contains(s, "▸ ")
	})
	releaseFirst()
	// The tree of the layers read is there while the last layer's blob is
	// held back, with real entries in it.
	partial := regexp.MustCompile(`Files · layers 0–[0-5] .*· [0-6] of 7 layers merged`)
	waitFor("the tree of the layers read so far", func(s string) bool {
		return partial.MatchString(s) && strings.Contains(s, "▸ usr") && !strings.Contains(s, "reading layer 0:")
	})
	// v opens a file of a layer already read while the last still waits.
	keys("Tab", "f", "dpkg/status", "Enter", "v")
	waitFor("the viewer on dpkg's status file while the image is read", func(s string) bool {
		return strings.Contains(s, "/var/lib/dpkg/status") && strings.Contains(s, "wrote it") &&
			strings.Contains(s, "Package: ") && strings.Contains(s, "reading layers")
	})
	// One key at a time: Esc and the key after it would read as Alt-key.
	keys("Escape")
	waitFor("the viewer closed", contains("Details"))
	keys("f")
	waitFor("the find prompt", contains("find: dpkg/status"))
	keys("Escape") // drops the search
	waitFor("the find prompt closed", func(s string) bool { return !strings.Contains(s, "find: ") })
	keys("BTab")
	waitFor("the Layers pane focused", contains("╔ Layers"))
	release()
	// It fills in: seven layers, the newest selected.
	waitFor(`"7 layers"`, contains("7 layers · 141 files"))
	waitFor("the tree as of the last layer", contains("Files · layers 0–6"))

	// Move to layer 2, which installs a package over dpkg's status file.
	keys("k", "k", "k", "k")
	waitFor("the tree as of layer 2", contains("Files · layers 0–2"))
	// Its entries were merged and dropped while streaming; the count stays.
	waitFor("layer 2's 37 tar entries", contains("· 37 entries"))

	// Filter the tree as one types.
	keys("Tab", "/")
	keys("-l", "dpkg/st")
	// The title, the prompt and the tree are drawn as the filter applies:
	// wait for the whole filtered screen, not just its first sign.
	filtered := regexp.MustCompile(`~ +status\s`)
	waitFor("the filtered tree (dpkg's modified status file under ▾ var and ▾ dpkg, no /usr)", func(s string) bool {
		return strings.Contains(s, `filter "dpkg/st"`) && strings.Contains(s, "filter: dpkg/st") &&
			strings.Contains(s, "▾ var") && strings.Contains(s, "▾ dpkg") && filtered.MatchString(s) &&
			!strings.Contains(s, "▸ usr")
	})
	keys("Enter")

	// Jump from the first finding to its file.
	keys("Tab", "Tab", "j")
	s := waitFor("a finding's details", contains("Finding  "))
	m := regexp.MustCompile(`Path     /(\S+)`).FindStringSubmatch(s)
	l := regexp.MustCompile(`added by layer (\d+)`).FindStringSubmatch(s)
	if m == nil || l == nil {
		t.Fatalf("finding details without path or layer:\n%s", s)
	}
	keys("Enter")
	base := m[1][strings.LastIndex(m[1], "/")+1:]
	waitFor("/"+m[1]+" selected in the tree as of layer "+l[1], func(s string) bool {
		return strings.Contains(s, "Kind     ") && strings.Contains(s, "Path     /"+m[1]) &&
			strings.Contains(s, "Files · layers 0–"+l[1]) && strings.Contains(s, " "+base)
	})

	// v shows dpkg's status file as the layer shown wrote it, read from
	// that layer on demand.
	keys("f", "dpkg/status", "Enter", "v")
	waitFor("the viewer on dpkg's status file", func(s string) bool {
		return strings.Contains(s, "/var/lib/dpkg/status") && strings.Contains(s, "wrote it") && strings.Contains(s, "Package: ")
	})
	keys("Escape")
	waitFor("the viewer closed", contains("Details"))

	// d in Details' Versions list picks a version, d on another diffs the
	// two: the package added to dpkg's status file shows as added lines.
	keys("Tab", "d", "k", "d")
	waitFor("the diff of dpkg's status file", func(s string) bool {
		return strings.Contains(s, "diff of layer") && strings.Contains(s, "+++ /var/lib/dpkg/status (layer") &&
			regexp.MustCompile(`(?m)^.\+Package: `).MatchString(s)
	})
	keys("Escape")
	waitFor("the diff closed", contains("Versions"))
	keys("BTab")

	// dive's Ctrl-U hides unchanged files, + added ones: the title says so.
	keys("C-u", "+")
	waitFor("the tree hiding added and unchanged files", contains("hiding added, unchanged"))
	// B, bound in the config, shows the attributes; b no longer does.
	keys("b")
	keys("B")
	waitFor("the attribute columns", contains("Mode       Owner"))

	// q is no longer quit (the config made it Q): the browser stays.
	keys("q")
	time.Sleep(300 * time.Millisecond)
	if s := screen(); !strings.Contains(s, "Layers") {
		t.Fatalf("q quit although the config rebound quit to Q:\n%s", s)
	}

	// Q quits, the terminal is as it was and the exit status is 0.
	keys("Q")
	s = waitFor("the exit status", contains("EXIT="))
	if !strings.Contains(s, "EXIT=0") || !strings.Contains(s, "TTY-RESTORED") {
		t.Errorf("after q: want EXIT=0 and the tty restored:\n%s", s)
	}
	if strings.Contains(s, "Layers") {
		t.Errorf("the browser is still on the screen after q:\n%s", s)
	}
}

// TestTUIWithoutTerminal: -o tui with no terminal to open is a one-line
// error, exit status 2.
func TestTUIWithoutTerminal(t *testing.T) {
	t.Parallel()
	r := runWithoutTerminal(t, "inspect", "-o", "tui", testImage)
	wantOneLineError(t, r, "opening the terminal for the browser", "-o text")
}

// runWithoutTerminal runs the program in a new session: no controlling
// terminal, so /dev/tty cannot be opened.
func runWithoutTerminal(t *testing.T, args ...string) result {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), asMainEnv+"=1", "DOCKER_HOST=unix://"+filepath.Join(t.TempDir(), "no-engine.sock"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // no controlling terminal
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	r := result{stdout: out.String(), stderr: errOut.String()}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		r.code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return r
}

// gatedRegistry pushes the docker archive at path to a registry on
// loopback (go-containerregistry's, in this process) and returns the
// image's reference there. The first layer's blob is sent slowly, most of
// it over about two seconds, and the rest only once releaseFirst is called;
// a GET of the last layer's blob waits until release is called.
func gatedRegistry(t *testing.T, path string) (ref string, releaseFirst, release func()) {
	t.Helper()
	img, err := tarball.ImageFromPath(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	last, err := ls[len(ls)-1].Digest()
	if err != nil {
		t.Fatal(err)
	}
	first, err := ls[0].Digest()
	if err != nil {
		t.Fatal(err)
	}
	size, err := ls[0].Size()
	if err != nil {
		t.Fatal(err)
	}
	gate, firstGate := make(chan struct{}), make(chan struct{})
	var once, firstOnce sync.Once
	release = func() { once.Do(func() { close(gate) }) }
	releaseFirst = func() { firstOnce.Do(func() { close(firstGate) }) }
	t.Cleanup(release) // before the server closes: no request waits
	t.Cleanup(releaseFirst)
	// Most of the layer is one 2 MB file: the entries after it are in
	// the last tenth of the blob.
	trickle := layerstest.Trickle{Digest: first.String(), Held: int(size * 19 / 20), Chunk: int(size / 40), Pause: 50 * time.Millisecond, Release: firstGate}
	ref = layerstest.Registry(t, img, func(reg http.Handler) http.Handler {
		reg = trickle.Wrap(reg)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/blobs/"+last.String()) {
				select {
				case <-gate:
				case <-r.Context().Done():
					return
				}
			}
			reg.ServeHTTP(w, r)
		})
	})
	return ref, releaseFirst, release
}

// TestTUICacheError: a layer cache that cannot be opened is a one-line
// error, exit status 2, before the browser takes the terminal (the program
// runs without one here: the cache's error comes first).
func TestTUICacheError(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	r := runWithoutTerminal(t, "inspect", "-o", "tui", "--cache", filepath.Join(file, "cache"), testImage)
	wantOneLineError(t, r, "layer cache", "not a directory")
}
