package ui

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/google/go-cmp/cmp"

	"github.com/stagescope/stagescope/analyze"
	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/layers"
	"github.com/stagescope/stagescope/layers/layerstest"
)

// sim is a simulation screen whose text is copied after every draw, on
// the UI goroutine.
type sim struct {
	tcell.SimulationScreen
	mu   sync.Mutex
	text string
}

func simScreen(t *testing.T) *sim {
	s := &sim{SimulationScreen: tcell.NewSimulationScreen("UTF-8")}
	s.SetSize(120, 36)
	return s
}

// opts are the Run options that draw on s.
func (s *sim) opts() []Option {
	return []Option{WithScreen(s.SimulationScreen), func(o *options) error {
		o.afterDraw = func(tcell.Screen) {
			s.Show() // tview calls the hook before it shows the frame
			text := contents(s.SimulationScreen)
			s.mu.Lock()
			s.text = text
			s.mu.Unlock()
		}
		return nil
	}}
}

// waitFor waits until the screen shows want.
func waitFor(t *testing.T, s *sim, want string) string {
	t.Helper()
	got, ok := screenShows(s, want)
	if !ok {
		t.Fatalf("screen never showed %q; it shows:\n%s", want, got)
	}
	return got
}

// screenShows waits up to 10 s for the screen to show want, and returns
// the screen; unlike waitFor it may run on any goroutine.
func screenShows(s *sim, want string) (string, bool) {
	return screenShowsFunc(s, func(text string) bool { return strings.Contains(text, want) })
}

// TestRunSmoke runs the whole browser on a simulation screen with a real
// load, moves around, and quits with q.
func TestRunSmoke(t *testing.T) {
	img := layerstest.Image(t, fixtureSteps()...)
	s := simScreen(t)
	done := make(chan error, 1)
	go func() {
		done <- Run(context.Background(), "fixture.tar", func(ctx context.Context, ev *Events) (*analyze.Analysis, error) {
			li, err := layers.Read(ctx, img, layers.WithProgress(ev.Progress), layers.WithLayerDone(ev.LayerDone))
			if err != nil {
				return nil, err
			}
			return analyze.Run(li), nil
		}, s.opts()...)
	}()
	waitFor(t, s, "4 layers · 9 files")
	s.InjectKey(tcell.KeyTab, 0, tcell.ModNone)
	s.InjectKey(tcell.KeyRune, 'e', tcell.ModNone)
	waitFor(t, s, "libc.so.6")
	s.InjectKey(tcell.KeyRune, 'q', tcell.ModNone)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v, want nil after q", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after q")
	}
}

// TestRunLoadErrors: a load that fails before any layer closes the browser
// with the error; one that fails later keeps it open with the error shown
// and returns it on quit.
func TestRunLoadErrors(t *testing.T) {
	boom := errors.New("reading layer 1 (sha256:ab12…): unexpected EOF")
	t.Run("before any layer", func(t *testing.T) {
		err := Run(context.Background(), "x", func(ctx context.Context, ev *Events) (*analyze.Analysis, error) {
			return nil, boom
		}, simScreen(t).opts()...)
		if !errors.Is(err, boom) {
			t.Fatalf("Run = %v, want %v", err, boom)
		}
	})
	t.Run("after a layer", func(t *testing.T) {
		a := fixture(t)
		s := simScreen(t)
		done := make(chan error, 1)
		go func() {
			done <- Run(context.Background(), "x", func(ctx context.Context, ev *Events) (*analyze.Analysis, error) {
				ev.Progress(layers.Progress{LayersTotal: 4})
				ev.LayerDone(a.Image.Layers[0])
				return nil, boom
			}, s.opts()...)
		}()
		got := waitFor(t, s, "error: reading layer 1")
		if !strings.Contains(got, "ADD file:0123456789abcdef") {
			t.Errorf("the layer read before the error is not shown:\n%s", got)
		}
		s.InjectKey(tcell.KeyCtrlC, 0, tcell.ModNone)
		if err := <-done; !errors.Is(err, boom) {
			t.Fatalf("Run = %v, want %v", err, boom)
		}
	})
}

