package layerstest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
)

// BadCase is one hostile or broken input of the corpus in testdata/bad.
type BadCase struct {
	Name string // file or directory name under the corpus dir
	// Exit is the exit status stagescope must end with: 2 for an error, 0
	// when the input is odd but valid.
	Exit int
	// Error is a regular expression the one-line error must match (Exit 2).
	Error string
	// Warning is a regular expression the one line on stderr must match
	// when the input is odd but read (Exit 0); empty: stderr stays empty.
	Warning string
	// Large cases are generated on demand, not committed.
	Large bool
	// Args are extra flags for inspect.
	Args []string
	// Again runs the file of the case before it of the same name once more
	// (with other flags), instead of writing it again.
	Again bool
	// Diff, when set, runs `stagescope diff NAME DIFF` (text) instead of
	// inspect; DIFF is another case of the corpus.
	Diff string
	// Stdout are regular expressions the output must match.
	Stdout []string
	// JSON maps JSON pointers into the -o json report ("/summary/files")
	// to the values they must hold, compared as fmt.Sprint prints them.
	JSON map[string]any
	// MaxSeconds and MaxRSS bound the run's wall time and peak resident
	// memory (bytes); 0 means the runner's defaults.
	MaxSeconds int
	MaxRSS     int64
	make       func() ([]byte, map[string][]byte)
}

