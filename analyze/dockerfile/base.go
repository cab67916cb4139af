package dockerfile

import (
	"fmt"

	"github.com/stagescope/stagescope/layers"
)

// How a base-image boundary was found. The names are part of the JSON
// contract (image.base.detectedBy).
const (
	ByFlag       = "flag"
	ByAnnotation = "annotation"
	ByDockerfile = "dockerfile"
	ByHistory    = "history"
)

// The OCI annotations that name an image's base.
const (
	AnnotationBaseName   = "org.opencontainers.image.base.name"
	AnnotationBaseDigest = "org.opencontainers.image.base.digest"
)

// Boundary is where the base image ends: its Layers bottom layers are the
// base's, the rest the user's.
type Boundary struct {
	Layers     int
	Name       string // "" when unknown
	Digest     string // "" when unknown
	DetectedBy string
}

// InBase says whether layer i belongs to the base image. A nil boundary
// holds no layer.
func (b *Boundary) InBase(i int) bool { return b != nil && i < b.Layers }

// BoundaryFromDiffIDs checks that a base image's diff IDs are a prefix of
// the image's and makes the boundary --base gives.
func BoundaryFromDiffIDs(image, base []string, name, digest string) (*Boundary, error) {
	if len(base) > len(image) {
		return nil, fmt.Errorf("%s has %d layers, more than the image's %d: it is not the image's base", name, len(base), len(image))
	}
	for i, d := range base {
		if image[i] != d {
			return nil, fmt.Errorf("%s is not the image's base: its layer %d (%s) is not the image's layer %d (%s)", name, i, short(d), i, short(image[i]))
		}
	}
	return &Boundary{Layers: len(base), Name: name, Digest: digest, DetectedBy: ByFlag}, nil
}

func short(d string) string {
	if len(d) > 19 {
		return d[:19] + "…"
	}
	return d
}

// AnnotatedBase returns the base name and digest the OCI annotations
// record, "" when absent.
func AnnotatedBase(ann map[string]string) (name, digest string) {
	return ann[AnnotationBaseName], ann[AnnotationBaseDigest]
}

// BoundaryFromHistory is the heuristic without a Dockerfile: the base
// ends at the last CMD or ENTRYPOINT history entry that only the user's
// instructions follow, the user's own trailing CMD/ENTRYPOINT/ENV… (the
// empty-layer entries after its last layer) set aside. Nil when the
// history holds no such entry: there is then no way to tell.
func BoundaryFromHistory(h []layers.History) *Boundary {
	end := len(h)
	for end > 0 && h[end-1].EmptyLayer {
		end--
	}
	for i := end - 1; i >= 0; i-- {
		if !h[i].EmptyLayer {
			continue
		}
		if e := parseEntry(h[i].CreatedBy); e.keyword != "CMD" && e.keyword != "ENTRYPOINT" {
			continue
		}
		n := 0
		for _, x := range h[:i] {
			if !x.EmptyLayer {
				n++
			}
		}
		if n == 0 {
			return nil
		}
		return &Boundary{Layers: n, DetectedBy: ByHistory}
	}
	return nil
}

// BoundaryFromMapping is the boundary a matched Dockerfile gives: its
// final stage chain's FROM.
func BoundaryFromMapping(m *Mapping) *Boundary {
	name := m.BaseName
	if name == "scratch" {
		name = ""
	}
	return &Boundary{Layers: m.BaseLayers, Name: name, DetectedBy: ByDockerfile}
}
