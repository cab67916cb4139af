package analyze

import "github.com/stagescope/stagescope/analyze/rules"

// FindingJSON is one leftover in the JSON report.
type FindingJSON struct {
	RuleID   string         `json:"ruleId"`
	Category rules.Category `json:"category"`
	Severity rules.Severity `json:"severity"`
	// Path is the file, or the directory grouping Files files; for a
	// package, the directory holding all its files.
	Path      string `json:"path"`
	Files     int64  `json:"files"`
	Bytes     int64  `json:"bytes"`
	Layer     int    `json:"layer"`
	CreatedBy string `json:"createdBy"`
	// HiddenBy is the layer that deleted or overwrote the bytes; absent
	// when they are visible in the final filesystem.
	HiddenBy *int   `json:"hiddenBy,omitempty"`
	Package  string `json:"package,omitempty"`
	Why      string `json:"why"`
	Fix      string `json:"fix"`
	InBase   bool   `json:"inBase"`
	// Dockerfile is where the user fixes it: the instruction of its layer,
	// or the FROM line for a base layer's.
	Dockerfile *LocationJSON `json:"dockerfile,omitempty"`
}

// LeftoversJSON sums the findings; every file is counted once however many
// findings name it.
type LeftoversJSON struct {
	Files int64 `json:"files"`
	Bytes int64 `json:"bytes"`
	// Percent is Bytes as a share of ShippedBytes, the file contents all
	// layers carry (visible and hidden).
	Percent      float64 `json:"percent"`
	ShippedBytes int64   `json:"shippedBytes"`
	// RuntimeBytes estimates the visible files without the leftovers.
	RuntimeBytes int64                `json:"runtimeBytes"`
	Categories   []CategoryTotalJSON  `json:"categories"`
	Layers       []LayerLeftoversJSON `json:"layers"`
	// Own and Base split Files and Bytes between the user's layers and the
	// base image's: own + base = the total.
	Own  ShareJSON `json:"own"`
	Base ShareJSON `json:"base"`
}

// ShareJSON is a part of the leftovers.
type ShareJSON struct {
	Bytes int64 `json:"bytes"`
	Files int64 `json:"files"`
}

// CategoryTotalJSON is one category's total, each file counted once.
type CategoryTotalJSON struct {
	Category rules.Category `json:"category"`
	Findings int            `json:"findings"`
	Files    int64          `json:"files"`
	Bytes    int64          `json:"bytes"`
	Percent  float64        `json:"percent"`
}

// LayerLeftoversJSON is the leftover bytes a layer wrote.
type LayerLeftoversJSON struct {
	Layer int   `json:"layer"`
	Bytes int64 `json:"bytes"`
}

// SuggestionJSON is the whole-image fix.
type SuggestionJSON struct {
	Ecosystem  string   `json:"ecosystem"`
	Dockerfile string   `json:"dockerfile"`
	Keep       []string `json:"keep"`
	Notes      []string `json:"notes"`
	SavedBytes int64    `json:"savedBytes"`
	// Source says what Dockerfile is: "skeleton", a generic one, or
	// "rewrite", the user's own (Path) made multi-stage.
	Source string `json:"source"`
	Path   string `json:"path,omitempty"`
}

// FindingsJSON converts findings to their wire form, in their order.
func FindingsJSON(fs []Finding) []FindingJSON {
	out := make([]FindingJSON, len(fs))
	for i, f := range fs {
		out[i] = FindingJSON{
			RuleID: f.RuleID, Category: f.Category, Severity: f.Severity, Path: JSONPath(f.Path), Files: f.Files, Bytes: f.Bytes,
			Layer: f.Layer, CreatedBy: f.CreatedBy, Package: f.Package, Why: f.Why, Fix: f.Fix,
		}
		if f.HiddenBy >= 0 {
			h := f.HiddenBy
			out[i].HiddenBy = &h
		}
	}
	return out
}

func leftoversJSON(a *Analysis) LeftoversJSON {
	l := a.Leftovers
	out := LeftoversJSON{
		Files: l.Files, Bytes: l.Bytes, Percent: percent(l.Bytes, l.ShippedBytes),
		ShippedBytes: l.ShippedBytes, RuntimeBytes: l.RuntimeBytes,
		Categories: make([]CategoryTotalJSON, 0, len(l.Categories)),
		Layers:     make([]LayerLeftoversJSON, 0, len(l.LayerBytes)),
	}
	for _, c := range l.Categories {
		out.Categories = append(out.Categories, CategoryTotalJSON{Category: c.Category, Findings: c.Findings, Files: c.Files, Bytes: c.Bytes, Percent: percent(c.Bytes, l.ShippedBytes)})
	}
	own, base := l.Split(a.Place)
	out.Own, out.Base = ShareJSON(own), ShareJSON(base)
	for i, b := range l.LayerBytes {
		if b > 0 {
			out.Layers = append(out.Layers, LayerLeftoversJSON{Layer: i, Bytes: b})
		}
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