// TestRunCancel: when the caller gives up (timeout, SIGTERM) the browser
// closes and Run returns the cause.
func TestRunCancel(t *testing.T) {
	cause := errors.New("timed out after 1ms (--timeout)")
	ctx, cancel := context.WithCancelCause(context.Background())
	s := simScreen(t)
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, "x", func(ctx context.Context, ev *Events) (*analyze.Analysis, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}, s.opts()...)
	}()
	// A slow source still shows life: the seconds count.
	waitFor(t, s, "opening image… · 1s")
	cancel(cause)
	if err := <-done; !errors.Is(err, cause) {
		t.Fatalf("Run = %v, want %v", err, cause)
	}
}

// TestRunLoaderPanic: a panic while loading restores the screen first, then
// surfaces.
func TestRunLoaderPanic(t *testing.T) {
	s := simScreen(t)
	defer func() {
		p := recover()
		if p == nil || !strings.Contains(p.(string), "kaboom") {
			t.Fatalf("recovered %v, want the loader's panic", p)
		}
		if _, w, _ := s.GetContents(); w != 0 {
			t.Error("the screen was not finalized before the panic surfaced")
		}
	}()
	_ = Run(context.Background(), "x", func(ctx context.Context, ev *Events) (*analyze.Analysis, error) {
		panic("kaboom")
	}, s.opts()...)
	t.Fatal("Run returned instead of panicking")
}

// TestProgressFrames: a flood of progress reports is drawn a few times a
// second, not once per report, and the last report still reaches the
// screen.
func TestProgressFrames(t *testing.T) {
	s := simScreen(t)
	var draws atomic.Int64
	count := func(o *options) error {
		prev := o.afterDraw
		o.afterDraw = func(sc tcell.Screen) {
			draws.Add(1)
			prev(sc)
		}
		return nil
	}
	done := make(chan error, 1)
	flooded := make(chan int64, 1)
	go func() {
		done <- Run(context.Background(), "x", func(ctx context.Context, ev *Events) (*analyze.Analysis, error) {
			if _, ok := screenShows(s, "opening image"); !ok {
				flooded <- -1
				return nil, errors.New("the screen never showed opening image")
			}
			before := draws.Load()
			start := time.Now()
			for i := 1; time.Since(start) < 500*time.Millisecond; i++ {
				ev.Progress(layers.Progress{LayersTotal: 4, BytesRead: int64(i) * 1000})
				time.Sleep(200 * time.Microsecond)
			}
			ev.Progress(layers.Progress{LayersDone: 1, LayersTotal: 4, BytesRead: 123_456_789})
			flooded <- draws.Load() - before
			<-ctx.Done()
			return nil, ctx.Err()
		}, append(s.opts(), count)...)
	}()
	if n := <-flooded; n < 0 {
		t.Fatal("the screen never showed opening image")
	} else if n > 12 {
		// 500 ms of reports at the 100 ms frame: about five frames, where
		// one per report would be hundreds.
		t.Errorf("%d frames drawn for 500 ms of progress reports, want at most 12", n)
	}
	waitFor(t, s, "reading layers 1/4 · 123 MB")
	s.InjectKey(tcell.KeyRune, 'q', tcell.ModNone)
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v", err)
	}
}

