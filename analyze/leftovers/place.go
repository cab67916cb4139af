package leftovers

import (
	"github.com/stagescope/stagescope/analyze/dockerfile"
	"github.com/stagescope/stagescope/layers"
)

// Place says where the user fixes what an analysis found: which bottom
// layers came with the base image, and which Dockerfile instruction made
// each of the others.
type Place struct {
	// Base is the base image's boundary, nil when there is no way to tell.
	Base *dockerfile.Boundary
	// Layers has one entry per layer: the instruction that made it, nil
	// where unknown (base layers, no Dockerfile, a Dockerfile that does not
	// match).
	Layers []*dockerfile.Location
	// From is the FROM line of the final stage chain, where base findings
	// point; nil without a matching Dockerfile.
	From *dockerfile.Location
	// Notes say why a source of truth was not used (a Dockerfile that does
	// not match the image), one line each.
	Notes []string
}

// PlaceOptions are the sources of truth Locate weighs, best first.
type PlaceOptions struct {
	// Base is the boundary --base gave, already checked to be a prefix.
	Base *dockerfile.Boundary
	// Annotated is the boundary of the base the OCI annotations name, when
	// it could be read.
	Annotated *dockerfile.Boundary
	// AnnotatedIsWrong says the base the annotations name was read and its
	// layers are not the image's: the name is not given to a boundary
	// found another way.
	AnnotatedIsWrong bool
	// Dockerfile and Target: the user's Dockerfile and the stage built
	// (Target "" is the last one).
	Dockerfile *dockerfile.File
	Target     string
}

// Locate finds the base boundary and the Dockerfile line of every layer.
// Without a source of truth the base ends where the history heuristic
// says, and the layers name no line.
func Locate(img *layers.Image, o PlaceOptions) *Place {
	p := &Place{Layers: make([]*dockerfile.Location, len(img.Layers))}
	var fromDockerfile *dockerfile.Boundary
	if f := o.Dockerfile; f != nil {
		st, err := f.Target(o.Target)
		var m *dockerfile.Mapping
		if err == nil {
			m, err = dockerfile.Match(f, st, img.Config.History, len(img.Layers))
		}
		if err != nil {
			p.Notes = append(p.Notes, err.Error()+": layers are not mapped to lines")
		} else {
			p.Layers = m.Layers
			from := m.From
			p.From = &from
			fromDockerfile = dockerfile.BoundaryFromMapping(m)
		}
	}
	for _, b := range []*dockerfile.Boundary{o.Base, o.Annotated, fromDockerfile, dockerfile.BoundaryFromHistory(img.Config.History)} {
		if b != nil {
			c := *b
			p.Base = &c
			break
		}
	}
	if p.Base != nil && p.Base.Name == "" && !o.AnnotatedIsWrong {
		p.Base.Name, p.Base.Digest = dockerfile.AnnotatedBase(img.Annotations)
	}
	if p.Base != nil && p.Base.Layers > len(img.Layers) {
		p.Base = nil
	}
	return p
}

// InBase says whether layer i came with the base image.
func (p *Place) InBase(i int) bool { return p != nil && p.Base.InBase(i) }

// Line is where the user fixes what layer i holds: its instruction, or the
// FROM line for a base layer; nil when unknown.
func (p *Place) Line(i int) *dockerfile.Location {
	if p == nil || i < 0 || i >= len(p.Layers) {
		return nil
	}
	if l := p.Layers[i]; l != nil {
		return l
	}
	if p.InBase(i) {
		return p.From
	}
	return nil
}

// Split sums the leftovers of the base's layers and of the user's, each
// file counted once as in Leftovers: own + base = the total.
func (l *Leftovers) Split(p *Place) (own, base Share) {
	for i, b := range l.LayerBytes {
		sh := &own
		if p.InBase(i) {
			sh = &base
		}
		sh.Bytes += b
		sh.Files += l.LayerFiles[i]
	}
	return own, base
}

// Share is a part of the leftovers.
type Share struct {
	Bytes int64
	Files int64
}