// BadCases lists the corpus. Each case builds either a file (bytes) or a
// directory (relative path -> bytes).
func BadCases() []BadCase {
	return append([]BadCase{
		{Name: "empty.tar", Exit: 2, Error: `empty\.tar.*(not a container image|empty)`, make: file(nil)},
		{Name: "random.bin", Exit: 2, Error: `random\.bin.*not a container image`, make: file(randomBytes(4096))},
		{Name: "plain-tar.tar", Exit: 2, Error: `plain-tar\.tar.*not a container image`, make: file(tarOf(member{"hello.txt", []byte("hello\n")}))},
		{Name: "manifest-bad-json.tar", Exit: 2, Error: `manifest\.json in \S+: truncated JSON$`, make: file(tarOf(member{"manifest.json", []byte("[{")}))},
		{Name: "manifest-empty.tar", Exit: 2, Error: `manifest\.json.*(no image|0 images|single image|empty)`, make: file(tarOf(member{"manifest.json", []byte("[]")}))},
		{Name: "manifest-missing-config.tar", Exit: 2, Error: `config`, make: file(dockerArchive(func(m map[string]any) { delete(m, "Config") }, nil))},
		{Name: "manifest-wrong-types.tar", Exit: 2, Error: `manifest\.json in \S+: "Layers" holds a string where a list of strings belongs$`, make: file(dockerArchive(func(m map[string]any) { m["Layers"] = "layer.tar" }, nil))},
		{Name: "manifest-config-escape.tar", Exit: 2, Error: `\.\./`, make: file(dockerArchive(func(m map[string]any) { m["Config"] = "../../etc/passwd" }, nil))},
		{Name: "manifest-layer-escape.tar", Exit: 2, Error: `\.\./`, make: file(dockerArchive(func(m map[string]any) { m["Layers"] = []string{"../../etc/passwd"} }, nil))},
		{Name: "manifest-layer-missing.tar", Exit: 2, Error: `missing\.tar`, make: file(dockerArchive(func(m map[string]any) { m["Layers"] = []string{"missing.tar"} }, nil))},
		{Name: "config-bad-json.tar", Exit: 2, Error: `config config\.json: (truncated JSON|.*holds .* where .* belongs)$`, make: file(dockerArchive(nil, func(c map[string]any) map[string]any { return nil }))},
		{Name: "layer-count-mismatch.tar", Exit: 2, Error: `(layer|diff)`, make: file(dockerArchive(func(m map[string]any) { m["Layers"] = []string{"layer.tar", "layer.tar"} }, nil))},
		{Name: "layer-truncated-header.tar", Exit: 2, Error: `layer 0.*(unexpected EOF|truncated)`, make: file(archiveWithDiffID(truncate(layerTar(), 1024+200), layerTar()))},
		{Name: "layer-truncated-content.tar", Exit: 2, Error: `layer 0.*(unexpected EOF|truncated)`, make: file(archiveWithDiffID(truncate(layerTar(), 1536+40), layerTar()))},
		{Name: "layer-size-lies.tar", Exit: 2, Error: `layer 0.*(unexpected EOF|truncated)`, make: file(archiveWithLayer(sizeLies()))},
		{Name: "layer-not-tar.tar", Exit: 2, Error: `layer 0`, make: file(archiveWithLayer(randomBytes(3000)))},
		{Name: "gzip-corrupt.tar", Exit: 2, Error: `layer 0.*(gzip|checksum|flate|corrupt)`, make: file(archiveWithDiffID(corrupt(gz(layerTar())), layerTar()))},
		{Name: "gzip-truncated.tar", Exit: 2, Error: `layer 0.*(unexpected EOF|truncated)`, make: file(archiveWithDiffID(truncate(gz(layerTar()), 60), layerTar()))},
		{Name: "zstd-layer.tar", Exit: 0, make: file(archiveWithLayer(zst(layerTar())))},
		{Name: "diffid-mismatch.tar", Exit: 2, Error: `layer 0.*(digest|diff ID).*mismatch`, make: file(dockerArchive(nil, func(c map[string]any) map[string]any {
			c["rootfs"] = map[string]any{"type": "layers", "diff_ids": []string{"sha256:" + strings.Repeat("ab", 32)}}
			return c
		}))},
		{Name: "oci-missing-blob", Exit: 2, Error: `oci-missing-blob.*(blob|no such file)`, make: dir(ociLayout(ociMissingBlob))},
		{Name: "oci-wrong-mediatype", Exit: 2, Error: `oci-wrong-mediatype.*(media ?type|unsupported)`, make: dir(ociLayout(ociWrongMediaType))},
		{Name: "oci-manifest-layer-type", Exit: 2, Error: `oci-manifest-layer-type.*expected an image manifest, found application/vnd\.oci\.image\.layer\.v1\.tar$`, make: dir(ociLayout(ociManifestLayerType))},
		{Name: "oci-no-platform", Exit: 2, Error: `no image for platform linux/amd64.*available: linux/arm64`, make: dir(ociLayout(ociOtherPlatform))},
		{Name: "oci-blob-mismatch", Exit: 2, Error: `oci-blob-mismatch.*(digest|mismatch)`, make: dir(ociLayout(ociBlobMismatch))},
		{Name: "oci-bad-index.json", Exit: 2, Error: `index\.json in \S+: not an image index: truncated JSON$`, make: dir(map[string][]byte{"oci-layout": []byte(`{"imageLayoutVersion":"1.0.0"}`), "index.json": []byte("{")})},
		{Name: "entries-absolute-paths.tar", Exit: 0, make: file(archiveWithLayer(tarOf(member{"/etc/passwd", []byte("root:x:0:0\n")}, member{"/../../escape", []byte("x")})))},
		{Name: "entries-dotdot.tar", Exit: 0, make: file(archiveWithLayer(tarOf(member{"a/../../../../etc/shadow", []byte("x")}, member{"./b/./c/../d", []byte("y")})))},
		{Name: "entries-invalid-utf8.tar", Exit: 0, make: file(archiveWithLayer(tarOf(member{"bad-\xff\xfe-name", []byte("x")})))},
		{Name: "entries-long-name.tar", Exit: 0, make: file(archiveWithLayer(tarOf(member{strings.Repeat("d/", 2000) + strings.Repeat("n", 5000), []byte("x")})))},
		{Name: "entries-duplicate.tar", Exit: 0, make: file(archiveWithLayer(tarOf(member{"etc/x", []byte("first")}, member{"etc/x", []byte("second!")})))},
		{Name: "entries-hardlink-missing.tar", Exit: 0, make: file(archiveWithLayer(special(tar.Header{Name: "hl", Typeflag: tar.TypeLink, Linkname: "nowhere"}, tar.Header{Name: "early", Typeflag: tar.TypeLink, Linkname: "late"}, tar.Header{Name: "late", Typeflag: tar.TypeReg}))),
			// docker cannot apply a link to nothing: a warning with the report.
			Warning: `^stagescope: warning: layer 0: hard link /hl names /nowhere, which no layer up to it holds as a file: docker cannot apply this layer$`,
			JSON:    map[string]any{"/notes/0": "layer 0: hard link /hl names /nowhere, which no layer up to it holds as a file: docker cannot apply this layer"}},
		{Name: "entries-symlink-loop.tar", Exit: 0, make: file(archiveWithLayer(special(tar.Header{Name: "a", Typeflag: tar.TypeSymlink, Linkname: "b"}, tar.Header{Name: "b", Typeflag: tar.TypeSymlink, Linkname: "a"}, tar.Header{Name: "self", Typeflag: tar.TypeSymlink, Linkname: "self"})))},
		{Name: "entries-devices.tar", Exit: 0, make: file(archiveWithLayer(special(tar.Header{Name: "dev/null", Typeflag: tar.TypeChar, Devmajor: 1, Devminor: 3}, tar.Header{Name: "dev/sda", Typeflag: tar.TypeBlock, Devmajor: 8}, tar.Header{Name: "run/fifo", Typeflag: tar.TypeFifo})))},
		{Name: "history-many.tar", Exit: 0, make: file(dockerArchive(nil, func(c map[string]any) map[string]any {
			h := make([]map[string]any, 10000)
			for i := range h {
				h[i] = map[string]any{"created_by": fmt.Sprintf("ENV N=%d", i), "empty_layer": i != 0}
			}
			c["history"] = h
			return c
		}))},
		{Name: "history-short.tar", Exit: 0, make: file(dockerArchive(func(m map[string]any) { m["Layers"] = []string{"layer.tar", "layer.tar"} }, func(c map[string]any) map[string]any {
			id := c["rootfs"].(map[string]any)["diff_ids"].([]string)[0]
			c["rootfs"] = map[string]any{"type": "layers", "diff_ids": []string{id, id}}
			c["history"] = []map[string]any{{"created_by": "only one"}}
			return c
		}))},
		{Name: "layer-cut-at-entry.tar", Exit: 2, Error: `layer 0.*(diff ID|digest).*mismatch`, make: file(archiveWithDiffID(truncate(layerTar(), 1024), layerTar()))},
		// Round two (issue 20): terminal injection.
		{Name: "inject-names.tar", Exit: 0, Args: []string{"-o", "text"}, make: file(injectNames()), Stdout: []string{
			`(?m)^Platform +linux/amd64\\x1b\[2J/v8\\nstagescope: FAKE line$`,
			`RUN \\x1b\]0;pwned\\x07make stagescope: FAKE line`,
			`COPY \\x1b\[2J \. /`,
			`/w/\\x1b\[2Jclear`,
			`/app\\x1b\[2J/\.env`,
		}},
		{Name: "inject-names.tar", Exit: 0, Again: true, JSON: map[string]any{
			"/image/platform":     InjectedPlatform,
			"/layers/0/createdBy": "RUN " + oscTitle + "make" + fakeLine,
			"/wasted/0/path":      "/w/" + csiClear + "clear",
		}},
		{Name: "inject-names.tar", Exit: 0, Again: true, Diff: "zstd-layer.tar", Stdout: []string{
			`/\\x1b\]0;pwned\\x07evil`,
			`/x\\nstagescope: FAKE line`,
		}},
		{Name: "inject-config-member.tar", Exit: 2, Error: `config \\x1b\]0;pwned\\x07\\nstagescope: FAKE line\.json`, make: file(dockerArchive(func(m map[string]any) { m["Config"] = oscTitle + fakeLine + ".json" }, nil))},
		{Name: "inject-tags.tar", Exit: 2, Error: `a\\x1b\]0;pwned\\x07:1.*b\\nstagescope: FAKE line:2`, make: file(injectTags())},
		// Secrets stay secret: no hash of a secret file's contents, in a
		// finding or a duplicate (TestSecretHashesNotGuessable tries every
		// PIN on the outputs).
		{Name: "secret-pin.tar", Exit: 0, make: file(secretPIN()), JSON: map[string]any{
			"/duplicates/0/bytes": len(SecretPIN), "/duplicates/0/paths/0": "/app/.env", "/duplicates/0/digest": nil,
		}},
		// Sizes that cannot lie.
		{Name: "devices-huge-size.tar", Exit: 1, Args: []string{"--highest-category-bytes", "toolchain=0"}, make: file(archiveWithLayer(devicesHugeSize())), JSON: map[string]any{
			"/summary/totalBytes": CC1Size, "/gate/pass": false, "/gate/checks/0/measured": CC1Size, "/layers/0/size": len(devicesHugeSize()),
		}},
		{Name: "devices-huge-size.tar", Exit: 0, Again: true, JSON: map[string]any{"/summary/totalBytes": CC1Size, "/summary/files": 6, "/layers/0/added/bytes": CC1Size}},
		{Name: "pax-global-header.tar", Exit: 0, make: file(archiveWithLayer(paxGlobal())), JSON: map[string]any{"/summary/totalBytes": CC1Size, "/summary/files": 1, "/layers/0/files": 1}},
		// Bombs bounded: sparse files count the bytes they store, their
		// 1 PiB holes are never expanded.
		{Name: "sparse-old-gnu.tar", Exit: 0, MaxSeconds: 20, make: file(archiveWithLayer(sparseOldGNU())), JSON: map[string]any{"/summary/totalBytes": SparseStored + CC1Size, "/summary/files": 2, "/layers/0/size": len(sparseOldGNU())}},
		{Name: "sparse-pax-1.0.tar", Exit: 0, MaxSeconds: 20, make: file(archiveWithLayer(sparsePAX10())), JSON: map[string]any{"/summary/totalBytes": SparseStored + CC1Size, "/summary/files": 2, "/layers/0/size": len(sparsePAX10())}},
		{Name: "sparse-pax-0.1.tar", Exit: 0, MaxSeconds: 20, make: file(archiveWithLayer(sparsePAX01())), JSON: map[string]any{"/summary/totalBytes": SparseStored + CC1Size, "/summary/files": 2}},
		{Name: "sparse-pax-1.0.tar", Exit: 1, Again: true, Args: []string{"--highest-category-bytes", "toolchain=0"}, JSON: map[string]any{"/gate/checks/0/measured": CC1Size}},
		{Name: "gzip-bomb.tar", Exit: 2, Large: true, Error: `layer 0.*decompression bomb`, make: lazy(func() []byte {
			return buildArchive(gzipBomb(4<<30), "sha256:"+strings.Repeat("0", 64), nil, nil)
		})},
		{Name: "million-entries.tar", Exit: 2, Large: true, Args: []string{"--max-entries", "500000"}, Error: `layer 0.*more than 500000 entries`, make: lazy(func() []byte { return archiveWithLayer(manyEntries(1_000_000)) })},
		{Name: "million-entries.tar", Exit: 0, Large: true, Again: true},
		// Deep paths (issue 20): one 1 MB PAX path of 500 000 components
		// costs its length, not its square (it took minutes); gzipped, for
		// the --timeout and SIGINT tests.
		{Name: "deep-path.tar", Exit: 0, Large: true, MaxSeconds: 30, MaxRSS: 1 << 30, make: lazy(func() []byte { return archiveWithLayer(DeepPathLayer(DeepPathComponents, 1)) }),
			JSON: map[string]any{"/summary/files": 1, "/layers/0/files": 1}},
		// 12 000 entries of 1 000 components each: 12 million implied
		// directories from a small gzip layer stop at --max-dirs instead
		// of taking 4 GiB.
		{Name: "deep-dirs-bomb.tar", Exit: 2, Large: true, MaxSeconds: 30, MaxRSS: 512 << 20, Error: `layer 0 .*too many directories: the paths imply more than 1000000 directories`,
			make: lazy(func() []byte { return archiveWithLayer(gz(DeepPathLayer(1000, 12000))) })},
		{Name: "deep-dirs-bomb.tar", Exit: 2, Large: true, Again: true, Args: []string{"--max-dirs", "50000"}, MaxSeconds: 30, MaxRSS: 512 << 20, Error: `layer 0 .*more than 50000 directories.*--max-dirs`},
		// A 2 GiB text file of one line, no newline in it: the secret scan
		// sees its first bytes, finds text, and skips it with a warning, in
		// bounded time and memory; the file after it is still searched.
		{Name: "one-line-2gib.tar", Exit: 0, Large: true, Args: []string{"--max-ratio", "0"}, MaxSeconds: 60, MaxRSS: 256 << 20,
			make: lazy(func() []byte { layer, diffID := oneLineLayer(2 << 30); return buildArchive(layer, diffID, nil, nil) }),
			JSON: map[string]any{
				"/secrets/filesSkipped":      1,
				"/secrets/warnings/0":        "layer 0: /one-line.txt (2147483648 bytes) not searched: larger than the 8388608 bytes a file may have",
				"/secrets/findings/0/ruleId": "github-pat",
				"/secrets/findings/0/path":   "/app/.env",
				"/summary/files":             2,
				"/layers/0/files":            2,
			}},
	}, integrityCases()...)
}