// TestRunProgressiveTree: with a loader that merges as it reads, the tree
// of the first layer is on the screen while the other layers still wait.
func TestRunProgressiveTree(t *testing.T) {
	img := layerstest.Image(t, fixtureSteps()...)
	s := simScreen(t)
	done := make(chan error, 1)
	seen := make(chan string, 1)
	go func() {
		done <- Run(context.Background(), "fixture.tar", func(ctx context.Context, ev *Events) (*analyze.Analysis, error) {
			onMerged := analyze.OnMerged(func(layer int, snapshot func() *fstree.Tree) {
				ev.Merged(layer, snapshot)
				if layer == 0 {
					// Merging waits here until the first layer's tree
					// is on the screen.
					got, _ := screenShows(s, "▸ usr")
					seen <- got
				}
			})
			return analyze.Read(ctx, &layers.Source{Image: img}, onMerged,
				analyze.WithReadOptions(layers.WithParallelism(1), layers.WithProgress(ev.Progress), layers.WithLayerDone(ev.LayerDone)))
		}, s.opts()...)
	}()
	got := <-seen
	for _, want := range []string{"▸ usr", "Files · layers 0–0", "findings appear once"} {
		if !strings.Contains(got, want) {
			t.Errorf("while layer 1 waits to merge, the screen does not show %q:\n%s", want, got)
		}
	}
	waitFor(t, s, "4 layers · 9 files")
	waitFor(t, s, "Files · layers 0–3 · by size")
	s.InjectKey(tcell.KeyRune, 'q', tcell.ModNone)
	if err := <-done; err != nil {
		t.Fatalf("Run = %v, want nil after q", err)
	}
}

