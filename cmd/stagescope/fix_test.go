package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stagescope/stagescope/analyze/report"
	"github.com/stagescope/stagescope/layers/layerstest"
)

// dialectSteps are placeSteps's layers above the base as each builder
// writes their history.
var dialectSteps = map[string][]string{
	"buildah":  {"/bin/sh -c #(nop) WORKDIR /app", "/bin/sh -c #(nop) COPY dir:77ab in . ", "/bin/sh -c npm run build  && rm -rf /tmp/build", `/bin/sh -c #(nop) CMD ["node", "dist/server.js"]`},
	"classic":  {"/bin/sh -c #(nop) WORKDIR /app", "/bin/sh -c #(nop) COPY dir:77ab in . ", "/bin/sh -c npm run build  && rm -rf /tmp/build", `/bin/sh -c #(nop)  CMD ["node" "dist/server.js"]`},
	"buildkit": {"WORKDIR /app", "COPY . . # buildkit", "RUN /bin/sh -c npm run build  && rm -rf /tmp/build # buildkit", `CMD ["node" "dist/server.js"]`},
	"kaniko":   {"WORKDIR /app", "COPY . .", "RUN npm run build  && rm -rf /tmp/build", `CMD ["node", "dist/server.js"]`},
}

// TestFixDialects rewrites placeDockerfile from images whose history each
// builder wrote: every dialect maps the layers and gives the same rewrite.
func TestFixDialects(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dockerfile := filepath.Join(dir, "Dockerfile")
	if err := os.WriteFile(dockerfile, []byte(placeDockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "fix-node.Dockerfile")
	for _, name := range []string{"buildah", "classic", "buildkit", "kaniko"} {
		t.Run(name, func(t *testing.T) {
			steps := append([]layerstest.Step(nil), placeSteps...)
			for i, cb := range dialectSteps[name] {
				steps[3+i].CreatedBy = cb
			}
			image := writeImage(t, "app.tar", layerstest.Image(t, steps...))
			r := stagescope(t, "fix", "--dockerfile", dockerfile, image)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			if strings.Contains(r.stderr, "does not match") {
				t.Errorf("the %s history did not match: %s", name, r.stderr)
			}
			if *update && name == "buildah" {
				if err := os.WriteFile(golden, []byte(r.stdout), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(string(want), r.stdout); d != "" {
				t.Errorf("rewrite (-want +got):\n%s", d)
			}
			rep := reportOf(t, stagescope(t, "inspect", "-o", "json", "--dockerfile", dockerfile, image))
			if rep.Layers[3].Dockerfile == nil || rep.Layers[3].Dockerfile.StartLine != 4 {
				t.Errorf("layer 3 mapped to %+v, want line 4", rep.Layers[3].Dockerfile)
			}
		})
	}
}

func TestFixOutputs(t *testing.T) {
	t.Parallel()
	_, image, _, dockerfile := placeFixture(t)
	r := stagescope(t, "fix", "-o", "diff", "--dockerfile", dockerfile, image)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"--- " + dockerfile + "\n", "+++ " + dockerfile + " (stagescope fix)\n", "-FROM localhost/node:18\n", "+FROM localhost/node:18 AS builder\n", "+FROM localhost/node:18 AS runner\n", "+RUN npm install --omit=dev && npm cache clean --force\n"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("diff lacks %q:\n%s", want, r.stdout)
		}
	}
	r = stagescope(t, "fix", "-o", "json", "--dockerfile", dockerfile, image)
	rep := reportOf(t, r)
	if sg := rep.Suggestion; sg == nil || sg.Source != "rewrite" || sg.Path != dockerfile || !strings.Contains(sg.Dockerfile, "AS runner") {
		t.Errorf("suggestion %+v, want the rewrite of %s", sg, dockerfile)
	}
	// inspect's JSON keeps the skeleton
	var plain report.Report
	if err := json.Unmarshal([]byte(stagescope(t, "inspect", "-o", "json", image).stdout), &plain); err != nil {
		t.Fatal(err)
	}
	if plain.Suggestion == nil || plain.Suggestion.Source != "skeleton" {
		t.Errorf("inspect suggestion %+v, want the skeleton", plain.Suggestion)
	}
}

func TestFixBadInput(t *testing.T) {
	t.Parallel()
	dir, image, _, dockerfile := placeFixture(t)
	bad := filepath.Join(dir, "Bad.Dockerfile")
	if err := os.WriteFile(bad, []byte("FROM x\nRUN \"\n"+"ONBUILD\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"fix", image}, []string{`"dockerfile" not set`}},
		{[]string{"fix", "--dockerfile", bad, image}, []string{"Bad.Dockerfile:"}},
		{[]string{"fix", "--dockerfile", dockerfile, "--target", "prod", image}, []string{`no stage "prod"`}},
		{[]string{"fix", "--dockerfile", dockerfile, "-o", "yaml", image}, []string{`unknown output format "yaml"`}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			wantOneLineError(t, stagescope(t, tc.args...), tc.want...)
		})
	}
}
