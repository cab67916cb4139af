package layers_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/stagescope/stagescope/layers"
	lt "github.com/stagescope/stagescope/layers/layerstest"
)

// sourceImage is a small image with the entry kinds sources must carry
// through unchanged: files, directories, links, whiteouts, empty history.
func sourceImage(t *testing.T) v1.Image {
	t.Helper()
	return lt.Image(t,
		lt.Step{CreatedBy: "ADD rootfs /", Files: []lt.File{
			lt.Dir("etc/"), {Name: "etc/os-release", Body: "ID=test\n"},
			lt.Dir("usr/bin/"), {Name: "usr/bin/tool", Body: strings.Repeat("x", 10_000), Mode: 0o755},
			lt.Symlink("usr/bin/alias", "tool"), lt.Hardlink("usr/bin/same", "usr/bin/tool"),
		}},
		lt.Step{CreatedBy: "ENV A=b", Empty: true},
		lt.Step{CreatedBy: "RUN build", Files: []lt.File{lt.Dir("src/"), {Name: "src/main.c", Body: "int main(){}\n"}, {Name: "etc/os-release", Body: "ID=changed\n"}}},
		lt.Step{CreatedBy: "RUN rm -rf /src", Files: []lt.File{lt.Whiteout("src"), lt.Opaque("etc")}},
	)
}

// sameContent compares what Read found, leaving out how the blobs are
// stored (digest, media type, stored size), which differs between formats.
var sameContent = cmpopts.IgnoreFields(layers.Layer{}, "Digest", "MediaType", "CompressedSize")

func TestLoadArchiveFormats(t *testing.T) {
	ctx := context.Background()
	img := sourceImage(t)
	want, err := layers.Read(ctx, img, layers.WithCapture(func(p string, _ int64) bool { return p == "etc/os-release" }, 1<<10))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		path     func(t *testing.T) string
		prefix   string
		wantKind layers.Kind
	}{
		{"docker save classic", func(t *testing.T) string {
			return lt.WriteFile(t, "app.tar", lt.DockerSave(t, img, "app:1", lt.SaveClassic, false))
		}, "docker-archive:", layers.KindDockerArchive},
		{"docker save classic gzip layers", func(t *testing.T) string {
			return lt.WriteFile(t, "app.tar", lt.DockerSave(t, img, "app:1", lt.SaveClassic, true))
		}, "docker-archive:", layers.KindDockerArchive},
		{"docker save >= 25", func(t *testing.T) string {
			return lt.WriteFile(t, "app.tar", lt.DockerSave(t, img, "app:1", lt.SaveOCI, false))
		}, "docker-archive:", layers.KindDockerArchive},
		{"docker save >= 25 gzip layers", func(t *testing.T) string {
			return lt.WriteFile(t, "app.tar", lt.DockerSave(t, img, "app:1", lt.SaveOCI, true))
		}, "docker-archive:", layers.KindDockerArchive},
		{"docker save | gzip", func(t *testing.T) string {
			return lt.WriteFile(t, "app.tar.gz", lt.Gzip(t, lt.DockerSave(t, img, "app:1", lt.SaveClassic, false)))
		}, "docker-archive:", layers.KindDockerArchive},
		{"docker save >= 25 | gzip", func(t *testing.T) string {
			return lt.WriteFile(t, "app.tgz", lt.Gzip(t, lt.DockerSave(t, img, "app:1", lt.SaveOCI, true)))
		}, "docker-archive:", layers.KindDockerArchive},
		{"OCI layout", func(t *testing.T) string { return lt.OCILayout(t, img) }, "oci:", layers.KindOCILayout},
		{"OCI archive", func(t *testing.T) string {
			return lt.WriteFile(t, "app.oci", lt.TarDir(t, lt.OCILayout(t, img)))
		}, "oci-archive:", layers.KindOCIArchive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.path(t)
			for _, ref := range []string{p, tt.prefix + p} {
				src, err := layers.Load(ctx, ref, layers.WithoutDaemon())
				if err != nil {
					t.Fatalf("Load(%s): %v", ref, err)
				}
				if src.Kind != tt.wantKind {
					t.Errorf("Load(%s).Kind = %s, want %s", ref, src.Kind, tt.wantKind)
				}
				got, err := src.Read(ctx, layers.WithCapture(func(p string, _ int64) bool { return p == "etc/os-release" }, 1<<10))
				if err != nil {
					t.Fatalf("Read(%s): %v", ref, err)
				}
				if diff := cmp.Diff(want, got, sameContent, cmpopts.IgnoreFields(layers.Image{}, "Digest", "RepoTags")); diff != "" {
					t.Errorf("Read(%s) mismatch (-want +got):\n%s", ref, diff)
				}
				checkIdentity(t, ref, got, tt.name, tt.prefix)
				// Source.Image is a full v1.Image for callers that want
				// one, stream sources included.
				viaImage, err := layers.Read(ctx, src.Image, layers.WithCapture(func(p string, _ int64) bool { return p == "etc/os-release" }, 1<<10))
				if err != nil {
					t.Fatalf("Read(%s.Image): %v", ref, err)
				}
				if diff := cmp.Diff(want, viaImage, sameContent, cmpopts.IgnoreFields(layers.Image{}, "Digest")); diff != "" {
					t.Errorf("Read(%s.Image) mismatch (-want +got):\n%s", ref, diff)
				}
			}
		})
	}
}

