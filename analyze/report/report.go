// Package report holds the wire types of stagescope's JSON report and its
// JSON Schema: the machine contract of `stagescope inspect -o json`. The
// analyze facade fills a Report from an analysis; this package knows only
// the parts below it (fstree, gate, secrets, perms, dockerfile).
package report

import (
	"math"

	"github.com/stagescope/stagescope/layers"
)

// SchemaVersion is the version of the JSON report. Raise it for any
// incompatible change, not for added fields.
const SchemaVersion = 2

// Report is the machine contract of `stagescope inspect -o json`. Its types
// are wire types: they change only with SchemaVersion.
type Report struct {
	SchemaVersion int             `json:"schemaVersion"`
	Tool          ToolInfo        `json:"tool"`
	Image         ImageInfo       `json:"image"`
	Summary       Summary         `json:"summary"`
	Layers        []LayerReport   `json:"layers"`
	Wasted        []WastedEntry   `json:"wasted"`
	Duplicates    []DuplicateJSON `json:"duplicates"`
	// Gate is present when CI thresholds were given.
	Gate *GateJSON `json:"gate,omitempty"`
	// Findings are the build-time leftovers, bytes descending.
	Findings []FindingJSON `json:"findings"`
	// Suppressed are the findings the ignore list silenced, bytes
	// descending: in no total.
	Suppressed []SuppressedJSON `json:"suppressed"`
	Leftovers  LeftoversJSON    `json:"leftovers"`
	// Suggestion is the multi-stage fix for the whole image, when an
	// ecosystem was recognised.
	Suggestion *SuggestionJSON `json:"suggestion,omitempty"`
	// Notes say why a source of truth was not used, e.g. a Dockerfile that
	// does not match the image, and name problems of the image that did
	// not stop the read, e.g. a hard link to a file no layer holds.
	Notes []string `json:"notes,omitempty"`
	// Secrets are the secrets found by content, in files and the config.
	Secrets *SecretsJSON `json:"secrets,omitempty"`
	// Permissions are the permission and user findings (what dockle
	// checks), by rule and path.
	Permissions []PermissionJSON `json:"permissions"`
}

// ToolInfo names the program that wrote the report.
type ToolInfo struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// ImageInfo identifies the image.
type ImageInfo struct {
	Reference string `json:"reference"`
	Source    string `json:"source"`
	// Digest is the manifest digest the source stores (the platform's,
	// for a multi-platform reference); absent when it stores none.
	Digest string `json:"digest,omitempty"`
	// IndexDigest is the multi-platform index the reference named.
	IndexDigest string `json:"indexDigest,omitempty"`
	// ConfigDigest is the image ID (the config's digest).
	ConfigDigest string     `json:"configDigest"`
	RepoTags     []string   `json:"repoTags,omitempty"`
	RepoDigests  []string   `json:"repoDigests,omitempty"`
	Platform     string     `json:"platform"`
	Config       ConfigInfo `json:"config"`
	// Base is the base image's boundary; null when there is no way to
	// tell.
	Base *BaseJSON `json:"base"`
}

// BaseJSON is where the base image ends.
type BaseJSON struct {
	// Layers is how many bottom layers the base image made.
	Layers int    `json:"layers"`
	Name   string `json:"name"`
	Digest string `json:"digest"`
	// DetectedBy says how: "flag" (--base), "annotation"
	// (org.opencontainers.image.base.*), "dockerfile" (the final FROM) or
	// "history" (the base's last CMD/ENTRYPOINT).
	DetectedBy string `json:"detectedBy"`
}

// LocationJSON is the Dockerfile instruction that made a layer.
type LocationJSON struct {
	Path        string `json:"path"`
	StartLine   int    `json:"startLine"`
	EndLine     int    `json:"endLine"`
	Stage       string `json:"stage"`
	Instruction string `json:"instruction"`
}

// ConfigInfo is the safe part of the image config (never env values).
type ConfigInfo struct {
	User         string   `json:"user,omitempty"`
	Entrypoint   []string `json:"entrypoint,omitempty"`
	Cmd          []string `json:"cmd,omitempty"`
	WorkingDir   string   `json:"workingDir,omitempty"`
	ExposedPorts []string `json:"exposedPorts,omitempty"`
	Created      string   `json:"created,omitempty"`
}

