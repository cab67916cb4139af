package fleet_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stagescope/stagescope/analyze/analyzetest"
	"github.com/stagescope/stagescope/analyze/fleet"
	"github.com/stagescope/stagescope/analyze/report"
)

func newReport(ref string, pass *bool, layers ...report.LayerReport) *report.Report {
	r := &report.Report{SchemaVersion: report.SchemaVersion, Image: report.ImageInfo{Reference: ref, Source: "registry", ConfigDigest: "sha256:c0" + ref}, Layers: layers}
	for _, l := range layers {
		r.Summary.LayerBytes += l.Size
	}
	if pass != nil {
		r.Gate = &report.GateJSON{Pass: *pass}
	}
	return r
}

func layer(id string, size int64) report.LayerReport {
	return report.LayerReport{DiffID: id, Size: size}
}

func TestNew(t *testing.T) {
	yes, no := true, false
	a := newReport("a", &yes, layer("base", 100), layer("a1", 10))
	a.Summary.WastedBytes = 7
	a.Leftovers = report.LeftoversJSON{Bytes: 30, Categories: []report.CategoryTotalJSON{
		{Category: "docs", Bytes: 10}, {Category: "toolchain", Bytes: 20}, {Category: "vcs", Bytes: 20},
	}, Own: report.ShareJSON{Bytes: 20}, Base: report.ShareJSON{Bytes: 10}}
	a.Image.Base = &report.BaseJSON{Layers: 1, Name: "debian:12", DetectedBy: "flag"}
	a.Image.Digest, a.Image.IndexDigest, a.Image.RepoTags = "sha256:da", "sha256:1a", []string{"a:1"}
	a.Summary.WastedPercent, a.Leftovers.Percent = 6.3636, 27.2727
	b := newReport("b", &no, layer("base", 100), layer("b1", 5), layer("b1", 5))
	b.Image.Base = &report.BaseJSON{Layers: 1, DetectedBy: "history"}
	c := newReport("c", nil, layer("c1", 1))
	c.Image.Base = &report.BaseJSON{DetectedBy: "history"} // no base layers: none known
	// No base boundary: every leftover counts as the image's own.
	c.Leftovers = report.LeftoversJSON{Bytes: 4, Own: report.ShareJSON{Bytes: 4}}
	got := fleet.New([]*report.Report{a, b, c}, report.ToolInfo{Name: "stagescope", Version: "test"})
	want := &fleet.Report{
		SchemaVersion: fleet.SchemaVersion,
		Tool:          report.ToolInfo{Name: "stagescope", Version: "test"},
		Images: []fleet.Image{
			{Reference: "a", Source: "registry", ConfigDigest: "sha256:c0a", Digest: "sha256:da", IndexDigest: "sha256:1a", RepoTags: []string{"a:1"},
				Layers: 2, LayerBytes: 110, WastedBytes: 7, WastedPercent: 6.3636, LeftoverBytes: 30, LeftoverPercent: 27.2727,
				OwnLeftoverBytes: 20, BaseLeftoverBytes: 10, Base: &report.BaseJSON{Layers: 1, Name: "debian:12", DetectedBy: "flag"},
				TopCategory: "toolchain", TopCategoryBytes: 20, SharedLayers: 1, SharedBytes: 100, Pass: &yes},
			// A layer twice in one image is not shared with another.
			{Reference: "b", Source: "registry", ConfigDigest: "sha256:c0b", Layers: 3, LayerBytes: 110, Base: &report.BaseJSON{Layers: 1, DetectedBy: "history"},
				SharedLayers: 1, SharedBytes: 100, Pass: &no},
			{Reference: "c", Source: "registry", ConfigDigest: "sha256:c0c", Layers: 1, LayerBytes: 1, LeftoverBytes: 4, OwnLeftoverBytes: 4},
		},
		Totals: fleet.Totals{Images: 3, Layers: 6, UniqueLayers: 4, LayerBytes: 221, UniqueLayerBytes: 116, WastedBytes: 7, LeftoverBytes: 34,
			BaseKnownImages: 2, OwnLeftoverBytes: 20, BaseLeftoverBytes: 10},
		Gate: &fleet.Gate{Pass: false, Failed: []string{"b"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("fleet (-want +got):\n%s", diff)
	}
	b2, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	analyzetest.ValidateFleet(t, b2)
}

// TestFleetSchemaCoversWireTypes checks fleet.schema.json against the wire
// types (analyzetest.SchemaCoversType).
func TestFleetSchemaCoversWireTypes(t *testing.T) {
	analyzetest.SchemaCoversType(t, "fleet.schema.json", fleet.Schema(), reflect.TypeFor[fleet.Report]())
}
