package secrets_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stagescope/stagescope/analyze"
	"github.com/stagescope/stagescope/analyze/secrets"
	"github.com/stagescope/stagescope/analyze/secrets/secretstest"
	"github.com/stagescope/stagescope/layers"
)

// largestShared returns the largest docker archive among the shared images
// ($STAGESCOPE_IMAGES, default /var/cache/stagescope-images), or skips.
func largestShared(b *testing.B) string {
	dir := os.Getenv("STAGESCOPE_IMAGES")
	if dir == "" {
		dir = "/var/cache/stagescope-images"
	}
	paths, _ := filepath.Glob(filepath.Join(dir, "docker-archive", "*.tar"))
	var best string
	var size int64
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil && fi.Size() > size {
			best, size = p, fi.Size()
		}
	}
	if best == "" {
		b.Skipf("no shared images in %s/docker-archive: run ../shared/images/build.sh", dir)
	}
	b.Logf("image %s (%d MiB)", filepath.Base(best), size>>20)
	return best
}

// BenchmarkSecretScanOverhead reads the largest shared image the way
// `inspect` does (digests, captured package databases), without and with
// the secret scan: the difference is what the scan costs.
func BenchmarkSecretScanOverhead(b *testing.B) {
	p := largestShared(b)
	for _, mode := range []struct {
		name string
		scan bool
	}{{"without", false}, {"with", true}} {
		b.Run(mode.name, func(b *testing.B) {
			var found int
			cpu0 := cpuTime(b)
			for b.Loop() {
				src, err := layers.Load(context.Background(), p)
				if err != nil {
					b.Fatal(err)
				}
				opts := []layers.Option{layers.WithCapture(analyze.Capture, analyze.CaptureLimit)}
				if mode.scan {
					opts = append(opts, layers.WithContentScan(secrets.NewLayerScanner))
				}
				img, err := src.Read(context.Background(), opts...)
				if err != nil {
					b.Fatal(err)
				}
				if mode.scan {
					found = len(secrets.Collect(img, func(string, int) bool { return true }).Findings)
				}
			}
			// The machine is shared: CPU time says what the scan costs
			// better than wall time does.
			b.ReportMetric((cpuTime(b)-cpu0).Seconds()/float64(b.N), "cpu-s/op")
			if mode.scan {
				b.ReportMetric(float64(found), "secrets")
			}
		})
	}
}

// cpuTime is the user and system CPU time of the process so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkStream is the matcher alone over text with few keyword hits.
func BenchmarkStream(b *testing.B) {
	g := secretstest.New(1)
	text := []byte(g.S("abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ0123456789\n_-=:\"", 4<<20))
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		w := secrets.NewLayerScanner().Open("x.txt", int64(len(text)))
		for rest := text; len(rest) > 0; {
			n := min(len(rest), 256<<10)
			_, _ = w.Write(rest[:n])
			rest = rest[n:]
		}
		_ = w.Close()
	}
}
