package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/stagescope/stagescope/analyze/analyzetest"
	"github.com/stagescope/stagescope/analyze/dockerfile"
	"github.com/stagescope/stagescope/analyze/report"
	"github.com/stagescope/stagescope/layers/layerstest"
)

// placeDockerfile built placeImage (lines: FROM 1, WORKDIR 2, COPY 3,
// RUN 4-5, CMD 6).
const placeDockerfile = `FROM localhost/node:18
WORKDIR /app
COPY . .
RUN npm run build \
 && rm -rf /tmp/build
CMD ["node", "dist/server.js"]
`

// placeSteps are node:18 as buildah writes it, a .deb left in its second
// layer, and the Dockerfile's layers, .git copied along.
var placeSteps = []layerstest.Step{
	{CreatedBy: "/bin/sh -c #(nop) ADD file:5d6f in / ", Files: []layerstest.File{{Name: "etc/debian_version", Body: "12"}}},
	{CreatedBy: "/bin/sh -c apt-get update && apt-get install -y nodejs", Files: []layerstest.File{
		{Name: "usr/bin/node", Body: "elf"}, {Name: "var/cache/apt/archives/nodejs_18.deb", Body: strings.Repeat("d", 5000)}}},
	{CreatedBy: `/bin/sh -c #(nop) CMD ["node"]`, Empty: true},
	{CreatedBy: "/bin/sh -c #(nop) WORKDIR /app", Empty: true},
	{CreatedBy: "/bin/sh -c #(nop) COPY dir:77ab in . ", Files: []layerstest.File{
		{Name: "app/package.json", Body: `{"name":"x"}`}, {Name: "app/.git/config", Body: strings.Repeat("g", 300)}, {Name: "app/.git/HEAD", Body: "ref"}}},
	{CreatedBy: "/bin/sh -c npm run build  && rm -rf /tmp/build", Files: []layerstest.File{{Name: "app/dist/server.js", Body: "js"}}},
	{CreatedBy: `/bin/sh -c #(nop) CMD ["node", "dist/server.js"]`, Empty: true},
}

// writeImage saves img as a docker archive in a temporary directory.
func writeImage(t *testing.T, name string, img v1.Image) string {
	t.Helper()
	return layerstest.WriteFile(t, name, layerstest.DockerSave(t, img, "localhost/"+strings.TrimSuffix(name, ".tar")+":1", layerstest.SaveClassic, false))
}