// Summary holds the whole-image numbers. Sizes are bytes.
type Summary struct {
	TotalBytes      int64 `json:"totalBytes"`
	Files           int64 `json:"files"`
	LayerBytes      int64 `json:"layerBytes"`
	CompressedBytes int64 `json:"compressedBytes"`
	// WastedBytes is reclaimable waste: every overwritten or deleted copy
	// counted once.
	WastedBytes    int64   `json:"wastedBytes"`
	WastedPercent  float64 `json:"wastedPercent"`
	DuplicateBytes int64   `json:"duplicateBytes"`
	// The three dive-compatible numbers, computed as dive 0.13 does and
	// not rounded, so that dive's CI thresholds apply unchanged.
	// EfficiencyRatio is a fraction from 0 to 1 (dive's efficiencyScore
	// and lowestEfficiency).
	EfficiencyRatio float64 `json:"efficiencyRatio"`
	// DiveWastedBytes is dive's inefficientBytes (highestWastedBytes): the
	// bytes of every path written or deleted in more than one layer, all
	// copies counted, the kept one too.
	DiveWastedBytes int64 `json:"diveWastedBytes"`
	// UserWastedRatio is dive's userWastedPercent, which is a fraction:
	// DiveWastedBytes over the bytes of all layers but the first; 0.25
	// means 25% and it may exceed 1 (dive's highestUserWastedPercent). It is
	// 0 when the layers above the first hold no bytes, where dive divides
	// by zero (the gate's check then says what dive decides).
	UserWastedRatio float64 `json:"userWastedRatio"`
}

// ChangeJSON counts files and bytes of one kind of change.
type ChangeJSON struct {
	Files int64 `json:"files"`
	Bytes int64 `json:"bytes"`
}

// LayerReport describes one layer.
type LayerReport struct {
	Index          int        `json:"index"`
	Digest         string     `json:"digest"`
	DiffID         string     `json:"diffId"`
	MediaType      string     `json:"mediaType,omitempty"`
	CreatedBy      string     `json:"createdBy"`
	CompressedSize int64      `json:"compressedSize"`
	Size           int64      `json:"size"`
	Files          int64      `json:"files"`
	Added          ChangeJSON `json:"added"`
	Modified       ChangeJSON `json:"modified"`
	Removed        ChangeJSON `json:"removed"`
	InBase         bool       `json:"inBase"`
	// Dockerfile is the instruction that made the layer, with --dockerfile.
	Dockerfile *LocationJSON `json:"dockerfile,omitempty"`
}

// WastedEntry is one hidden copy of a file.
type WastedEntry struct {
	Path     string `json:"path"`
	Bytes    int64  `json:"bytes"`
	Layer    int    `json:"layer"`
	HiddenBy int    `json:"hiddenBy"`
	Reason   string `json:"reason"` // "overwritten" or "deleted"
	InBase   bool   `json:"inBase"`
}

// DuplicateJSON is one content stored at several visible paths.
type DuplicateJSON struct {
	// Digest is the xxhash64 of the content, hex; "" when a secret rule
	// matched one of the paths (see analyze.Analysis.ContentHashHidden).
	Digest string   `json:"digest,omitempty"`
	Bytes  int64    `json:"bytes"` // size of one copy
	Paths  []string `json:"paths"`
}

// Options say what the report cannot learn from the analysis.
type Options struct {
	ToolVersion string
	Reference   string
	Source      string
	// IgnoreFlags are the ignore entries given on the command line
	// (--ignore): a suppressed finding silenced by one of them says
	// "flag", by any other (the config file's) "config".
	IgnoreFlags []string
}

// Percent is part as a percentage of whole, rounded to four decimals as
// the report writes percentages; 0 when whole is not positive.
func Percent(part, whole int64) float64 {
	if whole <= 0 {
		return 0
	}
	return round(100*float64(part)/float64(whole), 4)
}

func round(f float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(f*p) / p
}

// NewImageInfo describes img for the wire; with a nil img, only what o
// says.
func NewImageInfo(img *layers.Image, o Options) ImageInfo {
	info := ImageInfo{Reference: o.Reference, Source: o.Source}
	if img == nil {
		return info
	}
	info.Digest = img.Digest
	info.IndexDigest = img.IndexDigest
	info.ConfigDigest = img.ConfigDigest
	info.RepoTags = img.RepoTags
	info.RepoDigests = img.RepoDigests
	info.Platform = img.Platform
	info.Config = ConfigInfo{
		User:         img.Config.User,
		Entrypoint:   img.Config.Entrypoint,
		Cmd:          img.Config.Cmd,
		WorkingDir:   img.Config.WorkingDir,
		ExposedPorts: img.Config.ExposedPorts,
		Created:      img.Config.Created,
	}
	return info
}
