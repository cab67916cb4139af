package layers

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The OCI image layout (index.json, blobs/<alg>/<hex>) read from a blobStore:
// a directory or a tar read in place. Every blob is checked against its
// digest as it is read.

// ociIndex is an image index of a layout: index.json or a nested index blob.
type ociIndex struct {
	store blobStore
	raw   []byte
	im    *v1.IndexManifest
}

var _ v1.ImageIndex = (*ociIndex)(nil)

// readOCIIndex reads the index.json of the layout in s.
func readOCIIndex(s blobStore) (*ociIndex, error) {
	if !s.has("index.json") {
		return nil, fmt.Errorf("%s is not an OCI image layout: no index.json", s.where())
	}
	raw, err := readSmall(s, "index.json")
	if err != nil {
		return nil, err
	}
	return parseOCIIndex(s, raw, "index.json")
}

func parseOCIIndex(s blobStore, raw []byte, name string) (*ociIndex, error) {
	im, err := v1.ParseIndexManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%s in %s: not an image index: %w", name, s.where(), jsonProblem(err))
	}
	return &ociIndex{store: s, raw: raw, im: im}, nil
}

func (x *ociIndex) MediaType() (types.MediaType, error) {
	if x.im.MediaType != "" {
		return x.im.MediaType, nil
	}
	return types.OCIImageIndex, nil
}

func (x *ociIndex) Digest() (v1.Hash, error) {
	h, _, err := v1.SHA256(bytes.NewReader(x.raw))
	return h, err
}

func (x *ociIndex) Size() (int64, error)                      { return int64(len(x.raw)), nil }
func (x *ociIndex) IndexManifest() (*v1.IndexManifest, error) { return x.im.DeepCopy(), nil }
func (x *ociIndex) RawManifest() ([]byte, error)              { return x.raw, nil }

func (x *ociIndex) descriptor(h v1.Hash) (v1.Descriptor, error) {
	for _, d := range x.im.Manifests {
		if d.Digest == h {
			return d, nil
		}
	}
	return v1.Descriptor{}, fmt.Errorf("%s: index has no manifest %s", x.store.where(), h)
}

func (x *ociIndex) Image(h v1.Hash) (v1.Image, error) {
	d, err := x.descriptor(h)
	if err != nil {
		return nil, err
	}
	raw, err := readBlob(x.store, d)
	if err != nil {
		return nil, err
	}
	core, err := newOCIImage(x.store, raw, nil)
	if err != nil {
		return nil, err
	}
	return partial.CompressedToImage(core)
}

func (x *ociIndex) ImageIndex(h v1.Hash) (v1.ImageIndex, error) {
	d, err := x.descriptor(h)
	if err != nil {
		return nil, err
	}
	raw, err := readBlob(x.store, d)
	if err != nil {
		return nil, err
	}
	return parseOCIIndex(x.store, raw, blobName(h))
}

// readBlob reads a small blob (a manifest, index or config) and checks its
// digest and size.
func readBlob(s blobStore, d v1.Descriptor) ([]byte, error) {
	name := blobName(d.Digest)
	if !s.has(name) {
		return nil, fmt.Errorf("%s: blob %s is missing (%s)", s.where(), d.Digest, d.MediaType)
	}
	b, err := readSmall(s, name)
	if err != nil {
		return nil, err
	}
	if err := checkDigest(b, d.Digest, s.where()); err != nil {
		return nil, err
	}
	if d.Size > 0 && int64(len(b)) != d.Size {
		return nil, fmt.Errorf("%s: blob %s: size mismatch: %d bytes, want %d", s.where(), d.Digest, len(b), d.Size)
	}
	return b, nil
}

func checkDigest(b []byte, want v1.Hash, where string) error {
	if want.Algorithm != "sha256" {
		return fmt.Errorf("%s: blob %s: unsupported digest algorithm %q", where, want, want.Algorithm)
	}
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); got != want.Hex {
		return fmt.Errorf("%s: blob %s: digest mismatch: content is sha256:%s", where, want, got)
	}
	return nil
}

// ociImage is an image manifest with its config, its layers served from a
// blobStore. names maps blob digests to member names where they are not
// blobs/<alg>/<hex> (docker save archives).
type ociImage struct {
	store     blobStore
	raw       []byte
	m         *v1.Manifest
	rawConfig []byte
	diffIDs   []v1.Hash
	names     map[v1.Hash]string
}

var _ partial.CompressedImageCore = (*ociImage)(nil)

