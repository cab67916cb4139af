package main

import (
	"bytes"
	"context"
	stdjson "encoding/json"
	"strings"
	"testing"

	"github.com/stagescope/stagescope/analyze"
	"github.com/stagescope/stagescope/analyze/diff"
	"github.com/stagescope/stagescope/analyze/report"
	"github.com/stagescope/stagescope/analyze/rules"
	"github.com/stagescope/stagescope/layers"
	lt "github.com/stagescope/stagescope/layers/layerstest"
)

// writeJSON (goccy/go-json) writes the bytes encoding/json would, so that
// the reports (inspect's, SARIF, diff's) stay what they were before it, on the strings where encoders
// differ most: file names from an image are arbitrary bytes, so invalid
// UTF-8, control characters, U+2028 and U+2029, and HTML characters.
func TestWriteJSONAsEncodingJSON(t *testing.T) {
	t.Parallel()
	names := []string{
		"app/bad\xff\xfename", "app/half\xe2\x82", "app/\u2028line\u2029sep", "app/<script>&amp;",
		"app/ctl\x01\x1f\x7f", "app/quote\"back\\slash", "app/tab\tnew\nline", "app/émoji-😀", "app/\xed\xa0\x80surrogate",
	}
	var low, high []lt.File
	for i, n := range names {
		body := strings.Repeat("x", 100+i)
		low = append(low, lt.File{Name: n, Body: body}, lt.File{Name: n + ".copy", Body: body}, lt.File{Name: n + ".copy2", Body: body})
		high = append(high, lt.File{Name: n, Body: "overwritten " + n})
	}
	low = append(low, lt.File{Name: "app/.env\xff", Body: "TOKEN=1"}, lt.File{Name: "src/.git/HEAD", Body: "ref: refs/heads/main"})
	img := lt.Image(t, lt.Step{CreatedBy: "COPY . /app # <&>\xff", Files: low}, lt.Step{CreatedBy: "RUN rm \u2028", Files: high})
	li, err := layers.Read(context.Background(), img, layers.WithCapture(analyze.Capture, analyze.CaptureLimit))
	if err != nil {
		t.Fatal(err)
	}
	a := analyze.Run(li)
	// The image before its second layer, for a diff report.
	base, err := layers.Read(context.Background(), lt.Image(t, lt.Step{CreatedBy: "COPY . /app", Files: low}), layers.WithCapture(analyze.Capture, analyze.CaptureLimit))
	if err != nil {
		t.Fatal(err)
	}
	b := analyze.Run(base)
	dr := diff.NewReport(b.DiffInput(nil), a.DiffInput(nil), diff.Compare(b.DiffInput(nil), a.DiffInput(nil)), diff.ReportOptions{
		ToolVersion: "test",
		A:           report.Options{Reference: "a\xff.tar", Source: "docker-archive"},
		B:           report.Options{Reference: "b<&>.tar", Source: "docker-archive"},
	})
	rep := analyze.NewReport(a, report.Options{ToolVersion: "test", Reference: "x\xff<&>.tar", Source: "docker-archive"})
	if len(rep.Duplicates) == 0 || len(rep.Wasted) == 0 || len(rep.Findings) == 0 {
		t.Fatalf("report has %d duplicates, %d wasted, %d findings: want some of each", len(rep.Duplicates), len(rep.Wasted), len(rep.Findings))
	}
	for _, tc := range []struct {
		name string
		v    any
	}{{"report", rep}, {"sarif", newSARIF(a, rep, rules.All(), nil)}, {"diff", dr}} {
		t.Run(tc.name, func(t *testing.T) {
			var got, want bytes.Buffer
			if err := writeJSON(&got, tc.v); err != nil {
				t.Fatal(err)
			}
			enc := stdjson.NewEncoder(&want)
			enc.SetIndent("", "  ")
			enc.SetEscapeHTML(false)
			if err := enc.Encode(tc.v); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				g, w := got.Bytes(), want.Bytes()
				i := 0
				for i < len(g) && i < len(w) && g[i] == w[i] {
					i++
				}
				t.Errorf("writeJSON differs from encoding/json at byte %d:\n got %q\nwant %q", i, g[max(0, i-40):min(len(g), i+40)], w[max(0, i-40):min(len(w), i+40)])
			}
			if !bytes.Contains(want.Bytes(), []byte(`\ufffd`)) && !bytes.Contains(want.Bytes(), []byte("\ufffd")) {
				t.Errorf("no replacement character in the %s: the invalid UTF-8 names did not reach it", tc.name)
			}
		})
	}
}
