package main

import (
	"strings"
	"testing"

	"github.com/stagescope/stagescope/analyze/report"
	"github.com/stagescope/stagescope/analyze/secrets"
	"github.com/stagescope/stagescope/analyze/secrets/secretstest"
	"github.com/stagescope/stagescope/layers/layerstest"
)

// An image that is only a toolchain (the official golang image's layout)
// carries test keys, go.mod files and sources that are not the user's: no
// high-severity secret, no suggestion whose WORKDIR is in the toolchain or
// whose saving is the toolchain itself. The same files beside a real
// project change nothing of that, and the project's own key is still one.
func TestToolchainIsNotTheProject(t *testing.T) {
	gen := secretstest.New(16)
	pemKey := func() string { return gen.Key("EC ", "\n") + "\n" }
	toolchain := []layerstest.File{
		layerstest.Dir("usr/local/go"),
		{Name: "usr/local/go/bin/go", Body: strings.Repeat("\x7fELF", 40_000)},
		{Name: "usr/local/go/src/crypto/x509/platform_root_key.pem", Body: pemKey()},
		{Name: "usr/local/go/src/crypto/tls/testdata/example-key.pem", Body: pemKey()},
		{Name: "usr/local/go/src/crypto/tls/example_test.go", Body: "package tls_test\n\nconst testKey = `" + pemKey() + "`\n"},
		{Name: "usr/local/go/src/go.mod", Body: "module std\n\ngo 1.19\n"},
		{Name: "usr/local/go/misc/go.mod", Body: "module misc\n\ngo 1.19\n"},
		{Name: "usr/share/go-1.19/src/crypto/tls/testdata/id_rsa", Body: pemKey()},
	}
	app := []layerstest.File{
		{Name: "app/go.mod", Body: "module example.com/app\n\ngo 1.19\n"},
		{Name: "app/main.go", Body: "package main\n\nfunc main() {}\n"},
		{Name: "app/deploy/server.pem", Body: pemKey()},
	}
	inspect := func(t *testing.T, ls ...[]layerstest.File) report.Report {
		t.Helper()
		t.Chdir(t.TempDir())
		return inspectJSON(t, writeArchive(t, layerstest.Layers(t, ls...)))
	}
	secretPaths := func(r report.Report) (found []string) {
		for _, f := range r.Findings {
			if f.Category == "secret" {
				found = append(found, f.RuleID+" "+f.Path)
			}
		}
		if r.Secrets != nil {
			for _, f := range r.Secrets.Findings {
				found = append(found, f.RuleID+" "+f.Path)
			}
		}
		return found
	}

	t.Run("toolchain only", func(t *testing.T) {
		r := inspect(t, toolchain)
		if got := secretPaths(r); len(got) > 0 {
			t.Errorf("secrets in a toolchain's test data and sources: %v, want none", got)
		}
		if r.Secrets == nil || len(r.Secrets.Suppressed) != 4 {
			t.Fatalf("secrets %+v: want the four test keys set aside", r.Secrets)
		}
		for _, f := range r.Secrets.Suppressed {
			if f.SuppressedBy != secrets.SuppressedNotProject {
				t.Errorf("suppressed %s %s by %q, want %q", f.RuleID, f.Path, f.SuppressedBy, secrets.SuppressedNotProject)
			}
		}
		if r.Suggestion != nil {
			t.Errorf("a toolchain-only image got a %s suggestion saving %d bytes:\n%s", r.Suggestion.Ecosystem, r.Suggestion.SavedBytes, r.Suggestion.Dockerfile)
		}
	})
	t.Run("toolchain and a project", func(t *testing.T) {
		r := inspect(t, toolchain, app)
		got := secretPaths(r)
		for _, s := range got {
			if !strings.Contains(s, "app/deploy/server.pem") {
				t.Errorf("secret %s: only the project's key is one", s)
			}
		}
		if len(got) == 0 {
			t.Errorf("the project's own key app/deploy/server.pem was not found")
		}
		if r.Suggestion == nil || !strings.Contains(r.Suggestion.Dockerfile, "WORKDIR /app\n") || strings.Contains(r.Suggestion.Dockerfile, "usr/local/go") {
			t.Errorf("suggestion %+v: want a go skeleton with WORKDIR /app, nothing of the toolchain", r.Suggestion)
		}
	})
}