// oneLineLayer is a gzip layer whose tar holds one-line.txt, n bytes of
// "a" (n a multiple of 64 MiB) without a newline, then app/.env with a
// GitHub token (random letters, made here); it returns the layer and its
// diff ID, and costs little to build: the body is one gzip member of 64
// MiB repeated, and the diff ID is hashed as the bytes stream.
func oneLineLayer(n int64) (layer []byte, diffID string) {
	const chunk = 64 << 20
	var head, tail bytes.Buffer
	tw := tar.NewWriter(&head)
	must(tw.WriteHeader(&tar.Header{Name: "one-line.txt", Typeflag: tar.TypeReg, Mode: 0o644, Size: n, ModTime: epoch})) // the header alone: the body is streamed below
	rng := rand.New(rand.NewSource(230))
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	tok := []byte("ghp_")
	for range 36 {
		tok = append(tok, alnum[rng.Intn(len(alnum))])
	}
	env := append(append([]byte("GITHUB_TOKEN="), tok...), '\n')
	tw = tar.NewWriter(&tail)
	must(tw.WriteHeader(&tar.Header{Name: "app/.env", Typeflag: tar.TypeReg, Mode: 0o600, Size: int64(len(env)), ModTime: epoch}))
	_, err := tw.Write(env)
	must(err)
	must(tw.Close())
	body := bytes.Repeat([]byte("a"), chunk)
	h := sha256.New()
	h.Write(head.Bytes())
	member := gz(body)
	layer = gz(head.Bytes())
	for w := int64(0); w < n; w += chunk {
		h.Write(body)
		layer = append(layer, member...)
	}
	h.Write(tail.Bytes())
	layer = append(layer, gz(tail.Bytes())...)
	return layer, "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// WriteBadCorpus writes the corpus into dir; large cases only when large
// is set. It returns the cases written.
func WriteBadCorpus(dir string, large bool) ([]BadCase, error) {
	var out []BadCase
	for _, c := range BadCases() {
		if c.Large != large {
			continue
		}
		if err := c.Write(dir); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// Write writes the case's file or directory into dir (nothing for a case
// that runs the one before it Again).
func (c BadCase) Write(dir string) error {
	if c.Again {
		return nil
	}
	b, files := c.make()
	p := filepath.Join(dir, c.Name)
	if files == nil {
		return os.WriteFile(p, b, 0o644)
	}
	for name, data := range files {
		fp := filepath.Join(p, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(fp), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(fp, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func file(b []byte) func() ([]byte, map[string][]byte) {
	if b == nil {
		b = []byte{}
	}
	return func() ([]byte, map[string][]byte) { return b, nil }
}

func lazy(mk func() []byte) func() ([]byte, map[string][]byte) {
	return func() ([]byte, map[string][]byte) { return mk(), nil }
}

func dir(files map[string][]byte) func() ([]byte, map[string][]byte) {
	return func() ([]byte, map[string][]byte) { return nil, files }
}

type member struct {
	name string
	data []byte
}

var epoch = time.Unix(0, 0)

func tarOf(ms ...member) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, m := range ms {
		must(tw.WriteHeader(&tar.Header{Name: m.name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(m.data)), ModTime: epoch, Format: tar.FormatPAX}))
		_, err := tw.Write(m.data)
		must(err)
	}
	must(tw.Close())
	return buf.Bytes()
}

func special(hs ...tar.Header) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range hs {
		h.ModTime = epoch
		h.Mode = 0o644
		must(tw.WriteHeader(&h))
	}
	must(tw.Close())
	return buf.Bytes()
}

func layerTar() []byte {
	return tarOf(member{"etc/hostname", []byte("stagescope\n")}, member{"app/main", bytes.Repeat([]byte("0123456789abcdef"), 64)})
}

// sizeLies is a layer whose header promises more bytes than follow.
func sizeLies() []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	must(tw.WriteHeader(&tar.Header{Name: "big", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1 << 20, ModTime: epoch}))
	_, _ = tw.Write([]byte("only a few bytes"))
	// Not closing: the archive ends long before the promised size.
	return buf.Bytes()
}

func manyEntries(n int) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for i := 0; i < n; i++ {
		must(tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("d%03d/f%07d", i%1000, i), Typeflag: tar.TypeReg, Mode: 0o644, ModTime: epoch}))
	}
	must(tw.Close())
	return buf.Bytes()
}

