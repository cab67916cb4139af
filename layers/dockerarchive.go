package layers

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// A `docker save` archive: manifest.json names the config and the layer
// members. Classic saves store layers as <id>/layer.tar; docker ≥ 25 saves
// are also an OCI layout (blobs/sha256/…, index.json). Layers may be plain
// tars or gzip/zstd compressed.

// dockerSaveEntry is one image of manifest.json.
type dockerSaveEntry struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// parseDockerManifest picks the image sel names from manifest.json: one of
// its RepoTags, or "@N" for the N-th image (from 0); "" when the archive
// holds a single image.
func parseDockerManifest(raw []byte, where, sel string) (dockerSaveEntry, error) {
	var es []dockerSaveEntry
	if err := json.Unmarshal(raw, &es); err != nil {
		return dockerSaveEntry{}, fmt.Errorf("manifest.json in %s: %w", where, jsonProblem(err))
	}
	if len(es) == 0 {
		return dockerSaveEntry{}, fmt.Errorf("manifest.json in %s lists no image", where)
	}
	var tags []string
	for _, e := range es {
		tags = append(tags, e.RepoTags...)
	}
	var e dockerSaveEntry
	switch {
	case sel == "" && len(es) == 1:
		e = es[0]
	case sel == "":
		return dockerSaveEntry{}, fmt.Errorf("%s holds %d images (%s); pick one with docker-archive:%s:TAG or :@INDEX", where, len(es), firstFew(tags), where)
	case strings.HasPrefix(sel, "@"):
		n, err := strconv.Atoi(sel[1:])
		if err != nil || n < 0 || n >= len(es) {
			return dockerSaveEntry{}, fmt.Errorf("%s: no image %s: it holds images @0 to @%d", where, sel, len(es)-1)
		}
		e = es[n]
	default:
		found := false
		for _, c := range es {
			if slices.ContainsFunc(c.RepoTags, func(tag string) bool { return sameTag(tag, sel) }) {
				e, found = c, true
				break
			}
		}
		if !found {
			return dockerSaveEntry{}, fmt.Errorf("%s: no image tagged %s (it holds %s)", where, sel, firstFew(tags))
		}
	}
	if e.Config == "" {
		return dockerSaveEntry{}, fmt.Errorf("manifest.json in %s names no config", where)
	}
	return e, nil
}

// sameTag compares two tags the way docker resolves them ("app:1" is
// "docker.io/library/app:1").
func sameTag(a, b string) bool {
	if a == b {
		return true
	}
	ta, err1 := name.NewTag(a)
	tb, err2 := name.NewTag(b)
	return err1 == nil && err2 == nil && ta.Name() == tb.Name()
}

// configDigestFromName is the digest a docker save member name promises for
// a config: blobs/sha256/<hex> or <hex>.json.
func configDigestFromName(name string) (v1.Hash, bool) {
	if h, ok := digestFromBlobName(name); ok {
		return h, true
	}
	hexPart, ok := strings.CutSuffix(cleanMember(name), ".json")
	if !ok || len(hexPart) != 64 {
		return v1.Hash{}, false
	}
	h, err := v1.NewHash("sha256:" + hexPart)
	return h, err == nil
}

// dockerConfig reads, checks and parses the config of a docker save entry.
func dockerConfig(raw []byte, e dockerSaveEntry, where string) (v1.Hash, *v1.ConfigFile, error) {
	sum, _, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil {
		return v1.Hash{}, nil, err
	}
	if want, ok := configDigestFromName(e.Config); ok && want != sum {
		return v1.Hash{}, nil, fmt.Errorf("%s: config %s: digest mismatch: content is %s", where, e.Config, sum)
	}
	cfg, err := v1.ParseConfigFile(bytes.NewReader(raw))
	if err != nil {
		return v1.Hash{}, nil, fmt.Errorf("%s: config %s: %w", where, e.Config, jsonProblem(err))
	}
	if n, m := len(cfg.RootFS.DiffIDs), len(e.Layers); n != m {
		return v1.Hash{}, nil, fmt.Errorf("%s: config %s lists %d diff IDs for %d layers", where, e.Config, n, m)
	}
	return sum, cfg, nil
}