// checkIdentity: every format names the image's config digest (the image
// ID); a manifest digest only where the file stores a manifest (OCI
// layouts and archives, docker ≥ 25 saves, whose OCI index holds it), never
// one made up for a classic docker save; a docker save's RepoTags.
func checkIdentity(t *testing.T, ref string, got *layers.Image, name, prefix string) {
	t.Helper()
	want := sourceImage(t)
	cfg, err := want.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	if got.ConfigDigest != cfg.String() {
		t.Errorf("Read(%s).ConfigDigest = %q, want %s", ref, got.ConfigDigest, cfg)
	}
	stores := prefix != "docker-archive:" || strings.Contains(name, ">= 25")
	if got := got.Digest != ""; got != stores {
		t.Errorf("Read(%s) has a manifest digest: %v, want %v (the file stores a manifest: %v)", ref, got, stores, stores)
	}
	var tags []string
	if prefix == "docker-archive:" {
		tags = []string{"app:1"}
	}
	if diff := cmp.Diff(tags, got.RepoTags); diff != "" {
		t.Errorf("Read(%s).RepoTags (-want +got):\n%s", ref, diff)
	}
}

// The OCI formats keep the image's own manifest: digests match the source.
func TestLoadOCIKeepsDigests(t *testing.T) {
	ctx := context.Background()
	img := sourceImage(t)
	want, err := layers.Read(ctx, img)
	if err != nil {
		t.Fatal(err)
	}
	dir := lt.OCILayout(t, img)
	for _, ref := range []string{dir, lt.WriteFile(t, "app.oci.tar", lt.TarDir(t, dir))} {
		src, err := layers.Load(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		got, err := src.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Read(%s) mismatch (-want +got):\n%s", ref, diff)
		}
	}
}

