package layers

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

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
func BenchmarkReadLayer(b *testing.B) {
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
		if err := readLayer(context.Background(), l, &lay, o, false, &total, func() {}); err != nil {
			b.Fatal(err)
		}
		if len(lay.Entries) != len(files) {
			b.Fatalf("got %d entries, want %d", len(lay.Entries), len(files))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(files)), "ns/entry")
}
