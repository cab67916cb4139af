// Command gen builds the benchmark images of stagescope's performance
// harness from real files of this machine: a few layers copied from system
// trees (/usr/lib, /usr/share, /usr/include, the Go toolchain, the Go module
// cache, an npm tree) and a change layer on top that overwrites about 1 % of
// the files, whites out about 1 % and makes one directory opaque.
//
// Each image is written as a classic `docker save` archive (uncompressed
// layers) and, for most, as an OCI layout with gzip layers. Images already in
// the cache directory are reused.
//
//	go run ./bench/gen -dir /var/tmp/stagescope-bench medium large large-6wh
package main

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"log"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/gzip"
	"golang.org/x/sync/errgroup"
)

// source is one base layer: the files below Root, stored under Dest.
type source struct {
	Root      string
	Dest      string
	CreatedBy string
	// MaxBytes and MaxEntries stop the walk early (0: no limit).
	MaxBytes   int64
	MaxEntries int
	// MaxFile skips regular files larger than this (0: no limit); MinFile
	// keeps only files at least this large, to build a layer of big files.
	MaxFile, MinFile int64
}

// spec describes one benchmark image.
type spec struct {
	Name      string
	Sources   []source
	Whiteouts int    // file whiteouts in the change layer
	Opaque    string // directory made opaque by the change layer
	OCI       bool   // also write an OCI layout with gzip layers
	Base      string // reuse the base layers of this spec (same Sources)
}

var mediumSources = []source{
	{Root: "/usr/include", Dest: "usr/include", CreatedBy: "RUN apt-get install -y libc6-dev linux-libc-dev"},
	{Root: "/usr/local/go", Dest: "usr/local/go", CreatedBy: "COPY --from=golang /usr/local/go /usr/local/go"},
	{Root: "/usr/share", Dest: "usr/share", CreatedBy: "RUN apt-get install -y docs", MaxBytes: 240 << 20, MaxEntries: 26_000},
	{Root: "/usr/lib/node_modules", Dest: "app/node_modules", CreatedBy: "RUN npm ci"},
}

var largeSources = []source{
	{Root: "/usr/lib", Dest: "usr/lib", CreatedBy: "RUN apt-get install -y build-essential python3 postgresql", MaxFile: 1 << 20},
	{Root: "/usr/share", Dest: "usr/share", CreatedBy: "RUN apt-get install -y docs"},
	{Root: "/usr/include", Dest: "usr/include", CreatedBy: "RUN apt-get install -y libc6-dev linux-libc-dev"},
	{Root: "/usr/local/go", Dest: "usr/local/go", CreatedBy: "COPY --from=golang /usr/local/go /usr/local/go"},
	{Root: "/root/go/pkg/mod", Dest: "root/go/pkg/mod", CreatedBy: "RUN go mod download"},
	{Root: "/usr/lib/node_modules", Dest: "app/node_modules", CreatedBy: "RUN npm ci"},
	{Root: "/usr/share", Dest: "opt/share", CreatedBy: "COPY share /opt/share", MaxBytes: 300 << 20, MaxEntries: 31_000},
	{Root: "/usr/lib", Dest: "opt/lib", CreatedBy: "COPY big /opt/lib", MinFile: 1 << 20, MaxBytes: 260 << 20},
}

var specs = []spec{
	{Name: "medium", Sources: mediumSources, Whiteouts: 500, Opaque: "usr/local/go/doc", OCI: true},
	{Name: "large", Sources: largeSources, Whiteouts: 2000, Opaque: "usr/local/go/doc", OCI: true},
	{Name: "large-6wh", Sources: largeSources, Whiteouts: 6, Opaque: "usr/local/go/doc", Base: "large"},
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("gen: ")
	dir := flag.String("dir", "/var/tmp/stagescope-bench", "cache directory for the images")
	keep := flag.Bool("keep-work", false, "keep the intermediate layer files")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: gen [-dir DIR] [NAME...]  (names: medium, large, large-6wh; default all)\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	names := flag.Args()
	if len(names) == 0 {
		for _, s := range specs {
			names = append(names, s.Name)
		}
	}
	if err := run(ctx, *dir, names, *keep); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, dir string, names []string, keep bool) error {
	if err := os.MkdirAll(filepath.Join(dir, "work"), 0o755); err != nil {
		return err
	}
	for _, n := range names {
		i := slices.IndexFunc(specs, func(s spec) bool { return s.Name == n })
		if i < 0 {
			return fmt.Errorf("unknown image %q", n)
		}
		if err := build(ctx, dir, specs[i]); err != nil {
			return fmt.Errorf("building %s: %w", n, err)
		}
	}
	if keep {
		return nil
	}
	return os.RemoveAll(filepath.Join(dir, "work"))
}