// A docker save archive read in place and the same archive read as a stream
// (how an engine's image is read) give identical results, digests included.
func TestReadArchiveMatchesInPlace(t *testing.T) {
	ctx := context.Background()
	img := sourceImage(t)
	for _, style := range []lt.SaveStyle{lt.SaveClassic, lt.SaveOCI} {
		for _, gz := range []bool{false, true} {
			b := lt.DockerSave(t, img, "app:1", style, gz)
			src, err := layers.Load(ctx, lt.WriteFile(t, "app.tar", b))
			if err != nil {
				t.Fatal(err)
			}
			want, err := src.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var done []int
			got, err := layers.ReadArchive(ctx, bytes.NewReader(b), layers.WithLayerDone(func(l layers.Layer) { done = append(done, l.Index) }))
			if err != nil {
				t.Fatalf("style %d gzip %v: %v", style, gz, err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("style %d gzip %v: ReadArchive mismatch (-in place +stream):\n%s", style, gz, diff)
			}
			if diff := cmp.Diff([]int{0, 1, 2}, done); diff != "" {
				t.Errorf("layers reported done (-want +got):\n%s", diff)
			}
		}
	}
}

// Every blob is checked against its digest: a flipped byte in a layer is an
// error naming the blob, whichever way the archive is read.
func TestArchiveDigestMismatch(t *testing.T) {
	ctx := context.Background()
	img := sourceImage(t)
	for _, tt := range []struct {
		name  string
		style lt.SaveStyle
	}{{"classic", lt.SaveClassic}, {"docker >= 25", lt.SaveOCI}} {
		t.Run(tt.name, func(t *testing.T) {
			b := lt.DockerSave(t, img, "app:1", tt.style, false)
			i := bytes.Index(b, []byte("ID=changed"))
			if i < 0 {
				t.Fatal("layer content not found in archive")
			}
			b[i] = 'X'
			p := lt.WriteFile(t, "app.tar", b)
			src, err := layers.Load(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			_, err = src.Read(ctx)
			if err == nil || !strings.Contains(err.Error(), "digest mismatch") {
				t.Errorf("in place: got error %v, want a digest mismatch", err)
			}
			_, err = layers.ReadArchive(ctx, bytes.NewReader(b))
			if err == nil || !regexp.MustCompile(`(digest|diff ID) mismatch`).MatchString(err.Error()) || !strings.Contains(err.Error(), "layer 1") {
				t.Errorf("stream: got error %v, want a digest mismatch of layer 1", err)
			}
		})
	}
}

// The shared real images: their docker save archive and their OCI layout
// (buildah's exports of the same image) read to the same entries.
func TestSharedImageFormatsAgree(t *testing.T) {
	ctx := context.Background()
	archive := lt.SharedImage(t, "capp-multi")
	dir := lt.SharedLayout(t, "capp-multi")
	var got []*layers.Image
	for _, ref := range []string{archive, dir} {
		src, err := layers.Load(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		img, err := src.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, img)
	}
	// buildah's two exports write two configs (the image ID differs); a
	// docker save names its tags, a layout here does not.
	if diff := cmp.Diff(got[0], got[1], sameContent, cmpopts.EquateEmpty(), cmpopts.IgnoreFields(layers.Image{}, "Digest", "ConfigDigest", "RepoTags")); diff != "" {
		t.Errorf("docker archive and OCI layout differ (-archive +layout):\n%s", diff)
	}
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	streamed, err := layers.ReadArchive(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got[0], streamed); diff != "" {
		t.Errorf("archive in place and streamed differ (-in place +stream):\n%s", diff)
	}
}

func TestSniffedNotAnImage(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var tarNoImage bytes.Buffer
	tw := tar.NewWriter(&tarNoImage)
	lt.AddFile(t, tw, "hello.txt", []byte("hi"))
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
		want string
	}{
		{"empty file", lt.WriteFile(t, "empty.tar", nil), "is not a container image: empty file"},
		{"random bytes", lt.WriteFile(t, "junk.bin", bytes.Repeat([]byte("junk"), 300)), "is not a container image: not a tar archive or OCI layout directory"},
		{"tar without image", lt.WriteFile(t, "files.tar", tarNoImage.Bytes()), "is not a container image: a tar archive with neither manifest.json (docker save) nor index.json (OCI layout)"},
		{"gzip of text", lt.WriteFile(t, "notes.gz", lt.Gzip(t, bytes.Repeat([]byte("text "), 200))), "is not a container image: gzip data that is not a tar archive"},
		{"directory", dir, "is not a container image: a directory without index.json (not an OCI image layout)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := layers.Load(ctx, tt.path)
			if err == nil {
				t.Fatalf("Load(%s) succeeded, want an error", tt.path)
			}
			if got, want := err.Error(), tt.path+" "+tt.want; got != want {
				t.Errorf("Load error = %q, want %q", got, want)
			}
		})
	}
}

