// Package cachetest starts the real Redis that the layer cache's tests use.
package cachetest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// RedisURL is the URL of database db of a real Redis for the test (each
// package's tests use a database of their own): $STAGESCOPE_TEST_REDIS, a
// HOST:PORT (CI starts one), else a redis-server of the test's own on a
// free loopback port. Without either the test skips, except in CI, where
// it fails.
func RedisURL(t testing.TB, db int) string {
	t.Helper()
	if addr := os.Getenv("STAGESCOPE_TEST_REDIS"); addr != "" {
		return fmt.Sprintf("redis://%s/%d", addr, db)
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("redis-server is not installed and STAGESCOPE_TEST_REDIS is unset (.ci/run installs and starts it)")
		}
		t.Skip("skipping: no redis-server on PATH and STAGESCOPE_TEST_REDIS unset (apt-get install redis-server)")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	dir := t.TempDir()
	cmd := exec.Command(bin, "--bind", "127.0.0.1", "--port", fmt.Sprint(port), "--save", "", "--appendonly", "no", "--dir", dir)
	cmd.Stdout, cmd.Stderr = nil, nil
	logf := filepath.Join(dir, "redis.log")
	cmd.Args = append(cmd.Args, "--logfile", logf)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for range 100 {
		if c, err := net.Dial("tcp", addr); err == nil {
			_ = c.Close()
			return fmt.Sprintf("redis://%s/%d", addr, db)
		}
		time.Sleep(50 * time.Millisecond)
	}
	b, _ := os.ReadFile(logf)
	t.Fatalf("redis-server did not start on %s:\n%s", addr, b)
	return ""
}