// gzipBomb is a small gzip stream that expands to a tar holding one file
// of n zero bytes (n a multiple of 64 MiB): gzip members of a compressed
// 64 MiB run of zeros, concatenated, after one member with the tar header.
func gzipBomb(n int64) []byte {
	const chunk = 64 << 20
	var hdr bytes.Buffer
	tw := tar.NewWriter(&hdr)
	must(tw.WriteHeader(&tar.Header{Name: "zeros", Typeflag: tar.TypeReg, Mode: 0o644, Size: n, ModTime: epoch}))
	zeros := gz(make([]byte, chunk))
	out := gz(hdr.Bytes())
	for w := int64(0); w < n; w += chunk {
		out = append(out, zeros...)
	}
	return append(out, gz(make([]byte, 1024))...)
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write(b)
	must(err)
	must(zw.Close())
	return buf.Bytes()
}

func zst(b []byte) []byte {
	var buf bytes.Buffer
	zw, err := zstd.NewWriter(&buf)
	must(err)
	_, err = zw.Write(b)
	must(err)
	must(zw.Close())
	return buf.Bytes()
}

func truncate(b []byte, n int) []byte { return append([]byte(nil), b[:n]...) }

// corrupt flips bytes in the middle of a gzip stream's deflate data.
func corrupt(b []byte) []byte {
	c := append([]byte(nil), b...)
	for i := 20; i < len(c)-10 && i < 60; i++ {
		c[i] ^= 0x5a
	}
	return c
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewSource(42))
	_, _ = r.Read(b)
	return b
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

