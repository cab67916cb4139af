package secrets_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stagescope/stagescope/analyze/secrets"
	"github.com/stagescope/stagescope/analyze/secrets/secretstest"
	"github.com/stagescope/stagescope/layers"
	lt "github.com/stagescope/stagescope/layers/layerstest"
)

type got struct {
	Rule, Path string
	Layer      int
	Line       int
	Ships      bool
}

func TestScanLayers(t *testing.T) {
	g := secretstest.New(3)
	ghp := "ghp_" + g.S("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 36)
	big := strings.Repeat("x = 1\n", secrets.FileLimit/6+1) + ghp + "\n"
	img := lt.Image(t,
		lt.Step{CreatedBy: "COPY", Files: []lt.File{
			{Name: "app/a.env", Body: "# a\nTOKEN=" + ghp + "\n"},
			{Name: "app/gone.txt", Body: ghp},
			{Name: "app/bin", Body: "\x7fELF\x00\x00" + ghp},
			{Name: "app/logo.png", Body: ghp},
			{Name: "app/big.txt", Body: big},
		}},
		lt.Step{CreatedBy: "RUN rm", Files: []lt.File{lt.Whiteout("app/gone.txt"), {Name: "app/a.env", Body: "# a\nTOKEN=" + ghp + "\n"}}},
	)
	li, err := layers.Read(context.Background(), img, layers.WithContentScan(secrets.LayerScan()))
	if err != nil {
		t.Fatal(err)
	}
	visible := map[string]int{"app/a.env": 1, "app/bin": 0, "app/logo.png": 0, "app/big.txt": 0}
	r := secrets.Collect(li, func(p string, layer int) bool { l, ok := visible[p]; return ok && l == layer })
	var gots []got
	for _, f := range r.Findings {
		gots = append(gots, got{f.RuleID, f.Path, f.Layer, f.Line, f.StillShips})
		if f.Fingerprint != secrets.Fingerprint(ghp) || f.Redacted != ghp[:4]+"****" {
			t.Errorf("%s: fingerprint %s, redacted %s", f.Path, f.Fingerprint, f.Redacted)
		}
	}
	want := []got{
		{"github-pat", "app/a.env", 0, 2, false},
		{"github-pat", "app/a.env", 1, 2, true},
		{"github-pat", "app/gone.txt", 0, 1, false},
	}
	if diff := cmp.Diff(want, gots); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if r.Skipped != 1 {
		t.Errorf("skipped %d files over the cap, want 1 (app/big.txt)", r.Skipped)
	}
}

func TestScanConfigAndRedact(t *testing.T) {
	g := secretstest.New(4)
	tok := "glpat-" + g.S("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 20)
	img := &layers.Image{
		Layers: []layers.Layer{{CreatedBy: "RUN git clone https://oauth2:" + tok + "@gitlab.com/x/y"}},
		Config: layers.Config{
			Env:     []string{"CI_TOKEN=" + tok, "HOME=/root"},
			Cmd:     []string{"--token", tok},
			History: []layers.History{{CreatedBy: "ARG X", EmptyLayer: true}, {CreatedBy: "RUN git clone https://oauth2:" + tok + "@gitlab.com/x/y"}},
		},
	}
	r := secrets.Collect(img, func(string, int) bool { return false })
	var where []string
	for _, f := range r.Findings {
		where = append(where, f.Path)
	}
	if diff := cmp.Diff([]string{"config:Cmd", "config:Env/CI_TOKEN", "config:history/1"}, where); diff != "" {
		t.Errorf("where (-want +got):\n%s", diff)
	}
	r.Redact(img)
	all := img.Layers[0].CreatedBy + strings.Join(img.Config.Env, " ") + strings.Join(img.Config.Cmd, " ") + img.Config.History[1].CreatedBy
	if strings.Contains(all, tok) {
		t.Errorf("a secret left after Redact: %s", all)
	}
	if want := "glpa****"; !strings.Contains(all, want) {
		t.Errorf("redacted strings %q lack %q", all, want)
	}
	if got, want := secrets.RedactText("TOKEN="+tok), "TOKEN=glpa****"; got != want {
		t.Errorf("RedactText = %q, want %q", got, want)
	}
}

func TestAllowlist(t *testing.T) {
	f := secrets.Finding{Path: "app/.git/objects/pack/pack-1.pack", Fingerprint: strings.Repeat("a", 64)}
	for _, tc := range []struct {
		a    secrets.Allowlist
		want bool
	}{
		{secrets.Allowlist{Fingerprints: []string{strings.Repeat("a", 64)}}, true},
		{secrets.Allowlist{Fingerprints: []string{strings.Repeat("b", 64)}}, false},
		{secrets.Allowlist{Paths: []string{"app/.git"}}, true},
		{secrets.Allowlist{Paths: []string{"**/*.pack"}}, true},
		{secrets.Allowlist{Paths: []string{"srv/**"}}, false},
		// the dialect of --ignore and ignore.paths: a leading "/", and "**"
		// anywhere, as users write them there
		{secrets.Allowlist{Paths: []string{"/app/.git"}}, true},
		{secrets.Allowlist{Paths: []string{"app/**/*.pack"}}, true},
		{secrets.Allowlist{Paths: []string{"app/**/*.idx"}}, false},
	} {
		if got := tc.a.Allows(&f); got != tc.want {
			t.Errorf("%+v.Allows = %v, want %v", tc.a, got, tc.want)
		}
	}
	if err := (secrets.Allowlist{Fingerprints: []string{"ABC"}}).Validate(); err == nil {
		t.Error("a bad fingerprint validates")
	}
	if err := (secrets.Allowlist{Paths: []string{"app/[x"}}).Validate(); err == nil {
		t.Error("a bad path glob validates")
	}
}
