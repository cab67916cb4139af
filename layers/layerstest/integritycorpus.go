package layerstest

import (
	"archive/tar"
	"bytes"
	"encoding/binary"
	"strings"

	"github.com/klauspost/compress/zstd"
)

// integrityCases are the hostile inputs of the integrity issues: diff IDs
// that the bytes do not prove, decompression bombs whose descriptor sizes
// or outer compression hide them, and streams whose compression is odd.
func integrityCases() []BadCase {
	bomb := func(size int64) func() ([]byte, map[string][]byte) {
		return func() ([]byte, map[string][]byte) { return nil, zstdBombLayout(64<<30, size) }
	}
	return []BadCase{
		// A classic docker save whose layer.tar is gzip: its config's
		// diff ID must be checked against the decompressed tar.
		{Name: "diffid-gzip-layer.tar", Exit: 2, Error: `layer 0.*diff ID mismatch`, make: file(buildArchive(gz(secretLayer()), sha(layerTar()), nil, nil))},
		// An OCI gzip layer whose blob digest is right but whose config
		// diff ID is another tar's (containerd refuses it).
		{Name: "oci-diffid-mismatch", Exit: 2, Error: `layer 0.*diff ID mismatch`, make: dir(ociLayout(ociDiffIDMismatch))},
		// B's gzip layer claims A's diff ID: diff must read it, and fail,
		// instead of taking A's entries for it.
		{Name: "diff-a.tar", Exit: 0, make: file(archiveWithLayer(gz(layerTar())))},
		{Name: "diff-b-claims-a.tar", Exit: 2, Error: `layer 0.*diff ID mismatch`, make: file(buildArchive(gz(secretLayer()), sha(layerTar()), nil, nil))},
		{Name: "diff-a.tar", Exit: 2, Again: true, Diff: "diff-b-claims-a.tar", Error: `diff-b-claims-a\.tar.*layer 0.*diff ID mismatch`},
		// Two deleted files whose names differ only in a byte that is
		// not UTF-8: the JSON keeps them apart (\xHH) and counts both.
		{Name: "paths-invalid-utf8.tar", Exit: 0, make: file(twoLayerArchive(
			tarOf(member{"data/caf\xe9", bytes.Repeat([]byte("e"), 1000)}, member{"data/caf\xff", bytes.Repeat([]byte("f"), 2000)}),
			tarOf(member{"data/.wh.caf\xe9", nil}, member{"data/.wh.caf\xff", nil}),
		)), JSON: map[string]any{
			"/wasted/0/path":       `/data/caf\xff`,
			"/wasted/0/bytes":      2000,
			"/wasted/1/path":       `/data/caf\xe9`,
			"/wasted/1/bytes":      1000,
			"/summary/wastedBytes": 3000,
		}},
		{Name: "gzip-trailing-garbage.tar", Exit: 2, Error: `layer 0.*gzip: trailing garbage after 1 complete gzip member`, make: file(archiveWithDiffID(append(gz(layerTar()), []byte("not gzip, just garbage")...), layerTar()))},
		{Name: "zstd-skippable-frame.tar", Exit: 0, make: file(archiveWithDiffID(append(skippableFrame([]byte("metadata a zstd reader skips")), zst(layerTar())...), layerTar()))},
		// 2 MB of zstd inflating to 64 GiB, whatever its descriptor says
		// of its size: the ratio is measured on bytes read.
		{Name: "oci-zstd-bomb-size-unknown", Exit: 2, Large: true, MaxSeconds: 15, Error: `layer 0.*decompression bomb`, make: bomb(-1)},
		{Name: "oci-zstd-bomb-size-zero", Exit: 2, Large: true, MaxSeconds: 15, Error: `layer 0.*decompression bomb`, make: bomb(0)},
		{Name: "oci-zstd-bomb-size-huge", Exit: 2, Large: true, MaxSeconds: 15, Error: `layer 0.*decompression bomb`, make: bomb(1 << 62)},
		// docker save | zstd: a plain layer.tar with one 64 GiB file of
		// zeros, measured against the bytes read from the file.
		{Name: "outer-zstd-bomb.tar.zst", Exit: 2, Large: true, MaxSeconds: 15, Error: `decompression bomb: \d+ bytes read from the archive`, make: lazy(outerZstdBomb)},
	}
}

