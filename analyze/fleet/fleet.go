// Package fleet sums up the reports of many images: what each wastes and
// leaves behind, and which layers they share. It is a pure function of the
// reports, so that the reports of many shards merge into the same summary
// as one run over all the images.
package fleet

import (
	"cmp"
	_ "embed" // the fleet report's JSON Schema
	"slices"

	"github.com/stagescope/stagescope/analyze/report"
	"github.com/stagescope/stagescope/analyze/rules"
)

// SchemaVersion is the version of Report's wire format: 2 follows the
// conventions of the image report's schemaVersion 2 (identity by
// configDigest, algo:hex digests, …Percent for 0–100, the base image as the
// report's image.base object).
const SchemaVersion = 2

// Report is the fleet report: one row per image and the totals.
type Report struct {
	SchemaVersion int             `json:"schemaVersion"`
	Tool          report.ToolInfo `json:"tool"`
	Images        []Image         `json:"images"`
	Totals        Totals          `json:"totals"`
	// Gate is present when any image's report carried one.
	Gate *Gate `json:"gate,omitempty"`
}

// Image is one image's row.
type Image struct {
	Reference string `json:"reference"`
	Source    string `json:"source"`
	// ConfigDigest (the image ID), Digest, IndexDigest and RepoTags are
	// the report's image identity (image.configDigest, …): Digest is
	// absent where the source stores no manifest.
	ConfigDigest string   `json:"configDigest"`
	Digest       string   `json:"digest,omitempty"`
	IndexDigest  string   `json:"indexDigest,omitempty"`
	RepoTags     []string `json:"repoTags,omitempty"`
	Layers       int      `json:"layers"`
	LayerBytes   int64    `json:"layerBytes"`
	WastedBytes  int64    `json:"wastedBytes"`
	// WastedPercent is WastedBytes as a percentage (0–100) of LayerBytes
	// (the report's summary.wastedPercent).
	WastedPercent float64 `json:"wastedPercent"`
	LeftoverBytes int64   `json:"leftoverBytes"`
	// LeftoverPercent is LeftoverBytes as a percentage (0–100) of the
	// file contents the layers ship (the report's leftovers.percent).
	LeftoverPercent float64 `json:"leftoverPercent"`
	// OwnLeftoverBytes and BaseLeftoverBytes split LeftoverBytes between
	// the image's own layers and its base image's (the report's
	// leftovers.own and leftovers.base); all are own when Base is nil.
	OwnLeftoverBytes  int64 `json:"ownLeftoverBytes"`
	BaseLeftoverBytes int64 `json:"baseLeftoverBytes"`
	// Base is the report's image.base, when it knows where the base image
	// ends (nil, absent, when it does not).
	Base *report.BaseJSON `json:"base,omitempty"`
	// TopCategory is the leftover category with the most bytes, "" when
	// there are no leftovers.
	TopCategory      rules.Category `json:"topCategory,omitempty"`
	TopCategoryBytes int64          `json:"topCategoryBytes"`
	// SharedLayers counts the image's layers that another image of the
	// fleet has too (by diff ID); SharedBytes are their bytes.
	SharedLayers int   `json:"sharedLayers"`
	SharedBytes  int64 `json:"sharedBytes"`
	// Pass is the image's gate result, absent without a gate.
	Pass *bool `json:"pass,omitempty"`
}

// Totals sum the fleet. UniqueLayerBytes counts every distinct layer once:
// what reading the fleet costs when shared layers are read once.
type Totals struct {
	Images           int   `json:"images"`
	Layers           int   `json:"layers"`
	UniqueLayers     int   `json:"uniqueLayers"`
	LayerBytes       int64 `json:"layerBytes"`
	UniqueLayerBytes int64 `json:"uniqueLayerBytes"`
	WastedBytes      int64 `json:"wastedBytes"`
	LeftoverBytes    int64 `json:"leftoverBytes"`
	// OwnLeftoverBytes and BaseLeftoverBytes split the leftovers of the
	// images whose base is known (BaseKnownImages of them); the rest of
	// LeftoverBytes belongs to images without a base boundary.
	BaseKnownImages   int   `json:"baseKnownImages"`
	OwnLeftoverBytes  int64 `json:"ownLeftoverBytes"`
	BaseLeftoverBytes int64 `json:"baseLeftoverBytes"`
}