// compression is how a layer blob is stored.
type compression int

const (
	plainTar compression = iota
	gzipTar
	zstdTar
)

// sniffCompression reads the first bytes of r.
func sniffCompression(r io.Reader) (compression, error) {
	var b [4]byte
	n, err := io.ReadFull(r, b[:])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return plainTar, err
	}
	return compressionOf(b[:n]), nil
}

func compressionOf(magic []byte) compression {
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		return gzipTar
	case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return zstdTar
	case len(magic) >= 4 && magic[0]&0xf0 == 0x50 && bytes.Equal(magic[1:4], []byte{0x2a, 0x4d, 0x18}):
		// A zstd skippable frame (0x184D2A5?): zstd streams may start
		// with one, and the decoder skips it.
		return zstdTar
	}
	return plainTar
}

func (c compression) dockerMediaType() types.MediaType {
	switch c {
	case gzipTar:
		return types.DockerLayer
	case zstdTar:
		return types.OCILayerZStd
	}
	return types.DockerUncompressedLayer
}

// dockerSave is the image of a docker save archive that manifest.json
// picks, its config read and checked.
type dockerSave struct {
	entry     dockerSaveEntry
	rawCfg    []byte
	cfgDigest v1.Hash
	cfg       *v1.ConfigFile
	// stored: image took the manifest the archive's OCI index holds
	// (docker ≥ 25), not one made from manifest.json.
	stored bool
}

// readDockerSave reads manifest.json and the config of the image sel names
// (see parseDockerManifest) from the docker save archive in s.
func readDockerSave(s blobStore, sel string) (*dockerSave, error) {
	raw, err := readSmall(s, "manifest.json")
	if err != nil {
		return nil, err
	}
	e, err := parseDockerManifest(raw, s.where(), sel)
	if err != nil {
		return nil, err
	}
	if !s.has(e.Config) {
		return nil, fmt.Errorf("%s: config %s named by manifest.json is missing", s.where(), e.Config)
	}
	rawCfg, err := readSmall(s, e.Config)
	if err != nil {
		return nil, err
	}
	cfgDigest, cfg, err := dockerConfig(rawCfg, e, s.where())
	if err != nil {
		return nil, err
	}
	return &dockerSave{entry: e, rawCfg: rawCfg, cfgDigest: cfgDigest, cfg: cfg}, nil
}

// unnamedCompressed tells whether a layer member is compressed and not
// named by its digest (a gzip <id>/layer.tar): its blob digest is known
// only once its bytes are hashed, which only a read of the whole archive
// as a stream does in the same pass as reading the layer.
func (d *dockerSave) unnamedCompressed(s blobStore) (bool, error) {
	for i, name := range d.entry.Layers {
		if _, named := digestFromBlobName(name); named {
			continue
		}
		if !s.has(name) {
			return false, fmt.Errorf("%s: layer %d (%s): missing from the archive", s.where(), i, name)
		}
		rc, _, err := s.open(name)
		if err != nil {
			return false, err
		}
		c, err := sniffCompression(rc)
		_ = rc.Close()
		if err != nil {
			return false, err
		}
		if c != plainTar {
			return true, nil
		}
	}
	return false, nil
}