// twoLayerArchive is a classic docker save of two plain layers.
func twoLayerArchive(l0, l1 []byte) []byte {
	cfg := jsonBytes(map[string]any{"architecture": "amd64", "os": "linux", "config": map[string]any{},
		"rootfs":  map[string]any{"type": "layers", "diff_ids": []string{sha(l0), sha(l1)}},
		"history": []map[string]any{{"created_by": "COPY data /data"}, {"created_by": "RUN rm /data/*"}}})
	return tarOf(
		member{"l0/layer.tar", l0},
		member{"l1/layer.tar", l1},
		member{"config.json", cfg},
		member{"manifest.json", jsonBytes([]any{map[string]any{"Config": "config.json", "RepoTags": []string{"bad/utf8:1"}, "Layers": []string{"l0/layer.tar", "l1/layer.tar"}}})},
	)
}

// secretLayer is a layer another image's config may claim to be.
func secretLayer() []byte {
	return tarOf(member{"app/.env", []byte("TOKEN=s3cr3t\n")}, member{"app/payload", bytes.Repeat([]byte("p"), 64<<10)})
}

// skippableFrame is a zstd skippable frame holding b.
func skippableFrame(b []byte) []byte {
	out := []byte{0x50, 0x2a, 0x4d, 0x18, 0, 0, 0, 0}
	binary.LittleEndian.PutUint32(out[4:], uint32(len(b)))
	return append(out, b...)
}

// zstdZeros is a zstd stream of n zero bytes (n a multiple of 64 MiB),
// made of one frame repeated so that it costs little to build.
func zstdZeros(n int64) []byte {
	const chunk = 64 << 20
	var frame bytes.Buffer
	zw, err := zstd.NewWriter(&frame, zstd.WithEncoderLevel(zstd.SpeedFastest))
	must(err)
	_, err = zw.Write(make([]byte, chunk))
	must(err)
	must(zw.Close())
	out := make([]byte, 0, int(n/chunk)*frame.Len())
	for w := int64(0); w < n; w += chunk {
		out = append(out, frame.Bytes()...)
	}
	return out
}

// tarHeader is the header block of one regular file of size n.
func tarHeader(name string, n int64) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	must(tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: n, ModTime: epoch}))
	return buf.Bytes() // neither flushed nor closed: the contents follow elsewhere
}

// zstdBombLayout is an OCI layout whose zstd layer inflates to a tar of
// one file of n zero bytes, its descriptor claiming size bytes.
func zstdBombLayout(n, size int64) map[string][]byte {
	layer := append(zst(tarHeader("zeros", n)), zstdZeros(n)...)
	layer = append(layer, zst(make([]byte, 1024))...)
	return ociLayoutOf(layer, "application/vnd.oci.image.layer.v1.tar+zstd", size, "sha256:"+strings.Repeat("0", 64))
}

// outerZstdBomb is `docker save | zstd` of an archive whose plain
// layer.tar holds one 64 GiB file of zeros.
func outerZstdBomb() []byte {
	const n = 64 << 30
	size := int64(512 + n + 1024)
	out := zst(tarHeader("layer.tar", size))
	out = append(out, zst(tarHeader("zeros", n))...)
	out = append(out, zstdZeros(n)...)
	out = append(out, zst(make([]byte, 1024))...) // the layer's end
	return append(out, zst(tarOf(
		member{"config.json", jsonBytes(map[string]any{"architecture": "amd64", "os": "linux", "rootfs": map[string]any{"type": "layers", "diff_ids": []string{"sha256:" + strings.Repeat("0", 64)}}})},
		member{"manifest.json", jsonBytes([]any{map[string]any{"Config": "config.json", "RepoTags": []string{"bomb:1"}, "Layers": []string{"layer.tar"}}})},
	))...)
}

// ociLayoutOf is an OCI layout of one image with one layer blob of the
// given media type, its descriptor claiming size bytes and its config the
// diff ID diffID.
func ociLayoutOf(layer []byte, mediaType string, size int64, diffID string) map[string][]byte {
	files := map[string][]byte{"oci-layout": []byte(`{"imageLayoutVersion":"1.0.0"}`)}
	blob := func(b []byte) string {
		d := sha(b)
		files["blobs/sha256/"+strings.TrimPrefix(d, "sha256:")] = b
		return d
	}
	cfg := jsonBytes(map[string]any{"architecture": "amd64", "os": "linux", "config": map[string]any{},
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{diffID}}})
	cfgDigest := blob(cfg)
	manifest := jsonBytes(map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.oci.image.manifest.v1+json",
		"config":        map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cfgDigest, "size": len(cfg)},
		"layers":        []any{map[string]any{"mediaType": mediaType, "digest": blob(layer), "size": size}},
	})
	desc := map[string]any{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": blob(manifest), "size": len(manifest)}
	files["index.json"] = jsonBytes(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": []any{desc}})
	return files
}
