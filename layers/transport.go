package layers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// DefaultStallTimeout is how long a registry may keep stagescope waiting
// while sending less than stallBytes (see WithStallTimeout).
const DefaultStallTimeout = 60 * time.Second

// stallBytes is the least a registry must send per stall timeout: a
// trickle of a byte a second is a stall too, not only silence.
const stallBytes = 1 << 10

// maxRedirects bounds the redirects of one request, as Go's own client
// does (go-containerregistry's redirect check replaces Go's limit).
const maxRedirects = 10

// guardTransport bounds what a registry can make stagescope do, for every
// request (token, manifest, blob): at most maxRedirects redirects, a
// manifest or index of at most maxMetadata bytes, and a stall timeout on
// the wait for headers and for the body's bytes. Only time spent waiting
// on the network counts, never time the reader spends elsewhere.
type guardTransport struct {
	next  http.RoundTripper
	stall time.Duration // 0: no stall timeout
}

func newGuardTransport(next http.RoundTripper, stall time.Duration) http.RoundTripper {
	return &guardTransport{next: next, stall: stall}
}

// RedirectError is a redirect chain that went on too long.
type RedirectError struct {
	Chain []string // the URLs, first to last (the one refused last)
	Loop  bool     // the last URL was visited before
}

func (e *RedirectError) Error() string {
	chain := e.Chain
	if e.Loop {
		// The loop itself: from the last URL's previous visit on.
		last := chain[len(chain)-1]
		for i := len(chain) - 2; i >= 0; i-- {
			if chain[i] == last {
				chain = chain[i:]
				break
			}
		}
		if len(chain) <= 4 {
			return fmt.Sprintf("a redirect loop (more than %d redirects): %s", maxRedirects, strings.Join(chain, " → "))
		}
		return fmt.Sprintf("a redirect loop (more than %d redirects) of %d URLs, %s → … → %s", maxRedirects, len(chain)-1, chain[0], chain[len(chain)-1])
	}
	return fmt.Sprintf("more than %d redirects: %s → … → %s", maxRedirects, chain[0], chain[len(chain)-1])
}

func (t *guardTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := checkRedirects(req); err != nil {
		return nil, err
	}
	manifest := strings.Contains(req.URL.Path, "/manifests/")
	if t.stall <= 0 {
		resp, err := t.next.RoundTrip(req)
		if err != nil || !manifest {
			return resp, err
		}
		return capManifest(req, resp)
	}
	ctx, cancel := context.WithCancelCause(req.Context())
	w := &watchdog{stall: t.stall, cancel: cancel, what: req.URL.Host}
	w.wait() // for the headers
	resp, err := t.next.RoundTrip(req.WithContext(ctx))
	w.pause(0)
	if err != nil {
		cancel(nil)
		if w.fired() {
			return nil, w.err()
		}
		return nil, err
	}
	resp.Body = &watchedBody{rc: resp.Body, w: w, done: func() { cancel(nil) }}
	if manifest {
		return capManifest(req, resp)
	}
	return resp, nil
}

// checkRedirects refuses the request a redirect chain longer than
// maxRedirects leads to, naming the chain.
func checkRedirects(req *http.Request) error {
	if req.Response == nil {
		return nil
	}
	var chain []string
	for r := req; r != nil; {
		chain = append(chain, r.URL.Redacted())
		if r.Response == nil {
			break
		}
		r = r.Response.Request
	}
	if len(chain)-1 <= maxRedirects {
		return nil
	}
	for i, j := 0, len(chain)-1; i < j; i, j = i+1, j-1 {
		chain[i], chain[j] = chain[j], chain[i]
	}
	last := chain[len(chain)-1]
	loop := false
	for _, u := range chain[:len(chain)-1] {
		loop = loop || u == last
	}
	return &RedirectError{Chain: chain, Loop: loop}
}

// capManifest refuses a manifest or index larger than maxMetadata: at once
// when its Content-Length says so, else when the body goes past it.
func capManifest(req *http.Request, resp *http.Response) (*http.Response, error) {
	if resp.ContentLength > maxMetadata {
		_ = resp.Body.Close()
		return nil, fmt.Errorf("manifest %s: %d bytes, more than the %d allowed for metadata", req.URL.Redacted(), resp.ContentLength, maxMetadata)
	}
	resp.Body = &cappedBody{rc: resp.Body, left: maxMetadata, what: req.URL.Redacted()}
	return resp, nil
}

type cappedBody struct {
	rc   io.ReadCloser
	left int64
	what string
}

func (c *cappedBody) Read(p []byte) (int, error) {
	if c.left <= 0 {
		var one [1]byte
		if n, _ := c.rc.Read(one[:]); n > 0 {
			return 0, fmt.Errorf("manifest %s: more than the %d bytes allowed for metadata", c.what, maxMetadata)
		}
	}
	if int64(len(p)) > c.left {
		p = p[:max(c.left, 1)]
	}
	n, err := c.rc.Read(p)
	c.left -= int64(n)
	return n, err
}

func (c *cappedBody) Close() error { return c.rc.Close() }

// watchdog cancels a request once the network has kept it waiting for
// stall in all while it delivered less than stallBytes.
type watchdog struct {
	stall  time.Duration
	cancel context.CancelCauseFunc
	what   string
	timer  *time.Timer

	mu      sync.Mutex
	waited  time.Duration // waiting since the last stallBytes arrived
	got     int64         // bytes since then
	started time.Time     // of the current wait
	stalled bool
}

func (w *watchdog) fire() {
	w.mu.Lock()
	w.stalled = true
	w.mu.Unlock()
	w.cancel(w.err())
}

func (w *watchdog) fired() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stalled
}

func (w *watchdog) err() error {
	return &StallError{Host: w.what, Timeout: w.stall}
}

// wait starts a wait for the network.
func (w *watchdog) wait() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.started = time.Now()
	if w.timer == nil {
		w.timer = time.AfterFunc(w.stall, w.fire)
		return
	}
	w.timer.Reset(w.stall - w.waited)
}

// pause ends a wait that brought n bytes.
func (w *watchdog) pause(n int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.timer.Stop()
	w.waited += time.Since(w.started)
	w.got += int64(n)
	if w.got >= stallBytes {
		w.waited, w.got = 0, 0
	}
}

// StallError is a registry that kept stagescope waiting too long.
type StallError struct {
	Host    string
	Timeout time.Duration
}

func (e *StallError) Error() string {
	return fmt.Sprintf("registry %s stalled: less than %d bytes in %s of waiting (--stall-timeout)", e.Host, stallBytes, e.Timeout)
}

// watchedBody times the body's reads with its request's watchdog.
type watchedBody struct {
	rc   io.ReadCloser
	w    *watchdog
	done func()
	once sync.Once
}

func (b *watchedBody) Read(p []byte) (int, error) {
	b.w.wait()
	n, err := b.rc.Read(p)
	b.w.pause(n)
	if err != nil && !errors.Is(err, io.EOF) && b.w.fired() {
		return n, b.w.err()
	}
	return n, err
}

func (b *watchedBody) Close() error {
	b.once.Do(func() {
		b.w.mu.Lock()
		b.w.timer.Stop()
		b.w.mu.Unlock()
		b.done()
	})
	return b.rc.Close()
}
