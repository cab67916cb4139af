package cache_test

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stagescope/stagescope/layers/cache"
	"github.com/stagescope/stagescope/layers/cache/cachetest"
)

// flushKeys removes what a test wrote, so that runs against a shared
// server start cold.
func flushKeys(t *testing.T, r *cache.Redis) {
	t.Helper()
	if err := r.DeletePrefix(context.Background(), "stagescope/"); err != nil {
		t.Fatal(err)
	}
}

func TestRedisTwoMachines(t *testing.T) {
	url := cachetest.RedisURL(t, 1)
	ctx := context.Background()
	imgA, imgB := images(t)
	fresh, all := read(t, imgB, nil)

	open := func() *cache.Cache {
		r, err := cache.OpenRedis(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = r.Close() })
		return cache.New(r, version("v1"), func(s string) { t.Errorf("warning: %s", s) })
	}
	first, err := cache.OpenRedis(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	flushKeys(t, first)
	_ = first.Close()

	// "Machine" one reads A; "machine" two, with a client of its own,
	// reads B and streams only B's own layer, then B again and streams
	// nothing.
	read(t, imgA, open())
	two := open()
	got, n := read(t, imgB, two)
	if want := fresh.Layers[1].Size; n != want {
		t.Errorf("bytes read = %d, want %d (B's own layer)", n, want)
	}
	if diff := cmp.Diff(fresh, got); diff != "" {
		t.Errorf("B through Redis differs from a fresh read:\n%s", diff)
	}
	if _, n := read(t, imgB, open()); n != 0 {
		t.Errorf("warm read streamed %d of %d bytes", n, all)
	}
	if s := two.Stats(); s.BytesIn == 0 || s.BytesOut == 0 {
		t.Errorf("stats = %+v: want bytes both ways", s)
	}
}

func TestRedisURLs(t *testing.T) {
	url := cachetest.RedisURL(t, 1)
	ctx := context.Background()
	dead := func() string { // a loopback port nobody listens on
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().String()
	}()
	for _, tc := range []struct {
		url, want string
	}{
		{url, ""},
		{"http://" + strings.TrimPrefix(url, "redis://"), "want redis://HOST:PORT/DB"},
		{"redis://", "want redis://HOST:PORT/DB"},
		{"redis://" + strings.TrimPrefix(url, "redis://") + "x", "invalid"},
		{"redis://user:hunter2@" + dead + "/0", "connection refused"},
	} {
		r, err := cache.OpenRedis(ctx, tc.url)
		if tc.want == "" {
			if err != nil {
				t.Errorf("OpenRedis(%q): %v", tc.url, err)
			} else {
				_ = r.Close()
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("OpenRedis(%q) = %v, want an error with %q", tc.url, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("OpenRedis(%q) error shows the password: %v", tc.url, err)
		}
	}
}
