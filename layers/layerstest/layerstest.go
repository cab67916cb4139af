// Package layerstest builds small real images in the test process and finds
// the real images of ../shared/images, for the tests of every package.
package layerstest

import (
	"archive/tar"
	"bufio"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// File is one tar entry of a test layer. The zero Type is a regular file.
type File struct {
	Name string // written as is: "./a", "/a" and "a" are all allowed
	Body string
	Type byte // tar.TypeReg (default), tar.TypeDir, tar.TypeSymlink, tar.TypeLink, …
	Link string
	Mode int64 // default 0644 for files, 0755 for directories
	UID  int
	GID  int
}

// Dir is a directory entry.
func Dir(name string) File { return File{Name: name, Type: tar.TypeDir} }

// Whiteout is the marker that deletes name in lower layers.
func Whiteout(name string) File {
	dir, base := filepath.Split(name)
	return File{Name: dir + ".wh." + base}
}

// Opaque is the marker that hides lower layers' children of dir.
func Opaque(dir string) File {
	return File{Name: strings.TrimSuffix(dir, "/") + "/.wh..wh..opq"}
}

// Symlink is a symbolic link.
func Symlink(name, target string) File { return File{Name: name, Type: tar.TypeSymlink, Link: target} }

// Hardlink is a hard link.
func Hardlink(name, target string) File { return File{Name: name, Type: tar.TypeLink, Link: target} }

// Tar returns the bytes of a tar archive holding files, in order.
func Tar(t testing.TB, files ...File) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.Name, Typeflag: f.Type, Linkname: f.Link, Mode: f.Mode, Uid: f.UID, Gid: f.GID, ModTime: time.Unix(0, 0)}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(f.Body))
		}
		if h.Mode == 0 {
			h.Mode = 0o644
			if h.Typeflag == tar.TypeDir {
				h.Mode = 0o755
			}
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatalf("writing tar header %s: %v", f.Name, err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := io.WriteString(tw, f.Body); err != nil {
				t.Fatalf("writing %s: %v", f.Name, err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Layer builds a real (gzip-compressed) layer holding files.
func Layer(t testing.TB, files ...File) v1.Layer {
	t.Helper()
	b := Tar(t, files...)
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// Step is one history entry of a test image: a layer made of Files, or an
// empty-layer entry when Empty is set.
type Step struct {
	CreatedBy string
	Files     []File
	Empty     bool
}

// Digests returns the blob digests of img's layers, oldest first.
func Digests(t testing.TB, img v1.Image) []string {
	t.Helper()
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(ls))
	for i, l := range ls {
		d, err := l.Digest()
		if err != nil {
			t.Fatal(err)
		}
		out[i] = d.String()
	}
	return out
}

// Image builds an image from steps, oldest first, with history.
func Image(t testing.TB, steps ...Step) v1.Image {
	t.Helper()
	img := empty.Image
	for _, s := range steps {
		var err error
		h := v1.History{CreatedBy: s.CreatedBy, EmptyLayer: s.Empty}
		if s.Empty {
			cfg, cerr := img.ConfigFile()
			if cerr != nil {
				t.Fatal(cerr)
			}
			cfg = cfg.DeepCopy()
			cfg.History = append(cfg.History, h)
			img, err = mutate.ConfigFile(img, cfg)
		} else {
			img, err = mutate.Append(img, mutate.Addendum{Layer: Layer(t, s.Files...), History: h})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", "amd64"
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// Layers builds an image with one layer per list of files.
func Layers(t testing.TB, layers ...[]File) v1.Image {
	t.Helper()
	steps := make([]Step, len(layers))
	for i, fs := range layers {
		steps[i] = Step{CreatedBy: "layer " + string(rune('0'+i%10)), Files: fs}
	}
	return Image(t, steps...)
}

// LayersFromTars builds an image with one layer per raw tar stream.
func LayersFromTars(t testing.TB, tars ...[]byte) v1.Image {
	t.Helper()
	img := empty.Image
	for _, b := range tars {
		l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
		if err != nil {
			t.Fatal(err)
		}
		if img, err = mutate.AppendLayers(img, l); err != nil {
			t.Fatal(err)
		}
	}
	return img
}

// SharedImagesDir returns the directory of the images built by
// ../shared/images/build.sh ($STAGESCOPE_IMAGES, default
// /var/cache/stagescope-images), or skips the test when they are absent.
func SharedImagesDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("STAGESCOPE_IMAGES")
	if dir == "" {
		dir = "/var/cache/stagescope-images"
	}
	if _, err := os.Stat(filepath.Join(dir, "images.tsv")); err != nil {
		t.Skipf("shared images not built (%s/images.tsv missing): run ../shared/images/build.sh", dir)
	}
	return dir
}

// SharedImage returns the path of a shared image's docker archive, e.g.
// SharedImage(t, "webapp-naive"), skipping when it is absent, or when it is
// larger than RaceMaxBytes in a -race build.
func SharedImage(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(SharedImagesDir(t), "docker-archive", name+".tar")
	fi, err := os.Stat(p)
	if err != nil {
		t.Skipf("shared image %s not built", name)
	}
	skipHugeUnderRace(t, name, fi.Size())
	return p
}

// RaceMaxBytes is the largest shared image the tests read when built with
// -race: the race detector makes reading a gigabyte image take minutes,
// which the CI time limit cannot afford. Plain `go test` reads them all.
const RaceMaxBytes = 100 << 20

func skipHugeUnderRace(t testing.TB, name string, size int64) {
	t.Helper()
	if raceEnabled && size > RaceMaxBytes {
		t.Skipf("shared image %s is %d MiB: skipped under -race (more than %d MiB)", name, size>>20, RaceMaxBytes>>20)
	}
}

// SharedLayout returns the path of a shared image's OCI layout.
func SharedLayout(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(SharedImagesDir(t), "oci", name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared image %s not built", name)
	}
	if raceEnabled {
		var size int64
		_ = filepath.WalkDir(p, func(_ string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if fi, err := d.Info(); err == nil {
					size += fi.Size()
				}
			}
			return nil
		})
		skipHugeUnderRace(t, name, size)
	}
	return p
}

// ReadTSV reads a tab-separated file, skipping blank lines and # comments.
func ReadTSV(t testing.TB, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		rows = append(rows, strings.Split(line, "\t"))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// WithPlatform returns img with its config's architecture and variant set.
func WithPlatform(t testing.TB, img v1.Image, arch, variant string) v1.Image {
	t.Helper()
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cfg = cfg.DeepCopy()
	cfg.Architecture, cfg.Variant = arch, variant
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return img
}
