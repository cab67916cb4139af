package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stagescope/stagescope/analyze"
	"github.com/stagescope/stagescope/analyze/analyzetest"
	"github.com/stagescope/stagescope/analyze/gate"
	"github.com/stagescope/stagescope/analyze/report"
	"github.com/stagescope/stagescope/analyze/rules"
	"github.com/stagescope/stagescope/internal/format"
	"github.com/stagescope/stagescope/layers/layerstest"
	"github.com/stagescope/stagescope/ui"
)

// totals are the whole-image figures every output must agree on, as
// strings in the one spelling the screens use (format.Bytes, format.Count).
type totals struct {
	Size, Wasted, Leftovers, Runtime string
	Categories                       map[rules.Category]string // "247 kB in 7 files"
}

// TestTotalsAgree: the browser (its Image pane and Findings pane, as they
// draw them), text, JSON and SARIF tell the same image size, reclaimable
// waste, leftover union and per-category totals, on testdata/leftovers.tar
// and on every shared image.
func TestTotalsAgree(t *testing.T) {
	t.Parallel()
	t.Run("leftovers.tar", func(t *testing.T) { checkTotals(t, filepath.Join("..", "..", "testdata", "leftovers.tar")) })
	t.Run("shared", func(t *testing.T) {
		dir := layerstest.SharedImagesDir(t)
		if testing.Short() {
			t.Skip("reads gigabytes of images: not with -short")
		}
		for _, row := range layerstest.ReadTSV(t, filepath.Join(dir, "images.tsv"))[1:] {
			t.Run(row[0], func(t *testing.T) { checkTotals(t, layerstest.SharedImage(t, row[0])) })
		}
	})
}

func checkTotals(t *testing.T, path string) {
	a, src, err := analyze.Load(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	rep := newImageReport(a, gate.Thresholds{}, src, nil)
	tui := ui.TotalsOf(a)
	render := func(format string) []byte {
		var b bytes.Buffer
		if err := writeReport(&b, 0, format, a, rep, nil); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	want := jsonTotals(t, render("json"))
	if diff := cmp.Diff(want, browserTotals(t, tui)); diff != "" {
		t.Errorf("browser totals differ from JSON's (-json +browser):\n%s", diff)
	}
	if diff := cmp.Diff(want, textTotals(t, string(render("text")))); diff != "" {
		t.Errorf("text totals differ from JSON's (-json +text):\n%s", diff)
	}
	sarif := validateSARIF(t, render("sarif"))
	props, err := json.Marshal(sarif["runs"].([]any)[0].(map[string]any)["properties"])
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, jsonTotals(t, props)); diff != "" {
		t.Errorf("SARIF run properties' totals differ from JSON's (-json +sarif):\n%s", diff)
	}
	// and JSON's own numbers add up: the categories' findings are the findings
	var findings int
	for _, c := range rep.Leftovers.Categories {
		findings += c.Findings
	}
	if findings != len(rep.Findings) {
		t.Errorf("JSON categories count %d findings, the report lists %d", findings, len(rep.Findings))
	}
	// and the files the findings claim are the union (analyzetest.CheckClaims)
	var decoded report.Report
	if err := json.Unmarshal(render("json"), &decoded); err != nil {
		t.Fatal(err)
	}
	analyzetest.CheckClaims(t, &decoded)
}

func bytesIn(b, files int64) string { return format.Bytes(b) + " in " + format.Count(files, "file") }

// jsonTotals reads the totals of a JSON report, or of the SARIF run
// properties that hold its summary and leftovers.
func jsonTotals(t *testing.T, data []byte) totals {
	t.Helper()
	var r struct {
		Summary struct {
			TotalBytes, Files, WastedBytes int64
		}
		Leftovers struct {
			Bytes, Files, RuntimeBytes int64
			Categories                 []struct {
				Category     rules.Category
				Bytes, Files int64
			}
		}
	}
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	out := totals{
		Size:       bytesIn(r.Summary.TotalBytes, r.Summary.Files),
		Wasted:     format.Bytes(r.Summary.WastedBytes),
		Leftovers:  bytesIn(r.Leftovers.Bytes, r.Leftovers.Files),
		Runtime:    format.Bytes(r.Leftovers.RuntimeBytes),
		Categories: map[rules.Category]string{},
	}
	for _, c := range r.Leftovers.Categories {
		out.Categories[c.Category] = bytesIn(c.Bytes, c.Files)
	}
	return out
}

// browserTotals reads the totals the browser's panes show.
func browserTotals(t *testing.T, tui ui.Totals) totals {
	t.Helper()
	field := func(s, re string) string {
		m := regexp.MustCompile(re).FindStringSubmatch(s)
		if m == nil {
			t.Errorf("browser line %q does not match %s", s, re)
			return ""
		}
		return m[1]
	}
	out := totals{
		Size:       tui.Image["Size"],
		Wasted:     field(tui.Image["Wasted"], `^(.+?) \(`),
		Leftovers:  field(tui.Image["Leftovers"], `^(.+?) \(`),
		Runtime:    field(tui.Image["Runtime"], `^≈ (.+?) without`),
		Categories: map[rules.Category]string{},
	}
	if title := field(tui.Findings, ` · \d+ · (.+)$`); title != out.Leftovers {
		t.Errorf("Findings title says %q, the Image pane %q", title, out.Leftovers)
	}
	for c, s := range tui.Categories {
		m := regexp.MustCompile(`^(.+?) in \d+ findings?, (.+?), from`).FindStringSubmatch(s)
		if m == nil {
			t.Errorf("category %s: Details %q", c, s)
			continue
		}
		out.Categories[c] = m[1] + " in " + m[2]
	}
	return out
}

var (
	textLine = regexp.MustCompile(`(?m)^(Size|Wasted|Leftovers) {2,}(.*)$`)
	// a row of "Leftovers by category": size, share, files, findings, category
	textCategory = regexp.MustCompile(`(?m)^ *([\d.]+ [kMGT]?B) +[\d.]+% +([\d,]+) +\d+ +([a-z-]+)$`)
)

// textTotals reads the totals of the text report.
func textTotals(t *testing.T, text string) totals {
	t.Helper()
	out := totals{Categories: map[rules.Category]string{}}
	for _, m := range textLine.FindAllStringSubmatch(text, -1) {
		switch m[1] {
		case "Size":
			out.Size, _, _ = strings.Cut(m[2], ";")
		case "Wasted":
			out.Wasted, _, _ = strings.Cut(m[2], " reclaimable")
		case "Leftovers":
			if m[2] == "none found" { // and so the runtime is the whole image
				out.Leftovers = bytesIn(0, 0)
				out.Runtime, _, _ = strings.Cut(out.Size, " in ")
				continue
			}
			lo, rest, _ := strings.Cut(m[2], " (")
			out.Leftovers = lo
			_, out.Runtime, _ = strings.Cut(rest, "runtime-only estimate ")
		}
	}
	for _, m := range textCategory.FindAllStringSubmatch(text, -1) {
		n, err := strconv.ParseInt(strings.ReplaceAll(m[2], ",", ""), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		out.Categories[rules.Category(m[3])] = m[1] + " in " + format.Count(n, "file")
	}
	return out
}
