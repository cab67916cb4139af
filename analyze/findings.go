package analyze

import "github.com/stagescope/stagescope/analyze/rules"

// Finding is one leftover: a file, or a directory grouping several files,
// that a runtime image does not need.
type Finding struct {
	RuleID    string
	Category  rules.Category
	Severity  rules.Severity
	Path      string // the file, or the directory that groups Files files
	Files     int64
	Bytes     int64
	Layer     int // layer that added the bytes
	CreatedBy string
	// HiddenBy is the layer that deleted or overwrote the path, -1 when it
	// is visible in the final filesystem (a deleted secret still ships).
	HiddenBy    int
	Package     string // owning package, where known
	Why         string
	Fix         string
	Fingerprint string // secrets only: a short hash of the contents, never the contents
}
