package layerstest

import (
	"archive/tar"
	"bytes"
	"fmt"
	"strings"
)

// The hostile inputs of round two (issue 20): names that carry terminal
// escape sequences, header sizes that lie, sparse and deep-path bombs.

// Escape sequences and a newline that would inject a line of its own. The
// corpus runner checks that no output line starts with "FAKE" or
// "stagescope: FAKE".
const (
	oscTitle = "\x1b]0;pwned\x07"
	csiClear = "\x1b[2J"
	fakeLine = "\nstagescope: FAKE line"
)

// InjectedName is the file name of inject-names.tar that holds an OSC
// sequence, as its JSON report must keep it.
const InjectedName = oscTitle + "evil"

// InjectedPlatform is inject-names.tar's platform, as its JSON report must
// keep it.
const InjectedPlatform = "linux/amd64" + csiClear + "/v8" + fakeLine

// injectNames is an image of two layers whose file names, history and
// platform hold escape sequences and newlines: the second layer
// overwrites one file (a wasted row) and deletes a .env (a secret that
// still ships).
func injectNames() []byte {
	dir := "app" + csiClear
	l0 := tarOf(
		member{InjectedName, []byte("osc\n")},
		member{"x" + fakeLine, []byte("newline\n")},
		member{"w/" + csiClear + "clear", bytes.Repeat([]byte("w"), 100)},
		member{dir + "/.env", []byte("PIN=4821\n")},
	)
	l1 := tarOf(
		member{"w/" + csiClear + "clear", bytes.Repeat([]byte("v"), 50)},
		member{dir + "/.wh..env", nil},
	)
	return buildImage([][]byte{l0, l1}, nil, func(c map[string]any) map[string]any {
		c["architecture"] = "amd64" + csiClear
		c["variant"] = "v8" + fakeLine
		c["history"] = []map[string]any{
			{"created_by": "RUN " + oscTitle + "make" + fakeLine},
			{"created_by": "COPY " + csiClear + " . /"},
		}
		return c
	})
}

// buildImage writes a classic `docker save` archive of the layers
// (layer0.tar, layer1.tar, …), then lets the case spoil its manifest or
// config.
func buildImage(ls [][]byte, editManifest func(map[string]any), editConfig func(map[string]any) map[string]any) []byte {
	var diffIDs, names []string
	var ms []member
	var history []map[string]any
	for i, l := range ls {
		diffIDs = append(diffIDs, sha(uncompressed(l)))
		name := fmt.Sprintf("layer%d.tar", i)
		names = append(names, name)
		ms = append(ms, member{name, l})
		history = append(history, map[string]any{"created_by": fmt.Sprintf("COPY %d /", i)})
	}
	cfg := map[string]any{
		"architecture": "amd64",
		"os":           "linux",
		"config":       map[string]any{},
		"rootfs":       map[string]any{"type": "layers", "diff_ids": diffIDs},
		"history":      history,
	}
	if editConfig != nil {
		cfg = editConfig(cfg)
	}
	m := map[string]any{"Config": "config.json", "RepoTags": []string{"bad/case:latest"}, "Layers": names}
	if editManifest != nil {
		editManifest(m)
	}
	ms = append(ms, member{"config.json", jsonBytes(cfg)}, member{"manifest.json", jsonBytes([]any{m})})
	return tarOf(ms...)
}

// injectTags is an archive of two images whose tags hold escapes:
// inspecting it without naming one lists them in the error.
func injectTags() []byte {
	layer := layerTar()
	img := buildImage([][]byte{layer}, nil, nil)
	// Reuse the members of the one-image archive; write a manifest naming
	// the same config twice under two hostile tags.
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	tr := tar.NewReader(bytes.NewReader(img))
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		if h.Name == "manifest.json" {
			continue
		}
		var b bytes.Buffer
		_, err = b.ReadFrom(tr)
		must(err)
		must(tw.WriteHeader(h))
		_, err = tw.Write(b.Bytes())
		must(err)
	}
	m := jsonBytes([]any{
		map[string]any{"Config": "config.json", "RepoTags": []string{"a" + oscTitle + ":1"}, "Layers": []string{"layer0.tar"}},
		map[string]any{"Config": "config.json", "RepoTags": []string{"b" + fakeLine + ":2"}, "Layers": []string{"layer0.tar"}},
	})
	must(tw.WriteHeader(&tar.Header{Name: "manifest.json", Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(m)), ModTime: epoch}))
	_, err := tw.Write(m)
	must(err)
	must(tw.Close())
	return out.Bytes()
}

// CC1Size is the size of the real cc1 in devices-huge-size.tar and
// sparse-*.tar: the only bytes those images hold.
const CC1Size = 3000

// SparseStored is the data a sparse case stores for its 1 PiB file.
const SparseStored = 4096

// sparseLogical is the logical size of the sparse cases' file: 1 PiB.
const sparseLogical = 1 << 50

