package layers

import (
	"encoding/json"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// zeroHint is what a source knows, before its docker save stream begins,
// of the member that will hold layer 0.
type zeroHint struct {
	// diffID is layer 0's diff ID: an engine's image inspect gives the
	// image's diff IDs in order.
	diffID string
	// member is the member manifest.json names as layer 0, when the
	// manifest was read before the stream (a docker archive on disk read
	// as a stream to hash its compressed layers).
	member string
}

// layerZero recognises, in a docker save stream read in one pass, the member
// that holds layer 0 before that member is read, so that its entries read so
// far can be shown while it is read (WithPartialEntries). A writer puts the
// members in the order it likes, and only manifest.json, at the end, says
// which member is which layer; before it, only these tell, and layerZero
// trusts nothing else:
//
//   - The member is the one the source named (zeroHint.member).
//   - The member is named after layer 0's diff ID, as docker ≥ 25 names a
//     plain layer (blobs/sha256/<hex>) and podman does (<hex>.tar), and that
//     diff ID is known: from the source (an engine's image inspect), or from
//     the one image config the stream held before the member.
//   - Docker < 25 writes the classic format: the stream is a tar of a
//     directory walked in name order, so each layer's <v1 id>/layer.tar
//     comes right after <v1 id>/json, the layer's v1 image JSON, and only
//     the bottom layer's JSON names no parent. Seen on Debian's docker.io
//     20.10: <id>/, <id>/VERSION, <id>/json, <id>/layer.tar per layer in the
//     order of the ids, the config <hex>.json among them where its name
//     sorts, then manifest.json and repositories.
//
// A stream that shows two parentless v1 JSON or two configs with different
// first diff IDs holds several images: nothing in it is layer 0 any more.
// The bytes of the member recognised must then hash to layer 0's diff ID,
// where it is known; where it is not, manifest.json decides at the end.
//
// What a stream does not tell: a podman save writes every layer
// (<diff ID hex>.tar, in layer order) before the config and the classic
// directories, whose layer.tar are symlinks to those; go-containerregistry's
// tarball writes its config first but names its layers after their
// compressed digests, which the config does not hold. Piped in (or
// compressed on disk), such a stream shows no preview: which member is
// layer 0 is known only from manifest.json, after every layer.
type layerZero struct {
	zeroHint
	base      string // "<v1 id>/layer.tar" of the last parentless v1 JSON
	bases     int    // parentless v1 JSON seen
	cfgDiffID string // the first diff ID of the configs seen
	several   bool   // the stream holds several images
}

// sawJSON notes a JSON member the stream held before the layer members
// still to come.
func (z *layerZero) sawJSON(name string, b []byte) {
	if dir, ok := strings.CutSuffix(name, "/json"); ok && dir != "" && !strings.Contains(dir, "/") {
		var j struct {
			ID     string `json:"id"`
			Parent string `json:"parent"`
		}
		if json.Unmarshal(b, &j) == nil && j.ID != "" && j.Parent == "" {
			z.base = dir + "/layer.tar"
			z.bases++
			z.several = z.several || z.bases > 1
		}
		return
	}
	var cfg struct {
		RootFS struct {
			Type    string   `json:"type"`
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
	}
	if json.Unmarshal(b, &cfg) != nil || cfg.RootFS.Type != "layers" || len(cfg.RootFS.DiffIDs) == 0 {
		return
	}
	switch d := cfg.RootFS.DiffIDs[0]; {
	case z.cfgDiffID == "":
		z.cfgDiffID = d
	case z.cfgDiffID != d:
		z.several = true
	}
}

// diffIDKnown is layer 0's diff ID as known so far, else "".
func (z *layerZero) diffIDKnown() string {
	if z.diffID != "" {
		return z.diffID
	}
	return z.cfgDiffID
}

// is tells whether the member name, about to be read, holds layer 0.
func (z *layerZero) is(name string) bool {
	if z.member != "" {
		return name == z.member
	}
	if z.several {
		return false
	}
	if h, err := v1.NewHash(z.diffIDKnown()); err == nil && (name == "blobs/"+h.Algorithm+"/"+h.Hex || name == h.Hex+".tar") {
		return true
	}
	return name == z.base
}

// wrong tells whether the member recognised, whose uncompressed bytes
// hash to sum ("" while not known), is known by now not to be layer 0, or
// no longer known to be.
func (z *layerZero) wrong(sum string) bool {
	if z.member != "" {
		return false // manifest.json named it
	}
	d := z.diffIDKnown()
	return z.several || (d != "" && sum != "" && sum != d)
}
