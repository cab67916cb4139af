package layers

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"math/rand"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/stagescope/stagescope/layers/layerstest"
)

// benchFiles is a layer shaped like a system tree: directories of a few
// dozen files, names of realistic length, contents of 0 to 4 KiB.
func benchFiles(n int) []layerstest.File {
	var fs []layerstest.File
	for i := 0; len(fs) < n; i++ {
		dir := fmt.Sprintf("usr/share/package-%04d/doc", i)
		fs = append(fs, layerstest.Dir(dir))
		for j := 0; j < 40 && len(fs) < n; j++ {
			fs = append(fs, layerstest.File{
				Name: fmt.Sprintf("%s/file-%02d-of-package-%04d.txt", dir, j, i),
				Body: strings.Repeat("x", (i*131+j*17)%4096),
			})
		}
	}
	return fs
}

// BenchmarkReadLayer is the hot loop of Read: tar headers parsed into
// entries, every file's contents hashed.
func BenchmarkReadLayer(b *testing.B) { benchReadLayer(b, nil) }

// BenchmarkReadLayerPublishing is BenchmarkReadLayer with the entries read
// so far published as the browser has them (WithPartialEntries, every
// 200 ms): what the preview of a layer being read costs its reader.
func BenchmarkReadLayerPublishing(b *testing.B) {
	p := &partials{every: 200 * time.Millisecond, read: make([]atomic.Pointer[[]Entry], 1), wake: make(chan struct{}, 1)}
	benchReadLayer(b, p)
}

func benchReadLayer(b *testing.B, p *partials) {
	files := benchFiles(20_000)
	tarball := layerstest.Tar(b, files...)
	l := layerstest.Layer(b, files...)
	o, err := makeOptions()
	if err != nil {
		b.Fatal(err)
	}
	var total atomic.Int64
	b.SetBytes(int64(len(tarball)))
	b.ReportAllocs()
	for b.Loop() {
		var lay Layer
		if _, err := readLayer(context.Background(), l, &lay, o, false, &total, func() {}, p.publisher(0)); err != nil {
			b.Fatal(err)
		}
		if len(lay.Entries) != len(files) {
			b.Fatalf("got %d entries, want %d", len(lay.Entries), len(files))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(files)), "ns/entry")
}

// BenchmarkReadLayout reads a whole image from an OCI layout on disk, the
// path every CLI source takes: the gzip blob read from the file, checked
// against its digest, decompressed, parsed and hashed. "files" is a layer of
// many small files, "random" one of a few large incompressible ones, where
// checking the bytes costs most relative to parsing them.
func BenchmarkReadLayout(b *testing.B) {
	random := make([]layerstest.File, 4)
	for i := range random {
		body := make([]byte, 8<<20)
		rand.New(rand.NewSource(int64(i))).Read(body)
		random[i] = layerstest.File{Name: fmt.Sprintf("blob-%d", i), Body: string(body)}
	}
	for _, bc := range []struct {
		name  string
		files []layerstest.File
	}{
		{"files", benchFiles(20_000)},
		{"random", random},
	} {
		b.Run(bc.name, func(b *testing.B) {
			img := layerstest.Image(b, layerstest.Step{CreatedBy: "COPY . /", Files: bc.files})
			dir := layerstest.OCILayout(b, img)
			ctx := context.Background()
			src, err := Load(ctx, "oci:"+dir)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(layerstest.Tar(b, bc.files...))))
			b.ReportAllocs()
			for b.Loop() {
				got, err := src.Read(ctx, WithParallelism(1))
				if err != nil {
					b.Fatal(err)
				}
				if n := len(got.Layers[0].Entries); n != len(bc.files) {
					b.Fatalf("got %d entries, want %d", n, len(bc.files))
				}
			}
		})
	}
}

// BenchmarkReadFile reads the last file of the largest layer of the
// largest shared image (rustapp-naive, a docker save with plain
// layer.tar members) as the viewer does: where the layer lies, seeking
// past the files before it, and, for comparison, streaming the layer from
// its start as a compressed blob must be.
func BenchmarkReadFile(b *testing.B) {
	src, err := Load(context.Background(), layerstest.SharedImage(b, "rustapp-naive"), WithoutDaemon())
	if err != nil {
		b.Fatal(err)
	}
	ls, err := src.Image.Layers()
	if err != nil {
		b.Fatal(err)
	}
	big, bigSize := 0, int64(0)
	for i, l := range ls {
		if n, err := l.Size(); err == nil && n > bigSize {
			big, bigSize = i, n
		}
	}
	rs, c, ok := storedTar(ls[big])
	if !ok {
		b.Fatal("the largest layer is not read where it lies")
	}
	last := ""
	for tr := tar.NewReader(rs); ; {
		h, err := tr.Next()
		if err != nil {
			break
		}
		if h.Typeflag == tar.TypeReg {
			last = CleanPath(h.Name)
		}
	}
	_ = c.Close()
	b.Logf("layer %d (%d MB), /%s", big, bigSize>>20, last)
	for _, bb := range []struct {
		name string
		l    v1.Layer
	}{{"seek", ls[big]}, {"stream", seeklessLayer{ls[big]}}} {
		b.Run(bb.name, func(b *testing.B) {
			for b.Loop() {
				if _, _, _, err := readFile(context.Background(), bb.l, last, 1<<20); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// seeklessLayer hides where a layer's blob lies: it is read as a stream.
type seeklessLayer struct{ v1.Layer }

func (s seeklessLayer) Compressed() (io.ReadCloser, error) {
	rc, err := s.Layer.Compressed()
	return struct{ io.ReadCloser }{rc}, err
}
