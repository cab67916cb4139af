// Package sbom writes the packages stagescope attributes to layers as a
// CycloneDX 1.6 bill of materials, marking what a multi-stage build would
// drop (build-only OS packages, npm dev dependencies) with the property
// stagescope:buildOnly=true, so that a CVE scanner fed the BOM shows which
// vulnerabilities the rewrite removes.
package sbom

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/package-url/packageurl-go"
)

// Component is one package of the image.
type Component struct {
	Type    string // "deb", "apk" or "npm" (the purl type)
	Distro  string // os-release ID (debian, ubuntu, alpine) for deb and apk
	Release string // os-release VERSION_ID
	Name    string // for npm, the scope included: "@types/node"
	Version string
	Arch    string
	Path    string // npm: the package's directory
	Layer   int    // the layer that added it; -1 when unknown
	// BuildOnly marks what a multi-stage build leaves in the builder;
	// Why says why.
	BuildOnly bool
	Why       string
}

// Image names the image the BOM describes.
type Image struct {
	Reference string
	Digest    string
	Tool      string // stagescope's version
}

// PURL returns the component's package URL.
func (c Component) PURL() string {
	var q packageurl.Qualifiers
	if c.Arch != "" {
		q = append(q, packageurl.Qualifier{Key: "arch", Value: c.Arch})
	}
	if c.Distro != "" && c.Release != "" {
		q = append(q, packageurl.Qualifier{Key: "distro", Value: c.Distro + "-" + c.Release})
	}
	ns, name := c.Distro, c.Name
	if c.Type == packageurl.TypeNPM {
		ns = ""
		if len(name) > 0 && name[0] == '@' {
			for i := range name {
				if name[i] == '/' {
					ns, name = name[:i], name[i+1:]
					break
				}
			}
		}
	}
	return packageurl.NewPackageURL(c.Type, ns, name, c.Version, q, "").ToString()
}

// BOM builds the bill of materials: one library component per package, in
// a stable order (type, name, version, path).
func BOM(img Image, comps []Component) *cdx.BOM {
	comps = slices.Clone(comps)
	slices.SortFunc(comps, func(a, b Component) int {
		return cmp.Or(cmp.Compare(a.Type, b.Type), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Version, b.Version),
			cmp.Compare(a.Arch, b.Arch), cmp.Compare(a.Path, b.Path))
	})
	bom := cdx.NewBOM()
	bom.Metadata = &cdx.Metadata{
		Tools: &cdx.ToolsChoice{Components: &[]cdx.Component{{Type: cdx.ComponentTypeApplication, Name: "stagescope", Version: img.Tool}}},
		Component: &cdx.Component{
			BOMRef: "image", Type: cdx.ComponentTypeContainer, Name: img.Reference, Version: img.Digest,
		},
	}
	out := make([]cdx.Component, 0, len(comps))
	seen := map[string]int{}
	for _, c := range comps {
		purl := c.PURL()
		ref := purl
		if c.Path != "" {
			ref += "#" + c.Path
		}
		if n := seen[ref]; n > 0 {
			ref += "#" + strconv.Itoa(n) // the same package twice (two trees): refs stay unique
		}
		seen[ref]++
		props := []cdx.Property{{Name: "stagescope:buildOnly", Value: strconv.FormatBool(c.BuildOnly)}}
		if c.Layer >= 0 {
			props = append(props, cdx.Property{Name: "stagescope:layer", Value: strconv.Itoa(c.Layer)})
		}
		if c.Why != "" {
			props = append(props, cdx.Property{Name: "stagescope:buildOnlyWhy", Value: c.Why})
		}
		if c.Path != "" {
			props = append(props, cdx.Property{Name: "stagescope:path", Value: c.Path})
		}
		out = append(out, cdx.Component{BOMRef: ref, Type: cdx.ComponentTypeLibrary, Name: c.Name, Version: c.Version,
			PackageURL: purl, Properties: &props})
	}
	bom.Components = &out
	return bom
}

// Write encodes bom as CycloneDX 1.6 JSON.
func Write(w io.Writer, bom *cdx.BOM) error {
	enc := cdx.NewBOMEncoder(w, cdx.BOMFileFormatJSON)
	enc.SetPretty(true)
	if err := enc.EncodeVersion(bom, cdx.SpecVersion1_6); err != nil {
		return fmt.Errorf("writing the CycloneDX BOM: %w", err)
	}
	return nil
}