// image is the v1.Image of d. A compressed layer member not named by its
// digest is hashed here, a read of its own: Load reads such archives as a
// stream instead (see unnamedCompressed).
func (d *dockerSave) image(s blobStore) (v1.Image, error) {
	e, rawCfg, cfgDigest, cfg := d.entry, d.rawCfg, d.cfgDigest, d.cfg
	if s.has("index.json") && s.has("oci-layout") {
		// Some docker 25 saves (dive's test-oci-docker-image.tar is one)
		// list the layers out of order in the OCI manifest; docker load
		// follows manifest.json, and so do we.
		if img := adoptIndexManifest(s, cfgDigest); img != nil && sameLayerBlobs(img.m.Layers, e.Layers) {
			d.stored = true
			return partial.CompressedToImage(img)
		}
	}
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.DockerManifestSchema2,
		Config:        v1.Descriptor{MediaType: types.DockerConfigJSON, Size: int64(len(rawCfg)), Digest: cfgDigest},
	}
	names := map[v1.Hash]string{cfgDigest: e.Config}
	for i, name := range e.Layers {
		d, err := describeSaveLayer(s, name, cfg.RootFS.DiffIDs[i])
		if err != nil {
			return nil, fmt.Errorf("%s: layer %d (%s): %w", s.where(), i, name, err)
		}
		m.Layers = append(m.Layers, d)
		names[d.Digest] = name
	}
	rawManifest, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	img, err := newOCIImage(s, rawManifest, names)
	if err != nil {
		return nil, err
	}
	return partial.CompressedToImage(img)
}

// describeSaveLayer makes the descriptor of a layer member. An uncompressed
// blob's digest is its diff ID (checked as it is read); a compressed one
// not named by its digest is hashed here.
func describeSaveLayer(s blobStore, name string, diffID v1.Hash) (v1.Descriptor, error) {
	if !s.has(name) {
		return v1.Descriptor{}, errors.New("missing from the archive")
	}
	rc, size, err := s.open(name)
	if err != nil {
		return v1.Descriptor{}, err
	}
	defer rc.Close()
	c, err := sniffCompression(rc)
	if err != nil {
		return v1.Descriptor{}, err
	}
	d := v1.Descriptor{MediaType: c.dockerMediaType(), Size: size}
	switch h, ok := digestFromBlobName(name); {
	case ok:
		d.Digest = h
	case c == plainTar:
		d.Digest = diffID
	default:
		rc2, _, err := s.open(name)
		if err != nil {
			return v1.Descriptor{}, err
		}
		defer rc2.Close()
		hw := sha256.New()
		if _, err := io.Copy(hw, rc2); err != nil {
			return v1.Descriptor{}, err
		}
		d.Digest = v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", hw.Sum(nil))}
	}
	return d, nil
}

// sameLayerBlobs tells whether the layers of an OCI manifest are the layer
// members manifest.json names, in the same order.
func sameLayerBlobs(ds []v1.Descriptor, names []string) bool {
	if len(ds) != len(names) {
		return false
	}
	for i, name := range names {
		if h, ok := digestFromBlobName(name); !ok || h != ds[i].Digest {
			return false
		}
	}
	return true
}

// adoptIndexManifest finds, in the OCI index that docker ≥ 25 saves beside
// manifest.json, the image manifest of the config cfg, so that the image
// keeps its real manifest and digest. It returns nil when there is none.
func adoptIndexManifest(s blobStore, cfg v1.Hash) *ociImage {
	idx, err := readOCIIndex(s)
	if err != nil {
		return nil
	}
	return findManifest(idx, cfg, 2)
}

func findManifest(idx *ociIndex, cfg v1.Hash, depth int) *ociImage {
	for _, d := range idx.im.Manifests {
		switch {
		case d.MediaType.IsIndex() && depth > 0:
			child, err := idx.ImageIndex(d.Digest)
			if err != nil {
				continue
			}
			if img := findManifest(child.(*ociIndex), cfg, depth-1); img != nil {
				return img
			}
		case d.MediaType.IsImage():
			raw, err := readBlob(idx.store, d)
			if err != nil {
				continue
			}
			img, err := newOCIImage(idx.store, raw, nil)
			if err != nil || img.m.Config.Digest != cfg {
				continue
			}
			return img
		}
	}
	return nil
}