// TestRunMergedOfferedAgain: analyze offers the tree of the layers merged
// so far again while merging waits (analyze.OnMerged); the browser takes a
// layer's tree once, however often it is offered, and the screen comes to
// show it.
func TestRunMergedOfferedAgain(t *testing.T) {
	img := layerstest.Image(t, fixtureSteps()...)
	s := simScreen(t)
	done := make(chan error, 1)
	type offers struct {
		taken int
		shown bool // the screen came to show layer 1's tree
	}
	result := make(chan offers, 1)
	go func() {
		done <- Run(context.Background(), "fixture.tar", func(ctx context.Context, ev *Events) (*analyze.Analysis, error) {
			li, err := layers.Read(ctx, img)
			if err != nil {
				return nil, err
			}
			ev.Progress(layers.Progress{LayersTotal: len(li.Layers)})
			b := fstree.NewBuilder()
			b.Add(li.Layers[0].Entries)
			ev.Merged(0, b.Snapshot)
			b.Add(li.Layers[1].Entries)
			var o offers
			snap := func() *fstree.Tree { o.taken++; return b.Snapshot() }
			for range 500 { // offers 10 ms apart, until the screen shows the tree
				ev.Merged(1, snap)
				s.mu.Lock()
				o.shown = strings.Contains(s.text, "Files · layers 0–1")
				s.mu.Unlock()
				if o.shown {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			for range 5 {
				ev.Merged(1, snap)
			}
			result <- o
			// The analysis follows at once: the screen moves on to the
			// whole tree, so the check above is the screen's last word
			// on layer 1.
			return analyze.Run(li), nil
		}, s.opts()...)
	}()
	o := <-result
	if o.taken != 1 {
		t.Errorf("layer 1's tree taken %d times over its offers, want once", o.taken)
	}
	if !o.shown {
		t.Errorf("the screen never showed layer 1's tree (\"Files · layers 0–1\") while it was offered")
	}
	waitFor(t, s, "Files · layers 0–3")
	s.InjectKey(tcell.KeyRune, 'q', tcell.ModNone)
	if err := <-done; err != nil {
		t.Fatalf("Run = %v, want nil after q", err)
	}
}

// TestViewerWhileLoading opens a file of the first layer while the rest
// of the image is still being read: the reader arrives with the source,
// before the analysis.
func TestViewerWhileLoading(t *testing.T) {
	img := layerstest.Image(t, fixtureSteps()...)
	s := simScreen(t)
	release := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- Run(context.Background(), "fixture.tar", func(ctx context.Context, ev *Events) (*analyze.Analysis, error) {
			ev.Files(func(ctx context.Context, layer int, path string, limit int64) ([]byte, int64, error) {
				return layers.ReadFile(ctx, img, layer, path, limit)
			})
			src := &layers.Source{Image: img}
			return analyze.Read(ctx, src, analyze.OnMerged(func(layer int, snapshot func() *fstree.Tree) {
				ev.Merged(layer, snapshot)
				if layer == 0 {
					<-release // the rest of the image waits for the test
				}
			}))
		}, s.opts()...)
	}()
	waitFor(t, s, "Files · layers 0–0")
	for _, r := range "fos-release" {
		s.InjectKey(tcell.KeyRune, r, tcell.ModNone)
	}
	s.InjectKey(tcell.KeyEnter, 0, tcell.ModNone)
	s.InjectKey(tcell.KeyRune, 'v', tcell.ModNone)
	waitFor(t, s, "ID=debian")
	close(release)
	s.InjectKey(tcell.KeyEscape, 0, tcell.ModNone)
	waitFor(t, s, "4 layers · 9 files")
	s.InjectKey(tcell.KeyRune, 'q', tcell.ModNone)
	if err := <-done; err != nil {
		t.Fatalf("Run = %v, want nil after q", err)
	}
}

// TestRunWholeTreeBeforeAnalysis: the tree of every layer is on the screen
// while the analysis still runs, even when the snapshots of the layers
// below were skipped because the screen was busy; and the timeline says
// when each state was drawn, in order.
func TestRunWholeTreeBeforeAnalysis(t *testing.T) {
	img := layerstest.Image(t, fixtureSteps()...)
	s := simScreen(t)
	var timeline strings.Builder // written on the UI goroutine only; read after Run
	done := make(chan error, 1)
	whole := make(chan string, 1)
	go func() {
		done <- Run(context.Background(), "fixture.tar", func(ctx context.Context, ev *Events) (*analyze.Analysis, error) {
			release := make(chan struct{})
			ev.b.post(func() { <-release }) // the screen is busy while the layers merge
			onMerged := analyze.OnMerged(func(layer int, snapshot func() *fstree.Tree) {
				ev.Merged(layer, snapshot)
				if layer == 3 {
					close(release)
				}
			})
			a, err := analyze.Read(ctx, &layers.Source{Image: img}, onMerged,
				analyze.WithReadOptions(layers.WithParallelism(1), layers.WithProgress(ev.Progress), layers.WithLayerDone(ev.LayerDone)))
			got, _ := screenShows(s, "Files · layers 0–3")
			whole <- got
			return a, err
		}, append(s.opts(), WithTimeline(&timeline, time.Now()))...)
	}()
	got := <-whole
	for _, want := range []string{"Files · layers 0–3", "findings appear once"} {
		if !strings.Contains(got, want) {
			t.Errorf("before the analysis is returned, the screen does not show %q:\n%s", want, got)
		}
	}
	waitFor(t, s, "4 layers · 9 files")
	s.InjectKey(tcell.KeyRune, 'q', tcell.ModNone)
	if err := <-done; err != nil {
		t.Fatalf("Run = %v, want nil after q", err)
	}
	var events []string
	last := -1
	for _, line := range strings.Split(strings.TrimSpace(timeline.String()), "\n") {
		var event string
		var ms int
		if _, err := fmt.Sscanf(line, "%s %d", &event, &ms); err != nil {
			t.Fatalf("timeline line %q: %v", line, err)
		}
		if ms < last {
			t.Errorf("timeline %q: %d ms comes after %d ms", event, ms, last)
		}
		events, last = append(events, event), ms
	}
	if diff := cmp.Diff([]string{"run", "paint", "tree", "whole", "ready"}, events); diff != "" {
		t.Errorf("timeline events (-want +got):\n%s", diff)
	}
}

// TestRunPreviewTree reads an image from a registry on loopback that sends
// the first layer's blob slowly and holds its second half back: the tree
// of the entries read so far is on the screen, its title saying the layer
// is being read and how many entries it holds, while no layer is merged;
// a directory opened in it stays open once the tree of the whole layer
// replaces it, after the layer is read; and the timeline has "tree" before
// "whole".
func TestRunPreviewTree(t *testing.T) {
	img := layerstest.Image(t,
		layerstest.Step{CreatedBy: "COPY docs /", Files: layerstest.ManyFiles("usr/share/doc", 3000, 300)},
		layerstest.Step{CreatedBy: "COPY hello /", Files: []layerstest.File{{Name: "etc/hello", Body: "hello\n"}}},
	)
	ref, releaseOnce := layerstest.TrickleFirst(t, img)

	s := simScreen(t)
	var timeline strings.Builder // written on the UI goroutine only; read after Run
	done := make(chan error, 1)
	go func() {
		done <- Run(context.Background(), ref, func(ctx context.Context, ev *Events) (*analyze.Analysis, error) {
			// Wide enough for the Files pane's whole title.
			s.SetSize(240, 36)
			if err := s.PostEvent(tcell.NewEventResize(240, 36)); err != nil {
				return nil, err
			}
			a, _, err := analyze.Load(ctx, ref, analyze.OnPartial(time.Millisecond, ev.Partial), analyze.OnMerged(ev.Merged),
				analyze.WithLoadOptions(layers.WithInsecure(), layers.WithoutDaemon()),
				analyze.WithReadOptions(layers.WithProgress(ev.Progress), layers.WithLayerDone(ev.LayerDone)))
			return a, err
		}, append(s.opts(), WithTimeline(&timeline, time.Now()))...)
	}()
	preview := regexp.MustCompile(`Files · layers 0–0 · by size · [0-9.]+ [kM]B · reading layer 0: ([0-9,]+) entries so far`)
	got, ok := screenShowsFunc(s, func(text string) bool { return preview.MatchString(text) && strings.Contains(text, "▸ usr") })
	if !ok {
		releaseOnce()
		t.Fatalf("while layer 0's blob is held back half sent, the screen never showed its tree being read; it shows:\n%s", got)
	}
	// The preview is browsable: usr opened in it stays open in the
	// layer's whole tree.
	s.InjectKey(tcell.KeyTab, 0, tcell.ModNone)
	s.InjectKey(tcell.KeyEnter, 0, tcell.ModNone)
	if text, ok := screenShowsFunc(s, func(text string) bool { return preview.MatchString(text) && strings.Contains(text, "▾ usr") }); !ok {
		t.Errorf("Enter on usr in the preview did not open it:\n%s", text)
	}
	releaseOnce()
	m := preview.FindStringSubmatch(got)
	if n, err := strconv.Atoi(strings.ReplaceAll(m[1], ",", "")); err != nil || n < 1 || n >= 3000 {
		t.Errorf("the preview holds %q entries, want some of layer 0's 3000 files and no more", m[1])
	}
	waitFor(t, s, "2 layers · 3,001 files")
	after := waitFor(t, s, "Files · layers 0–1 · by size")
	if strings.Contains(after, "reading layer") {
		t.Errorf("once the image is read, the tree still says a layer is being read:\n%s", after)
	}
	if !strings.Contains(after, "▾ usr") {
		t.Errorf("usr, opened in the preview, is closed in the whole tree:\n%s", after)
	}
	s.InjectKey(tcell.KeyRune, 'q', tcell.ModNone)
	if err := <-done; err != nil {
		t.Fatalf("Run = %v, want nil after q", err)
	}
	var events []string
	for _, line := range strings.Split(strings.TrimSpace(timeline.String()), "\n") {
		events = append(events, strings.Fields(line)[0])
	}
	if diff := cmp.Diff([]string{"run", "paint", "tree", "whole", "ready"}, events); diff != "" {
		t.Errorf("timeline events (-want +got):\n%s", diff)
	}
}

// screenShowsFunc waits up to 10 s for the screen to satisfy ok, and
// returns the screen.
func screenShowsFunc(s *sim, ok func(string) bool) (string, bool) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		s.mu.Lock()
		got := s.text
		s.mu.Unlock()
		if ok(got) {
			return got, true
		}
		if time.Now().After(deadline) {
			return got, false
		}
		time.Sleep(10 * time.Millisecond)
	}
}