// `docker save a b` writes one archive holding both images: a tag or an
// index after the path picks one.
func TestDockerArchiveSelection(t *testing.T) {
	ctx := context.Background()
	a := lt.Layers(t, []lt.File{{Name: "a", Body: "a"}})
	b := lt.Layers(t, []lt.File{{Name: "b", Body: "b"}}, []lt.File{{Name: "c", Body: "c"}})
	dir := t.TempDir()
	plain := filepath.Join(dir, "two.tar")
	if err := tarball.MultiRefWriteToFile(plain, map[name.Reference]v1.Image{
		name.MustParseReference("stagescope.test/a:1"): a,
		name.MustParseReference("stagescope.test/b:2"): b,
	}); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	gz := lt.WriteFile(t, "two.tar.gz", lt.Gzip(t, raw))
	for _, p := range []string{plain, gz} {
		for _, tt := range []struct {
			sel        string
			wantLayers int
		}{
			{"stagescope.test/a:1", 1},
			{"stagescope.test/b:2", 2},
		} {
			src, err := layers.Load(ctx, "docker-archive:"+p+":"+tt.sel)
			if err != nil {
				t.Fatalf("%s:%s: %v", p, tt.sel, err)
			}
			got, err := src.Read(ctx)
			if err != nil {
				t.Fatalf("%s:%s: %v", p, tt.sel, err)
			}
			if len(got.Layers) != tt.wantLayers || src.Reference != p+":"+tt.sel {
				t.Errorf("%s:%s: %d layers, reference %s; want %d, %s:%s", p, tt.sel, len(got.Layers), src.Reference, tt.wantLayers, p, tt.sel)
			}
		}
	}
	for _, tt := range []struct{ ref, want string }{
		{plain, plain + " holds 2 images ("},
		{"docker-archive:" + plain + ":stagescope.test/c:3", plain + ": no image tagged stagescope.test/c:3 (it holds "},
		{"docker-archive:" + plain + ":@7", plain + ": no image @7: it holds images @0 to @1"},
	} {
		_, err := layers.Load(ctx, tt.ref)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("Load(%s) error %v, want it to start with %q", tt.ref, err, tt.want)
		}
	}
	src, err := layers.Load(ctx, "docker-archive:"+plain+":@0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Read(ctx); err != nil {
		t.Fatal(err)
	}
}

// An OCI layout may hold several named images (skopeo copy … oci:DIR:NAME):
// NAME after the path picks one.
func TestOCILayoutSelection(t *testing.T) {
	ctx := context.Background()
	a := lt.Layers(t, []lt.File{{Name: "a", Body: "a"}})
	b := lt.Layers(t, []lt.File{{Name: "b", Body: "b"}}, []lt.File{{Name: "c", Body: "c"}})
	dir := filepath.Join(t.TempDir(), "layout")
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []struct {
		ref string
		img v1.Image
	}{{"a:1", a}, {"stagescope.test/b:2", b}} {
		if err := p.AppendImage(x.img, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": x.ref})); err != nil {
			t.Fatal(err)
		}
	}
	archive := lt.WriteFile(t, "two.oci.tar", lt.TarDir(t, dir))
	// one image each: a bare tag as skopeo's oci:DIR:TAG writes it, a tag
	// beside containerd's whole name, no name
	single := func(annotations map[string]string) string {
		dir := filepath.Join(t.TempDir(), "layout")
		p, err := layout.Write(dir, empty.Index)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.AppendImage(a, layout.WithAnnotations(annotations)); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	bare := single(map[string]string{"org.opencontainers.image.ref.name": "1.0"})
	containerd := single(map[string]string{"org.opencontainers.image.ref.name": "3", "io.containerd.image.name": "docker.io/library/alpine:3"})
	unnamed := single(nil)
	for _, tt := range []struct {
		ref        string
		wantLayers int
		// the image's names: the entry's name, whether it picked the image
		// or the layout holds only that image
		wantTags []string
	}{
		{"oci:" + dir + ":a:1", 1, []string{"a:1"}},
		{"oci:" + dir + ":stagescope.test/b:2", 2, []string{"stagescope.test/b:2"}},
		{"oci:" + dir + ":docker.io/library/a:1", 1, []string{"a:1"}}, // as written, not as asked
		{"oci:" + dir + ":@1", 2, []string{"stagescope.test/b:2"}},
		{"oci-archive:" + archive + ":a:1", 1, []string{"a:1"}},
		{"oci-archive:" + archive + ":stagescope.test/b:2", 2, []string{"stagescope.test/b:2"}},
		{"oci:" + bare, 1, []string{"1.0"}},
		{"oci:" + bare + ":1.0", 1, []string{"1.0"}},
		{"oci:" + containerd, 1, []string{"docker.io/library/alpine:3"}},
		{"oci:" + unnamed, 1, nil},
	} {
		src, err := layers.Load(ctx, tt.ref)
		if err != nil {
			t.Fatalf("Load(%s): %v", tt.ref, err)
		}
		got, err := src.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Layers) != tt.wantLayers {
			t.Errorf("Load(%s): %d layers, want %d", tt.ref, len(got.Layers), tt.wantLayers)
		}
		if diff := cmp.Diff(tt.wantTags, got.RepoTags); diff != "" {
			t.Errorf("Load(%s): RepoTags (-want +got):\n%s", tt.ref, diff)
		}
	}
	for _, tt := range []struct{ ref, want string }{
		{dir, dir + " holds 2 images (a:1, stagescope.test/b:2); pick one with oci:" + dir + ":NAME"},
		{archive, archive + " holds 2 images (a:1, stagescope.test/b:2); pick one with oci-archive:" + archive + ":NAME"},
		{"oci:" + dir + ":c:3", dir + ": no image named c:3 (it holds a:1, stagescope.test/b:2)"},
	} {
		_, err := layers.Load(ctx, tt.ref)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Load(%s) error %v, want %q", tt.ref, err, tt.want)
		}
	}
}

