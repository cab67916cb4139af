package layers

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// retryAfterTransport honours a registry's Retry-After on 429 and 503
// answers: it waits as told (bounded by maxWait and the request's context)
// and tries again, up to tries times. go-containerregistry's own retries,
// with backoff, sit above it for every other transient failure.
type retryAfterTransport struct {
	next    http.RoundTripper
	tries   int
	maxWait time.Duration
}

func newRetryAfterTransport(next http.RoundTripper) http.RoundTripper {
	return &retryAfterTransport{next: next, tries: 3, maxWait: 30 * time.Second}
}

func (t *retryAfterTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	for attempt := 1; ; attempt++ {
		resp, err := t.next.RoundTrip(req)
		if err != nil || attempt >= t.tries || (req.Body != nil && req.GetBody == nil) {
			return resp, err
		}
		if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable {
			return resp, nil
		}
		wait, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now())
		if !ok {
			return resp, nil
		}
		if wait > t.maxWait {
			return resp, nil
		}
		_ = resp.Body.Close()
		if err := sleep(req.Context(), wait); err != nil {
			return nil, err
		}
		if req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, fmt.Errorf("retrying %s: %w", req.URL.Redacted(), err)
			}
			req = req.Clone(req.Context())
			req.Body = body
		}
	}
}

// retryAfter parses a Retry-After value: delay seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0, false
		}
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
