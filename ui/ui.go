// Package ui is stagescope's interactive layer browser, built with tview.
// It opens before the image is read and fills in as layers stream. All view
// state lives here; the analyze model knows nothing of screens.
package ui

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"github.com/stagescope/stagescope/analyze"
	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/internal/format"
	"github.com/stagescope/stagescope/layers"
)

// Option configures the browser.
type Option func(*options) error

type options struct {
	screen tcell.Screen
	color  bool
	keys   map[string][]string // WithKeys
	// afterDraw runs on the UI goroutine after each draw (tests read the
	// simulation screen there, where nothing draws concurrently).
	afterDraw func(tcell.Screen)
	timeline  *timeline // WithTimeline
}

func makeOptions(opts ...Option) (*options, error) {
	o := &options{color: true}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// WithScreen draws on s instead of the terminal (tests use a
// tcell.SimulationScreen). Run initializes and finalizes it.
func WithScreen(s tcell.Screen) Option {
	return func(o *options) error {
		if s == nil {
			return errors.New("nil screen")
		}
		o.screen = s
		return nil
	}
}

// WithoutColor draws with attributes only (bold, reverse, underline), for
// NO_COLOR and terminals without color.
func WithoutColor() Option {
	return func(o *options) error {
		o.color = false
		return nil
	}
}

// Loader reads and analyzes the image, telling ev what it learns on the way.
// It runs in its own goroutine; ctx ends when the user quits.
type Loader func(ctx context.Context, ev *Events) (*analyze.Analysis, error)

// Events receives a Loader's progress. Its methods may be called from any
// goroutine and never block on the screen.
type Events struct {
	b *Browser
	// The merging goroutine's own: when the last snapshot was taken and
	// what it cost, and whether it was of a layer still being read.
	snapAt   time.Time
	snapCost time.Duration
	preview  bool
	merged   int // layers in the last merged tree taken
}

// Progress reports bytes and layers read (layers.WithProgress). The screen
// shows the latest report at most once per progressFrame: a large image
// sends hundreds, and drawing each took a tenth of the CPU while the image
// was read. A frame is posted late, so it may land after updates posted
// since (a layer done, the analysis): it only sets the progress line,
// which the screen no longer shows once the analysis is in.
func (e *Events) Progress(p layers.Progress) {
	b := e.b
	b.layerCount.Store(int64(p.LayersTotal))
	b.mu.Lock()
	b.pending = p
	queued := b.progressQueued
	b.progressQueued = true
	b.mu.Unlock()
	if !queued {
		time.AfterFunc(progressFrame, func() {
			b.post(func() {
				b.mu.Lock()
				p := b.pending
				b.progressQueued = false
				b.mu.Unlock()
				b.setProgress(p)
			})
		})
	}
}

// progressFrame is the least time between two progress frames.
const progressFrame = 100 * time.Millisecond

// Merged reports that layers 0..layer are merged; snapshot copies their
// tree (analyze.Merger.Snapshot). It runs on the goroutine that merges,
// which waits for it. The browser takes a snapshot only once it has shown
// the previous one, and only when at least snapshotPace times the last
// one's cost has passed since: the tree follows the layers as they merge,
// and merging slows by at most a fifth. The last layer's tree is always
// taken: the whole tree is then on the screen while the analysis runs,
// before -o json would have finished.
//
// While merging waits for the next layer, analyze offers the tree of the
// layers merged so far again (analyze.OnMerged): a tree passed over while
// the screen was busy is then taken, once it may be, rather than the
// screen staying layers behind until the next layer merges.
func (e *Events) Merged(layer int, snapshot func() *fstree.Tree) {
	b := e.b
	if layer+1 <= e.merged {
		return // on the screen already
	}
	last := int64(layer+1) == b.layerCount.Load()
	// A preview of a layer being read is replaced at once: it must not
	// stand for the layer once the layer is read.
	if !last && !e.preview && e.paced() {
		return
	}
	e.preview = false
	e.merged = layer + 1
	t := e.take(snapshot)
	b.post(func() {
		b.treeQueued.Store(false)
		b.setPartialTree(t)
	})
}

// PartialEvery is how often the browser looks at the entries read so far
// of the first layer while no layer is merged (analyze.OnPartial).
const PartialEvery = 200 * time.Millisecond

// Partial reports that layer, the first, is being read, with entries of
// it read so far; snapshot returns their tree (analyze.OnPartial). It runs
// on the goroutine that merges, which is idle until the layer is read, and
// is paced as Merged is: a large first layer (a gzip blob gunzipped beside
// a larger layer takes a second) shows its tree as it grows, marked as
// being read, until Merged brings the layer whole. No entries (and a nil
// snapshot) withdraw the preview: a one-pass stream found that what it
// showed was not the first layer. That is never paced.
func (e *Events) Partial(layer, entries int, snapshot func() *fstree.Tree) {
	if entries == 0 {
		e.preview = false
		e.b.post(e.b.dropPreview)
		return
	}
	if e.paced() {
		return
	}
	e.preview = true
	t := e.take(snapshot)
	e.b.post(func() {
		e.b.treeQueued.Store(false)
		e.b.setPreviewTree(t, layer, entries)
	})
}

// paced tells whether a snapshot must wait: the last is not on the screen
// yet, or less than snapshotPace times its cost has passed since it was
// taken.
func (e *Events) paced() bool {
	return e.b.treeQueued.Load() || (!e.snapAt.IsZero() && time.Since(e.snapAt) < snapshotPace*e.snapCost)
}

// take takes a snapshot, noting when and at what cost, and marks it
// queued for the screen.
func (e *Events) take(snapshot func() *fstree.Tree) *fstree.Tree {
	start := time.Now()
	t := snapshot()
	e.snapAt = time.Now()
	e.snapCost = e.snapAt.Sub(start)
	e.b.treeQueued.Store(true)
	return t
}

// snapshotPace is how many times a snapshot's cost must pass before the
// next is taken.
const snapshotPace = 4

// LayerDone reports a layer read to the end (layers.WithLayerDone). Only its
// metadata is kept.
func (e *Events) LayerDone(l layers.Layer) {
	l.Entries, l.Files = nil, nil
	e.b.post(func() { e.b.addLayer(l) })
}

// paneID names a pane of the browser.
type paneID int

const (
	paneLayers paneID = iota
	paneTree
	paneFindings
	paneDetails
	paneHelp
	paneViewer
	anyPane paneID = -1
)

// phase is how far loading has come.
type phase int

const (
	phaseReading phase = iota
	phaseReady
	phaseFailed
)

// Browser is the interactive layer browser: it lays the panes out, moves
// the focus between them and feeds them what loading learns. Each pane
// owns its model and its key actions.
type Browser struct {
	o    *options
	th   theme
	ref  string
	app  *tview.Application
	keys []binding

	// panes
	layers   *layersPane
	tree     *treePane
	findings *findingsPane
	details  *detailsPane
	summary  *textPane
	help     *textPane
	viewer   *viewerPane
	views    map[paneID]view

	// frame
	pages      *tview.Pages
	titleBar   *tview.Box
	bottom     *tview.Flex
	helpBar    *tview.Box
	filterIn   *tview.InputField
	focus      paneID
	lastFocus  paneID // the pane before help opened
	context    paneID // which selection the details pane describes
	filterOpen bool
	finding    bool // the field at the bottom finds rather than filters
	helpOpen   bool
	viewerOpen bool
	hiding     bool            // a page is being hidden: focus changes are tview's (hidePage)
	ctx        context.Context // ends when the browser closes; nil in tests of panes
	screen     tcell.Screen    // the screen drawn on, once drawn
	notice     string          // a one-off message for the title bar

	// loading
	phase    phase
	progress layers.Progress
	a        *analyze.Analysis
	loadErr  error

	// across goroutines
	mu             sync.Mutex
	closed         bool
	queue          []func()
	draining       bool
	inflight       sync.WaitGroup
	pending        layers.Progress
	progressQueued bool
	treeQueued     atomic.Bool // a snapshot waits to be shown
	// previewEntries is how many entries of the layer being read the tree
	// holds when it is a preview of that layer (Partial), else 0.
	previewEntries int
	layerCount     atomic.Int64 // the image's layers, from the first progress report
	cancel         context.CancelFunc
	exitErr        error
	panicked       any
	started        time.Time // when loading began; zero in tests of single panes
}

func newBrowser(ref string, opts ...Option) (*Browser, error) {
	o, err := makeOptions(opts...)
	if err != nil {
		return nil, err
	}
	b := &Browser{o: o, th: newTheme(o.color), ref: ref, app: tview.NewApplication(), cancel: func() {}}
	if err := b.build(); err != nil {
		return nil, err
	}
	return b, nil
}

// Run opens the browser on the terminal (or the WithScreen screen) at once,
// runs load in the background, and returns when the user quits. A load that
// fails before any layer arrived closes the browser and returns the error;
// a later failure is shown and returned once the user quits.
func Run(ctx context.Context, ref string, load Loader, opts ...Option) error {
	b, err := newBrowser(ref, opts...)
	if err != nil {
		return err
	}
	if b.o.screen != nil {
		b.app.SetScreen(b.o.screen)
	}
	b.app.EnableMouse(true)
	inner, cancel := context.WithCancel(ctx)
	b.cancel = cancel
	b.ctx = inner
	defer cancel()

	b.started = time.Now()
	var finished atomic.Bool
	loaded := make(chan struct{})
	loader := func() {
		defer close(loaded)
		defer finished.Store(true)
		a, err := b.runLoader(inner, load)
		switch {
		case b.panicked != nil:
			b.post(b.quit)
		case err != nil && inner.Err() != nil:
			// The user quit, or the caller gave up: nothing to show.
		case err != nil:
			b.post(func() { b.fail(err) })
		default:
			b.post(func() { b.setAnalysis(a) })
		}
	}
	// Loading starts at once, while the terminal is set up and the first
	// frame drawn (~15 ms): what it reports waits for the screen. A
	// terminal that cannot be opened stops it (cancel, below) before it
	// has read much; nothing is written but the layer cache, which keeps
	// only layers read whole.
	b.o.timeline.mark("run")
	b.app.SetAfterDrawFunc(func(s tcell.Screen) {
		b.screen = s
		if b.o.afterDraw != nil {
			b.o.afterDraw(s)
		}
		b.markTimeline()
	})
	go loader()
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		<-inner.Done()
		if ctx.Err() != nil {
			b.mu.Lock()
			if b.exitErr == nil {
				b.exitErr = context.Cause(ctx)
			}
			b.mu.Unlock()
		}
		b.quit()
	}()

	// While loading, the title line counts the seconds, so that a slow
	// source (a registry, a big archive being hashed) visibly progresses.
	ticked := make(chan struct{})
	go func() {
		defer close(ticked)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for !finished.Load() {
			select {
			case <-inner.Done():
				return
			case <-tick.C:
				b.post(func() {})
			}
		}
	}()

	runErr := b.app.Run()
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	cancel()
	<-loaded
	<-watched
	<-ticked
	if b.panicked != nil {
		panic(b.panicked)
	}
	if runErr != nil {
		return fmt.Errorf("opening the terminal for the browser (without one, use -o text or -o json): %w", runErr)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.exitErr
}

// runLoader runs load, turning a panic into a crash report that Run raises
// once the terminal is restored.
func (b *Browser) runLoader(ctx context.Context, load Loader) (a *analyze.Analysis, err error) {
	defer func() {
		if p := recover(); p != nil {
			b.panicked = fmt.Sprintf("%v\n\nloader stack:\n%s", p, debug.Stack())
			err = errors.New("loader panicked")
		}
	}()
	return load(ctx, &Events{b: b})
}

// post runs f on the UI goroutine and redraws. Updates keep the order in
// which they are posted.
// After quit nothing more is queued, so no goroutine waits on a stopped
// application.
func (b *Browser) post(f func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	b.queue = append(b.queue, f)
	if b.draining {
		return
	}
	b.draining = true
	b.inflight.Add(1)
	go func() {
		defer b.inflight.Done()
		b.app.QueueUpdateDraw(b.drain)
	}()
}

func (b *Browser) drain() {
	b.mu.Lock()
	q := b.queue
	b.queue, b.draining = nil, false
	b.mu.Unlock()
	for _, f := range q {
		f()
	}
}

// quit stops loading and closes the browser once queued updates have run.
func (b *Browser) quit() {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	b.mu.Unlock()
	b.cancel()
	go func() {
		b.inflight.Wait()
		b.app.Stop()
	}()
}

// setProgress shows how far reading has come.
func (b *Browser) setProgress(p layers.Progress) {
	b.progress = p
	b.layers.grow(p.LayersTotal)
}

// addLayer records a layer read to the end.
func (b *Browser) addLayer(l layers.Layer) {
	b.layers.add(l)
	if b.context == paneLayers {
		b.updateDetails()
	}
}

// setPartialTree shows the tree of the layers merged so far, as of the
// layer the user picked or else the newest, keeping the tree's view.
func (b *Browser) setPartialTree(t *fstree.Tree) {
	if b.phase != phaseReading || t.Layers == 0 {
		return
	}
	b.previewEntries = 0
	b.tree.setTree(t, nil, b.followLayer(t.Layers))
	b.updateDetails()
}

// setPreviewTree shows the tree of the entries read so far of layer, the
// first, which is still being read (Partial), keeping the tree's view as
// setPartialTree does.
func (b *Browser) setPreviewTree(t *fstree.Tree, layer, entries int) {
	if b.phase != phaseReading || t.Layers != layer+1 || entries == 0 || (b.tree.m.tree.Layers > 0 && b.previewEntries == 0) {
		return // a tree of whole layers is on the screen already
	}
	b.previewEntries = entries
	b.tree.setTree(t, nil, b.followLayer(t.Layers))
	b.updateDetails()
}

// dropPreview takes the preview of a layer being read off the screen.
func (b *Browser) dropPreview() {
	if b.previewEntries == 0 {
		return
	}
	b.previewEntries = 0
	b.tree.setTree(emptyTree(), nil, 0)
	b.updateDetails()
}

// followLayer is the layer to show of a tree of n layers: the one the user
// picked, or the newest, which the layers' cursor then follows.
func (b *Browser) followLayer(n int) int {
	l := n - 1
	if b.layers.picked {
		return min(b.layers.sel, l)
	}
	b.layers.sel = l
	return l
}

// setAnalysis takes the finished analysis: the tree and findings appear.
func (b *Browser) setAnalysis(a *analyze.Analysis) {
	b.a = a
	b.phase = phaseReady
	b.layers.setImage(a)
	b.findings.setAnalysis(a)
	b.tree.a = a
	b.tree.setTree(a.Tree, a.Findings, b.followLayer(len(b.layers.layers)))
	b.summary.set(summaryLines(&b.th, b.ref, a))
	b.updateDetails()
}

// fail shows a loading error. Before any layer arrived there is nothing to
// browse: the browser closes and Run returns the error.
func (b *Browser) fail(err error) {
	b.mu.Lock()
	b.exitErr = err
	b.mu.Unlock()
	b.phase = phaseFailed
	b.loadErr = err
	// A preview's bytes were not checked, and now never will be.
	b.dropPreview()
	if b.layers.done == 0 {
		b.quit()
	}
}

// status is the one-line state shown in the title bar.
func (b *Browser) status() (string, tcell.Style) {
	switch {
	case b.phase == phaseFailed:
		return "error: " + format.OneLine(b.loadErr.Error()) + " (q quits)", b.th.errStyle
	case b.notice != "":
		return b.notice, b.th.base
	case b.phase == phaseReady:
		m := b.a.Metrics
		return fmt.Sprintf("%s · %s · %s", format.Count(int64(len(b.layers.layers)), "layer"), format.Count(m.Files, "file"), format.Bytes(m.TotalBytes)), b.th.base
	}
	p := b.progress
	var st string
	switch {
	case p.LayersTotal > 0 && p.LayersDone == p.LayersTotal:
		st = fmt.Sprintf("merging %s…", format.Count(int64(p.LayersTotal), "layer"))
	case p.LayersTotal == 0 && p.BytesRead == 0 && b.tree.m.tree.Layers == 0:
		st = "opening image…"
	case p.LayersTotal == 0 && p.LayersDone > 0:
		// A stream that tells how many layers it holds only at its end
		// (standard input).
		st = fmt.Sprintf("reading layers %d/? · %s", p.LayersDone, format.Bytes(p.BytesRead))
	case p.LayersTotal == 0:
		// The same before its first layer ends, or a tree on the screen
		// before the first report.
		st = "reading image"
		if p.BytesRead > 0 {
			st += " · " + format.Bytes(p.BytesRead)
		}
	default:
		st = fmt.Sprintf("reading layers %d/%d · %s", p.LayersDone, p.LayersTotal, format.Bytes(p.BytesRead))
	}
	if !b.started.IsZero() {
		if el := time.Since(b.started).Truncate(time.Second); el >= time.Second {
			st += " · " + el.String()
		}
	}
	return st, b.th.base
}