// Images that name their platform are still several images when their
// names differ (what buildah and skopeo write for oci:DIR:NAME): nothing
// is picked silently, the error lists them, and :@N picks an unnamed one.
// Entries under one name (or none) that name their platforms are one
// multi-platform image, and --platform picks among them.
func TestOCILayoutSeveralWithPlatforms(t *testing.T) {
	ctx := context.Background()
	a := lt.WithPlatform(t, lt.Layers(t, []lt.File{{Name: "a", Body: "a"}}), "amd64", "")
	b := lt.WithPlatform(t, lt.Layers(t, []lt.File{{Name: "b", Body: "b"}}, []lt.File{{Name: "c", Body: "c"}}), "amd64", "")
	arm := lt.WithPlatform(t, lt.Layers(t, []lt.File{{Name: "d", Body: "d"}}, []lt.File{{Name: "e", Body: "e"}}, []lt.File{{Name: "f", Body: "f"}}), "arm64", "v8")
	amd := v1.Platform{OS: "linux", Architecture: "amd64"}
	armP := v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}
	write := func(entries ...func(layout.Path) error) string {
		dir := filepath.Join(t.TempDir(), "layout")
		p, err := layout.Write(dir, empty.Index)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if err := e(p); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	entry := func(img v1.Image, name string, pl v1.Platform) func(layout.Path) error {
		return func(p layout.Path) error {
			opts := []layout.Option{layout.WithPlatform(pl)}
			if name != "" {
				opts = append(opts, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": name}))
			}
			return p.AppendImage(img, opts...)
		}
	}
	named := write(entry(a, "a:1", amd), entry(b, "b:2", amd))
	unnamed := write(entry(a, "", amd), entry(b, "b:2", amd))
	multi := write(entry(a, "app:1", amd), entry(arm, "app:1", armP))
	for _, tt := range []struct {
		ref        string
		opts       []layers.LoadOption
		wantLayers int
		wantErr    string
	}{
		{ref: named, wantErr: named + " holds 2 images (a:1 [linux/amd64], b:2 [linux/amd64]); pick one with oci:" + named + ":NAME"},
		{ref: "oci:" + named, wantErr: named + " holds 2 images (a:1 [linux/amd64], b:2 [linux/amd64]); pick one with oci:" + named + ":NAME"},
		{ref: "oci:" + named + ":nosuch", wantErr: named + ": no image named nosuch (it holds a:1 [linux/amd64], b:2 [linux/amd64])"},
		{ref: "oci:" + named + ":@2", wantErr: named + ": no image @2: it holds images @0 to @1 (a:1 [linux/amd64], b:2 [linux/amd64])"},
		{ref: "oci:" + named + ":b:2", wantLayers: 2},
		{ref: "oci:" + named + ":@0", wantLayers: 1},
		{ref: unnamed, wantErr: unnamed + " holds 2 images (@0 [linux/amd64], b:2 [linux/amd64]); pick one with oci:" + unnamed + ":NAME"},
		{ref: "oci:" + unnamed + ":@0", wantLayers: 1},
		{ref: "oci:" + multi, opts: []layers.LoadOption{layers.WithPlatform("linux/arm64")}, wantLayers: 3},
		{ref: "oci:" + multi + ":app:1", opts: []layers.LoadOption{layers.WithPlatform("arm64")}, wantLayers: 3},
		{ref: "oci:" + multi, opts: []layers.LoadOption{layers.WithPlatform("linux/amd64")}, wantLayers: 1},
	} {
		src, err := layers.Load(ctx, tt.ref, tt.opts...)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("Load(%s): error %v, want %q", tt.ref, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("Load(%s): %v", tt.ref, err)
			continue
		}
		got, err := src.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Layers) != tt.wantLayers {
			t.Errorf("Load(%s): %d layers, want %d", tt.ref, len(got.Layers), tt.wantLayers)
		}
	}
}