// Gate sums the images' gates.
type Gate struct {
	Pass bool `json:"pass"`
	// Failed are the references of the images whose gate failed.
	Failed []string `json:"failed"`
}

// New sums up reports, in the order given; tool names the program.
func New(reports []*report.Report, tool report.ToolInfo) *Report {
	uses := map[string]int{}
	sizes := map[string]int64{}
	for _, r := range reports {
		for _, id := range layerIDs(r) {
			uses[id]++
		}
		for _, l := range r.Layers {
			sizes[l.DiffID] = l.Size
		}
	}
	out := &Report{SchemaVersion: SchemaVersion, Tool: tool, Images: []Image{}}
	for _, r := range reports {
		img := Image{
			Reference:       r.Image.Reference,
			Source:          r.Image.Source,
			ConfigDigest:    r.Image.ConfigDigest,
			Digest:          r.Image.Digest,
			IndexDigest:     r.Image.IndexDigest,
			RepoTags:        r.Image.RepoTags,
			Layers:          len(r.Layers),
			LayerBytes:      r.Summary.LayerBytes,
			WastedBytes:     r.Summary.WastedBytes,
			WastedPercent:   r.Summary.WastedPercent,
			LeftoverBytes:   r.Leftovers.Bytes,
			LeftoverPercent: r.Leftovers.Percent,

			OwnLeftoverBytes:  r.Leftovers.Own.Bytes,
			BaseLeftoverBytes: r.Leftovers.Base.Bytes,
		}
		if b := r.Image.Base; b != nil && b.Layers > 0 {
			img.Base = b
		}
		if len(r.Leftovers.Categories) > 0 {
			top := slices.MaxFunc(r.Leftovers.Categories, func(a, b report.CategoryTotalJSON) int {
				if c := cmp.Compare(a.Bytes, b.Bytes); c != 0 {
					return c
				}
				return cmp.Compare(b.Category, a.Category) // the first name wins a tie
			})
			if top.Bytes > 0 {
				img.TopCategory, img.TopCategoryBytes = top.Category, top.Bytes
			}
		}
		for _, id := range layerIDs(r) {
			if uses[id] > 1 {
				img.SharedLayers++
				img.SharedBytes += sizes[id]
			}
		}
		if r.Gate != nil {
			pass := r.Gate.Pass
			img.Pass = &pass
			if out.Gate == nil {
				out.Gate = &Gate{Pass: true, Failed: []string{}}
			}
			if !pass {
				out.Gate.Pass = false
				out.Gate.Failed = append(out.Gate.Failed, r.Image.Reference)
			}
		}
		out.Images = append(out.Images, img)
		t := &out.Totals
		t.Images++
		t.Layers += len(r.Layers)
		t.LayerBytes += r.Summary.LayerBytes
		t.WastedBytes += r.Summary.WastedBytes
		t.LeftoverBytes += r.Leftovers.Bytes
		if img.Base != nil {
			t.BaseKnownImages++
			t.OwnLeftoverBytes += r.Leftovers.Own.Bytes
			t.BaseLeftoverBytes += r.Leftovers.Base.Bytes
		}
	}
	out.Totals.UniqueLayers = len(uses)
	for id := range uses {
		out.Totals.UniqueLayerBytes += sizes[id]
	}
	return out
}

// layerIDs are the distinct diff IDs of a report's layers (an image may
// hold one layer twice).
func layerIDs(r *report.Report) []string {
	var ids []string
	for _, l := range r.Layers {
		if !slices.Contains(ids, l.DiffID) {
			ids = append(ids, l.DiffID)
		}
	}
	return ids
}

//go:embed fleet.schema.json
var schema []byte

// SchemaID is the $id of the fleet report's JSON Schema.
const SchemaID = "https://github.com/stagescope/stagescope/analyze/fleet/fleet.schema.json"

// Schema returns the JSON Schema (draft 2020-12) of a Report encoded as
// JSON: analyze/fleet/fleet.schema.json. Its objects are closed.
func Schema() []byte { return append([]byte(nil), schema...) }
