package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/stagescope/stagescope/analyze"
	"github.com/stagescope/stagescope/analyze/leftovers"
	"github.com/stagescope/stagescope/analyze/report"
	"github.com/stagescope/stagescope/analyze/rules"
	"github.com/stagescope/stagescope/layers"
	"github.com/stagescope/stagescope/layers/layerstest"
)

// sarifSchemaPath is made absolute before any test changes directory: the
// schema is loaded by whichever test validates first.
var sarifSchemaPath, _ = filepath.Abs(filepath.Join("..", "..", "testdata", "sarif", "sarif-schema-2.1.0.json"))

var sarifSchemaOnce = sync.OnceValues(func() (*jsonschema.Schema, error) {
	f, err := os.Open(sarifSchemaPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	const url = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	if err := c.AddResource(url, doc); err != nil {
		return nil, err
	}
	return c.Compile(url)
})

// validateSARIF checks a SARIF log against the official 2.1.0 schema.
func validateSARIF(t *testing.T, data []byte) map[string]any {
	t.Helper()
	sch, err := sarifSchemaOnce()
	if err != nil {
		t.Fatalf("loading the SARIF schema: %v", err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("SARIF output is not JSON: %v", err)
	}
	if err := sch.Validate(v); err != nil {
		t.Fatalf("SARIF output does not follow the 2.1.0 schema: %v", err)
	}
	return v.(map[string]any)
}

// TestSARIFSchemaRejects proves the validation can fail.
func TestSARIFSchemaRejects(t *testing.T) {
	t.Parallel()
	sch, err := sarifSchemaOnce()
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{
		`{"version":"2.1.0"}`,
		`{"version":"2.0.0","runs":[]}`,
		`{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"message":{"text":"m"},"level":"fatal"}]}]}`,
		`{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"message":{"text":"m"},"locations":[{"physicalLocation":{"region":{"startLine":0}}}]}]}]}`,
	} {
		v, err := jsonschema.UnmarshalJSON(strings.NewReader(bad))
		if err != nil {
			t.Fatal(err)
		}
		if sch.Validate(v) == nil {
			t.Errorf("schema accepted %s", bad)
		}
	}
}

func TestSARIF(t *testing.T) {
	t.Parallel()
	img := layerstest.Image(t,
		layerstest.Step{CreatedBy: "/bin/sh -c #(nop) ADD file:rootfs in /", Files: []layerstest.File{{Name: "etc/os-release", Body: "ID=debian\n"}}},
		layerstest.Step{CreatedBy: "/bin/sh -c apt-get install -y gcc", Files: []layerstest.File{
			{Name: "usr/bin/gcc-12", Body: strings.Repeat("g", 4000)},
			{Name: "var/cache/apt/archives/gcc_12.deb", Body: strings.Repeat("d", 900)},
			{Name: "app/my file:1.o", Body: "x"},
		}},
		layerstest.Step{CreatedBy: "COPY . /app # buildkit", Files: []layerstest.File{{Name: "app/.env", Body: "TOKEN=stagescope-dummy"}}},
		layerstest.Step{CreatedBy: "/bin/sh -c rm /app/.env", Files: []layerstest.File{layerstest.Whiteout("app/.env")}},
	)
	li, err := layers.Read(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	a := analyze.Run(li)
	// The real findings, relabelled with rules of the table below and one
	// it lacks: they keep the files they claim.
	byPath := map[string]leftovers.Finding{}
	for _, f := range a.Findings {
		if f.Category != rules.CatWasted {
			byPath[f.Path] = f
		}
	}
	relabel := func(path, id string, sev rules.Severity, why, fix string) leftovers.Finding {
		f, ok := byPath[path]
		if !ok {
			t.Fatalf("no finding at %s: %v", path, a.Findings)
		}
		f.RuleID, f.Severity, f.Why, f.Fix = id, sev, why, fix
		return f
	}
	gcc := relabel("usr/bin/gcc-12", "gcc", rules.SevMedium, "A C compiler is needed to build, not to run. It adds attack surface.", "Compile in a build stage.")
	gcc.Package = "gcc-12"
	a.Findings = []leftovers.Finding{
		gcc,
		relabel("app/.env", "dotenv", rules.SevHigh, "A .env file holds credentials.", "Pass secrets at run time."),
		relabel("var/cache/apt", "apt-archives", rules.SevLow, "Downloaded .deb files stay after install.", "Run apt-get clean in the same RUN."),
		relabel("app/my file:1.o", "gcc", rules.SevHigh, "A C compiler is needed to build, not to run. It adds attack surface.", "Compile in a build stage."),
	}
	rep := analyze.NewReport(a, report.Options{ToolVersion: "1.2.3", Reference: "app.tar", Source: "docker-archive"})
	var buf bytes.Buffer
	table := []rules.Rule{
		{ID: "gcc", Category: rules.CatToolchain, Severity: rules.SevMedium, Why: "a C compiler is needed to build, not to run. It adds attack surface", Fix: "compile in a build stage"},
		{ID: "apt-archives", Category: rules.CatPackageCache, Severity: rules.SevLow, Why: "downloaded .deb files stay after install", Fix: "run apt-get clean in the same RUN"},
		{ID: "man-pages", Category: rules.CatDocs, Severity: rules.SevInfo, Why: "manual pages nobody reads in a container", Fix: "exclude them with dpkg path-exclude"},
	}
	if err := writeJSON(&buf, newSARIF(a, rep, table, nil)); err != nil {
		t.Fatal(err)
	}
	validateSARIF(t, buf.Bytes())

	var log sarifLog
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	if len(log.Runs) != 1 {
		t.Fatalf("%d runs, want 1", len(log.Runs))
	}
	run := log.Runs[0]
	type rule struct{ ID, Level, Short, Help string }
	var gotRules []rule
	for _, r := range run.Tool.Driver.Rules {
		gotRules = append(gotRules, rule{r.ID, r.DefaultConfiguration.Level, r.ShortDescription.Text, r.Help.Text})
	}
	wantRules := []rule{
		// the table, in its order, found or not
		{"gcc", "warning", "A C compiler is needed to build, not to run.", "A C compiler is needed to build, not to run. It adds attack surface.\n\nFix: Compile in a build stage."},
		{"apt-archives", "note", "Downloaded .deb files stay after install.", "Downloaded .deb files stay after install.\n\nFix: Run apt-get clean in the same RUN."},
		{"man-pages", "note", "Manual pages nobody reads in a container.", "Manual pages nobody reads in a container.\n\nFix: Exclude them with dpkg path-exclude."},
		// a rule the table lacks, described by its finding
		{"dotenv", "error", "A .env file holds credentials.", "A .env file holds credentials.\n\nFix: Pass secrets at run time."},
	}
	if diff := cmp.Diff(wantRules, gotRules); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}
	if got := run.Tool.Driver.Rules[3].Properties["security-severity"]; got != "8.0" {
		t.Errorf("secret rule security-severity = %v, want 8.0", got)
	}

	type result struct {
		Rule      string
		Index     int
		Level     string
		URI       string
		LayerName string
	}
	var got []result
	for _, r := range run.Results {
		loc := r.Locations[0]
		got = append(got, result{r.RuleID, r.RuleIndex, r.Level, loc.PhysicalLocation.ArtifactLocation.URI, loc.LogicalLocations[0].Name})
	}
	want := []result{
		{"gcc", 0, "warning", "usr/bin/gcc-12", li.Layers[1].Digest},
		{"dotenv", 3, "error", "app/.env", li.Layers[2].Digest},
		{"apt-archives", 1, "note", "var/cache/apt/archives/gcc_12.deb", li.Layers[1].Digest}, // the file, not the directory
		{"gcc", 0, "error", "app/my%20file:1.o", li.Layers[1].Digest},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	for i, sub := range []string{
		"toolchain leftover /usr/bin/gcc-12: 4.0 kB, added in layer 1 by `apt-get install -y gcc`; owned by package gcc-12.",
		"secret leftover /app/.env: 22 B, added in layer 2 by `COPY . /app # buildkit`; deleted in layer 3, but its bytes still ship in layer 2.",
	} {
		if got := run.Results[i].Message.Text; got != sub {
			t.Errorf("result %d message\n got %s\nwant %s", i, got, sub)
		}
	}
	if run.Results[0].PartialFingerprints["primaryLocationLineHash"] == run.Results[3].PartialFingerprints["primaryLocationLineHash"] {
		t.Error("two findings of one rule at different paths share a fingerprint")
	}
}

// leftoversImage is testdata/leftovers.tar, made absolute before any test
// changes directory.
var leftoversImage, _ = filepath.Abs(filepath.Join("..", "..", "testdata", "leftovers.tar"))

// TestInspectSARIF runs `inspect -o sarif` end to end and validates what it
// writes, for an in-process image and for the shared real images.
func TestInspectSARIF(t *testing.T) {
	img, _ := gateImage(t)
	t.Chdir(t.TempDir())
	out, _, code, err := run(t, "inspect", "-o", "sarif", img)
	if code != exitOK {
		t.Fatalf("exit status %d (%v)", code, err)
	}
	validateSARIF(t, []byte(out))

	// testdata/leftovers.tar has planted leftovers: one result per finding
	// of the JSON report, in its order, each naming a rule of the driver.
	jsonOut, _, code, err := run(t, "inspect", "-o", "json", leftoversImage)
	if code != exitOK {
		t.Fatalf("-o json: exit status %d (%v)", code, err)
	}
	var rep struct {
		Findings []struct {
			RuleID string
			Layer  int
			Claims []struct {
				Path  string
				Bytes int64
			}
		}
		Layers []struct{ Digest string }
	}
	if err := json.Unmarshal([]byte(jsonOut), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) == 0 {
		t.Fatal("testdata/leftovers.tar has no findings")
	}
	sarifOut, _, code, err := run(t, "inspect", "-o", "sarif", leftoversImage)
	if code != exitOK {
		t.Fatalf("-o sarif: exit status %d (%v)", code, err)
	}
	validateSARIF(t, []byte(sarifOut))
	var log sarifLog
	if err := json.Unmarshal([]byte(sarifOut), &log); err != nil {
		t.Fatal(err)
	}
	drv := log.Runs[0].Tool.Driver
	if len(drv.Rules) < len(rules.All()) {
		t.Errorf("%d rules in the driver, want every one of the %d rules", len(drv.Rules), len(rules.All()))
	}
	type ref struct {
		Rule, Path, Layer string
	}
	var want, got []ref
	for _, f := range rep.Findings {
		// the first location is the largest file the finding claims
		first := slices.MinFunc(f.Claims, func(x, y struct {
			Path  string
			Bytes int64
		}) int {
			if x.Bytes != y.Bytes {
				return int(y.Bytes - x.Bytes)
			}
			return strings.Compare(x.Path, y.Path)
		})
		want = append(want, ref{f.RuleID, first.Path, rep.Layers[f.Layer].Digest})
	}
	for _, r := range log.Runs[0].Results {
		if drv.Rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("result %s points at rule %d, %s", r.RuleID, r.RuleIndex, drv.Rules[r.RuleIndex].ID)
		}
		u, err := url.PathUnescape(r.Locations[0].PhysicalLocation.ArtifactLocation.URI)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ref{r.RuleID, "/" + strings.TrimPrefix(u, "./"), r.Locations[0].LogicalLocations[0].Name}) // the URI is relative to the image root
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SARIF results against the report's findings (-want +got):\n%s", diff)
	}

	for _, name := range []string{"webapp-naive"} {
		t.Run(name, func(t *testing.T) {
			if testing.Short() || raceEnabled {
				t.Skip("reads a 1.3 GB image: not with -short or -race")
			}
			p := layerstest.SharedImage(t, name)
			out, _, code, err := run(t, "inspect", "-o", "sarif", p)
			if code != exitOK {
				t.Fatalf("exit status %d (%v)", code, err)
			}
			log := validateSARIF(t, []byte(out))
			runs := log["runs"].([]any)
			results := runs[0].(map[string]any)["results"].([]any)
			if len(results) == 0 {
				t.Errorf("%s: no SARIF results for an image with planted leftovers", name)
			}
			t.Logf("%s: %d results", name, len(results))
		})
	}
}

func TestFirstSentence(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"One. Two.":                         "One.",
		"A repository copied with COPY . .": "A repository copied with COPY . .",
		"Ends at e.g. the end. Next one":    "Ends at e.g. the end.",
		"No stop":                           "No stop",
		"":                                  "",
	} {
		if got := firstSentence(in); got != want {
			t.Errorf("firstSentence(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSARIFHiddenMessage: a result says how later layers hid the bytes:
// deleted by a whiteout, or overwritten by a new version.
func TestSARIFHiddenMessage(t *testing.T) {
	t.Parallel()
	img := layerstest.Image(t,
		layerstest.Step{CreatedBy: "RUN apt-get update", Files: []layerstest.File{
			{Name: "var/cache/apt/pkgcache.bin", Body: strings.Repeat("p", 300)},
			{Name: "tmp/src.tgz", Body: strings.Repeat("t", 200)},
		}},
		layerstest.Step{CreatedBy: "RUN apt-get install -y curl && rm /tmp/src.tgz", Files: []layerstest.File{
			{Name: "var/cache/apt/pkgcache.bin", Body: strings.Repeat("q", 310)},
			layerstest.Whiteout("tmp/src.tgz"),
		}},
	)
	log := sarifOf(t, img)
	got := map[string]string{}
	for _, r := range log.Runs[0].Results {
		got[r.RuleID] = r.Message.Text
	}
	for id, want := range map[string]string{
		rules.Overwritten: "; overwritten in layer 1, but its bytes still ship in layer 0",
		rules.Deleted:     "; deleted in layer 1, but its bytes still ship in layer 0",
	} {
		if !strings.Contains(got[id], want) {
			t.Errorf("%s message %q, want it to contain %q", id, got[id], want)
		}
	}
}

// TestSARIFClaimLocations: a result has one location per file its finding
// claims (never the directory, never "."), each with its bytes, at most
// sarifMaxLocations of them (GitHub's limit), largest first; the message
// and properties count what was left out.
func TestSARIFClaimLocations(t *testing.T) {
	t.Parallel()
	const n = sarifMaxLocations + 205
	cache := make([]layerstest.File, n)
	for i := range cache { // file i has i+1 bytes
		cache[i] = layerstest.File{Name: "root/.npm/_cacache/content-v2/" + strconv.Itoa(i%7) + "/" + strconv.Itoa(i), Body: strings.Repeat("c", i+1)}
	}
	img := layerstest.Image(t,
		layerstest.Step{CreatedBy: "RUN npm ci", Files: append(cache,
			layerstest.File{Name: "tmp/a/x", Body: "1234"}, layerstest.File{Name: "srv/b/y", Body: "12345"})},
		layerstest.Step{CreatedBy: "RUN rm", Files: []layerstest.File{layerstest.Whiteout("tmp/a/x"), layerstest.Whiteout("srv/b/y")}},
	)
	log := sarifOf(t, img)
	type result struct {
		Locations              int
		First, Last            string
		FirstBytes             float64
		NotListed, BytesNotLst float64
	}
	got := map[string]result{}
	for _, r := range log.Runs[0].Results {
		res := result{Locations: len(r.Locations)}
		for i, l := range r.Locations {
			u := l.PhysicalLocation.ArtifactLocation.URI
			if u == "." || u == "" || u == "root/.npm" {
				t.Errorf("%s: location %d is %q, not a file", r.RuleID, i, u)
			}
		}
		res.First = r.Locations[0].PhysicalLocation.ArtifactLocation.URI
		res.Last = r.Locations[len(r.Locations)-1].PhysicalLocation.ArtifactLocation.URI
		res.FirstBytes, _ = r.Locations[0].Properties["bytes"].(float64)
		res.NotListed, _ = r.Properties["filesNotListed"].(float64)
		res.BytesNotLst, _ = r.Properties["bytesNotListed"].(float64)
		got[r.RuleID] = res
		if r.RuleID == "package-cache.npm" && !strings.Contains(r.Message.Text, "Its 1,000 largest files are listed as locations; the other 205 files (") {
			t.Errorf("message %q does not say what it left out", r.Message.Text)
		}
	}
	// The 1,000 largest: files 1204 (1,205 bytes) down to 205 (206 bytes);
	// left out, files 0 to 204: 1+2+…+205 bytes.
	want := map[string]result{
		"package-cache.npm": {Locations: sarifMaxLocations, First: "root/.npm/_cacache/content-v2/0/1204", Last: "root/.npm/_cacache/content-v2/2/205",
			FirstBytes: 1205, NotListed: 205, BytesNotLst: 205 * 206 / 2},
		rules.Deleted: {Locations: 2, First: "srv/b/y", Last: "tmp/a/x", FirstBytes: 5},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
}

// sarifOf reads and analyses img as inspect does, writes its SARIF log,
// validates it and reads it back.
func sarifOf(t *testing.T, img v1.Image) sarifLog {
	t.Helper()
	li, err := layers.Read(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	a := analyze.Run(li)
	rep := analyze.NewReport(a, report.Options{ToolVersion: "1", Reference: "app.tar", Source: "docker-archive"})
	var buf bytes.Buffer
	if err := writeJSON(&buf, newSARIF(a, rep, rules.All(), nil)); err != nil {
		t.Fatal(err)
	}
	validateSARIF(t, buf.Bytes())
	var log sarifLog
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	return log
}
