package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stagescope/stagescope/analyze/analyzetest"
	"github.com/stagescope/stagescope/analyze/gate"
	"github.com/stagescope/stagescope/analyze/report"
	"github.com/stagescope/stagescope/layers/layerstest"
)

// diveImage is dive's own test image (see testdata/dive/README.md), made
// absolute before any test changes directory.
var diveImage, _ = filepath.Abs(filepath.Join("..", "..", "testdata", "dive", "test-docker-image.tar"))

// runDiveCI runs inspect on dive's test image with a .dive-ci holding the
// three rules, and returns the exit status and the gate.
func runDiveCI(t *testing.T, efficiency, wasted, userWasted string) (int, *report.GateJSON, error) {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir)
	ci := "rules:\n  lowestEfficiency: " + efficiency + "\n  highestWastedBytes: " + wasted + "\n  highestUserWastedPercent: " + userWasted + "\n"
	if err := os.WriteFile(".dive-ci", []byte(ci), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, code, err := run(t, "inspect", "-o", "json", diveImage)
	if code == exitError {
		return code, nil, err
	}
	analyzetest.ValidateReport(t, []byte(out))
	var rep report.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("report: %v", err)
	}
	return code, rep.Gate, err
}

// TestDiveCIRules reproduces the cases of dive's own CI rule test (its
// runtime/ci evaluator test) on the same image, through a .dive-ci file.
func TestDiveCIRules(t *testing.T) {
	tests := []struct {
		name                 string
		eff, wasted, percent string
		wantCode             int
		wantPass             map[string]bool // by rule; absent: not checked
	}{
		{"allFail", "0.99", "1B", "0.01", exitGate, map[string]bool{
			gate.CheckLowestEfficiency: false, gate.CheckHighestWastedBytes: false, gate.CheckHighestUserWastedPercent: false}},
		{"allPass", "0.9", "50kB", "0.5", exitOK, map[string]bool{
			gate.CheckLowestEfficiency: true, gate.CheckHighestWastedBytes: true, gate.CheckHighestUserWastedPercent: true}},
		{"allDisabled", "disabled", "disabled", "disabled", exitOK, nil},
		{"misconfiguredHigh", "1.1", "1BB", "10", exitError, nil},
		{"misconfiguredLow", "-9", "-1BB", "-0.1", exitError, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, gate, err := runDiveCI(t, tt.eff, tt.wasted, tt.percent)
			if code != tt.wantCode {
				t.Fatalf("exit status %d (%v), want %d", code, err, tt.wantCode)
			}
			if code == exitError {
				if !strings.HasPrefix(err.Error(), ".dive-ci:2: lowestEfficiency: ") {
					t.Errorf("error %q does not name the file, line and rule", err)
				}
				return
			}
			got := map[string]bool{}
			if gate != nil {
				for _, c := range gate.Checks {
					got[c.Name] = c.Pass
				}
			}
			if tt.wantPass == nil {
				tt.wantPass = map[string]bool{}
			}
			if diff := cmp.Diff(tt.wantPass, got); diff != "" {
				t.Errorf("rule results (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDiveCIEachMisconfiguredRule checks that every one of dive's
// misconfigured values is rejected on its own, naming its line.
func TestDiveCIEachMisconfiguredRule(t *testing.T) {
	for _, tt := range []struct {
		eff, wasted, percent string
		want                 string
	}{
		{"0.5", "1BB", "0.5", `.dive-ci:3: highestWastedBytes: "1BB" is not a size`},
		{"0.5", "-1BB", "0.5", ".dive-ci:3: highestWastedBytes: size -1BB is negative"},
		{"0.5", "1MB", "10", ".dive-ci:4: highestUserWastedPercent: 10 is outside 0..1"},
		{"0.5", "1MB", "-0.1", ".dive-ci:4: highestUserWastedPercent: -0.1 is outside 0..1"},
	} {
		code, _, err := runDiveCI(t, tt.eff, tt.wasted, tt.percent)
		if code != exitError || err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%s/%s/%s: exit status %d, error %v; want 2, %q…", tt.eff, tt.wasted, tt.percent, code, err, tt.want)
		}
	}
}

// TestDiveCIBoundaries sets each limit to exactly the value measured on
// dive's image (equal passes, as in dive) and just past it (fails).
func TestDiveCIBoundaries(t *testing.T) {
	_, gate, err := runDiveCI(t, "0", "1TB", "1")
	if err != nil || gate == nil || len(gate.Checks) != 3 {
		t.Fatalf("measuring: gate %+v, error %v", gate, err)
	}
	eff, wasted, user := gate.Checks[0].Measured, int64(gate.Checks[1].Measured), gate.Checks[2].Measured
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	for _, tt := range []struct {
		name                 string
		eff, wasted, percent string
		wantFailed           int
	}{
		{"all equal", f(eff), strconv.FormatInt(wasted, 10), f(user), 0},
		{"efficiency a hair higher", f(eff + 1e-9), strconv.FormatInt(wasted, 10), f(user), 1},
		{"one byte fewer", f(eff), strconv.FormatInt(wasted-1, 10), f(user), 1},
		{"user wasted a hair lower", f(eff), strconv.FormatInt(wasted, 10), f(user - 1e-9), 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, gate, err := runDiveCI(t, tt.eff, tt.wasted, tt.percent)
			if code == exitError {
				t.Fatal(err)
			}
			if gate.Failed != tt.wantFailed || (code == exitGate) != (tt.wantFailed > 0) {
				t.Errorf("failed %d (exit %d), want %d: %+v", gate.Failed, code, tt.wantFailed, gate.Checks)
			}
		})
	}
}

// TestDiveCIDefaults: a .dive-ci that leaves a rule out gets dive's default
// for it (lowestEfficiency 0.9, highestUserWastedPercent 0.1), as dive
// applies; "disabled" still turns a rule off.
func TestDiveCIDefaults(t *testing.T) {
	for _, tc := range []struct {
		name, ci string
		want     map[string]float64 // limit by check
	}{
		{"only wasted bytes", "rules:\n  highestWastedBytes: 1GB\n", map[string]float64{
			gate.CheckLowestEfficiency: 0.9, gate.CheckHighestWastedBytes: 1e9, gate.CheckHighestUserWastedPercent: 0.1}},
		{"empty rules", "rules: {}\n", map[string]float64{
			gate.CheckLowestEfficiency: 0.9, gate.CheckHighestUserWastedPercent: 0.1}},
		{"disabled stays off", "rules:\n  lowestEfficiency: disabled\n", map[string]float64{
			gate.CheckHighestUserWastedPercent: 0.1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			if err := os.WriteFile(".dive-ci", []byte(tc.ci), 0o644); err != nil {
				t.Fatal(err)
			}
			out, _, code, err := run(t, "inspect", "-o", "json", diveImage)
			if code == exitError {
				t.Fatalf("inspect: %v", err)
			}
			var rep report.Report
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatal(err)
			}
			got := map[string]float64{}
			if rep.Gate != nil {
				for _, c := range rep.Gate.Checks {
					got[c.Name] = c.Limit
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("checked limits (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDiveCIUnknownKeys: dive's own sample .dive-ci starts with a plugins:
// list, and dive ignores keys it does not check. stagescope reads the file
// as dive does: the keys are ignored with a warning naming them and their
// line, and the rules still apply. A .stagescope.yaml stays strict.
func TestDiveCIUnknownKeys(t *testing.T) {
	t.Chdir(t.TempDir())
	ci := "plugins:\n  - plugin1\n\nrules:\n  lowestEfficiency: 0.99\n  highestWastedBytes: disabled\n  highestUserWastedPercent: disabled\n  somethingNew: 3\n"
	if err := os.WriteFile(".dive-ci", []byte(ci), 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, code, _ := run(t, "inspect", "-o", "json", diveImage)
	if code != exitGate {
		t.Fatalf("exit %d, want %d (lowestEfficiency 0.99 fails on dive's image); stderr:\n%s", code, exitGate, stderr)
	}
	for _, want := range []string{
		`stagescope: warning: .dive-ci:1: unknown key "plugins" in the file ignored, as dive ignores it`,
		`stagescope: warning: .dive-ci:8: unknown key "somethingNew" in rules ignored, as dive ignores it`,
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	var rep report.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Gate == nil || len(rep.Gate.Checks) != 1 || rep.Gate.Checks[0].Name != gate.CheckLowestEfficiency {
		t.Errorf("gate = %+v, want the one lowestEfficiency check", rep.Gate)
	}

	// The same keys in stagescope's own file are mistakes, and refused.
	if err := os.WriteFile(".stagescope.yaml", []byte(ci), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, code, err := run(t, "inspect", "-o", "json", diveImage)
	if code != exitError || err == nil || !strings.Contains(err.Error(), `.stagescope.yaml:1: unknown key "plugins" in the file`) {
		t.Errorf("with .stagescope.yaml: exit %d, %v; want exit 2 naming the unknown key", code, err)
	}
}

// Where dive's userWastedPercent is undefined (no bytes above the first
// layer), a .dive-ci gives dive's verdict: +Inf (bytes wasted) fails, NaN
// (none) passes, and both the text and the JSON say why.
func TestDiveCIUserWastedUndefined(t *testing.T) {
	deleted := writeArchive(t, layerstest.Layers(t,
		[]layerstest.File{{Name: "app/big", Body: strings.Repeat("b", 4000)}},
		[]layerstest.File{layerstest.Whiteout("app/big")}))
	single := writeArchive(t, layerstest.Layers(t, []layerstest.File{{Name: "app/main", Body: "m"}}))
	for _, tc := range []struct {
		name, img string
		wantCode  int
		wantPass  bool
		wantNote  string
	}{
		{"deletion only: +Inf fails", deleted, exitGate, false, "= +Inf, which fails every limit in dive"},
		{"single layer: NaN passes", single, exitOK, true, "= NaN, which passes every limit in dive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			// the limit dive's rule allows at most; lowestEfficiency off
			ci := "rules:\n  lowestEfficiency: disabled\n  highestUserWastedPercent: 1\n"
			if err := os.WriteFile(".dive-ci", []byte(ci), 0o644); err != nil {
				t.Fatal(err)
			}
			out, _, code, err := run(t, "inspect", "-o", "json", tc.img)
			if code != tc.wantCode {
				t.Fatalf("exit %d (%v), want %d", code, err, tc.wantCode)
			}
			var rep report.Report
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatal(err)
			}
			if rep.Gate == nil || len(rep.Gate.Checks) != 1 {
				t.Fatalf("gate %+v: want one check", rep.Gate)
			}
			c := rep.Gate.Checks[0]
			if c.Name != gate.CheckHighestUserWastedPercent || c.Pass != tc.wantPass || !strings.Contains(c.Note, tc.wantNote) {
				t.Errorf("check %+v: want %s pass %v with a note saying %q", c, gate.CheckHighestUserWastedPercent, tc.wantPass, tc.wantNote)
			}
			text, _, _, _ := run(t, "inspect", "-o", "text", tc.img)
			if !strings.Contains(text, "highestUserWastedPercent  undefined") || !strings.Contains(text, "highestUserWastedPercent: undefined: ") || !strings.Contains(text, tc.wantNote) {
				t.Errorf("text gate table does not show the undefined value and why:\n%s", text)
			}
		})
	}
}