// newOCIImage parses an image manifest and reads and checks its config.
func newOCIImage(s blobStore, raw []byte, names map[v1.Hash]string) (*ociImage, error) {
	m, err := v1.ParseManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%s: not an image manifest: %w", s.where(), jsonProblem(err))
	}
	if m.MediaType.IsIndex() {
		return nil, fmt.Errorf("%s: expected an image manifest, found an index (%s)", s.where(), m.MediaType)
	}
	if m.MediaType != "" && !m.MediaType.IsImage() {
		// What the manifest says it is wins over the descriptor that
		// pointed at it: containerd refuses a layer posing as a manifest.
		return nil, fmt.Errorf("%s: expected an image manifest, found %s", s.where(), m.MediaType)
	}
	img := &ociImage{store: s, raw: raw, m: m, names: names}
	cfgName := img.blobName(m.Config.Digest)
	if !s.has(cfgName) {
		return nil, fmt.Errorf("%s: config blob %s is missing", s.where(), m.Config.Digest)
	}
	img.rawConfig, err = readSmall(s, cfgName)
	if err != nil {
		return nil, err
	}
	if err := checkDigest(img.rawConfig, m.Config.Digest, s.where()); err != nil {
		return nil, err
	}
	cfg, err := v1.ParseConfigFile(bytes.NewReader(img.rawConfig))
	if err != nil {
		return nil, fmt.Errorf("%s: config %s: %w", s.where(), m.Config.Digest, jsonProblem(err))
	}
	img.diffIDs = cfg.RootFS.DiffIDs
	if len(img.diffIDs) != len(m.Layers) {
		return nil, fmt.Errorf("%s: config %s lists %d diff IDs for %d layers", s.where(), m.Config.Digest, len(img.diffIDs), len(m.Layers))
	}
	for i, l := range m.Layers {
		if !s.has(img.blobName(l.Digest)) {
			return nil, fmt.Errorf("%s: layer %d blob %s is missing", s.where(), i, l.Digest)
		}
	}
	return img, nil
}

func (i *ociImage) blobName(h v1.Hash) string {
	if n, ok := i.names[h]; ok {
		return n
	}
	return blobName(h)
}

func (i *ociImage) RawConfigFile() ([]byte, error) { return i.rawConfig, nil }
func (i *ociImage) RawManifest() ([]byte, error)   { return i.raw, nil }

func (i *ociImage) MediaType() (types.MediaType, error) {
	if i.m.MediaType != "" {
		return i.m.MediaType, nil
	}
	return types.OCIManifestSchema1, nil
}

func (i *ociImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	if h == i.m.Config.Digest {
		return &blobLayer{store: i.store, name: i.blobName(h), desc: i.m.Config}, nil
	}
	for n, l := range i.m.Layers {
		if l.Digest == h {
			return &blobLayer{store: i.store, name: i.blobName(h), desc: l, diffID: i.diffIDs[n]}, nil
		}
	}
	return nil, fmt.Errorf("%s: manifest has no layer %s", i.store.where(), h)
}

// blobLayer is a layer blob as stored: Compressed returns the stored bytes,
// which may be an uncompressed tar (docker save); the reader decompresses
// what needs it.
type blobLayer struct {
	store  blobStore
	name   string
	desc   v1.Descriptor
	diffID v1.Hash
}

func (l *blobLayer) Digest() (v1.Hash, error)            { return l.desc.Digest, nil }
func (l *blobLayer) DiffID() (v1.Hash, error)            { return l.diffID, nil }
func (l *blobLayer) Size() (int64, error)                { return l.desc.Size, nil }
func (l *blobLayer) MediaType() (types.MediaType, error) { return l.desc.MediaType, nil }

func (l *blobLayer) Compressed() (io.ReadCloser, error) {
	rc, _, err := l.store.open(l.name)
	if err != nil {
		return nil, err
	}
	// The caller names the image ("app.tar: reading layer 1 …"): the
	// error names the blob, not the image again.
	vr, err := newVerifier(rc, l.desc.Digest.String(), l.desc.Size, fmt.Sprintf("blob %s digest", l.desc.Digest))
	if err != nil {
		return nil, err
	}
	if rs := seekerOf(rc); rs != nil {
		return seekableBlob{sectionCloser{vr, rc.Close}, rs}, nil
	}
	return sectionCloser{vr, rc.Close}, nil
}

// seekableBlob is a blob stored where it can be read at any offset (a
// file, a member of an uncompressed tar). Read checks its digest as any
// blob; ReadFile, which reads one file of a layer already read, seeks in
// it instead (see storedTar).
type seekableBlob struct {
	sectionCloser
	raw io.ReadSeeker // the same bytes, unverified, at offset 0
}

// seekerOf is what a blob store opened, as an io.ReadSeeker, or nil.
func seekerOf(rc io.ReadCloser) io.ReadSeeker {
	if sc, ok := rc.(sectionCloser); ok {
		rs, _ := sc.Reader.(io.ReadSeeker)
		return rs
	}
	rs, _ := rc.(io.ReadSeeker)
	return rs
}
