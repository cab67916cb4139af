package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/stagescope/stagescope/analyze/report"
)

// inspectJSON runs `inspect -o json` with args, which must succeed, and
// decodes the report (run validates it against the schema).
func inspectJSON(t *testing.T, args ...string) report.Report {
	t.Helper()
	out, _, code, err := run(t, append([]string{"inspect", "-o", "json"}, args...)...)
	if code != exitOK {
		t.Fatalf("inspect %v: exit %d: %v", args, code, err)
	}
	var r report.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// What the ignore list silences is reported, not dropped: JSON
// `suppressed` (rule, path, bytes, which entry and whether the flag or the
// config gave it), a text line and SARIF results with suppressions. The
// suppressed bytes are exactly what left the findings.
func TestSuppressedReported(t *testing.T) {
	img, err := filepath.Abs(testImage)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sarifSchemaOnce(); err != nil { // read before the directory changes
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	if err := os.WriteFile(".stagescope.yaml", []byte("ignore:\n  paths: [/app/.git]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := inspectJSON(t, "--config", "/dev/null", img)
	if len(before.Suppressed) != 0 {
		t.Errorf("no ignore list, but %d suppressed findings", len(before.Suppressed))
	}
	r := inspectJSON(t, "-o", "sarif=r.sarif", "-o", "text=r.txt", "--ignore", "docs.man", img)
	type key struct{ rule, ignore, why string }
	got := map[key]int64{}
	for _, s := range r.Suppressed {
		got[key{s.RuleID, s.Ignore, s.Why}] += s.Bytes
	}
	want := map[key]int64{}
	for _, f := range before.Findings {
		switch {
		case f.RuleID == "docs.man":
			want[key{f.RuleID, "docs.man", "flag"}] += f.Bytes
		case f.Path == "/app/.git" || strings.HasPrefix(f.Path, "/app/.git/"): // report paths start with /
			want[key{f.RuleID, "/app/.git", "config"}] += f.Bytes
		}
	}
	if len(want) < 2 {
		t.Fatalf("testdata image lacks docs.man and app/.git findings: %v", want)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("suppressed bytes by rule, entry and origin (-want +got):\n%s", diff)
	}
	var kept, supp int64
	for _, f := range r.Findings {
		kept += f.Bytes
	}
	for _, s := range r.Suppressed {
		supp += s.Bytes
	}
	var all int64
	for _, f := range before.Findings {
		all += f.Bytes
	}
	if kept+supp != all {
		t.Errorf("findings %d + suppressed %d bytes = %d, want all findings' %d", kept, supp, kept+supp, all)
	}
	if r.Leftovers.Bytes >= before.Leftovers.Bytes {
		t.Errorf("leftover total %d with suppressions, want less than %d: suppressed findings count in no total", r.Leftovers.Bytes, before.Leftovers.Bytes)
	}

	text, err := os.ReadFile("r.txt")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(text), "\nSuppressed  ") || !strings.Contains(string(text), "docs.man ") || !strings.Contains(string(text), "(--ignore)") || !strings.Contains(string(text), "/app/.git ") || !strings.Contains(string(text), "(config)") {
		t.Errorf("text lacks the Suppressed line naming both entries:\n%s", clip(string(text)))
	}

	data, err := os.ReadFile("r.sarif")
	if err != nil {
		t.Fatal(err)
	}
	validateSARIF(t, data)
	var log sarifLog
	if err := json.Unmarshal(data, &log); err != nil {
		t.Fatal(err)
	}
	var suppressed []sarifResult
	for _, res := range log.Runs[0].Results {
		if len(res.Suppressions) > 0 {
			suppressed = append(suppressed, res)
		}
	}
	if len(suppressed) != len(r.Suppressed) {
		t.Fatalf("%d SARIF results with suppressions, want %d", len(suppressed), len(r.Suppressed))
	}
	for i, res := range suppressed {
		s := res.Suppressions[0]
		if res.RuleID != r.Suppressed[i].RuleID || s.Kind != "external" || s.Status != "accepted" || !strings.Contains(s.Justification, r.Suppressed[i].Ignore) {
			t.Errorf("SARIF result %s suppression %+v: want kind external, status accepted, naming %q", res.RuleID, s, r.Suppressed[i].Ignore)
		}
	}
}

// A rule both forbidden and ignored (by ID or category) does not pass the
// gate silently: a warning says so, its silenced findings count in the
// check, and the check's note says why. An ignored path still silences.
func TestForbiddenAndIgnored(t *testing.T) {
	img, err := filepath.Abs(testImage)
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	for _, tc := range []struct {
		name     string
		args     []string
		wantCode int
		wantWarn string
	}{
		{"by ID", []string{"--ignore", "vcs.git"}, exitGate, "rule vcs.git is both forbidden and ignored"},
		{"by category", []string{"--ignore", "vcs"}, exitGate, "rule vcs.git is forbidden and its category vcs ignored"},
		{"by path", []string{"--ignore", "app/.git"}, exitOK, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := stagescope(t, append(append([]string{"inspect", "-o", "json", "--forbid-rule", "vcs.git"}, tc.args...), img)...)
			if r.code != tc.wantCode {
				t.Fatalf("exit %d, want %d: %s", r.code, tc.wantCode, r.stderr)
			}
			var rep report.Report
			if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
				t.Fatal(err)
			}
			c := rep.Gate.Checks[0]
			if tc.wantWarn == "" {
				if strings.Contains(r.stderr, "forbidden") || c.Note != "" || c.Measured != 0 {
					t.Errorf("an ignored path: check %+v, stderr %q; want it silenced, no note", c, r.stderr)
				}
				return
			}
			if !strings.Contains(r.stderr, "stagescope: warning: "+tc.wantWarn) || !strings.Contains(c.Note, tc.wantWarn) || c.Measured == 0 || c.Pass {
				t.Errorf("check %+v, stderr %q: want a failed check counting the silenced findings, with a note and a warning saying %q", c, r.stderr, tc.wantWarn)
			}
		})
	}
}

// An ignored path glob that matches no file is worth a warning (a typo, a
// path the image lost): one line on stderr, escaped.
func TestIgnoreUnmatchedWarns(t *testing.T) {
	img, err := filepath.Abs(testImage)
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	if err := os.WriteFile(".stagescope.yaml", []byte("ignore:\n  paths: [opt/nothing]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := stagescope(t, "inspect", "-o", "json", "--ignore", "usr/share/doc", "--ignore", "usr/shar/doc", "--ignore", "x\x1b]0;t\x07/**", img)
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	want := []string{
		`stagescope: warning: ignore.paths "opt/nothing" matches no file in the image`,
		`stagescope: warning: --ignore "usr/shar/doc" matches no file in the image`,
		`stagescope: warning: --ignore "x\x1b]0;t\x07/**" matches no file in the image`,
	}
	if diff := cmp.Diff(want, strings.Split(strings.TrimSpace(r.stderr), "\n")); diff != "" {
		t.Errorf("stderr (-want +got):\n%s", diff)
	}
}

// diff reports what the ignore list silenced in each image as inspect
// does (JSON `suppressed` per side, a text line per side), and warns once
// about a path glob that matched no file in either image, in inspect's
// words; a glob that one image matched is no typo.
func TestDiffSuppressedReported(t *testing.T) {
	img, err := filepath.Abs(testImage)
	if err != nil {
		t.Fatal(err)
	}
	_, multi, _, _, _ := diffPair(t)
	t.Chdir(t.TempDir())
	if err := os.WriteFile(".stagescope.yaml", []byte("ignore:\n  paths: [/app/.git, opt/nothing]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	flags := []string{"--ignore", "docs.man", "--ignore", "usr/shar/doc", "--ignore", "app/LICENSE", "--ignore", "usr/share/doc/**"}
	wantA := inspectJSON(t, append(slices.Clone(flags), img)...).Suppressed
	wantB := inspectJSON(t, append(slices.Clone(flags), multi)...).Suppressed
	if len(wantA) == 0 || len(wantB) != 0 {
		t.Fatalf("inspect suppressed %d findings of A and %d of B: the test needs some of A's and none of B's", len(wantA), len(wantB))
	}

	r, stderr := diffJSON(t, append(slices.Clone(flags), img, multi)...)
	if diff := cmp.Diff(wantA, r.A.Suppressed); diff != "" {
		t.Errorf("diff's suppressed of A differ from inspect's (-inspect +diff):\n%s", diff)
	}
	if diff := cmp.Diff(wantB, r.B.Suppressed, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("diff's suppressed of B differ from inspect's (-inspect +diff):\n%s", diff)
	}
	wantWarn := []string{
		`stagescope: warning: ignore.paths "opt/nothing" matches no file in either image`,
		`stagescope: warning: --ignore "usr/shar/doc" matches no file in either image`,
	}
	if diff := cmp.Diff(wantWarn, strings.Split(strings.TrimSpace(stderr), "\n")); diff != "" {
		t.Errorf("stderr (-want +got):\n%s", diff)
	}

	text, _, code, err := run(t, append(append([]string{"diff", "-o", "text", "--width", "0"}, flags...), img, multi)...)
	if code != exitOK {
		t.Fatalf("diff -o text: exit %d: %v", code, err)
	}
	want := "Suppressed in A: " + suppressedLine(wantA) + "\n"
	if !strings.Contains(text, want) || strings.Contains(text, "Suppressed in B") {
		t.Errorf("diff -o text lacks %q (or has a line for B, which had none):\n%s", want, clip(text))
	}
	for _, w := range []string{"docs.man ", "(--ignore)", "/app/.git ", "(config)"} {
		if !strings.Contains(want, w) {
			t.Errorf("the Suppressed line lacks %q: %s", w, want)
		}
	}
}

// A many-image run warns once about an ignored path glob that matched no
// file in any of its images, not once per image, and not at all about a
// glob one image matched.
func TestFleetIgnoreUnmatchedWarnsOnce(t *testing.T) {
	naive, multi, _, _, _ := diffPair(t)
	for _, tc := range []struct {
		name  string
		refs  []string
		where string
	}{
		{"two", []string{testImage, multi}, "either image"},
		{"three", []string{testImage, naive, multi}, "any of the 3 images"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"inspect", "-o", "json", "--no-cache", "--ignore", "usr/share/doc", "--ignore", "usr/shar/doc", "--ignore", "app/main"}, tc.refs...)
			r := stagescope(t, args...)
			if r.code != exitOK {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			var warnings []string
			for _, l := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
				if strings.Contains(l, "warning:") {
					warnings = append(warnings, l)
				}
			}
			want := []string{`stagescope: warning: --ignore "usr/shar/doc" matches no file in ` + tc.where}
			if diff := cmp.Diff(want, warnings); diff != "" {
				t.Errorf("warnings (-want +got):\n%s\nstderr:\n%s", diff, r.stderr)
			}
		})
	}
}
