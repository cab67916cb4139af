package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/stagescope/stagescope/analyze/analyzetest"
	"github.com/stagescope/stagescope/analyze/secrets"
	"github.com/stagescope/stagescope/analyze/secrets/secretstest"
)

// plantedArchive builds the planted-secrets image from fresh random values
// and saves it as a docker archive.
func plantedArchive(t *testing.T) (string, []secretstest.Planted) {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	t.Logf("planted-secrets seed %d", seed)
	img, planted, err := secretstest.PlantedImage(seed, t.TempDir())
	if errors.Is(err, secretstest.ErrNoGit) {
		t.Skip("skipping: the planted image needs the git program to build its .git")
	}
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "planted.tar")
	tag, err := name.NewTag("planted:1")
	if err != nil {
		t.Fatal(err)
	}
	if err := tarball.WriteToFile(p, tag, img); err != nil {
		t.Fatal(err)
	}
	return p, planted
}

// leaks returns the planted values (or long pieces of them) that out holds
// in clear, as is or JSON-escaped.
func leaks(out string, planted []secretstest.Planted) []string {
	var found []string
	for _, p := range planted {
		pieces := []string{p.Value}
		if esc, err := json.Marshal(p.Value); err == nil {
			pieces = append(pieces, strings.Trim(string(esc), `"`))
		}
		for _, line := range strings.FieldsFunc(p.Value, func(r rune) bool { return r == '\n' || r == '\\' }) {
			if len(line) >= 24 {
				pieces = append(pieces, line)
			}
		}
		for _, piece := range pieces {
			if strings.Contains(out, piece) {
				found = append(found, fmt.Sprintf("%s at %s (%.12s…)", p.RuleID, p.Where, piece))
				break
			}
		}
	}
	return found
}

func TestPlantedSecrets(t *testing.T) {
	t.Parallel()
	archive, planted := plantedArchive(t)
	r := stagescope(t, "inspect", "-o", "json", archive)
	if r.code != exitOK {
		t.Fatalf("inspect -o json: exit %d, stderr %s", r.code, r.stderr)
	}
	var rep struct {
		Secrets struct {
			Findings []struct {
				RuleID, Path, Fingerprint, Redacted, GitObject string
				Layer                                          *int
				StillShips                                     bool
			}
			Warnings []string
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	analyzetest.ValidateReport(t, []byte(r.stdout))
	for _, w := range rep.Secrets.Warnings {
		t.Errorf("warning: %s", w)
	}
	for _, p := range planted {
		fp := secrets.Fingerprint(p.Value)
		ok := false
		for _, f := range rep.Secrets.Findings {
			layer := -1
			if f.Layer != nil {
				layer = *f.Layer
			}
			if f.Fingerprint == fp && f.Path == reportPath(p.Where) && f.RuleID == p.RuleID && layer == p.Layer && f.StillShips == p.StillShips {
				ok = true
				if want := secrets.Redact(p.Value); f.Redacted != want {
					t.Errorf("%s at %s: redacted %q, want %q", p.RuleID, p.Where, f.Redacted, want)
				}
			}
		}
		if !ok {
			t.Errorf("%s at %s (layer %d, ships %v, %s) not found by fingerprint %.12s", p.RuleID, p.Where, p.Layer, p.StillShips, p.Note, fp)
		}
	}
	// Documented examples are not secrets.
	for _, f := range rep.Secrets.Findings {
		if f.Path == "app/README.md" {
			t.Errorf("an example value was reported: %+v", f)
		}
	}

	for _, format := range []string{"json", "text", "sarif"} {
		out := r.stdout
		if format != "json" {
			res := stagescope(t, "inspect", "-o", format, archive)
			if res.code != exitOK {
				t.Fatalf("inspect -o %s: exit %d, stderr %s", format, res.code, res.stderr)
			}
			out = res.stdout + res.stderr
			if format == "sarif" {
				validateSARIF(t, []byte(res.stdout))
			}
		}
		for _, l := range leaks(out, planted) {
			t.Errorf("-o %s prints a secret in clear: %s", format, l)
		}
	}
	// diff prints both images' history.
	for _, format := range []string{"text", "json"} {
		res := stagescope(t, "diff", "-o", format, archive, archive)
		if res.code != exitOK {
			t.Fatalf("diff -o %s: exit %d, stderr %s", format, res.code, res.stderr)
		}
		for _, l := range leaks(res.stdout+res.stderr, planted) {
			t.Errorf("diff -o %s prints a secret in clear: %s", format, l)
		}
	}
}

func TestPlantedSecretsAllowlist(t *testing.T) {
	t.Parallel()
	archive, planted := plantedArchive(t)
	var aws secretstest.Planted
	for _, p := range planted {
		if p.RuleID == "aws-access-key-id" {
			aws = p
		}
	}
	cfg := filepath.Join(t.TempDir(), "ci.yaml")
	body := fmt.Sprintf("secrets:\n  allow:\n    fingerprints: [%s]\n    paths: [\"app/.git/**\"]\n", secrets.Fingerprint(aws.Value))
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	r := stagescope(t, "inspect", "-o", "json", "--config", cfg, archive)
	if r.code != exitOK {
		t.Fatalf("exit %d, stderr %s", r.code, r.stderr)
	}
	var rep struct {
		Secrets struct {
			Findings, Suppressed []struct{ Path, Fingerprint string }
			Allowlist            struct{ Fingerprints, Paths []string }
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	for _, f := range rep.Secrets.Findings {
		if f.Fingerprint == secrets.Fingerprint(aws.Value) || strings.HasPrefix(f.Path, "/app/.git/") {
			t.Errorf("allowlisted secret still reported: %+v", f)
		}
	}
	var git, key int
	for _, f := range rep.Secrets.Suppressed {
		if strings.HasPrefix(f.Path, "/app/.git/") {
			git++
		}
		if f.Fingerprint == secrets.Fingerprint(aws.Value) {
			key++
		}
	}
	if git < 3 || key != 1 {
		t.Errorf("suppressed: %d .git findings (want at least 3), %d of the allowed key (want 1)", git, key)
	}
	if got := rep.Secrets.Allowlist.Paths; len(got) != 1 || got[0] != "app/.git/**" {
		t.Errorf("allowlist paths %v, want [app/.git/**]", got)
	}
	for _, l := range leaks(r.stdout, planted) {
		t.Errorf("prints a secret in clear: %s", l)
	}
}

// reportPath is how the JSON report writes a secret's path: an image path
// from the root, a config field as it is.
func reportPath(where string) string {
	if strings.HasPrefix(where, "config:") {
		return where
	}
	return "/" + where
}
