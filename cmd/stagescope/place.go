package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/pflag"

	"github.com/stagescope/stagescope/analyze"
	"github.com/stagescope/stagescope/analyze/dockerfile"
	"github.com/stagescope/stagescope/analyze/leftovers"
	"github.com/stagescope/stagescope/layers"
)

// placeOptions are the flags that say where findings land for the user:
// the Dockerfile that built the image and its base image.
type placeOptions struct {
	Dockerfile string
	Target     string
	Base       string
	// SARIFRoot is the directory SARIF's Dockerfile URI is relative to.
	SARIFRoot string
	file      *dockerfile.File // Dockerfile, parsed by prepare
}

func (p *placeOptions) addFlags(f *pflag.FlagSet) {
	f.StringVar(&p.Dockerfile, "dockerfile", "", "the Dockerfile that built the image: every layer and finding names its instruction and line")
	f.StringVar(&p.Target, "target", "", "the stage of --dockerfile the image was built from (default: the last)")
	f.StringVar(&p.Base, "base", "", "the image's base image (any REF stagescope reads): its layers are the base's")
	f.StringVar(&p.SARIFRoot, "sarif-root", "", "with -o sarif and --dockerfile: the directory the Dockerfile's URI is relative to (default: the working directory)")
}

// prepare reads and parses --dockerfile and checks --target, before any
// image is read: a bad Dockerfile fails fast.
func (p *placeOptions) prepare() error {
	if p.Dockerfile == "" {
		if p.Target != "" {
			return errors.New("--target needs --dockerfile")
		}
		return nil
	}
	src, err := os.ReadFile(p.Dockerfile)
	if err != nil {
		return fmt.Errorf("--dockerfile: %w", err)
	}
	f, err := dockerfile.Parse(p.Dockerfile, src)
	if err != nil {
		return fmt.Errorf("--dockerfile: %w", err)
	}
	if _, err := f.Target(p.Target); err != nil {
		return fmt.Errorf("--target: %w", err)
	}
	p.file = f
	return nil
}

// annotatedBaseTimeout bounds reading the base image the annotations name:
// it is a best effort, the other sources stand in when it fails.
const annotatedBaseTimeout = 10 * time.Second

// locate finds the base boundary and the Dockerfile lines of a's image.
// Without any place flag and annotation the analysis keeps what it found
// from the history alone.
func (p *placeOptions) locate(ctx context.Context, a *analyze.Analysis, lo []layers.LoadOption) error {
	po := leftovers.PlaceOptions{Dockerfile: p.file, Target: p.Target}
	img := a.Image
	diffIDs := make([]string, len(img.Layers))
	for i := range img.Layers {
		diffIDs[i] = img.Layers[i].DiffID
	}
	var notes []string
	if p.Base != "" {
		ids, digest, err := baseDiffIDs(ctx, p.Base, lo)
		if err != nil {
			return fmt.Errorf("--base: %w", err)
		}
		b, err := dockerfile.BoundaryFromDiffIDs(diffIDs, ids, p.Base, digest)
		if err != nil {
			return fmt.Errorf("--base %w", err)
		}
		po.Base = b
	} else if name, digest := dockerfile.AnnotatedBase(img.Annotations); name != "" {
		ref := name
		if digest != "" {
			ref = name + "@" + digest
		}
		actx, cancel := context.WithTimeout(ctx, annotatedBaseTimeout)
		ids, _, err := baseDiffIDs(actx, ref, lo)
		cancel()
		if err == nil {
			b, err := dockerfile.BoundaryFromDiffIDs(diffIDs, ids, name, digest)
			if err == nil {
				b.DetectedBy = dockerfile.ByAnnotation
				po.Annotated = b
			} else {
				po.AnnotatedIsWrong = true
				notes = append(notes, "the annotated base "+err.Error()+": its layers were told another way")
			}
		} else {
			notes = append(notes, fmt.Sprintf("the annotated base %s could not be read (%v): its layers were told another way", name, err))
		}
	}
	if po.Base == nil && po.Annotated == nil && po.Dockerfile == nil && len(notes) == 0 {
		return nil
	}
	a.Place = leftovers.Locate(img, po)
	a.Place.Notes = append(notes, a.Place.Notes...)
	return nil
}

// baseDiffIDs reads a base image's diff IDs and digest from its config
// and manifest, without reading its layers.
func baseDiffIDs(ctx context.Context, ref string, lo []layers.LoadOption) ([]string, string, error) {
	src, err := layers.Load(ctx, ref, lo...)
	if err != nil {
		return nil, "", err
	}
	cfg, err := src.Image.ConfigFile()
	if err != nil {
		return nil, "", fmt.Errorf("%s: reading its config: %w", ref, err)
	}
	ids := make([]string, len(cfg.RootFS.DiffIDs))
	for i, d := range cfg.RootFS.DiffIDs {
		ids[i] = d.String()
	}
	var digest string
	if d, err := src.Image.Digest(); err == nil {
		digest = d.String()
	}
	return ids, digest, nil
}

// sarifDockerfile is the Dockerfile SARIF results point at.
type sarifDockerfile struct {
	uri   string
	lines []string
}

// sarifFile is the Dockerfile for SARIF, nil without --dockerfile. Its URI
// is the path as given, made relative to --sarif-root when that is set.
func (p *placeOptions) sarifFile() *sarifDockerfile {
	if p.file == nil {
		return nil
	}
	uri := filepath.ToSlash(p.Dockerfile)
	root := p.SARIFRoot
	if root == "" && filepath.IsAbs(p.Dockerfile) {
		root = "."
	}
	if root != "" {
		if abs, err := filepath.Abs(p.Dockerfile); err == nil {
			if absRoot, err := filepath.Abs(root); err == nil {
				if rel, err := filepath.Rel(absRoot, abs); err == nil && !strings.HasPrefix(rel, "..") {
					uri = filepath.ToSlash(rel)
				}
			}
		}
	}
	return &sarifDockerfile{uri: strings.TrimPrefix(uri, "./"), lines: strings.Split(string(p.file.Source), "\n")}
}

// location is the SARIF location of a Dockerfile instruction, nil when
// there is none.
func (d *sarifDockerfile) location(l *dockerfile.Location) *sarifLocation {
	if d == nil || l == nil {
		return nil
	}
	endCol := 1
	if l.EndLine-1 < len(d.lines) {
		endCol = utf8.RuneCountInString(strings.TrimRight(d.lines[l.EndLine-1], "\r")) + 1
	}
	return &sarifLocation{PhysicalLocation: sarifPhysicalLocation{
		ArtifactLocation: sarifArtifactLocation{URI: d.uri},
		Region:           sarifRegion{StartLine: l.StartLine, StartColumn: 1, EndLine: l.EndLine, EndColumn: endCol},
	}}
}
