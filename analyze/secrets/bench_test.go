package secrets_test

import (
	"bytes"
	"cmp"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stagescope/stagescope/analyze"
	"github.com/stagescope/stagescope/analyze/secrets"
	"github.com/stagescope/stagescope/analyze/secrets/secretstest"
	"github.com/stagescope/stagescope/layers"
)

// largestShared returns the two largest docker archives among the shared
// images ($STAGESCOPE_IMAGES, default /var/cache/stagescope-images), or
// skips: rustapp-naive, whose bytes are mostly binaries the scan sniffs and
// skips, and webapp-naive, mostly node_modules text it searches.
func largestShared(b *testing.B) []string {
	dir := os.Getenv("STAGESCOPE_IMAGES")
	if dir == "" {
		dir = "/var/cache/stagescope-images"
	}
	paths, _ := filepath.Glob(filepath.Join(dir, "docker-archive", "*.tar"))
	size := map[string]int64{}
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil {
			size[p] = fi.Size()
		}
	}
	slices.SortFunc(paths, func(a, b string) int { return cmp.Compare(size[b], size[a]) })
	if len(paths) == 0 {
		b.Skipf("no shared images in %s/docker-archive: run ../shared/images/build.sh", dir)
	}
	return paths[:min(2, len(paths))]
}

// BenchmarkSecretScanOverhead reads the two largest shared images the way
// `inspect` does (digests, captured package databases), without and with
// the secret scan: the difference is what the scan costs.
func BenchmarkSecretScanOverhead(b *testing.B) {
	for _, p := range largestShared(b) {
		for _, mode := range []struct {
			name string
			scan bool
		}{{"without", false}, {"with", true}} {
			b.Run(strings.TrimSuffix(filepath.Base(p), ".tar")+"/"+mode.name, func(b *testing.B) {
				var found int
				cpu0 := cpuTime(b)
				for b.Loop() {
					src, err := layers.Load(context.Background(), p)
					if err != nil {
						b.Fatal(err)
					}
					opts := []layers.Option{layers.WithCapture(analyze.Capture, analyze.CaptureLimit)}
					if mode.scan {
						opts = append(opts, layers.WithContentScan(secrets.LayerScan()))
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
// cpu-ns/B is CPU time per byte: the shared machine's load makes ns/op a
// measure of the queue, not of the code.
func BenchmarkStream(b *testing.B) {
	g := secretstest.New(1)
	benchStream(b, []byte(g.S("abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ0123456789\n_-=:\"", 4<<20)))
}

// BenchmarkStreamDense is the matcher over text where every line holds a
// secret (more than a layer keeps): thousands of hits per window, each
// with its line number.
func BenchmarkStreamDense(b *testing.B) {
	g := secretstest.New(3)
	var t strings.Builder
	for range 100_000 {
		v := "AKIA" + g.S("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
		for secrets.Placeholder(v) {
			v = "AKIA" + g.S("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
		}
		t.WriteString("id = " + v + "\n")
	}
	benchStream(b, []byte(t.String()))
}

// BenchmarkStreamText is the scan of real text files, file by file as
// layers hand them over: C headers, Perl, Python and JavaScript from the
// two largest shared images (up to 16 MiB of each kind).
func BenchmarkStreamText(b *testing.B) {
	corpus := imageText(b)
	for _, kind := range textKinds {
		files := corpus[kind.name]
		if len(files) == 0 {
			b.Logf("no %s files in the shared images", kind.name)
			continue
		}
		b.Run(kind.name, func(b *testing.B) {
			size := 0
			for _, f := range files {
				size += len(f)
			}
			b.SetBytes(int64(size))
			cpu0 := cpuTime(b)
			for b.Loop() {
				ls := secrets.NewLayerScanner()
				for _, f := range files {
					w := ls.Open("x"+kind.ext[0], int64(len(f)))
					for rest := f; len(rest) > 0; rest = rest[min(len(rest), 256<<10):] {
						_, _ = w.Write(rest[:min(len(rest), 256<<10)])
					}
					_ = w.Close()
				}
			}
			b.ReportMetric(float64((cpuTime(b)-cpu0).Nanoseconds())/float64(b.N)/float64(size), "cpu-ns/B")
		})
	}
}

// textKinds are the kinds of text BenchmarkStreamText reads, by name.
var textKinds = []struct {
	name string
	ext  []string
}{{"c-headers", []string{".h"}}, {"perl", []string{".pm", ".pl"}}, {"python", []string{".py"}}, {"js", []string{".js"}}}

// textLimit is how much text of each kind BenchmarkStreamText keeps.
const textLimit = 16 << 20

var (
	textOnce sync.Once
	textOf   map[string][][]byte
)

// imageText is the text files of each kind in the two largest shared
// images, read once.
func imageText(b *testing.B) map[string][][]byte {
	paths := largestShared(b)
	textOnce.Do(func() {
		c := &textCollector{files: map[string][][]byte{}, size: map[string]int{}}
		for _, p := range paths {
			src, err := layers.Load(context.Background(), p)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := src.Read(context.Background(), layers.WithContentScan(layers.ContentScan{Start: func(context.Context) layers.ContentScanner { return c }})); err != nil {
				b.Fatal(err)
			}
		}
		textOf = c.files
	})
	return textOf
}

// textCollector keeps the text files of each kind up to textLimit. One
// serves every layer: mu orders the calls of layers read at once.
type textCollector struct {
	mu    sync.Mutex
	files map[string][][]byte
	size  map[string]int
}

func (c *textCollector) Open(p string, size int64) io.WriteCloser {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range textKinds {
		if slices.Contains(k.ext, filepath.Ext(p)) && c.size[k.name]+int(size) <= textLimit {
			c.size[k.name] += int(size)
			return &textFile{c: c, kind: k.name}
		}
	}
	return nil
}

func (c *textCollector) Result() any { return nil }

type textFile struct {
	c    *textCollector
	kind string
	buf  bytes.Buffer
}

func (f *textFile) Write(p []byte) (int, error) { return f.buf.Write(p) }

func (f *textFile) Close() error {
	if t := f.buf.Bytes(); bytes.IndexByte(t[:min(len(t), 8000)], 0) < 0 {
		f.c.mu.Lock()
		f.c.files[f.kind] = append(f.c.files[f.kind], t)
		f.c.mu.Unlock()
	}
	return nil
}

func benchStream(b *testing.B, text []byte) {
	b.SetBytes(int64(len(text)))
	cpu0 := cpuTime(b)
	for b.Loop() {
		w := secrets.NewLayerScanner().Open("x.txt", int64(len(text)))
		for rest := text; len(rest) > 0; {
			n := min(len(rest), 256<<10)
			_, _ = w.Write(rest[:n])
			rest = rest[n:]
		}
		_ = w.Close()
	}
	b.ReportMetric(float64((cpuTime(b)-cpu0).Nanoseconds())/float64(b.N)/float64(len(text)), "cpu-ns/B")
}
