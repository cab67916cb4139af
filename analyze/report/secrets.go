package report

import (
	"strings"

	"github.com/stagescope/stagescope/analyze/secrets"
)

// SecretsJSON is the secret scan of the report.
type SecretsJSON struct {
	// Findings are the secrets found, by path, layer and line. No value
	// appears in clear: only its fingerprint and redacted form.
	Findings []SecretJSON `json:"findings"`
	// Suppressed are the findings the allowlist accepted.
	Suppressed []SecretJSON        `json:"suppressed"`
	Allowlist  SecretAllowlistJSON `json:"allowlist"`
	// FilesSearched counts every version of every file searched (and each
	// .git object file); FilesSkipped those over the size cap.
	FilesSearched int      `json:"filesSearched"`
	FilesSkipped  int      `json:"filesSkipped"`
	Warnings      []string `json:"warnings"`
}

// SecretJSON is one secret found.
type SecretJSON struct {
	RuleID   string `json:"ruleId"`
	Category string `json:"category"` // always "secret"
	Severity string `json:"severity"`
	Why      string `json:"why"`
	// Path is the image path, or config:Env/NAME, config:Labels/KEY,
	// config:Entrypoint, config:Cmd, config:history/N.
	Path string `json:"path"`
	// Layer is the layer whose version holds the secret; absent for the
	// config outside history.
	Layer       *int   `json:"layer,omitempty"`
	Line        int    `json:"line,omitempty"`
	Fingerprint string `json:"fingerprint"`
	Redacted    string `json:"redacted"`
	StillShips  bool   `json:"stillShips"`
	// GitObject is the .git object (blob, commit or tag) that holds the
	// secret, when found inside a shipped repository's objects.
	GitObject string `json:"gitObject,omitempty"`
	// SuppressedBy says why a suppressed secret is: "allowlist" (the
	// config's secrets.allow) or "not-project" (test data or a toolchain's
	// own tree); absent on findings.
	SuppressedBy string `json:"suppressedBy,omitempty"`
}

// SecretAllowlistJSON is the allowlist the scan applied.
type SecretAllowlistJSON struct {
	Fingerprints []string `json:"fingerprints"`
	Paths        []string `json:"paths"`
}

// NewSecretsJSON converts a secret scan to its wire form; nil for no scan.
func NewSecretsJSON(r *secrets.Result) *SecretsJSON {
	if r == nil {
		return nil
	}
	return &SecretsJSON{
		Findings:      secretList(r.Findings),
		Suppressed:    secretList(r.Suppressed),
		Allowlist:     SecretAllowlistJSON{Fingerprints: nonNil(r.Allowlist.Fingerprints), Paths: nonNil(r.Allowlist.Paths)},
		FilesSearched: r.Searched,
		FilesSkipped:  r.Skipped,
		Warnings:      nonNil(r.Warnings),
	}
}

// secretPath is a secret's path on the wire: a file's as JSONPath writes
// it, or the config field ("config:Env[3]") as it is.
func secretPath(p string) string {
	if strings.HasPrefix(p, "config:") {
		return p
	}
	return JSONPath(p)
}

func secretList(fs []secrets.Finding) []SecretJSON {
	out := make([]SecretJSON, 0, len(fs))
	for _, f := range fs {
		s := SecretJSON{RuleID: f.RuleID, Category: "secret", Severity: string(f.Severity), Path: secretPath(f.Path), Line: f.Line,
			Fingerprint: f.Fingerprint, Redacted: f.Redacted, StillShips: f.StillShips, GitObject: f.Object, SuppressedBy: f.SuppressedBy}
		if r, ok := secrets.RuleByID(f.RuleID); ok {
			s.Why = r.Why
		}
		if f.Layer >= 0 {
			l := f.Layer
			s.Layer = &l
		}
		out = append(out, s)
	}
	return out
}
