package report

import (
	"github.com/stagescope/stagescope/analyze/rewrite"
	"github.com/stagescope/stagescope/analyze/rules"
)

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
	// Claims are the files the finding claims, whatever its Path names (a
	// file, a directory, a glob, a package's files, hidden copies), in
	// tree order (depth first, each directory's entries sorted by name):
	// Files of them, whose bytes add up to Bytes.
	Claims Claims `json:"claims"`
}

// SuppressedJSON is a finding the ignore list silenced.
type SuppressedJSON struct {
	RuleID   string         `json:"ruleId"`
	Category rules.Category `json:"category"`
	Severity rules.Severity `json:"severity"`
	Path     string         `json:"path"`
	Files    int64          `json:"files"`
	Bytes    int64          `json:"bytes"`
	Layer    int            `json:"layer"`
	HiddenBy *int           `json:"hiddenBy,omitempty"`
	// Ignore is the entry that silenced it: a rule ID, a category or a
	// path glob, as written.
	Ignore string `json:"ignore"`
	// Why says where the entry came from: "flag" (--ignore) or "config"
	// (the config file's ignore list).
	Why string `json:"why"`
}

// The origins of ignore entries.
const (
	IgnoredByFlag   = "flag"
	IgnoredByConfig = "config"
)

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

// NewSkeleton is the wire form of a generic multi-stage skeleton
// (Source "skeleton"); its lists are [] when empty, never null.
func NewSkeleton(ecosystem, dockerfile string, keep, notes []string, saved int64) *SuggestionJSON {
	return &SuggestionJSON{Ecosystem: ecosystem, Dockerfile: dockerfile, Keep: nonNil(keep), Notes: nonNil(notes), SavedBytes: saved, Source: "skeleton"}
}

// nonNil is s, or an empty slice for nil: the report writes lists as [].
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// UseRewrite puts a rewrite of the user's Dockerfile in the report's
// suggestion, in place of the skeleton.
func (r *Report) UseRewrite(path string, res *rewrite.Result) {
	if r.Suggestion == nil || res == nil {
		return
	}
	r.Suggestion.Source = "rewrite"
	r.Suggestion.Path = path
	r.Suggestion.Dockerfile = res.Dockerfile
	r.Suggestion.Notes = append(nonNil(res.Notes), r.Suggestion.Notes...)
}
