package analyze

// Category groups leftover findings. The names are part of the JSON contract.
type Category string

// The leftover categories.
const (
	CatToolchain     Category = "toolchain"
	CatPackageCache  Category = "package-cache"
	CatBuildCache    Category = "build-cache"
	CatDevDependency Category = "dev-dependency"
	CatDevHeaders    Category = "dev-headers"
	CatVCS           Category = "vcs"
	CatDocs          Category = "docs"
	CatSecret        Category = "secret"
	CatWasted        Category = "wasted"
)

// Severity ranks findings. The names are part of the JSON contract.
type Severity string

// The severities, lowest first.
const (
	SevInfo     Severity = "info"
	SevLow      Severity = "low"
	SevMedium   Severity = "medium"
	SevHigh     Severity = "high"
	SevCritical Severity = "critical"
)

// Finding is one leftover: a file, or a directory grouping several files,
// that a runtime image does not need.
type Finding struct {
	RuleID    string
	Category  Category
	Severity  Severity
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
