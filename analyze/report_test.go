package analyze_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stagescope/stagescope/analyze"
	"github.com/stagescope/stagescope/analyze/analyzetest"
	"github.com/stagescope/stagescope/analyze/report"
	"github.com/stagescope/stagescope/analyze/rules"
	"github.com/stagescope/stagescope/layers"
	lt "github.com/stagescope/stagescope/layers/layerstest"
)

// reportOf loads, reads and reports an image as `stagescope inspect` does.
func reportOf(t *testing.T, ref string) *report.Report {
	t.Helper()
	ctx := context.Background()
	src, err := layers.Load(ctx, ref)
	if err != nil {
		t.Fatalf("Load(%s): %v", ref, err)
	}
	img, err := layers.Read(ctx, src.Image)
	if err != nil {
		t.Fatalf("Read(%s): %v", ref, err)
	}
	return analyze.NewReport(analyze.Run(img), report.Options{ToolVersion: "test", Reference: src.Reference, Source: string(src.Kind)})
}

func TestReportOfTestdataImage(t *testing.T) {
	r := reportOf(t, "../testdata/leftovers.tar")
	analyzetest.ValidateReportValue(t, r)

	// What testdata/leftovers-image/README.md says was planted.
	type wasted struct {
		Path            string
		Layer, HiddenBy int
		Reason          string
	}
	var got []wasted
	for _, w := range r.Wasted {
		got = append(got, wasted{w.Path, w.Layer, w.HiddenBy, w.Reason})
	}
	slices.SortFunc(got, func(a, b wasted) int { return strings.Compare(a.Path, b.Path) })
	want := []wasted{
		{"/app/.env", 3, 5, "deleted"},
		{"/app/config.json", 3, 4, "overwritten"},
		{"/app/dist/main.js", 4, 6, "overwritten"},
		{"/app/dist/main.js.map", 4, 6, "deleted"},
		{"/root/.cache/build/ms.js", 4, 5, "deleted"},
		{"/var/lib/dpkg/status", 0, 2, "overwritten"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("wasted entries of testdata/leftovers.tar (-want +got):\n%s", diff)
	}
	if got, want := len(r.Layers), 7; got != want {
		t.Errorf("%d layers, want %d", got, want)
	}
	if got, want := r.Image.Config.User, "1000:1000"; got != want {
		t.Errorf("config user %q, want %q", got, want)
	}
}

func TestReportOfSharedImages(t *testing.T) {
	lt.SharedImagesDir(t)
	for _, name := range []string{"goapp-multi", "capp-multi"} {
		t.Run(name, func(t *testing.T) {
			analyzetest.ValidateReportValue(t, reportOf(t, lt.SharedImage(t, name)))
		})
	}
}

// validReport is a small report that uses every field.
func validReport(t *testing.T) map[string]any {
	t.Helper()
	a := run(t,
		[]lt.File{f("a", 3), f("b", 5), f("c", 6), f("d", 6)},
		[]lt.File{f("a", 4), lt.Whiteout("b")},
	)
	r := analyze.NewReport(a, report.Options{ToolVersion: "1.0.0", Reference: "app.tar", Source: "docker-archive"})
	r.Image.Config = report.ConfigInfo{
		User: "app", Entrypoint: []string{"/app"}, Cmd: []string{"serve"}, WorkingDir: "/",
		ExposedPorts: []string{"80/tcp"}, Created: "2024-01-02T03:04:05Z",
	}
	r.Gate = &report.GateJSON{
		Pass: false, Failed: 1,
		Checks: []report.CheckJSON{{Name: "highestCategoryBytes", Subject: "toolchain", Unit: "bytes", Measured: 10, Limit: 0}},
		Ignore: report.IgnoreJSON{Rules: []string{}, Categories: []rules.Category{}, Paths: []string{"usr/share/doc"}},
	}
	if len(r.Wasted) == 0 || len(r.Duplicates) == 0 {
		t.Fatalf("test report has %d wasted entries and %d duplicates, want some of both", len(r.Wasted), len(r.Duplicates))
	}
	data := analyzetest.ValidateReportValue(t, r)
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestReportSchemaRejects proves that the schema catches what it must.
func TestReportSchemaRejects(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(r map[string]any)
	}{
		{"unknown top-level field", func(r map[string]any) { r["findings2"] = []any{} }},
		{"unknown summary field", func(r map[string]any) { r["summary"].(map[string]any)["leftoverBytes"] = 1 }},
		{"unknown layer field", func(r map[string]any) { r["layers"].([]any)[0].(map[string]any)["extra"] = true }},
		{"environment in config", func(r map[string]any) {
			r["image"].(map[string]any)["config"].(map[string]any)["env"] = []any{"TOKEN=x"}
		}},
		{"missing summary", func(r map[string]any) { delete(r, "summary") }},
		{"missing layer digest", func(r map[string]any) { delete(r["layers"].([]any)[1].(map[string]any), "digest") }},
		{"schema version 1", func(r map[string]any) { r["schemaVersion"] = 1 }},
		{"size as a string", func(r map[string]any) { r["summary"].(map[string]any)["totalBytes"] = "12" }},
		{"negative bytes", func(r map[string]any) { r["summary"].(map[string]any)["wastedBytes"] = -1 }},
		{"fractional file count", func(r map[string]any) { r["summary"].(map[string]any)["files"] = 1.5 }},
		{"efficiency above 1", func(r map[string]any) { r["summary"].(map[string]any)["efficiencyRatio"] = 1.5 }},
		{"unknown waste reason", func(r map[string]any) { r["wasted"].([]any)[0].(map[string]any)["reason"] = "moved" }},
		{"relative waste path", func(r map[string]any) { r["wasted"].([]any)[0].(map[string]any)["path"] = "a" }},
		{"relative finding path", func(r map[string]any) { r["findings"].([]any)[0].(map[string]any)["path"] = "a" }},
		{"a duplicates digest without its algorithm", func(r map[string]any) {
			r["duplicates"].([]any)[0].(map[string]any)["digest"] = "9e6dbacfd198e764"
		}},
		{"the old efficiency name", func(r map[string]any) { r["summary"].(map[string]any)["efficiency"] = 0.5 }},
		{"no configDigest", func(r map[string]any) { delete(r["image"].(map[string]any), "configDigest") }},
		{"duplicate with one path", func(r map[string]any) {
			d := r["duplicates"].([]any)[0].(map[string]any)
			d["paths"] = d["paths"].([]any)[:1]
		}},
		{"layers is null", func(r map[string]any) { r["layers"] = nil }},
		{"unknown source", func(r map[string]any) { r["image"].(map[string]any)["source"] = "ftp" }},
		{"unknown gate unit", func(r map[string]any) {
			r["gate"].(map[string]any)["checks"].([]any)[0].(map[string]any)["unit"] = "percent"
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := validReport(t)
			tc.change(r)
			data, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			if err := analyzetest.Validate(data); err == nil {
				t.Errorf("schema accepted the report with %s", tc.name)
			}
		})
	}
	if err := analyzetest.Validate([]byte(`{}{}`)); err == nil {
		t.Errorf("schema accepted two documents")
	}
}