// layerFile is one layer written to the work directory.
type layerFile struct {
	Tar, Gz   string
	DiffID    v1.Hash
	Size      int64
	Digest    v1.Hash // of the gzip blob
	GzSize    int64
	CreatedBy string
}

func build(ctx context.Context, dir string, s spec) error {
	dockerPath := filepath.Join(dir, s.Name+".docker.tar")
	ociPath := filepath.Join(dir, s.Name+".oci")
	haveDocker := exists(dockerPath)
	haveOCI := !s.OCI || exists(filepath.Join(ociPath, "index.json"))
	if haveDocker && haveOCI {
		log.Printf("%s: reusing %s", s.Name, dir)
		return nil
	}
	start := time.Now()
	base := s.Name
	if s.Base != "" {
		base = s.Base
	}
	var ls []layerFile
	var baseFiles []baseFile
	for i, src := range s.Sources {
		lf, files, err := writeBaseLayer(ctx, filepath.Join(dir, "work", fmt.Sprintf("%s-%d.tar", base, i)), src)
		if err != nil {
			return fmt.Errorf("layer %d (%s): %w", i, src.Root, err)
		}
		ls = append(ls, lf)
		baseFiles = append(baseFiles, files...)
	}
	ch, st, err := writeChangeLayer(filepath.Join(dir, "work", fmt.Sprintf("%s-change.tar", s.Name)), baseFiles, s)
	if err != nil {
		return fmt.Errorf("change layer: %w", err)
	}
	ls = append(ls, ch)
	var entries, bytes int64
	for _, l := range ls {
		bytes += l.Size
	}
	entries = int64(len(baseFiles)) + st.entries
	log.Printf("%s: %d layers, %d entries, %.0f MB of tar; change layer: %d overwritten, %d whiteouts, opaque %s (%s)",
		s.Name, len(ls), entries, float64(bytes)/1e6, st.overwritten, st.whiteouts, s.Opaque, time.Since(start).Round(time.Second))

	cfg := config(ls)
	if !haveDocker {
		if err := writeDockerArchive(dockerPath, s.Name, cfg, ls); err != nil {
			return err
		}
		log.Printf("%s: wrote %s", s.Name, dockerPath)
	}
	if !haveOCI {
		if err := compressAll(ctx, ls); err != nil {
			return err
		}
		if err := writeLayout(ociPath, cfg, ls); err != nil {
			return err
		}
		log.Printf("%s: wrote %s", s.Name, ociPath)
	}
	return nil
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// baseFile is a regular file of a base layer, a candidate for the change
// layer's overwrites and whiteouts.
type baseFile struct {
	Name string // path in the image
	Src  string // path on this machine
	Dir  bool
}

// hashWriter counts and hashes what passes through it.
type hashWriter struct {
	w io.Writer
	h hash.Hash
	n int64
}

func (h *hashWriter) Write(p []byte) (int, error) {
	n, err := h.w.Write(p)
	h.h.Write(p[:n])
	h.n += int64(n)
	return n, err
}

// writeLayer writes a tar file through fill and returns its diff ID.
// An existing file with a sidecar ".sha256" is reused.
func writeLayer(p, createdBy string, fill func(tw *tar.Writer) error) (layerFile, error) {
	lf := layerFile{Tar: p, CreatedBy: createdBy}
	if b, err := os.ReadFile(p + ".sha256"); err == nil {
		if fi, err := os.Stat(p); err == nil {
			h, err := v1.NewHash(strings.TrimSpace(string(b)))
			if err == nil {
				lf.DiffID, lf.Size = h, fi.Size()
				return lf, nil
			}
		}
	}
	f, err := os.Create(p)
	if err != nil {
		return lf, err
	}
	defer f.Close()
	hw := &hashWriter{w: f, h: sha256.New()}
	tw := tar.NewWriter(hw)
	if err := fill(tw); err != nil {
		return lf, err
	}
	if err := tw.Close(); err != nil {
		return lf, err
	}
	if err := f.Close(); err != nil {
		return lf, err
	}
	lf.DiffID = v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(hw.h.Sum(nil))}
	lf.Size = hw.n
	return lf, os.WriteFile(p+".sha256", []byte(lf.DiffID.String()+"\n"), 0o644)
}

var epoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// writeBaseLayer copies the tree below src.Root into a layer. It walks the
// tree again even when the layer file is reused, to list its files.
func writeBaseLayer(ctx context.Context, p string, src source) (layerFile, []baseFile, error) {
	var files []baseFile
	walk := func(visit func(name, full string, d fs.DirEntry, fi fs.FileInfo) error) error {
		var bytes int64
		done := errors.New("done")
		err := filepath.WalkDir(src.Root, func(full string, d fs.DirEntry, err error) error {
			if err != nil {
				if d != nil && d.IsDir() {
					return fs.SkipDir
				}
				return nil // unreadable: skip
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			rel, _ := filepath.Rel(src.Root, full)
			name := src.Dest
			if rel != "." {
				name = path.Join(src.Dest, filepath.ToSlash(rel))
			}
			fi, err := d.Info()
			if err != nil {
				return nil
			}
			switch {
			case fi.Mode().IsRegular():
				if (src.MaxFile > 0 && fi.Size() > src.MaxFile) || fi.Size() < src.MinFile {
					return nil
				}
				if src.MaxBytes > 0 && bytes+fi.Size() > src.MaxBytes {
					return done
				}
				bytes += fi.Size()
			case fi.IsDir(), fi.Mode()&fs.ModeSymlink != 0:
				if src.MinFile > 0 && !fi.IsDir() {
					return nil
				}
			default:
				return nil // sockets, devices, fifos
			}
			if src.MaxEntries > 0 && len(files) >= src.MaxEntries {
				return done
			}
			files = append(files, baseFile{Name: name, Src: full, Dir: fi.IsDir()})
			return visit(name, full, d, fi)
		})
		if errors.Is(err, done) {
			return nil
		}
		return err
	}
	lf, err := writeLayer(p, src.CreatedBy, func(tw *tar.Writer) error {
		// Parent directories of Dest come first, as in a real layer.
		parts := strings.Split(src.Dest, "/")
		for i := 1; i < len(parts); i++ {
			if err := tw.WriteHeader(&tar.Header{Name: strings.Join(parts[:i], "/") + "/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: epoch}); err != nil {
				return err
			}
		}
		return walk(func(name, full string, d fs.DirEntry, fi fs.FileInfo) error {
			return writeEntry(tw, name, full, fi, nil)
		})
	})
	if err != nil {
		return lf, nil, err
	}
	if len(files) == 0 { // the layer was reused: list its files
		if err := walk(func(string, string, fs.DirEntry, fs.FileInfo) error { return nil }); err != nil {
			return lf, nil, err
		}
	}
	return lf, files, nil
}

// writeEntry writes one file of this machine, with suffix appended to a
// regular file's contents.
func writeEntry(tw *tar.Writer, name, full string, fi fs.FileInfo, suffix []byte) error {
	h := &tar.Header{Name: name, Mode: int64(fi.Mode().Perm()), ModTime: fi.ModTime().Truncate(time.Second), Format: tar.FormatPAX}
	switch {
	case fi.IsDir():
		h.Typeflag = tar.TypeDir
		h.Name += "/"
	case fi.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(full)
		if err != nil {
			return nil
		}
		h.Typeflag = tar.TypeSymlink
		h.Linkname = target
	default:
		f, err := os.Open(full)
		if err != nil {
			return nil // unreadable: skip
		}
		defer f.Close()
		h.Typeflag = tar.TypeReg
		h.Size = fi.Size() + int64(len(suffix))
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		n, err := io.Copy(tw, io.LimitReader(f, fi.Size()))
		if err != nil {
			return fmt.Errorf("copying %s: %w", full, err)
		}
		if n < fi.Size() { // shrank while copying: pad
			if _, err := tw.Write(make([]byte, fi.Size()-n)); err != nil {
				return err
			}
		}
		_, err = tw.Write(suffix)
		return err
	}
	return tw.WriteHeader(h)
}

type changeStats struct{ entries, overwritten, whiteouts int64 }

// writeChangeLayer overwrites every 100th file of the base layers (appending
// a line), whites out s.Whiteouts files spread over the image (some of them
// directories), and makes s.Opaque opaque with two new files in it.
func writeChangeLayer(p string, base []baseFile, s spec) (layerFile, changeStats, error) {
	var st changeStats
	var regular []int
	for i, f := range base {
		if !f.Dir && !strings.HasPrefix(f.Name, s.Opaque+"/") {
			regular = append(regular, i)
		}
	}
	stride := len(regular) / max(s.Whiteouts, 1)
	overwrite := map[int]bool{}
	whiteout := map[int]bool{}
	for k := 0; k < len(regular); k += 100 {
		overwrite[regular[k]] = true
	}
	for k := 0; k < s.Whiteouts && k*stride+stride/2 < len(regular); k++ {
		i := regular[k*stride+stride/2]
		if overwrite[i] {
			i = regular[k*stride+stride/2+1]
		}
		whiteout[i] = true
	}
	os.Remove(p + ".sha256") // the change layer is cheap: always rebuilt
	lf, err := writeLayer(p, "RUN ./update.sh && rm -rf stale", func(tw *tar.Writer) error {
		dirs := map[string]bool{}
		// Parent directories first, as a real layer has them.
		parent := func(name string) error {
			d := path.Dir(name)
			var chain []string
			for d != "." && !dirs[d] {
				dirs[d] = true
				chain = append(chain, d)
				d = path.Dir(d)
			}
			for _, c := range slices.Backward(chain) {
				if err := tw.WriteHeader(&tar.Header{Name: c + "/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: epoch}); err != nil {
					return err
				}
				st.entries++
			}
			return nil
		}
		for i, f := range base {
			switch {
			case overwrite[i]:
				fi, err := os.Lstat(f.Src)
				if err != nil {
					continue
				}
				if err := parent(f.Name); err != nil {
					return err
				}
				if err := writeEntry(tw, f.Name, f.Src, fi, []byte("\n# changed by the update layer\n")); err != nil {
					return err
				}
				st.entries++
				st.overwritten++
			case whiteout[i]:
				if err := parent(f.Name); err != nil {
					return err
				}
				wh := path.Join(path.Dir(f.Name), ".wh."+path.Base(f.Name))
				if err := tw.WriteHeader(&tar.Header{Name: wh, Typeflag: tar.TypeReg, Mode: 0o600, ModTime: epoch}); err != nil {
					return err
				}
				st.entries++
				st.whiteouts++
			}
		}
		if s.Opaque != "" {
			if err := parent(s.Opaque + "/x"); err != nil {
				return err
			}
			for _, h := range []*tar.Header{
				{Name: s.Opaque + "/.wh..wh..opq", Typeflag: tar.TypeReg, Mode: 0o600},
				{Name: s.Opaque + "/README.md", Typeflag: tar.TypeReg, Mode: 0o644, Size: 29},
				{Name: s.Opaque + "/index.html", Typeflag: tar.TypeReg, Mode: 0o644, Size: 29},
			} {
				h.ModTime = epoch
				if err := tw.WriteHeader(h); err != nil {
					return err
				}
				if h.Size > 0 {
					if _, err := io.WriteString(tw, "replaced by the update layer\n"); err != nil {
						return err
					}
				}
				st.entries++
			}
		}
		return nil
	})
	return lf, st, err
}

func config(ls []layerFile) *v1.ConfigFile {
	cfg := &v1.ConfigFile{
		Architecture: "amd64",
		OS:           "linux",
		Created:      v1.Time{Time: epoch},
		Config: v1.Config{
			Cmd:        []string{"/bin/sh"},
			WorkingDir: "/app",
		},
		RootFS: v1.RootFS{Type: "layers"},
	}
	for _, l := range ls {
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, l.DiffID)
		cfg.History = append(cfg.History, v1.History{Created: v1.Time{Time: epoch}, CreatedBy: l.CreatedBy})
	}
	return cfg
}

// writeDockerArchive writes the classic `docker save` format: manifest.json,
// the config as <hex>.json and each layer as <hex>/layer.tar.
func writeDockerArchive(p, name string, cfg *v1.ConfigFile, ls []layerFile) error {
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	cfgName := fmt.Sprintf("%x.json", sha256.Sum256(cfgJSON))
	m := tarball.Manifest{{Config: cfgName, RepoTags: []string{"stagescope-bench/" + name + ":latest"}}}
	for _, l := range ls {
		m[0].Layers = append(m[0].Layers, l.DiffID.Hex+"/layer.tar")
	}
	mJSON, err := json.Marshal(m)
	if err != nil {
		return err
	}
	tmp := p + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	add := func(name string, size int64, r io.Reader) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: size, ModTime: epoch}); err != nil {
			return err
		}
		_, err := io.Copy(tw, r)
		return err
	}
	for _, l := range ls {
		lf, err := os.Open(l.Tar)
		if err != nil {
			return err
		}
		err = add(l.DiffID.Hex+"/layer.tar", l.Size, lf)
		lf.Close()
		if err != nil {
			return fmt.Errorf("adding %s: %w", l.Tar, err)
		}
	}
	if err := add(cfgName, int64(len(cfgJSON)), strings.NewReader(string(cfgJSON))); err != nil {
		return err
	}
	if err := add("manifest.json", int64(len(mJSON)), strings.NewReader(string(mJSON))); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}