// cc1 is a layer holding a real compiler, so that a toolchain gate fails.
func cc1Member() member {
	return member{"usr/lib/gcc/x86_64-linux-gnu/12/cc1", bytes.Repeat([]byte{0x7f}, CC1Size)}
}

// devicesHugeSize is a layer whose device, FIFO, directory and link
// entries claim 2^62 bytes each, beside a real cc1: only the cc1's bytes
// exist.
func devicesHugeSize() []byte {
	const huge = 1 << 62
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range []tar.Header{
		{Name: "dev/", Typeflag: tar.TypeDir, Size: huge},
		{Name: "dev/null", Typeflag: tar.TypeChar, Devmajor: 1, Devminor: 3, Size: huge},
		{Name: "dev/sda", Typeflag: tar.TypeBlock, Devmajor: 8, Size: huge},
		{Name: "run/fifo", Typeflag: tar.TypeFifo, Size: huge},
		{Name: "run/link", Typeflag: tar.TypeSymlink, Linkname: "fifo", Size: huge},
	} {
		h.ModTime, h.Mode, h.Format = epoch, 0o644, tar.FormatPAX
		must(tw.WriteHeader(&h))
	}
	c := cc1Member()
	must(tw.WriteHeader(&tar.Header{Name: c.name, Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(c.data)), ModTime: epoch}))
	_, err := tw.Write(c.data)
	must(err)
	must(tw.WriteHeader(&tar.Header{Name: "usr/bin/cc1-again", Typeflag: tar.TypeLink, Linkname: c.name, Size: 1 << 62, ModTime: epoch, Format: tar.FormatPAX}))
	must(tw.Close())
	return buf.Bytes()
}

// paxGlobal is a layer that starts with a PAX global header, as `git
// archive` writes one: metadata, not a file.
func paxGlobal() []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	must(tw.WriteHeader(&tar.Header{Name: "pax_global_header", Typeflag: tar.TypeXGlobalHeader, PAXRecords: map[string]string{"comment": strings.Repeat("c0ffee", 7)}}))
	c := cc1Member()
	must(tw.WriteHeader(&tar.Header{Name: c.name, Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(c.data)), ModTime: epoch}))
	_, err := tw.Write(c.data)
	must(err)
	must(tw.Close())
	return buf.Bytes()
}

// Raw tar blocks, for what archive/tar's writer does not write (sparse
// files).

type block [512]byte

func (b *block) setString(off, n int, s string) { copy(b[off:off+n], s) }

// setNumber writes an octal field, or base-256 when the value does not fit.
func (b *block) setNumber(off, n int, v int64) {
	s := fmt.Sprintf("%0*o", n-1, v)
	if len(s) <= n-1 {
		b.setString(off, n, s)
		return
	}
	f := b[off : off+n]
	for i := n - 1; i > 0; i-- {
		f[i] = byte(v)
		v >>= 8
	}
	f[0] = 0x80
}

func (b *block) setChecksum() {
	copy(b[148:156], "        ")
	var sum int64
	for _, c := range b {
		sum += int64(c)
	}
	b.setString(148, 8, fmt.Sprintf("%06o\x00 ", sum))
}

// header is a ustar (or, with gnu, old GNU) header block.
func header(name string, typ byte, size int64, gnu bool) *block {
	var b block
	b.setString(0, 100, name)
	b.setNumber(100, 8, 0o644)
	b.setNumber(108, 8, 0)
	b.setNumber(116, 8, 0)
	b.setNumber(124, 12, size)
	b.setNumber(136, 12, 0)
	b[156] = typ
	if gnu {
		b.setString(257, 8, "ustar  \x00")
	} else {
		b.setString(257, 6, "ustar\x00")
		b.setString(263, 2, "00")
	}
	return &b
}

func padded(b []byte) []byte {
	if r := len(b) % 512; r != 0 {
		b = append(b, make([]byte, 512-r)...)
	}
	return b
}

func paxRecords(kv ...string) []byte {
	var out []byte
	for i := 0; i < len(kv); i += 2 {
		rec := " " + kv[i] + "=" + kv[i+1] + "\n"
		// The length counts its own digits.
		n := len(rec) + len(fmt.Sprint(len(rec)))
		for n != len(rec)+len(fmt.Sprint(n)) {
			n = len(rec) + len(fmt.Sprint(n))
		}
		out = append(out, fmt.Sprint(n)+rec...)
	}
	return out
}

func endOfArchive(b []byte) []byte { return append(b, make([]byte, 1024)...) }

// sparseData is what a sparse case stores: SparseStored bytes of 's'.
func sparseData() []byte { return bytes.Repeat([]byte("s"), SparseStored) }