// A gzip layer that expands far past its size is stopped in a stream too.
func TestReadArchiveStopsBombs(t *testing.T) {
	if testing.Short() {
		t.Skip("decompresses 256 MB")
	}
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(zw)
	const size = 300 << 20
	if err := tw.WriteHeader(&tar.Header{Name: "zeros", Typeflag: tar.TypeReg, Mode: 0o644, Size: size}); err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(tw, zeroReader{}, size); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	// The diff ID is never reached: the read stops first.
	cfg := `{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:` + strings.Repeat("0", 64) + `"]}}`
	var archive bytes.Buffer
	aw := tar.NewWriter(&archive)
	lt.AddFile(t, aw, "bomb.tar.gz", gz.Bytes())
	lt.AddFile(t, aw, "config.json", []byte(cfg))
	lt.AddFile(t, aw, "manifest.json", []byte(`[{"Config":"config.json","RepoTags":["bomb:1"],"Layers":["bomb.tar.gz"]}]`))
	if err := aw.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = layers.ReadArchive(context.Background(), &archive)
	if err == nil || !strings.Contains(err.Error(), "decompression bomb") || !strings.Contains(err.Error(), "layer 0") {
		t.Errorf("got error %v, want a decompression bomb in layer 0", err)
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// --platform picks from a multi-platform OCI layout or archive as from a
// registry index.
func TestOCILayoutPlatforms(t *testing.T) {
	ctx := context.Background()
	base := sourceImage(t)
	amd64 := lt.WithPlatform(t, base, "amd64", "")
	arm64 := lt.WithPlatform(t, base, "arm64", "v8")
	dir := filepath.Join(t.TempDir(), "layout")
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []struct {
		img v1.Image
		pl  v1.Platform
	}{{amd64, v1.Platform{OS: "linux", Architecture: "amd64"}}, {arm64, v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}}} {
		if err := p.AppendImage(x.img, layout.WithPlatform(x.pl)); err != nil {
			t.Fatal(err)
		}
	}
	archive := lt.WriteFile(t, "multi.oci.tar", lt.TarDir(t, dir))
	for _, ref := range []string{dir, archive} {
		for _, tt := range []struct{ platform, want, wantErr string }{
			{"linux/arm64", "linux/arm64/v8", ""},
			{"linux/amd64", "linux/amd64", ""},
			{"linux/riscv64", "", ref + ": no image for platform linux/riscv64 (available: linux/amd64, linux/arm64/v8); pick one with --platform"},
		} {
			src, err := layers.Load(ctx, ref, layers.WithPlatform(tt.platform))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Errorf("Load(%s, %s) error %v, want %q", ref, tt.platform, err, tt.wantErr)
				}
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := src.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got.Platform != tt.want {
				t.Errorf("Load(%s, %s) read platform %s, want %s", ref, tt.platform, got.Platform, tt.want)
			}
		}
	}
}

// dive's test-oci-docker-image is a real docker 25 save (OCI layout plus
// manifest.json, its OCI manifest listing the layers out of order), shipped
// gzip-compressed: read as a stream, and decompressed and read in place, it
// gives the same image, digest included.
func TestRealDocker25Save(t *testing.T) {
	ctx := context.Background()
	gzPath := filepath.Join("..", "testdata", "dive", "test-oci-docker-image.tar.gz")
	streamSrc, err := layers.Load(ctx, gzPath)
	if err != nil {
		t.Fatal(err)
	}
	streamed, err := streamSrc.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	src, err := layers.Load(ctx, lt.WriteFile(t, "docker25.tar", lt.Gunzip(t, gzPath)))
	if err != nil {
		t.Fatal(err)
	}
	inPlace, err := src.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(inPlace, streamed); diff != "" {
		t.Errorf("in place and streamed differ (-in place +stream):\n%s", diff)
	}
	if len(inPlace.Layers) < 2 {
		t.Errorf("%d layers, want several", len(inPlace.Layers))
	}
}
