package layers_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"math/rand"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/stagescope/stagescope/layers"
	lt "github.com/stagescope/stagescope/layers/layerstest"
)

// claimDiffID returns img with its config's diff IDs replaced by those of
// other: every blob is as stored and matches its digest, but the config
// claims another image's uncompressed layers (containerd refuses such an
// image).
func claimDiffID(t *testing.T, img, other v1.Image) v1.Image {
	t.Helper()
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	ocfg, err := other.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cfg = cfg.DeepCopy()
	cfg.RootFS.DiffIDs = ocfg.RootFS.DiffIDs
	out, err := mutate.ConfigFile(img, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sourcesOf writes img to every kind of source whose layers are stored
// compressed and returns the references to load it by.
func sourcesOf(t *testing.T, img v1.Image) map[string]string {
	t.Helper()
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	srv := httptest.NewServer(registry.New(registry.Logger(nilLogger())))
	t.Cleanup(srv.Close)
	ref, err := name.ParseReference(strings.TrimPrefix(srv.URL, "http://")+"/app/claim:1", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"oci layout":                     "oci:" + lt.OCILayout(t, img),
		"docker save, gzip layer.tar":    write("classic.tar", lt.DockerSave(t, img, "app:1", lt.SaveClassic, true)),
		"docker save >= 25, gzip blobs":  write("oci.tar", lt.DockerSave(t, img, "app:1", lt.SaveOCI, true)),
		"docker save | gzip, gzip layer": write("classic.tar.gz", lt.Gzip(t, lt.DockerSave(t, img, "app:1", lt.SaveClassic, true))),
		"registry":                       "docker://" + ref.String(),
	}
}

// TestCompressedDiffIDs: a compressed layer's uncompressed tar is checked
// against the config's diff ID in the one read, from every source, and
// Layer.DiffIDVerified says so.
func TestCompressedDiffIDs(t *testing.T) {
	ctx := context.Background()
	a := lt.Image(t, lt.Step{CreatedBy: "COPY app /", Files: []lt.File{{Name: "app/config", Body: "port=80\n"}}})
	b := lt.Image(t, lt.Step{CreatedBy: "COPY app /", Files: []lt.File{{Name: "app/.env", Body: "TOKEN=s3cr3t\n"}, {Name: "app/payload", Body: strings.Repeat("p", 64<<10)}}})
	lie := claimDiffID(t, b, a)
	for _, tc := range []struct {
		name    string
		img     v1.Image
		wantErr string
	}{
		{"true diff IDs", b, ""},
		{"config claims another layer's diff ID", lie, `layer 0.*diff ID mismatch`},
	} {
		for src, ref := range sourcesOf(t, tc.img) {
			t.Run(tc.name+"/"+src, func(t *testing.T) {
				s, err := layers.Load(ctx, ref, layers.WithInsecure(), layers.WithoutDaemon())
				if err != nil {
					t.Fatal(err)
				}
				got, err := s.Read(ctx)
				if tc.wantErr != "" {
					if err == nil || !regexp.MustCompile(tc.wantErr).MatchString(err.Error()) {
						t.Fatalf("got error %v, want one matching %q", err, tc.wantErr)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				for _, l := range got.Layers {
					if !l.DiffIDVerified {
						t.Errorf("layer %d: DiffIDVerified = false, want true after a read that hashed it", l.Index)
					}
				}
			})
		}
	}
}

// TestKnownLayersNeedProof: a layer is taken from an image read before
// only when its blob digest matches too and the earlier read proved its
// diff ID; a config that claims another image's diff ID gets its own layer
// read, and fails.
func TestKnownLayersNeedProof(t *testing.T) {
	ctx := context.Background()
	a := lt.Image(t, lt.Step{CreatedBy: "COPY app /", Files: []lt.File{{Name: "app/config", Body: "port=80\n"}}})
	b := lt.Image(t, lt.Step{CreatedBy: "COPY app /", Files: []lt.File{{Name: "app/.env", Body: "TOKEN=s3cr3t\n"}, {Name: "app/payload", Body: strings.Repeat("p", 64<<10)}}})
	readA := func(opts ...layers.Option) *layers.Image {
		s, err := layers.Load(ctx, "oci:"+lt.OCILayout(t, a))
		if err != nil {
			t.Fatal(err)
		}
		img, err := s.Read(ctx, opts...)
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	known := readA()
	s, err := layers.Load(ctx, "oci:"+lt.OCILayout(t, claimDiffID(t, b, a)))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.Read(ctx, layers.WithKnownLayers(known)); err == nil {
		t.Fatalf("B claiming A's diff ID was read without error, with entries %v", got.Layers[0].Entries)
	} else if !strings.Contains(err.Error(), "diff ID mismatch") {
		t.Fatalf("got error %v, want a diff ID mismatch", err)
	}

	// The same layer (same blob, same diff ID) is taken from A: its blob
	// is gone from B's layout, so reading it would fail.
	dir := lt.OCILayout(t, a)
	s, err = layers.Load(ctx, "oci:"+dir)
	if err != nil {
		t.Fatal(err)
	}
	removeLayerBlobs(t, a, dir)
	got, err := s.Read(ctx, layers.WithKnownLayers(known))
	if err != nil {
		t.Fatalf("reading with A's verified layer known: %v", err)
	}
	if !got.Layers[0].DiffIDVerified || len(got.Layers[0].Entries) != 1 {
		t.Errorf("layer taken from A: verified %v, %d entries; want true, 1", got.Layers[0].DiffIDVerified, len(got.Layers[0].Entries))
	}

	// A read that did not prove its diff IDs makes nothing known.
	unproven := readA(layers.WithoutVerify())
	if unproven.Layers[0].DiffIDVerified {
		t.Fatal("a read without verifying says its diff ID is verified")
	}
	if _, err := s.Read(ctx, layers.WithKnownLayers(unproven)); err == nil {
		t.Error("a layer was taken from a read that never proved its diff ID")
	}
}

func removeLayerBlobs(t *testing.T, img v1.Image, dir string) {
	t.Helper()
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		d, err := l.Digest()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(filepath.Join(dir, "blobs", d.Algorithm, d.Hex)); err != nil {
			t.Fatal(err)
		}
	}
}

// rchar is how many bytes this process has read with read(2) and friends
// so far (Linux's /proc/self/io).
func rchar(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		t.Skipf("cannot count bytes read: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "rchar: "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Skip("no rchar in /proc/self/io")
	return 0
}

// TestReadOnce: every layer's bytes are read from the file once, whatever
// its compression: a docker save whose layer.tar is an incompressible gzip
// (its blob digest is known only once hashed) costs one read of the file.
func TestReadOnce(t *testing.T) {
	ctx := context.Background()
	body := make([]byte, 24<<20)
	rand.New(rand.NewSource(3)).Read(body)
	img := lt.Image(t, lt.Step{CreatedBy: "COPY blob /", Files: []lt.File{{Name: "blob", Body: string(body)}}})
	for _, tc := range []struct {
		name    string
		archive []byte
	}{
		{"classic, gzip layer.tar", lt.DockerSave(t, img, "app:1", lt.SaveClassic, true)},
		{"classic, plain layer.tar", lt.DockerSave(t, img, "app:1", lt.SaveClassic, false)},
		{"docker >= 25, gzip blobs", lt.DockerSave(t, img, "app:1", lt.SaveOCI, true)},
		{"docker save | gzip", lt.Gzip(t, lt.DockerSave(t, img, "app:1", lt.SaveClassic, true))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := lt.WriteFile(t, "app.tar", tc.archive)
			before := rchar(t)
			s, err := layers.Load(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			read := rchar(t) - before
			if !got.Layers[0].DiffIDVerified {
				t.Error("the layer's diff ID was not verified")
			}
			// Headers, metadata and read-ahead cost a little more
			// than the file; a second read of the layer costs 24 MB.
			if limit := int64(len(tc.archive)) + 4<<20; read > limit {
				t.Errorf("read %d bytes from a %d-byte archive, want at most %d (one read of the layer)", read, len(tc.archive), limit)
			}
		})
	}
}

// zeroBombGzip is a gzip layer whose tar holds one file of n zero bytes (n
// a multiple of 64 MiB), made of concatenated gzip members so that it
// costs little to build: 8 GiB take 8 MB.
func zeroBombGzip(t *testing.T, n int64) []byte {
	t.Helper()
	const chunk = 64 << 20
	var hdr bytes.Buffer
	tw := tar.NewWriter(&hdr)
	if err := tw.WriteHeader(&tar.Header{Name: "zeros", Typeflag: tar.TypeReg, Mode: 0o644, Size: n}); err != nil {
		t.Fatal(err)
	}
	zeros := lt.Gzip(t, make([]byte, chunk))
	out := lt.Gzip(t, hdr.Bytes())
	for w := int64(0); w < n; w += chunk {
		out = append(out, zeros...)
	}
	return append(out, lt.Gzip(t, make([]byte, 1024))...)
}

// TestCancelInsideOneEntry: Ctrl-C (a cancelled ctx) stops a read within a
// second even in the middle of one huge file, where no entry boundary
// comes to check it.
func TestCancelInsideOneEntry(t *testing.T) {
	var archive bytes.Buffer
	aw := tar.NewWriter(&archive)
	lt.AddFile(t, aw, "layer.tar.gz", zeroBombGzip(t, 8<<30))
	lt.AddFile(t, aw, "config.json", []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:`+strings.Repeat("0", 64)+`"]}}`))
	lt.AddFile(t, aw, "manifest.json", []byte(`[{"Config":"config.json","RepoTags":["zeros:1"],"Layers":["layer.tar.gz"]}]`))
	if err := aw.Close(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var cancelled time.Time
	var once sync.Once
	_, err := layers.ReadArchive(ctx, &archive, layers.WithMaxRatio(0), layers.WithProgress(func(p layers.Progress) {
		if p.BytesRead > 256<<20 {
			once.Do(func() { cancelled = time.Now(); cancel() })
		}
	}))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got error %v, want context.Canceled", err)
	}
	if d := time.Since(cancelled); d > time.Second {
		t.Errorf("the read stopped %s after the cancel, want within a second", d)
	}
}
