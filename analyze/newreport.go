package analyze

import (
	"fmt"
	"slices"

	"github.com/stagescope/stagescope/analyze/dockerfile"
	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/analyze/leftovers"
	"github.com/stagescope/stagescope/analyze/report"
)

// NewReport builds the wire report of an analysis.
func NewReport(a *Analysis, o report.Options) *report.Report {
	img := a.Image
	m := a.Metrics
	r := &report.Report{
		SchemaVersion: report.SchemaVersion,
		Tool:          report.ToolInfo{Name: "stagescope", Version: o.ToolVersion},
		Image:         report.NewImageInfo(img, o),
		Layers:        make([]report.LayerReport, len(img.Layers)),
		Wasted:        make([]report.WastedEntry, 0, len(m.Wasted)),
		Duplicates:    make([]report.DuplicateJSON, 0, len(m.Duplicates)),
	}
	s := &r.Summary
	s.TotalBytes = m.TotalBytes
	s.Files = m.Files
	s.LayerBytes = m.LayerBytes
	s.WastedBytes = m.WastedBytes
	s.DuplicateBytes = m.DuplicateBytes
	s.WastedPercent = report.Percent(m.WastedBytes, m.LayerBytes)
	s.EfficiencyRatio = a.Dive.Efficiency
	s.DiveWastedBytes = a.Dive.WastedBytes
	s.UserWastedRatio = a.Dive.UserWastedPercent
	for i, l := range img.Layers {
		st := m.Layers[i]
		s.CompressedBytes += l.CompressedSize
		r.Layers[i] = report.LayerReport{
			Index:          i,
			Digest:         l.Digest,
			DiffID:         l.DiffID,
			MediaType:      l.MediaType,
			CreatedBy:      l.CreatedBy,
			CompressedSize: l.CompressedSize,
			Size:           l.Size,
			Files:          st.Added.Files + st.Modified.Files,
			Added:          report.ChangeJSON(st.Added),
			Modified:       report.ChangeJSON(st.Modified),
			Removed:        report.ChangeJSON(st.Removed),
		}
	}
	for _, w := range m.Wasted {
		reason := "overwritten"
		if w.Deleted {
			reason = "deleted"
		}
		r.Wasted = append(r.Wasted, report.WastedEntry{Path: report.JSONPath(w.Path), Bytes: w.Bytes, Layer: w.Layer, HiddenBy: w.HiddenBy, Reason: reason, InBase: a.Place.InBase(w.Layer)})
	}
	r.Findings = FindingsJSON(a.Findings)
	r.Suppressed = a.SuppressedJSON(o.IgnoreFlags)
	r.Leftovers = leftoversJSON(a)
	placeJSON(r, a.Place)
	r.Notes = append(r.Notes, a.Warnings...)
	if sg := a.Suggestion; sg != nil {
		r.Suggestion = report.NewSkeleton(sg.Ecosystem, sg.Dockerfile, sg.Keep, sg.Notes, sg.SavedBytes)
	}
	r.Secrets = report.NewSecretsJSON(a.Secrets)
	r.Permissions = report.PermissionsJSON(a.Permissions)
	for _, d := range m.Duplicates {
		dj := report.DuplicateJSON{Digest: fmt.Sprintf("xxh64:%016x", d.Digest), Bytes: d.Size, Paths: report.JSONPaths(d.Paths)}
		if slices.ContainsFunc(d.Paths, a.ContentHashHidden) {
			dj.Digest = ""
		}
		r.Duplicates = append(r.Duplicates, dj)
	}
	return r
}