// compressAll gzips every layer (two at a time), reusing earlier results.
func compressAll(ctx context.Context, ls []layerFile) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(2)
	for i := range ls {
		l := &ls[i]
		g.Go(func() error {
			l.Gz = l.Tar + ".gz"
			if b, err := os.ReadFile(l.Gz + ".sha256"); err == nil {
				if fi, err := os.Stat(l.Gz); err == nil {
					if h, err := v1.NewHash(strings.TrimSpace(string(b))); err == nil {
						l.Digest, l.GzSize = h, fi.Size()
						return nil
					}
				}
			}
			in, err := os.Open(l.Tar)
			if err != nil {
				return err
			}
			defer in.Close()
			out, err := os.Create(l.Gz)
			if err != nil {
				return err
			}
			defer out.Close()
			hw := &hashWriter{w: out, h: sha256.New()}
			zw, err := gzip.NewWriterLevel(hw, gzip.DefaultCompression)
			if err != nil {
				return err
			}
			if _, err := io.Copy(zw, &ctxReader{ctx, in}); err != nil {
				return err
			}
			if err := zw.Close(); err != nil {
				return err
			}
			if err := out.Close(); err != nil {
				return err
			}
			l.Digest = v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(hw.h.Sum(nil))}
			l.GzSize = hw.n
			return os.WriteFile(l.Gz+".sha256", []byte(l.Digest.String()+"\n"), 0o644)
		})
	}
	return g.Wait()
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// writeLayout writes an OCI image layout whose blobs are hard links to the
// gzip layers of the work directory (copies when linking fails).
func writeLayout(dir string, cfg *v1.ConfigFile, ls []layerFile) error {
	tmp := dir + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	blobs := filepath.Join(tmp, "blobs", "sha256")
	if err := os.MkdirAll(blobs, 0o755); err != nil {
		return err
	}
	putJSON := func(v any) (v1.Hash, int64, error) {
		b, err := json.Marshal(v)
		if err != nil {
			return v1.Hash{}, 0, err
		}
		h := v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", sha256.Sum256(b))}
		return h, int64(len(b)), os.WriteFile(filepath.Join(blobs, h.Hex), b, 0o644)
	}
	cfgDigest, cfgSize, err := putJSON(cfg)
	if err != nil {
		return err
	}
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		Config:        v1.Descriptor{MediaType: types.OCIConfigJSON, Digest: cfgDigest, Size: cfgSize},
	}
	for _, l := range ls {
		dst := filepath.Join(blobs, l.Digest.Hex)
		if err := os.Link(l.Gz, dst); err != nil {
			if err := copyFile(l.Gz, dst); err != nil {
				return err
			}
		}
		m.Layers = append(m.Layers, v1.Descriptor{MediaType: types.OCILayer, Digest: l.Digest, Size: l.GzSize})
	}
	mDigest, mSize, err := putJSON(m)
	if err != nil {
		return err
	}
	idx := v1.IndexManifest{
		SchemaVersion: 2,
		MediaType:     types.OCIImageIndex,
		Manifests: []v1.Descriptor{{
			MediaType: types.OCIManifestSchema1, Digest: mDigest, Size: mSize,
			Platform: &v1.Platform{OS: "linux", Architecture: "amd64"},
		}},
	}
	b, err := json.Marshal(idx)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, "index.json"), b, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644); err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	return os.Rename(tmp, dir)
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