func jsonBytes(v any) []byte {
	b, err := json.Marshal(v)
	must(err)
	return b
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

// uncompressed returns what a layer blob decompresses to, for its diff ID.
func uncompressed(layer []byte) []byte {
	switch {
	case bytes.HasPrefix(layer, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(bytes.NewReader(layer))
		if err != nil {
			return layer
		}
		b, _ := io.ReadAll(zr)
		return b
	case bytes.HasPrefix(layer, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(bytes.NewReader(layer))
		if err != nil {
			return layer
		}
		defer zr.Close()
		b, _ := io.ReadAll(zr)
		return b
	}
	return layer
}

func archiveWithLayer(layer []byte) []byte {
	return buildArchive(layer, "", nil, nil)
}

// archiveWithDiffID stores layer but records the diff ID of want, as when a
// layer file was damaged after the image was saved.
func archiveWithDiffID(layer, want []byte) []byte {
	return buildArchive(layer, "", nil, func(c map[string]any) map[string]any {
		c["rootfs"] = map[string]any{"type": "layers", "diff_ids": []string{sha(want)}}
		return c
	})
}

func dockerArchive(editManifest func(map[string]any), editConfig func(map[string]any) map[string]any) []byte {
	return buildArchive(layerTar(), "", editManifest, editConfig)
}

// buildArchive writes a classic `docker save` archive with one layer, then
// lets the case spoil its manifest or config.
func buildArchive(layer []byte, diffID string, editManifest func(map[string]any), editConfig func(map[string]any) map[string]any) []byte {
	if diffID == "" {
		diffID = sha(uncompressed(layer))
	}
	cfg := map[string]any{
		"architecture": "amd64",
		"os":           "linux",
		"config":       map[string]any{},
		"rootfs":       map[string]any{"type": "layers", "diff_ids": []string{diffID}},
		"history":      []map[string]any{{"created_by": "COPY . /"}},
	}
	var cfgBytes []byte
	if editConfig != nil {
		cfg = editConfig(cfg)
	}
	if cfg == nil {
		cfgBytes = []byte(`{"architecture": "amd64", "os": `)
	} else {
		cfgBytes = jsonBytes(cfg)
	}
	m := map[string]any{"Config": "config.json", "RepoTags": []string{"bad/case:latest"}, "Layers": []string{"layer.tar"}}
	if editManifest != nil {
		editManifest(m)
	}
	return tarOf(
		member{"layer.tar", layer},
		member{"config.json", cfgBytes},
		member{"manifest.json", jsonBytes([]any{m})},
	)
}

type ociFault int

const (
	ociMissingBlob ociFault = iota
	ociWrongMediaType
	ociOtherPlatform
	ociBlobMismatch
	ociDiffIDMismatch
	ociManifestLayerType
)

// ociLayout writes an OCI image layout with one gzip layer and one fault.
func ociLayout(f ociFault) map[string][]byte {
	files := map[string][]byte{"oci-layout": []byte(`{"imageLayoutVersion":"1.0.0"}`)}
	blob := func(b []byte) string {
		d := sha(b)
		files["blobs/sha256/"+strings.TrimPrefix(d, "sha256:")] = b
		return d
	}
	raw := layerTar()
	layer := gz(raw)
	layerDigest := blob(layer)
	if f == ociBlobMismatch {
		files["blobs/sha256/"+strings.TrimPrefix(layerDigest, "sha256:")] = gz(tarOf(member{"evil", []byte("not what the digest says")}))
	}
	if f == ociMissingBlob {
		delete(files, "blobs/sha256/"+strings.TrimPrefix(layerDigest, "sha256:"))
	}
	diffID := sha(raw)
	if f == ociDiffIDMismatch {
		diffID = sha(secretLayer()) // the blob is right; the config claims other bytes
	}
	arch := "amd64"
	if f == ociOtherPlatform {
		arch = "arm64"
	}
	cfg := jsonBytes(map[string]any{
		"architecture": arch, "os": "linux", "config": map[string]any{},
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{diffID}},
	})
	cfgDigest := blob(cfg)
	ownType := "application/vnd.oci.image.manifest.v1+json"
	if f == ociManifestLayerType {
		// The index points at it as a manifest; the manifest itself
		// says it is a layer.
		ownType = "application/vnd.oci.image.layer.v1.tar"
	}
	manifest := jsonBytes(map[string]any{
		"schemaVersion": 2,
		"mediaType":     ownType,
		"config":        map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cfgDigest, "size": len(cfg)},
		"layers":        []any{map[string]any{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layerDigest, "size": len(layer)}},
	})
	mDigest := blob(manifest)
	mt := "application/vnd.oci.image.manifest.v1+json"
	if f == ociWrongMediaType {
		mt = "application/vnd.example.not-an-image+json"
	}
	desc := map[string]any{"mediaType": mt, "digest": mDigest, "size": len(manifest)}
	if f == ociOtherPlatform {
		desc["platform"] = map[string]any{"os": "linux", "architecture": "arm64"}
		// A second entry so that the single-image shortcut does not apply.
		desc2 := map[string]any{"mediaType": mt, "digest": mDigest, "size": len(manifest), "platform": map[string]any{"os": "linux", "architecture": "s390x"}}
		files["index.json"] = jsonBytes(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": []any{desc, desc2}})
		return files
	}
	files["index.json"] = jsonBytes(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": []any{desc}})
	return files
}
