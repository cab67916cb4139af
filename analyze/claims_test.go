package analyze_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
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

// TestFindingClaims: every finding of the JSON report lists the files it
// claims (path from the root, escaped; bytes; layer), whatever its path
// names: a directory, a glob, a package's files, hidden copies, one file.
// The claims of all findings, each file version once, are the union totals.
func TestFindingClaims(t *testing.T) {
	a := analyzeSteps(t, []lt.Step{
		{CreatedBy: "RUN apt-get install gcc", Files: []lt.File{
			{Name: "var/lib/dpkg/status", Body: dpkgGCC},
			{Name: "var/lib/dpkg/info/gcc-12.list", Body: "/.\n/usr/lib/gcc/x86_64-linux-gnu/12/cc1\n/usr/bin/gcc-12\n"},
			{Name: "usr/lib/gcc/x86_64-linux-gnu/12/cc1", Body: strings.Repeat("c", 1000)},
			{Name: "usr/lib/gcc/x86_64-linux-gnu/12/lto1", Body: strings.Repeat("l", 300)},
			{Name: "usr/bin/gcc-12", Body: strings.Repeat("g", 50)},
			{Name: "usr/lib/libx.a", Body: strings.Repeat("x", 20)},
			{Name: "usr/lib/liby.a", Body: strings.Repeat("y", 30)},
			{Name: "app/server", Body: strings.Repeat("s", 5000)},
		}},
		{CreatedBy: "COPY . /app", Files: []lt.File{
			{Name: "app/.git/HEAD"}, // empty: claimed beside bytes
			{Name: "app/.git/config", Body: "[core]"},
			{Name: "app/.git/caf\xff\\x", Body: "hostile"},
			{Name: "app/main.o", Body: "obj"},
			{Name: "tmp/a/x", Body: "1234"},
			{Name: "srv/b/y", Body: "12345"},
		}},
		{CreatedBy: "RUN rm", Files: []lt.File{lt.Whiteout("tmp/a/x"), lt.Whiteout("srv/b/y")}},
	})
	r := analyze.NewReport(a, report.Options{ToolVersion: "test", Reference: "claims.tar", Source: "docker-archive"})
	analyzetest.ValidateReportValue(t, r)

	claim := func(path string, bytes int64, layer int) report.ClaimJSON {
		return report.ClaimJSON{Path: path, Bytes: bytes, Layer: layer}
	}
	got := map[string][]report.ClaimJSON{}
	for _, f := range r.Findings {
		got[f.RuleID+" "+f.Path] = slices.Collect(f.Claims.All())
	}
	want := map[string][]report.ClaimJSON{
		"toolchain.package /usr": {claim("/usr/bin/gcc-12", 50, 0), claim("/usr/lib/gcc/x86_64-linux-gnu/12/cc1", 1000, 0)},
		"toolchain.gcc /usr/lib/gcc": {
			claim("/usr/lib/gcc/x86_64-linux-gnu/12/cc1", 1000, 0), claim("/usr/lib/gcc/x86_64-linux-gnu/12/lto1", 300, 0),
		},
		"toolchain.cc /usr/bin/gcc-12":         {claim("/usr/bin/gcc-12", 50, 0)},
		"dev-headers.static-libs /usr/lib/*.a": {claim("/usr/lib/libx.a", 20, 0), claim("/usr/lib/liby.a", 30, 0)},
		"vcs.git /app/.git": {
			claim("/app/.git/HEAD", 0, 1), claim("/app/.git/caf\\xff\\\\x", 7, 1), claim("/app/.git/config", 6, 1),
		},
		"build-cache.objects /app/main.o": {claim("/app/main.o", 3, 1)},
		rules.Deleted + " /":              {claim("/srv/b/y", 5, 1), claim("/tmp/a/x", 4, 1)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("claims by finding (-want +got):\n%s", diff)
	}

	analyzetest.CheckClaims(t, r)
}

// TestEncodeMatchesEncodingJSON: report.Encode, which writes the claims one
// at a time, writes the bytes encoding/json writes for the same report,
// indented and on one line, on testdata/leftovers.tar and an image with a
// hostile path.
func TestEncodeMatchesEncodingJSON(t *testing.T) {
	reports := map[string]*report.Report{
		"leftovers.tar": reportOf(t, "../testdata/leftovers.tar"),
		"hostile": analyze.NewReport(analyzeSteps(t, one(
			lt.File{Name: "app/.git/<caf\xff>&\"q\"", Body: "x"}, lt.File{Name: "app/.git/HEAD"},
		)), report.Options{Reference: "<a&b>"}),
	}
	for name, r := range reports {
		for _, indent := range []string{"  ", ""} {
			t.Run(fmt.Sprintf("%s/indent=%q", name, indent), func(t *testing.T) {
				var want bytes.Buffer
				enc := json.NewEncoder(&want)
				enc.SetEscapeHTML(false)
				enc.SetIndent("", indent)
				if err := enc.Encode(r); err != nil {
					t.Fatal(err)
				}
				var got bytes.Buffer
				if err := report.Encode(&got, r, indent); err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want.String(), got.String()); diff != "" {
					t.Errorf("Encode differs from encoding/json (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// BenchmarkEncodeClaims writes the report of an image whose one finding
// claims 50,000 files: Encode's allocations stay far below encoding the
// report whole (compare the two sub-benchmarks' B/op).
func BenchmarkEncodeClaims(b *testing.B) {
	fs := make([]lt.File, 50_000)
	for i := range fs {
		fs[i] = lt.File{Name: fmt.Sprintf("root/.npm/_cacache/content-v2/%02x/%06d", i%256, i), Body: "y"}
	}
	img, err := layers.Read(context.Background(), lt.Image(b, lt.Step{CreatedBy: "RUN npm ci", Files: fs}))
	if err != nil {
		b.Fatal(err)
	}
	r := analyze.NewReport(analyze.Run(img), report.Options{})
	b.Run("Encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := report.Encode(io.Discard, r, "  "); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			enc := json.NewEncoder(io.Discard)
			enc.SetIndent("", "  ")
			if err := enc.Encode(r); err != nil {
				b.Fatal(err)
			}
		}
	})
}