func placeFixture(t *testing.T) (dir, image, base, dockerfile string) {
	t.Helper()
	image = writeImage(t, "app.tar", layerstest.Image(t, placeSteps...))
	base = writeImage(t, "node.tar", layerstest.Image(t, placeSteps[:3]...))
	dir = filepath.Dir(image)
	dockerfile = filepath.Join(dir, "Dockerfile")
	if err := os.WriteFile(dockerfile, []byte(placeDockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, image, base, dockerfile
}

func reportOf(t *testing.T, r result) *report.Report {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	analyzetest.ValidateReport(t, []byte(r.stdout))
	var rep report.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	return &rep
}

func TestPlaceJSON(t *testing.T) {
	t.Parallel()
	_, image, base, dockerfile := placeFixture(t)
	tests := []struct {
		name      string
		args      []string
		wantBase  *report.BaseJSON
		wantLines [][2]int // per layer; {0,0} for none
	}{
		{"history alone", nil, &report.BaseJSON{Layers: 2, DetectedBy: "history"}, [][2]int{{}, {}, {}, {}}},
		{"--base", []string{"--base", base}, &report.BaseJSON{Layers: 2, Name: base, DetectedBy: "flag"}, [][2]int{{}, {}, {}, {}}},
		{"--dockerfile", []string{"--dockerfile", dockerfile}, &report.BaseJSON{Layers: 2, Name: "localhost/node:18", DetectedBy: "dockerfile"}, [][2]int{{}, {}, {3, 3}, {4, 5}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := reportOf(t, stagescope(t, append([]string{"inspect", "-o", "json"}, append(tt.args, image)...)...))
			got := rep.Image.Base
			if got != nil {
				got.Digest = "" // the base archive's digest: checked below
			}
			if d := cmp.Diff(tt.wantBase, got); d != "" {
				t.Errorf("image.base (-want +got):\n%s", d)
			}
			var lines [][2]int
			for i, l := range rep.Layers {
				if got, want := l.InBase, i < 2; got != want {
					t.Errorf("layer %d inBase = %v, want %v", i, got, want)
				}
				var ln [2]int
				if l.Dockerfile != nil {
					ln = [2]int{l.Dockerfile.StartLine, l.Dockerfile.EndLine}
				}
				lines = append(lines, ln)
			}
			if d := cmp.Diff(tt.wantLines, lines); d != "" {
				t.Errorf("layer lines (-want +got):\n%s", d)
			}
			lo := rep.Leftovers
			if lo.Own.Bytes+lo.Base.Bytes != lo.Bytes || lo.Own.Files+lo.Base.Files != lo.Files {
				t.Errorf("own %+v + base %+v != leftovers %d bytes, %d files", lo.Own, lo.Base, lo.Bytes, lo.Files)
			}
			if lo.Base.Bytes < 5000 || lo.Own.Bytes < 300 {
				t.Errorf("own %+v, base %+v: want the .deb in the base and .git in your layers", lo.Own, lo.Base)
			}
			for _, f := range rep.Findings {
				if f.InBase != (f.Layer < 2) {
					t.Errorf("finding %s %s in layer %d: inBase = %v", f.RuleID, f.Path, f.Layer, f.InBase)
				}
				if tt.wantLines[2] != [2]int{} {
					want := 1 // base findings point at FROM
					if f.Layer >= 2 {
						want = tt.wantLines[f.Layer][0]
					}
					if f.Dockerfile == nil || f.Dockerfile.StartLine != want {
						t.Errorf("finding %s in layer %d: dockerfile %+v, want line %d", f.RuleID, f.Layer, f.Dockerfile, want)
					}
				}
			}
		})
	}
}

func TestPlaceText(t *testing.T) {
	t.Parallel()
	dir, image, _, dockerfile := placeFixture(t)
	r := stagescope(t, "inspect", "-o", "text", "--dockerfile", dockerfile, image)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{
		"Base image  localhost/node:18: layers 0–1, ",
		"(fix: a slimmer base, or clean it in your first RUN); found by dockerfile\n",
		"Your layers layers 2–3, ",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("text output lacks %q:\n%s", want, r.stdout)
		}
	}
	// the Layers table names each layer's Dockerfile line
	golden(t, "inspect-place.txt", []byte(strings.ReplaceAll(r.stdout, dir, "$DIR")), sameText)

	// a Dockerfile whose name holds an escape sequence is shown escaped
	hostile := filepath.Join(dir, "Docker\x1b[2Jfile")
	if err := os.WriteFile(hostile, []byte(placeDockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	r = stagescope(t, "inspect", "-o", "text", "--dockerfile", hostile, image)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if strings.ContainsRune(r.stdout, 0x1b) || !strings.Contains(r.stdout, `Docker\x1b[2Jfile:4-5`) {
		t.Errorf("want the escaped name with the line of layer 3 and no ESC, got:\n%q", r.stdout)
	}
}

func TestPlaceSARIF(t *testing.T) {
	t.Parallel()
	dir, image, _, _ := placeFixture(t)
	for _, tt := range []struct {
		name    string
		args    []string
		wantURI string
	}{
		{"relative to --sarif-root", []string{"--dockerfile", filepath.Join(dir, "Dockerfile"), "--sarif-root", filepath.Dir(dir)}, filepath.Base(dir) + "/Dockerfile"},
		{"as given", []string{"--dockerfile", "testdata/../" + mustRel(t, filepath.Join(dir, "Dockerfile"))}, "testdata/../" + mustRel(t, filepath.Join(dir, "Dockerfile"))},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := stagescope(t, append([]string{"inspect", "-o", "sarif"}, append(tt.args, image)...)...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			validateSARIF(t, []byte(r.stdout))
			var log sarifLog
			if err := json.Unmarshal([]byte(r.stdout), &log); err != nil {
				t.Fatal(err)
			}
			regions := map[string]sarifRegion{}
			for _, res := range log.Runs[0].Results {
				loc := res.Locations[0].PhysicalLocation
				if loc.ArtifactLocation.URI != tt.wantURI {
					t.Errorf("%s: uri %q, want %q", res.RuleID, loc.ArtifactLocation.URI, tt.wantURI)
				}
				regions[res.RuleID] = loc.Region
				// then one location per file the finding claims
				if len(res.Locations) < 2 || slices.ContainsFunc(res.Locations[1:], func(l sarifLocation) bool { return l.PhysicalLocation.ArtifactLocation.URIBaseID != sarifRoot }) {
					t.Errorf("%s: want the image's files after the Dockerfile line, got %+v", res.RuleID, res.Locations)
				}
			}
			want := map[string]sarifRegion{
				"vcs.git":                    {StartLine: 3, StartColumn: 1, EndLine: 3, EndColumn: 9},
				"package-cache.apt-archives": {StartLine: 1, StartColumn: 1, EndLine: 1, EndColumn: 23},
			}
			for id, w := range want {
				if got := regions[id]; got != w {
					t.Errorf("%s region %+v, want %+v", id, got, w)
				}
			}
		})
	}
}

func mustRel(t *testing.T, p string) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(wd, p)
	if err != nil {
		t.Fatal(err)
	}
	return rel
}

func TestPlaceGate(t *testing.T) {
	t.Parallel()
	_, image, _, dockerfile := placeFixture(t)
	// the base's .deb (5 kB) is not the user's: 1kB of own leftovers passes
	r := stagescope(t, "inspect", "-o", "json", "--dockerfile", dockerfile, "--highest-own-leftover-bytes", "1kB", image)
	if rep := reportOf(t, r); rep.Gate == nil || !rep.Gate.Pass {
		t.Errorf("gate %+v, want a pass", rep.Gate)
	}
	r = stagescope(t, "inspect", "-o", "text", "--highest-own-leftover-bytes", "100B", image)
	if r.code != exitGate || !strings.Contains(r.stdout, "highestOwnLeftoverBytes") {
		t.Errorf("exit %d, want %d and the check named; stdout:\n%s", r.code, exitGate, r.stdout)
	}
}

func TestPlaceBadInput(t *testing.T) {
	t.Parallel()
	dir, image, _, dockerfile := placeFixture(t)
	bad := filepath.Join(dir, "Bad.Dockerfile")
	if err := os.WriteFile(bad, []byte("FROM x\nFROBNICATE y\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	other := writeImage(t, "other.tar", layerstest.Image(t, layerstest.Step{CreatedBy: "ADD x /", Files: []layerstest.File{{Name: "x", Body: "x"}}}))
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--dockerfile", bad}, []string{"Bad.Dockerfile:2:", "FROBNICATE"}},
		{[]string{"--dockerfile", filepath.Join(dir, "missing")}, []string{"--dockerfile", "no such file"}},
		{[]string{"--dockerfile", dockerfile, "--target", "tests"}, []string{`--target`, `no stage "tests"`}},
		{[]string{"--target", "tests"}, []string{"--target needs --dockerfile"}},
		{[]string{"--base", other}, []string{"is not the image's base", "layer 0"}},
		{[]string{"--base", filepath.Join(dir, "nope.tar")}, []string{"--base"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			before := treeDigest(t, dir)
			wantOneLineError(t, stagescope(t, append(append([]string{"inspect", "-o", "json"}, tc.args...), image)...), tc.want...)
			if treeDigest(t, dir) != before {
				t.Error("the run changed files on disk")
			}
		})
	}
	// a Dockerfile of another image: a warning naming the instruction, no lines
	other2 := filepath.Join(dir, "Other.Dockerfile")
	if err := os.WriteFile(other2, []byte("FROM localhost/node:18\nCOPY . .\nRUN make\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := stagescope(t, "inspect", "-o", "json", "--dockerfile", other2, image)
	rep := reportOf(t, r)
	if !strings.Contains(r.stderr, "Other.Dockerfile:3: RUN make does not match the image") {
		t.Errorf("stderr %q, want the instruction that does not match", r.stderr)
	}
	for _, l := range rep.Layers {
		if l.Dockerfile != nil {
			t.Errorf("layer %d mapped to %+v by a Dockerfile that does not match", l.Index, l.Dockerfile)
		}
	}
	if len(rep.Notes) != 1 || rep.Image.Base == nil || rep.Image.Base.DetectedBy != "history" {
		t.Errorf("notes %q, base %+v: want the mismatch noted and the base from history", rep.Notes, rep.Image.Base)
	}
}

// TestPlaceSharedImages maps the shared kit's buildah images onto their own
// Dockerfiles.
func TestPlaceSharedImages(t *testing.T) {
	t.Parallel()
	apps := "../../../shared/images/apps"
	if _, err := os.Stat(apps); err != nil {
		t.Skipf("the shared kit is not beside the repository (%v)", err)
	}
	for _, tc := range []struct {
		image, dockerfile string
		base              int
		lines             []int // start lines of the layers above the base
	}{
		{"goapp-naive", "goapp/Dockerfile.naive", 3, []int{3, 5, 6, 7}},
		{"goapp-multi", "goapp/Dockerfile.multi", 0, []int{10}},
		{"capp-naive", "capp/Dockerfile.naive", 1, []int{3, 4, 5, 7}},
		{"capp-multi", "capp/Dockerfile.multi", 1, []int{11}},
		{"webapp-naive", "webapp/Dockerfile.naive", 2, []int{5, 6, 8, 10, 13, 17, 18, 19, 20, 22}},
		{"webapp-multi", "webapp/Dockerfile.multi", 2, []int{20, 21, 22, 23}},
		{"rustapp-naive", "rustapp/Dockerfile.naive", 1, []int{3, 4, 7, 11, 15, 16, 17, 19}},
		{"rustapp-multi", "rustapp/Dockerfile.multi", 1, []int{21, 22}},
	} {
		t.Run(tc.image, func(t *testing.T) {
			img := layerstest.SharedImage(t, tc.image)
			rep := reportOf(t, stagescope(t, "inspect", "-o", "json", "--dockerfile", filepath.Join(apps, tc.dockerfile), img))
			if b := rep.Image.Base; b == nil || b.Layers != tc.base || b.DetectedBy != "dockerfile" {
				t.Errorf("base %+v, want %d layers by dockerfile", b, tc.base)
			}
			var lines []int
			for _, l := range rep.Layers[min(tc.base, len(rep.Layers)):] {
				if l.Dockerfile == nil {
					lines = append(lines, 0)
					continue
				}
				lines = append(lines, l.Dockerfile.StartLine)
			}
			if d := cmp.Diff(tc.lines, lines); d != "" {
				t.Errorf("lines of the layers above the base (-want +got):\n%s", d)
			}
		})
	}
}

// TestPlaceAnnotation reads the base boundary from the OCI annotations
// org.opencontainers.image.base.name/.base.digest of an image built here,
// loaded from an OCI layout and from a registry on loopback; the annotated
// base is read from that registry. The base is the first layer only, where
// the history alone would say two (node's CMD ends layer 1).
func TestPlaceAnnotation(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	push := func(ref string, img v1.Image) {
		t.Helper()
		r, err := name.ParseReference(ref, name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(r, img); err != nil {
			t.Fatal(err)
		}
	}
	base := layerstest.Image(t, placeSteps[:1]...)
	push(host+"/debian:12", base)
	baseDigest, err := base.Digest()
	if err != nil {
		t.Fatal(err)
	}
	other := layerstest.Image(t, layerstest.Step{CreatedBy: "ADD x /", Files: []layerstest.File{{Name: "x", Body: "x"}}})
	push(host+"/other:1", other)
	annotated := func(name, digest string) v1.Image {
		ann := map[string]string{dockerfile.AnnotationBaseName: name}
		if digest != "" {
			ann[dockerfile.AnnotationBaseDigest] = digest
		}
		img, ok := mutate.Annotations(layerstest.Image(t, placeSteps...), ann).(v1.Image)
		if !ok {
			t.Fatal("mutate.Annotations did not return an image")
		}
		return img
	}
	tests := []struct {
		name       string
		img        v1.Image
		wantBase   *report.BaseJSON
		wantStderr string
	}{
		{"name and digest", annotated(host+"/debian:12", baseDigest.String()),
			&report.BaseJSON{Layers: 1, Name: host + "/debian:12", Digest: baseDigest.String(), DetectedBy: "annotation"}, ""},
		{"name alone", annotated(host+"/debian:12", ""),
			&report.BaseJSON{Layers: 1, Name: host + "/debian:12", DetectedBy: "annotation"}, ""},
		// an annotated base that is not the image's: the history decides
		// and the wrong name is dropped; one that cannot be read still
		// names the base
		{"not a prefix", annotated(host+"/other:1", ""),
			&report.BaseJSON{Layers: 2, DetectedBy: "history"}, "other:1 is not the image's base"},
		{"not in the registry", annotated(host+"/gone:1", ""),
			&report.BaseJSON{Layers: 2, Name: host + "/gone:1", DetectedBy: "history"}, "could not be read"},
	}
	for i, tt := range tests {
		ref := fmt.Sprintf("%s/app:%d", host, i)
		push(ref, tt.img)
		for _, src := range []struct{ name, ref string }{
			{"oci layout", layerstest.OCILayout(t, tt.img)},
			{"registry", ref},
		} {
			t.Run(tt.name+"/"+src.name, func(t *testing.T) {
				r := stagescope(t, "inspect", "-o", "json", "--insecure", "--no-daemon", src.ref)
				rep := reportOf(t, r)
				if d := cmp.Diff(tt.wantBase, rep.Image.Base); d != "" {
					t.Errorf("image.base (-want +got):\n%s", d)
				}
				if tt.wantStderr == "" && r.stderr != "" || !strings.Contains(r.stderr, tt.wantStderr) {
					t.Errorf("stderr %q, want %q", r.stderr, tt.wantStderr)
				}
				for i, l := range rep.Layers {
					if got, want := l.InBase, i < tt.wantBase.Layers; got != want {
						t.Errorf("layer %d inBase = %v, want %v", i, got, want)
					}
				}
			})
		}
	}
}
