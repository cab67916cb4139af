package cache_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stagescope/stagescope/layers"
	"github.com/stagescope/stagescope/layers/cache"
	lt "github.com/stagescope/stagescope/layers/layerstest"
)

func TestCodecRoundTrip(t *testing.T) {
	imgA, imgB := images(t)
	for _, img := range []*layers.Image{first(read(t, imgA, nil)), first(read(t, imgB, nil))} {
		for i := range img.Layers {
			lay := &img.Layers[i]
			extra := []cache.Section{{Tag: 7, Data: []byte("a later analyzer's results")}}
			b := cache.Encode("k", lay, extra...)
			got, gotExtra, err := cache.Decode("k", b)
			if err != nil {
				t.Fatalf("layer %d: %v", i, err)
			}
			want := layers.Layer{Size: lay.Size, EntryCount: lay.EntryCount, Entries: lay.Entries, Files: lay.Files}
			if diff := cmp.Diff(want, *got); diff != "" {
				t.Errorf("layer %d round trip (-want +got):\n%s", i, diff)
			}
			if diff := cmp.Diff(extra, gotExtra); diff != "" {
				t.Errorf("layer %d extra sections (-want +got):\n%s", i, diff)
			}
			if _, _, err := cache.Decode("another key", b); err == nil || !strings.Contains(err.Error(), "another key") {
				t.Errorf("layer %d decoded under another key: err = %v", i, err)
			}
		}
	}
}

func first[A, B any](a A, _ B) A { return a }

func TestCodecEveryDamageIsAnError(t *testing.T) {
	img := first(read(t, first(images(t)), nil))
	b := cache.Encode("k", &img.Layers[0])
	for i := range b {
		for _, bit := range []byte{0x01, 0x80} {
			c := append([]byte(nil), b...)
			c[i] ^= bit
			if _, _, err := cache.Decode("k", c); err == nil {
				t.Fatalf("flipping bit %#x of byte %d of %d: no error", bit, i, len(b))
			}
		}
	}
	for n := range len(b) {
		if _, _, err := cache.Decode("k", b[:n]); err == nil {
			t.Fatalf("record cut to %d of %d bytes: no error", n, len(b))
		}
	}
}

func FuzzDecode(f *testing.F) {
	img := first(read(&testing.T{}, first(images(&testing.T{})), nil))
	f.Add(cache.Encode("k", &img.Layers[0]))
	f.Add([]byte("SSLC\x01\x01k"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _, _ = cache.Decode("k", b) // must not panic or hang
	})
}

// BenchmarkEncodeShared measures the record of the largest layer of a real
// image: bytes per entry, and encoding and decoding speed.
func BenchmarkEncodeShared(b *testing.B) {
	path := lt.SharedImage(b, "node-18")
	src, err := layers.Load(context.Background(), "docker-archive:"+path)
	if err != nil {
		b.Fatal(err)
	}
	img, err := src.Read(context.Background(), layers.WithCapture(func(p string, _ int64) bool {
		return strings.HasPrefix(p, "var/lib/dpkg/") || strings.HasSuffix(p, "package.json")
	}, 4<<20))
	if err != nil {
		b.Fatal(err)
	}
	lay := &img.Layers[0]
	for i := range img.Layers {
		if len(img.Layers[i].Entries) > len(lay.Entries) {
			lay = &img.Layers[i]
		}
	}
	var files int
	for _, f := range lay.Files {
		files += len(f.Data)
	}
	rec := cache.Encode("k", lay)
	b.ReportMetric(float64(len(rec))/float64(len(lay.Entries)), "B/entry")
	b.ReportMetric(float64(len(lay.Entries)), "entries")
	b.ReportMetric(float64(files), "captured-B")
	b.Run("encode", func(b *testing.B) {
		for b.Loop() {
			cache.Encode("k", lay)
		}
	})
	b.Run("decode", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := cache.Decode("k", rec); err != nil {
				b.Fatal(err)
			}
		}
	})
}