// FindingsJSON converts findings to their wire form, in their order.
func FindingsJSON(fs []leftovers.Finding) []report.FindingJSON {
	out := make([]report.FindingJSON, len(fs))
	for i, f := range fs {
		out[i] = report.FindingJSON{
			RuleID: f.RuleID, Category: f.Category, Severity: f.Severity, Path: report.JSONPath(f.Path), Files: f.Files, Bytes: f.Bytes,
			Layer: f.Layer, CreatedBy: f.CreatedBy, Package: f.Package, Why: f.Why, Fix: f.Fix,
		}
		if f.HiddenBy >= 0 {
			h := f.HiddenBy
			out[i].HiddenBy = &h
		}
		out[i].Claims = claimsJSON(f)
	}
	return out
}

// claimsJSON lists the files f claims, each path made as it is written.
func claimsJSON(f leftovers.Finding) report.Claims {
	return report.NewClaims(int(f.Files), func(yield func(report.ClaimJSON) bool) {
		f.EachFile(func(p string, v *fstree.Version) bool {
			return yield(report.ClaimJSON{Path: report.JSONPath(p), Bytes: v.Size, Layer: int(v.Layer)})
		})
	})
}

func leftoversJSON(a *Analysis) report.LeftoversJSON {
	l := a.Leftovers
	out := report.LeftoversJSON{
		Files: l.Files, Bytes: l.Bytes, Percent: report.Percent(l.Bytes, l.ShippedBytes),
		ShippedBytes: l.ShippedBytes, RuntimeBytes: l.RuntimeBytes,
		Categories: make([]report.CategoryTotalJSON, 0, len(l.Categories)),
		Layers:     make([]report.LayerLeftoversJSON, 0, len(l.LayerBytes)),
	}
	for _, c := range l.Categories {
		out.Categories = append(out.Categories, report.CategoryTotalJSON{Category: c.Category, Findings: c.Findings, Files: c.Files, Bytes: c.Bytes, Percent: report.Percent(c.Bytes, l.ShippedBytes)})
	}
	own, base := l.Split(a.Place)
	out.Own, out.Base = report.ShareJSON(own), report.ShareJSON(base)
	for i, b := range l.LayerBytes {
		if b > 0 {
			out.Layers = append(out.Layers, report.LayerLeftoversJSON{Layer: i, Bytes: b})
		}
	}
	return out
}

// SuppressedJSON is the wire form of the findings the ignore list
// silenced; flags are the ignore entries the command line gave (each one
// "flag", any other "config").
func (a *Analysis) SuppressedJSON(flags []string) []report.SuppressedJSON {
	out := make([]report.SuppressedJSON, len(a.Suppressed))
	for i, s := range a.Suppressed {
		why := report.IgnoredByConfig
		if slices.Contains(flags, s.By) {
			why = report.IgnoredByFlag
		}
		f := FindingsJSON([]leftovers.Finding{s.Finding})[0]
		out[i] = report.SuppressedJSON{RuleID: f.RuleID, Category: f.Category, Severity: f.Severity, Path: report.JSONPath(f.Path), Files: f.Files, Bytes: f.Bytes,
			Layer: f.Layer, HiddenBy: f.HiddenBy, Ignore: s.By, Why: why}
	}
	return out
}

// placeJSON writes the base boundary and the Dockerfile lines into the
// report's image, layers and findings.
func placeJSON(r *report.Report, p *leftovers.Place) {
	if p == nil {
		return
	}
	if b := p.Base; b != nil {
		r.Image.Base = &report.BaseJSON{Layers: b.Layers, Name: b.Name, Digest: b.Digest, DetectedBy: b.DetectedBy}
	}
	r.Notes = p.Notes
	for i := range r.Layers {
		r.Layers[i].InBase = p.InBase(i)
		r.Layers[i].Dockerfile = locationJSON(p.Layers[i])
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		f.InBase = p.InBase(f.Layer)
		f.Dockerfile = locationJSON(p.Line(f.Layer))
	}
}

func locationJSON(l *dockerfile.Location) *report.LocationJSON {
	if l == nil {
		return nil
	}
	return &report.LocationJSON{Path: l.Path, StartLine: l.StartLine, EndLine: l.EndLine, Stage: l.Stage, Instruction: l.Instruction}
}