// sparseOldGNU is a layer with an old GNU sparse file ('S'): a 1 PiB hole,
// then SparseStored bytes of data at its end, and then a real cc1.
func sparseOldGNU() []byte {
	h := header("sparse/old-gnu", 'S', SparseStored, true)
	// One sparse entry (offset, length) at 386, realsize at 483.
	h.setNumber(386, 12, sparseLogical-SparseStored)
	h.setNumber(398, 12, SparseStored)
	h.setNumber(483, 12, sparseLogical)
	h.setChecksum()
	out := append([]byte(nil), h[:]...)
	out = append(out, padded(sparseData())...)
	return endOfArchive(append(out, plainMember(cc1Member())...))
}

// sparsePAX10 is a layer with a PAX GNU.sparse 1.0 file: the map leads
// the data section, one fragment of SparseStored bytes after a 1 PiB hole.
func sparsePAX10() []byte {
	pax := paxRecords("GNU.sparse.major", "1", "GNU.sparse.minor", "0", "GNU.sparse.name", "sparse/pax-1.0", "GNU.sparse.realsize", fmt.Sprint(sparseLogical))
	x := header("./PaxHeaders/sparse", 'x', int64(len(pax)), false)
	x.setChecksum()
	spmap := padded([]byte(fmt.Sprintf("1\n%d\n%d\n", sparseLogical-SparseStored, SparseStored)))
	main := header("GNUSparseFile.0/pax-1.0", '0', int64(len(spmap)+SparseStored), false)
	main.setChecksum()
	out := append([]byte(nil), x[:]...)
	out = append(out, padded(pax)...)
	out = append(out, main[:]...)
	out = append(out, spmap...)
	out = append(out, padded(sparseData())...)
	return endOfArchive(append(out, plainMember(cc1Member())...))
}

// sparsePAX01 is a layer with a PAX GNU.sparse 0.1 file: the map is a PAX
// record.
func sparsePAX01() []byte {
	pax := paxRecords("GNU.sparse.major", "0", "GNU.sparse.minor", "1", "GNU.sparse.name", "sparse/pax-0.1",
		"GNU.sparse.size", fmt.Sprint(sparseLogical), "GNU.sparse.numblocks", "1",
		"GNU.sparse.map", fmt.Sprintf("%d,%d", sparseLogical-SparseStored, SparseStored))
	x := header("./PaxHeaders/sparse", 'x', int64(len(pax)), false)
	x.setChecksum()
	main := header("GNUSparseFile.0/pax-0.1", '0', SparseStored, false)
	main.setChecksum()
	out := append([]byte(nil), x[:]...)
	out = append(out, padded(pax)...)
	out = append(out, main[:]...)
	out = append(out, padded(sparseData())...)
	return endOfArchive(append(out, plainMember(cc1Member())...))
}

// plainMember is one regular file's header and data, without the end of
// the archive.
func plainMember(m member) []byte {
	h := header(m.name, '0', int64(len(m.data)), false)
	h.setChecksum()
	return append(append([]byte(nil), h[:]...), padded(append([]byte(nil), m.data...))...)
}

// HostileLayers returns the raw tar streams of the hostile layers, by name:
// header sizes that lie, a PAX global header, sparse files of every kind
// with a 1 PiB hole, and a path of 1 000 components. Tests and fuzz seeds
// use them.
func HostileLayers() map[string][]byte {
	return map[string][]byte{
		"devices-huge-size": devicesHugeSize(),
		"pax-global-header": paxGlobal(),
		"sparse-old-gnu":    sparseOldGNU(),
		"sparse-pax-1.0":    sparsePAX10(),
		"sparse-pax-0.1":    sparsePAX01(),
		"deep-path":         DeepPathLayer(1000, 1),
	}
}

// SecretPIN is the contents of secret-pin.tar's app/.env and of its copy
// srv/pin.txt: a secret so short that any hash of it, salted or not, is
// reversed by hashing ten thousand guesses.
const SecretPIN = "PIN=4821\n"

// secretPIN is an image whose .env holds SecretPIN, stored twice (a
// duplicate).
func secretPIN() []byte {
	return archiveWithLayer(tarOf(member{"app/.env", []byte(SecretPIN)}, member{"srv/pin.txt", []byte(SecretPIN)}))
}

// DeepPathComponents is the depth of deep-path.tar's one file: its 1 MB
// path is as long as archive/tar reads a PAX record.
const DeepPathComponents = 500_000

// DeepPathLayer is an uncompressed layer of n files, each components deep
// below directories it does not list (d<i>/a/a/…/f).
func DeepPathLayer(components, n int) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	deep := strings.Repeat("a/", components-2) + "f"
	for i := range n {
		must(tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("d%d/", i) + deep, Typeflag: tar.TypeReg, Mode: 0o644, Size: 1, ModTime: epoch, Format: tar.FormatPAX}))
		_, err := tw.Write([]byte("x"))
		must(err)
	}
	must(tw.Close())
	return buf.Bytes()
}
