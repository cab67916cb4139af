package secrets

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	pathrules "github.com/stagescope/stagescope/analyze/rules"
	"slices"
	"strings"
)

// Finding is one secret found in an image.
type Finding struct {
	RuleID   string
	Severity Severity
	// Path is the image path of the file, or where in the config:
	// config:Env/NAME, config:Labels/KEY, config:Entrypoint, config:Cmd,
	// config:history/N (N counts every history entry, empty ones too).
	Path string
	// Layer is the layer whose version of Path holds the secret; -1 for
	// the config outside history.
	Layer int
	Line  int // 1-based; 0 when the value has no line (an Env value)
	// Fingerprint is the lowercase hex SHA-256 of the secret value (of a
	// key block as it appears).
	Fingerprint string
	// Redacted is the value's first 4 characters and "****".
	Redacted string
	// StillShips tells whether the version that holds the secret is in the
	// final image (false when a later layer deleted or overwrote it).
	StillShips bool
	// Object is the .git object ID (SHA-1) of the blob that holds the
	// secret, when it was found inside a shipped repository.
	Object string
	// SuppressedBy says why a suppressed finding is one: SuppressedAllowed
	// or SuppressedNotProject; "" for a finding.
	SuppressedBy string
	// value is the secret itself: kept to redact it wherever it appears,
	// never written out.
	value string
}

// Fingerprint returns the lowercase hex SHA-256 of a secret value.
func Fingerprint(v string) string {
	s := sha256.Sum256([]byte(v))
	return hex.EncodeToString(s[:])
}

// Redact returns a value's first 4 characters followed by "****".
func Redact(v string) string {
	n := 0
	for i := range v {
		if n == 4 {
			return v[:i] + "****"
		}
		n++
	}
	return "****"
}

func newFinding(rule int, p string, layer, line int, value []byte) Finding {
	v := string(value)
	r := &rules[rule]
	return Finding{RuleID: r.ID, Severity: r.Severity, Path: p, Layer: layer, Line: line,
		Fingerprint: Fingerprint(v), Redacted: Redact(v), value: v}
}

// sortFindings orders findings by path, layer, line and rule.
func sortFindings(fs []Finding) {
	slices.SortFunc(fs, func(a, b Finding) int {
		return cmp.Or(strings.Compare(a.Path, b.Path), cmp.Compare(a.Layer, b.Layer), cmp.Compare(a.Line, b.Line),
			strings.Compare(a.RuleID, b.RuleID), strings.Compare(a.Object, b.Object), strings.Compare(a.Fingerprint, b.Fingerprint))
	})
}

// Allowlist names secrets that are known and accepted: by fingerprint, or
// by a path glob, in the one glob dialect of --ignore and ignore.paths
// (pathrules.Ignore: "**" any number of components, a directory's glob its
// whole subtree, a leading "/" optional).
type Allowlist struct {
	Fingerprints []string
	Paths        []string
}

// Empty tells whether the allowlist names nothing.
func (a Allowlist) Empty() bool { return len(a.Fingerprints) == 0 && len(a.Paths) == 0 }

// Allows tells whether f is allowlisted.
func (a Allowlist) Allows(f *Finding) bool {
	if slices.Contains(a.Fingerprints, f.Fingerprint) {
		return true
	}
	if len(a.Paths) == 0 {
		return false
	}
	return pathrules.NewSilencer(pathrules.Ignore{Paths: a.Paths}).Path(strings.Split(strings.TrimPrefix(f.Path, "/"), "/"))
}

// Validate checks the allowlist's fingerprints and globs.
func (a Allowlist) Validate() error {
	for _, f := range a.Fingerprints {
		if len(f) != 64 || strings.Trim(f, "0123456789abcdef") != "" {
			return &AllowlistError{Value: f, Msg: "a fingerprint is 64 lowercase hex digits (the sha256 of the value)"}
		}
	}
	for _, g := range a.Paths {
		if err := pathrules.ValidateGlob(g); err != nil {
			return &AllowlistError{Value: g, Msg: "bad path glob"}
		}
	}
	return nil
}

// AllowlistError is an allowlist entry that cannot be used.
type AllowlistError struct{ Value, Msg string }

func (e *AllowlistError) Error() string { return "secrets allowlist: " + e.Msg + ": " + e.Value }
