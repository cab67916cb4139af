// Command stagescope opens a container image layer by layer and shows what it
// really carries: every layer's files, wasted bytes, and the build-time
// leftovers a multi-stage build would have dropped.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/stagescope/stagescope/analyze"
	"github.com/stagescope/stagescope/internal/format"
	"github.com/stagescope/stagescope/ui"
)

// gcPercent is the garbage collector's target unless GOGC says otherwise.
// Nearly all of stagescope's heap is the merged tree, which lives until the
// end, so the default (let the heap grow to twice what is live) doubles the
// peak for nothing. The tree holds few pointers and the merge allocates
// little besides it, so marking is cheap and a low target costs little CPU
// for a much lower peak (bench/NOTES.md has the figures).
const gcPercent = 30

// releaseTree hands the merged tree of a, which the report no longer needs,
// to the collector, and then lets the heap grow to twice what is live
// (unless GOGC says otherwise). Formatting a large report allocates
// several times the small heap that is left, which at gcPercent meant a
// collection every few milliseconds. The peak is not raised: what is live
// once the tree is gone is a fraction of it (bench/NOTES.md).
func releaseTree(a *analyze.Analysis) {
	a.Tree = nil
	if os.Getenv("GOGC") == "" {
		runtime.GC()
		debug.SetGCPercent(100)
	}
}

// collectGarbage runs once the layers are merged (analyze.AfterMerge):
// the builder has just dropped what only merging needed (dive's records
// and its lookup maps), and collecting them before measuring allocates
// keeps the peak down (bench/NOTES.md).
func collectGarbage() { runtime.GC() }

// processStart is when the program started (package variables are set
// before main runs): the zero of STAGESCOPE_TIMELINE.
var processStart = time.Now()

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	stopProfile := func() {}
	if p := os.Getenv("STAGESCOPE_CPUPROFILE"); p != "" {
		stop, err := startCPUProfile(p)
		if err != nil {
			fmt.Fprintln(os.Stderr, "stagescope: STAGESCOPE_CPUPROFILE:", err)
		} else {
			stopProfile = stop
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd(defaultStreams()).ExecuteContext(ctx)
	stop()
	stopProfile() // before os.Exit, which runs no deferred calls
	code := exitCode(err)
	if code != exitOK {
		os.Exit(code)
	}
}

// startCPUProfile writes a pprof CPU profile to path until the returned
// function runs (STAGESCOPE_CPUPROFILE).
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); _ = f.Close() }, nil
}

// Exit statuses.
const (
	exitOK    = 0
	exitGate  = 1 // a CI threshold failed
	exitError = 2 // anything went wrong
)

// gateError reports failed thresholds; the report was still written.
type gateError struct{ failed int }

func (e *gateError) Error() string { return format.Count(int64(e.failed), "threshold") + " failed" }

func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var g *gateError
	if errors.As(err, &g) {
		fmt.Fprintf(os.Stderr, "stagescope: %s\n", g)
		return exitGate
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "stagescope: interrupted")
		return exitError
	}
	fmt.Fprintf(os.Stderr, "stagescope: %s\n", errorLine(err))
	return exitError
}

// errorLine is the one line an error is shown as. Errors quote names from
// the image (tags, file and member names) and from registries, so the
// message is escaped: an escape sequence is shown, never sent to the
// terminal, and a newline cannot start a line of its own.
func errorLine(err error) string {
	return ui.Escape(strings.TrimSpace(err.Error()))
}
