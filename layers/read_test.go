package layers_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/stagescope/stagescope/layers"
	lt "github.com/stagescope/stagescope/layers/layerstest"
)

func sum(s string) uint64 { return xxhash.Sum64String(s) }

func read(t *testing.T, img v1.Image, opts ...layers.Option) *layers.Image {
	t.Helper()
	got, err := layers.Read(context.Background(), img, opts...)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return got
}

func TestReadEntries(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files []lt.File
		want  []layers.Entry
	}{{
		name: "prefixes",
		files: []lt.File{
			{Name: "./a", Body: "a"},
			{Name: "/b", Body: "bb"},
			{Name: "c", Body: "ccc"},
			lt.Dir("./d/"),
			lt.Dir("/e"),
			{Name: "/e/f", Body: "f"},
			lt.Dir("./"),
		},
		want: []layers.Entry{
			{Path: "a", Size: 1, Digest: sum("a"), Mode: 0o644},
			{Path: "b", Size: 2, Digest: sum("bb"), Mode: 0o644},
			{Path: "c", Size: 3, Digest: sum("ccc"), Mode: 0o644},
			{Path: "d", Mode: 0o755, Type: layers.TypeDir},
			{Path: "e", Mode: 0o755, Type: layers.TypeDir},
			{Path: "e/f", Size: 1, Digest: sum("f"), Mode: 0o644},
			{Path: "", Mode: 0o755, Type: layers.TypeDir},
		},
	}, {
		name: "dot segments and doubled slashes",
		files: []lt.File{
			{Name: "./x/../y", Body: "y"},
			{Name: "x//z", Body: "z"},
			{Name: "../../etc/passwd", Body: "root"},
		},
		want: []layers.Entry{
			{Path: "y", Size: 1, Digest: sum("y"), Mode: 0o644},
			{Path: "x/z", Size: 1, Digest: sum("z"), Mode: 0o644},
			{Path: "etc/passwd", Size: 4, Digest: sum("root"), Mode: 0o644},
		},
	}, {
		name: "types",
		files: []lt.File{
			{Name: "bin/busybox", Body: "ELF"},
			lt.Symlink("bin/sh", "busybox"),
			lt.Symlink("lib/libc.so", "../usr/lib/libc.so.6"),
			lt.Symlink("usr/bin/env", "/bin/busybox"),
			lt.Hardlink("bin/ls", "./bin/busybox"),
			lt.Hardlink("/bin/cat", "/bin/busybox"),
			{Name: "dev/null", Type: tar.TypeChar, Mode: 0o666},
			{Name: "dev/sda", Type: tar.TypeBlock, Mode: 0o660},
			{Name: "run/fifo", Type: tar.TypeFifo, Mode: 0o600},
		},
		want: []layers.Entry{
			{Path: "bin/busybox", Size: 3, Digest: sum("ELF"), Mode: 0o644},
			// Symlink targets are kept as written: they resolve relative
			// to the link's directory.
			{Path: "bin/sh", Link: "busybox", Mode: 0o644, Type: layers.TypeSymlink},
			{Path: "lib/libc.so", Link: "../usr/lib/libc.so.6", Mode: 0o644, Type: layers.TypeSymlink},
			{Path: "usr/bin/env", Link: "/bin/busybox", Mode: 0o644, Type: layers.TypeSymlink},
			// Hard link targets name another entry: they are cleaned.
			{Path: "bin/ls", Link: "bin/busybox", Mode: 0o644, Type: layers.TypeHardlink},
			{Path: "bin/cat", Link: "bin/busybox", Mode: 0o644, Type: layers.TypeHardlink},
			{Path: "dev/null", Mode: 0o666, Type: layers.TypeChar},
			{Path: "dev/sda", Mode: 0o660, Type: layers.TypeBlock},
			{Path: "run/fifo", Mode: 0o600, Type: layers.TypeFIFO},
		},
	}, {
		name: "modes and owners",
		files: []lt.File{
			{Name: "usr/bin/sudo", Body: "x", Mode: 0o4755},
			{Name: "usr/bin/wall", Body: "x", Mode: 0o2755, GID: 5},
			{Name: "tmp/", Type: tar.TypeDir, Mode: 0o1777},
			{Name: "home/app/.ssh/id_ed25519", Body: "k", Mode: 0o600, UID: 1000, GID: 1000},
			{Name: "home/app", Type: tar.TypeDir, Mode: 0o700, UID: 1000, GID: 100},
		},
		want: []layers.Entry{
			{Path: "usr/bin/sudo", Size: 1, Digest: sum("x"), Mode: 0o4755},
			{Path: "usr/bin/wall", Size: 1, Digest: sum("x"), Mode: 0o2755, GID: 5},
			{Path: "tmp", Mode: 0o1777, Type: layers.TypeDir},
			{Path: "home/app/.ssh/id_ed25519", Size: 1, Digest: sum("k"), Mode: 0o600, UID: 1000, GID: 1000},
			{Path: "home/app", Mode: 0o700, UID: 1000, GID: 100, Type: layers.TypeDir},
		},
	}, {
		name: "whiteouts",
		files: []lt.File{
			lt.Whiteout("gone"),
			lt.Whiteout("./etc/passwd"),
			lt.Whiteout("/app/.env"),
			lt.Whiteout("root/.cache/build"),
			lt.Opaque("var/cache/"),
			lt.Opaque("./usr/share"),
			// A marker with contents is still a marker: it costs nothing.
			{Name: "srv/.wh.data", Body: "junk"},
			lt.Opaque("."),
		},
		want: []layers.Entry{
			{Path: "gone", Mode: 0o644, Whiteout: layers.FileWhiteout},
			{Path: "etc/passwd", Mode: 0o644, Whiteout: layers.FileWhiteout},
			{Path: "app/.env", Mode: 0o644, Whiteout: layers.FileWhiteout},
			{Path: "root/.cache/build", Mode: 0o644, Whiteout: layers.FileWhiteout},
			{Path: "var/cache", Mode: 0o644, Whiteout: layers.OpaqueWhiteout},
			{Path: "usr/share", Mode: 0o644, Whiteout: layers.OpaqueWhiteout},
			{Path: "srv/data", Mode: 0o644, Whiteout: layers.FileWhiteout},
			{Path: "", Mode: 0o644, Whiteout: layers.OpaqueWhiteout},
		},
	}, {
		// Beyond 100 bytes or outside ASCII, tar needs PAX or GNU headers.
		name: "long and non-ASCII names",
		files: []lt.File{
			{Name: "./app/node_modules/" + strings.Repeat("@scope/deeply-nested-package/node_modules/", 4) + "index.js", Body: "1"},
			lt.Symlink("usr/share/zoneinfo/"+strings.Repeat("x", 120), "../"+strings.Repeat("y", 120)),
			{Name: "srv/données/日本語.txt", Body: "ja"},
		},
		want: []layers.Entry{
			{Path: "app/node_modules/" + strings.Repeat("@scope/deeply-nested-package/node_modules/", 4) + "index.js", Size: 1, Digest: sum("1"), Mode: 0o644},
			{Path: "usr/share/zoneinfo/" + strings.Repeat("x", 120), Link: "../" + strings.Repeat("y", 120), Mode: 0o644, Type: layers.TypeSymlink},
			{Path: "srv/données/日本語.txt", Size: 2, Digest: sum("ja"), Mode: 0o644},
		},
	}, {
		name: "sizes and digests",
		files: []lt.File{
			{Name: "empty", Body: ""},
			{Name: "one", Body: "same content"},
			{Name: "two", Body: "same content"},
			{Name: "big", Body: strings.Repeat("0123456789", 100_000)},
		},
		want: []layers.Entry{
			{Path: "empty", Mode: 0o644},
			{Path: "one", Size: 12, Digest: sum("same content"), Mode: 0o644},
			{Path: "two", Size: 12, Digest: sum("same content"), Mode: 0o644},
			{Path: "big", Size: 1_000_000, Digest: sum(strings.Repeat("0123456789", 100_000)), Mode: 0o644},
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			img := lt.Layers(t, tc.files)
			got := read(t, img)
			if len(got.Layers) != 1 {
				t.Fatalf("got %d layers, want 1", len(got.Layers))
			}
			if diff := cmp.Diff(tc.want, got.Layers[0].Entries); diff != "" {
				t.Errorf("entries (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadWithoutDigests(t *testing.T) {
	img := lt.Layers(t, []lt.File{{Name: "a", Body: "abc"}, lt.Dir("d")})
	got := read(t, img, layers.WithoutDigests())
	want := []layers.Entry{
		{Path: "a", Size: 3, Mode: 0o644},
		{Path: "d", Mode: 0o755, Type: layers.TypeDir},
	}
	if diff := cmp.Diff(want, got.Layers[0].Entries); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
}

func TestReadLayers(t *testing.T) {
	files := [][]lt.File{
		{lt.Dir("etc"), {Name: "etc/os-release", Body: "ID=test\n"}},
		{{Name: "app/main", Body: strings.Repeat("x", 5000)}},
		{lt.Whiteout("etc/os-release")},
	}
	img := lt.Image(t,
		lt.Step{CreatedBy: "ADD rootfs.tar /", Files: files[0]},
		lt.Step{CreatedBy: "ENV A=b", Empty: true},
		lt.Step{CreatedBy: "  COPY main /app/main  ", Files: files[1]},
		lt.Step{CreatedBy: "WORKDIR /app", Empty: true},
		lt.Step{CreatedBy: "RUN rm /etc/os-release", Files: files[2]},
		lt.Step{CreatedBy: "CMD [\"/app/main\"]", Empty: true},
	)
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var want []layers.Layer
	for i, l := range ls {
		d, _ := l.Digest()
		diffID, _ := l.DiffID()
		size, _ := l.Size()
		mt, _ := l.MediaType()
		want = append(want, layers.Layer{
			Index:          i,
			Digest:         d.String(),
			DiffID:         diffID.String(),
			DiffIDVerified: true, // the tar was hashed as it was read
			MediaType:      string(mt),
			CompressedSize: size,
			Size:           int64(len(lt.Tar(t, files[i]...))),
			EntryCount:     len(files[i]),
		})
	}
	want[0].CreatedBy = "ADD rootfs.tar /"
	want[1].CreatedBy = "COPY main /app/main"
	want[2].CreatedBy = "RUN rm /etc/os-release"

	got := read(t, img)
	ignoreEntries := cmp.FilterPath(func(p cmp.Path) bool {
		return p.Last().String() == ".Entries" || p.Last().String() == ".Files"
	}, cmp.Ignore())
	if diff := cmp.Diff(want, got.Layers, ignoreEntries); diff != "" {
		t.Errorf("layers (-want +got):\n%s", diff)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if got.Digest != d.String() {
		t.Errorf("image digest %q, want %q", got.Digest, d)
	}
	if want := 2; len(got.Layers[0].Entries) != want {
		t.Errorf("layer 0 has %d entries, want %d", len(got.Layers[0].Entries), want)
	}
}

// withHistory replaces the image's history.
func withHistory(t *testing.T, img v1.Image, h []v1.History) v1.Image {
	t.Helper()
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cfg = cfg.DeepCopy()
	cfg.History = h
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestReadHistory(t *testing.T) {
	three := [][]lt.File{{{Name: "a"}}, {{Name: "b"}}, {{Name: "c"}}}
	for _, tc := range []struct {
		name    string
		history []v1.History
		want    []string
	}{{
		name:    "one entry per layer",
		history: []v1.History{{CreatedBy: "A"}, {CreatedBy: "B"}, {CreatedBy: "C"}},
		want:    []string{"A", "B", "C"},
	}, {
		name: "empty-layer entries skipped",
		history: []v1.History{
			{CreatedBy: "ARG X", EmptyLayer: true}, {CreatedBy: "A"}, {CreatedBy: "ENV Y=1", EmptyLayer: true},
			{CreatedBy: "B"}, {CreatedBy: "C"}, {CreatedBy: "CMD sh", EmptyLayer: true},
		},
		want: []string{"A", "B", "C"},
	}, {
		name:    "fewer entries than layers",
		history: []v1.History{{CreatedBy: "A"}, {CreatedBy: "LABEL x=y", EmptyLayer: true}},
		want:    []string{"A", "", ""},
	}, {
		name:    "no history",
		history: nil,
		want:    []string{"", "", ""},
	}, {
		name:    "more entries than layers",
		history: []v1.History{{CreatedBy: "A"}, {CreatedBy: "B"}, {CreatedBy: "C"}, {CreatedBy: "D"}},
		want:    []string{"A", "B", "C"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			img := withHistory(t, lt.Layers(t, three...), tc.history)
			got := read(t, img)
			var createdBy []string
			for _, l := range got.Layers {
				createdBy = append(createdBy, l.CreatedBy)
			}
			if diff := cmp.Diff(tc.want, createdBy); diff != "" {
				t.Errorf("created by (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadConfig(t *testing.T) {
	img := lt.Layers(t, []lt.File{{Name: "a"}})
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cfg = cfg.DeepCopy()
	cfg.Architecture, cfg.Variant = "arm64", "v8"
	cfg.Created = v1.Time{Time: time.Date(2024, 5, 6, 7, 8, 9, 0, time.FixedZone("x", 3600))}
	cfg.Config.User = "1000:1000"
	cfg.Config.Entrypoint = []string{"/app/main"}
	cfg.Config.Cmd = []string{"--serve"}
	cfg.Config.WorkingDir = "/app"
	cfg.Config.ExposedPorts = map[string]struct{}{"8080/tcp": {}, "53/udp": {}, "443/tcp": {}}
	cfg.Config.Env = []string{"API_TOKEN=stagescope-dummy-secret"}
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		t.Fatal(err)
	}
	got := read(t, img)
	if want := "linux/arm64/v8"; got.Platform != want {
		t.Errorf("platform %q, want %q", got.Platform, want)
	}
	want := layers.Config{
		User:         "1000:1000",
		Entrypoint:   []string{"/app/main"},
		Cmd:          []string{"--serve"},
		WorkingDir:   "/app",
		ExposedPorts: []string{"443/tcp", "53/udp", "8080/tcp"},
		Created:      "2024-05-06T06:08:09Z",
		Env:          []string{"API_TOKEN=stagescope-dummy-secret"}, // for the secret scan; reports never print it
		History:      []layers.History{{CreatedBy: "layer 0"}},
	}
	if diff := cmp.Diff(want, got.Config); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
}

func TestReadCapture(t *testing.T) {
	img := lt.Layers(t,
		[]lt.File{
			{Name: "app/package.json", Body: `{"name":"a"}`},
			{Name: "app/big/package.json", Body: strings.Repeat(" ", 100)},
			{Name: "app/main.js", Body: "x"},
		},
		[]lt.File{{Name: "./etc/os-release", Body: "ID=debian\n"}},
	)
	match := func(p string, size int64) bool {
		return strings.HasSuffix(p, "package.json") || p == "etc/os-release"
	}
	got := read(t, img, layers.WithCapture(match, 20))
	want := [][]layers.File{
		{{Path: "app/package.json", Data: []byte(`{"name":"a"}`)}},
		{{Path: "etc/os-release", Data: []byte("ID=debian\n")}},
	}
	for i := range want {
		if diff := cmp.Diff(want[i], got.Layers[i].Files); diff != "" {
			t.Errorf("layer %d captured files (-want +got):\n%s", i, diff)
		}
	}
	// Capturing must not change what is recorded about the entries.
	plain := read(t, img)
	for i := range plain.Layers {
		if diff := cmp.Diff(plain.Layers[i].Entries, got.Layers[i].Entries); diff != "" {
			t.Errorf("layer %d entries differ with capture (-without +with):\n%s", i, diff)
		}
	}
}

func TestReadParallelismAgrees(t *testing.T) {
	var steps [][]lt.File
	for i := range 9 {
		steps = append(steps, []lt.File{
			{Name: "layer/" + string(rune('a'+i)), Body: strings.Repeat("z", i*1000)},
			lt.Whiteout("layer/" + string(rune('a'+i-1))),
		})
	}
	img := lt.Layers(t, steps...)
	one := read(t, img, layers.WithParallelism(1))
	four := read(t, img, layers.WithParallelism(4))
	if diff := cmp.Diff(one, four); diff != "" {
		t.Errorf("parallelism 1 vs 4 (-1 +4):\n%s", diff)
	}
}

func TestReadCallbacks(t *testing.T) {
	img := lt.Layers(t, []lt.File{{Name: "a", Body: "1"}}, []lt.File{{Name: "b", Body: "22"}}, []lt.File{{Name: "c"}})
	var (
		mu   sync.Mutex
		done = map[int]int{}
		last layers.Progress
	)
	got := read(t, img,
		layers.WithLayerDone(func(l layers.Layer) {
			mu.Lock()
			defer mu.Unlock()
			done[l.Index]++
		}),
		layers.WithProgress(func(p layers.Progress) {
			mu.Lock()
			defer mu.Unlock()
			if p.LayersDone >= last.LayersDone {
				last = p
			}
		}),
	)
	if diff := cmp.Diff(map[int]int{0: 1, 1: 1, 2: 1}, done); diff != "" {
		t.Errorf("layer-done calls per layer (-want +got):\n%s", diff)
	}
	var total int64
	for _, l := range got.Layers {
		total += l.Size
	}
	if last.LayersDone != 3 || last.LayersTotal != 3 || last.BytesRead != total {
		t.Errorf("last progress %+v, want 3/3 layers and %d bytes", last, total)
	}
}

// rawLayer is a layer made of arbitrary (possibly broken) uncompressed bytes.
func rawLayer(t *testing.T, b []byte) v1.Layer {
	t.Helper()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestReadErrors(t *testing.T) {
	good := lt.Tar(t, lt.File{Name: "etc/hostname", Body: "box"})
	big := lt.Tar(t, lt.File{Name: "usr/lib/big.so", Body: strings.Repeat("b", 4096)})
	three := lt.Tar(t, lt.File{Name: "a"}, lt.File{Name: "b"}, lt.File{Name: "c"})
	image := func(parts ...[]byte) v1.Image {
		img := empty.Image
		for _, p := range parts {
			var err error
			img, err = mutate.AppendLayers(img, rawLayer(t, p))
			if err != nil {
				t.Fatal(err)
			}
		}
		return img
	}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name    string
		ctx     context.Context
		img     v1.Image
		opts    []layers.Option
		wantErr []string // substrings of the one-line message
		is      error
	}{{
		name:    "truncated layer",
		img:     image(good, big[:1024]),
		wantErr: []string{"reading layer 1 (sha256:", "usr/lib/big.so", "unexpected EOF"},
		is:      io.ErrUnexpectedEOF,
	}, {
		name:    "not a tar",
		img:     image(good, []byte(strings.Repeat("not a tar archive ", 64))),
		wantErr: []string{"reading layer 1 (sha256:", "tar header after 0 entries"},
	}, {
		name:    "too many entries",
		img:     image(three),
		opts:    []layers.Option{layers.WithMaxEntries(2)},
		wantErr: []string{"reading layer 0 (sha256:", "more than 2 entries"},
	}, {
		name:    "canceled",
		ctx:     canceled,
		img:     image(good),
		wantErr: []string{"context canceled"},
		is:      context.Canceled,
	}, {
		name:    "zero parallelism",
		img:     image(good),
		opts:    []layers.Option{layers.WithParallelism(0)},
		wantErr: []string{"parallelism must be at least 1"},
	}, {
		name:    "negative capture limit",
		img:     image(good),
		opts:    []layers.Option{layers.WithCapture(func(string, int64) bool { return true }, -1)},
		wantErr: []string{"capture limit must not be negative"},
	}, {
		name:    "too many directories",
		img:     image(lt.Tar(t, lt.File{Name: "a/b/c/f"})),
		opts:    []layers.Option{layers.WithMaxDirs(2)},
		wantErr: []string{"reading layer 0 (sha256:", "too many directories", "more than 2 directories", "--max-dirs"},
	}, {
		name:    "zero max dirs",
		img:     image(good),
		opts:    []layers.Option{layers.WithMaxDirs(0)},
		wantErr: []string{"max dirs must be at least 1"},
	}, {
		name:    "zero max entries",
		img:     image(good),
		opts:    []layers.Option{layers.WithMaxEntries(0)},
		wantErr: []string{"max entries must be at least 1"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := tc.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			got, err := layers.Read(ctx, tc.img, tc.opts...)
			if err == nil {
				t.Fatalf("Read succeeded with %d layers, want an error", len(got.Layers))
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("error %q spans several lines", msg)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %q is not %v", msg, tc.is)
			}
		})
	}
}

// TestMaxDirs: WithMaxDirs counts the directories a layer's paths imply
// and do not list, each once in a tar written as a directory walk, and
// stops a layer that implies one more than it allows.
func TestMaxDirs(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files []lt.File
		dirs  int
	}{
		{"listed", []lt.File{lt.Dir("a"), lt.Dir("a/b"), {Name: "a/b/f"}, {Name: "a/g"}}, 0},
		{"implied once", []lt.File{{Name: "a/b/f"}, {Name: "a/b/g"}, {Name: "a/c/h"}, {Name: "i"}}, 3},
		{"a name that shares a prefix", []lt.File{{Name: "a/bc/f"}, {Name: "a/b/f"}}, 3},
		{"a deep path", []lt.File{{Name: strings.Repeat("d/", 999) + "f"}}, 999},
		{"deep paths side by side", []lt.File{{Name: "x/" + strings.Repeat("d/", 99) + "f"}, {Name: "y/" + strings.Repeat("d/", 99) + "f"}}, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img, err := mutate.AppendLayers(empty.Image, rawLayer(t, lt.Tar(t, tc.files...)))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := layers.Read(context.Background(), img, layers.WithMaxDirs(max(tc.dirs, 1))); err != nil {
				t.Errorf("Read with max dirs %d: %v", max(tc.dirs, 1), err)
			}
			if tc.dirs < 2 {
				return
			}
			_, err = layers.Read(context.Background(), img, layers.WithMaxDirs(tc.dirs-1))
			if got, want := fmt.Sprint(err), fmt.Sprintf("more than %d directories", tc.dirs-1); !strings.Contains(got, want) {
				t.Errorf("Read with max dirs %d: error %q, want one with %q", tc.dirs-1, got, want)
			}
		})
	}
}
