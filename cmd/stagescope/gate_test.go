package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/stagescope/stagescope/analyze/analyzetest"
	"github.com/stagescope/stagescope/analyze/gate"
	"github.com/stagescope/stagescope/analyze/report"
	"github.com/stagescope/stagescope/analyze/rules"
	"github.com/stagescope/stagescope/internal/format"
	"github.com/stagescope/stagescope/layers/layerstest"
)

// writeArchive saves img as a docker archive in a temporary directory.
func writeArchive(t *testing.T, img v1.Image) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "img.tar")
	tag, err := name.NewTag("stagescope.test/app:1")
	if err != nil {
		t.Fatal(err)
	}
	if err := tarball.WriteToFile(p, tag, img); err != nil {
		t.Fatal(err)
	}
	return p
}

// run runs the stagescope command line and returns stdout, stderr and the
// exit status main would give.
func run(t *testing.T, args ...string) (string, string, int, error) {
	t.Helper()
	out, errOut, code, err := runIn(t, strings.NewReader(""), args...)
	if code != exitError && len(args) > 0 && args[0] == "inspect" && slices.Contains(args, "json") {
		analyzetest.ValidateReport(t, []byte(out)) // every JSON report the tests produce
	}
	return out, errOut, code, err
}

// gateImage is a two-layer image; size is its layers' uncompressed bytes,
// measured on the tar streams themselves.
func gateImage(t *testing.T) (path string, size int64) {
	l0 := []layerstest.File{layerstest.Dir("usr/bin"), {Name: "usr/bin/tool", Body: strings.Repeat("t", 3000)}}
	l1 := []layerstest.File{{Name: "app/main", Body: strings.Repeat("m", 5000)}, layerstest.Whiteout("usr/bin/tool")}
	size = int64(len(layerstest.Tar(t, l0...)) + len(layerstest.Tar(t, l1...)))
	return writeArchive(t, layerstest.Layers(t, l0, l1)), size
}

func TestInspectGateExitStatus(t *testing.T) {
	img, size := gateImage(t)
	tests := []struct {
		name     string
		limit    int64
		wantCode int
	}{
		{"size equal to the limit passes", size, exitOK},
		{"one byte over the limit fails", size - 1, exitGate},
		{"well under the limit passes", 10 * size, exitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Chdir(t.TempDir()) // no config file around
			out, _, code, err := run(t, "inspect", "-o", "json", "--highest-image-bytes", strconv.FormatInt(tt.limit, 10), img)
			if code != tt.wantCode {
				t.Fatalf("exit status %d (%v), want %d", code, err, tt.wantCode)
			}
			analyzetest.ValidateReport(t, []byte(out))
			var rep report.Report
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("the report is written even when the gate fails, but: %v", err)
			}
			want := &report.GateJSON{
				Pass:   tt.wantCode == exitOK,
				Failed: map[bool]int{true: 0, false: 1}[tt.wantCode == exitOK],
				Checks: []report.CheckJSON{{
					Name: gate.CheckHighestImageBytes, Unit: gate.UnitBytes,
					Measured: float64(size), Limit: float64(tt.limit), Pass: tt.wantCode == exitOK,
				}},
				Ignore: report.IgnoreJSON{Rules: []string{}, Categories: []rules.Category{}, Paths: []string{}},
			}
			if diff := cmp.Diff(want, rep.Gate); diff != "" {
				t.Errorf("gate (-want +got):\n%s", diff)
			}
		})
	}
}

func TestInspectGateText(t *testing.T) {
	img, size := gateImage(t)
	t.Chdir(t.TempDir())
	out, _, code, _ := run(t, "inspect", "-o", "text",
		"--highest-image-bytes", strconv.FormatInt(size-1, 10),
		"--highest-leftover-bytes", "3000", // the deleted usr/bin/tool still ships: 3000 wasted bytes
		"--highest-category-bytes", "vcs=0", img)
	if code != exitGate {
		t.Fatalf("exit status %d, want %d", code, exitGate)
	}
	i := strings.Index(out, "\nGate FAIL: 1 of 3 checks failed\n")
	if i < 0 {
		t.Fatalf("no gate verdict at the end of the text report:\n%s", out)
	}
	var rows [][]string
	for _, line := range strings.Split(strings.TrimSpace(out[i:]), "\n")[1:] {
		rows = append(rows, strings.Fields(line))
	}
	want := [][]string{
		{"result", "check", "measured", "limit"},
		{"FAIL", "highestImageBytes", format.Bytes(size), "(" + strconv.FormatInt(size, 10) + ")", format.Bytes(size - 1), "(" + strconv.FormatInt(size-1, 10) + ")"},
		{"PASS", "highestLeftoverBytes", "3.0", "kB", "(3000)", "3.0", "kB", "(3000)"},
		{"PASS", "highestCategoryBytes", "vcs", "0", "B", "(0)", "0", "B", "(0)"},
	}
	// humanized sizes hold a space: split them the same way.
	for r := range want {
		want[r] = strings.Fields(strings.Join(want[r], " "))
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("gate table (-want +got):\n%s", diff)
	}
}

func TestInspectConfigFile(t *testing.T) {
	img, size := gateImage(t)
	dir := t.TempDir()
	t.Chdir(dir)
	// dive's file, found in the working directory.
	if err := os.WriteFile(".dive-ci", []byte("rules:\n  highestWastedBytes: 20MB\n  lowestEfficiency: disabled\n  highestUserWastedPercent: disabled\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, code, err := run(t, "inspect", "-o", "json", img)
	if code != exitOK {
		t.Fatalf("exit status %d (%v), want 0", code, err)
	}
	var rep report.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Gate == nil || len(rep.Gate.Checks) != 1 || rep.Gate.Checks[0].Name != gate.CheckHighestWastedBytes || rep.Gate.Checks[0].Limit != 20e6 {
		t.Errorf("gate from .dive-ci = %+v, want one highestWastedBytes check at 20MB", rep.Gate)
	}

	// .stagescope.yaml wins over .dive-ci; a flag wins over the file.
	if err := os.WriteFile(".stagescope.yaml", []byte("rules:\n  highestImageBytes: "+strconv.FormatInt(size-1, 10)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, code, _ := run(t, "inspect", "-o", "json", img); code != exitGate {
		t.Errorf("with .stagescope.yaml limiting the size: exit status %d, want %d", code, exitGate)
	}
	if _, _, code, err := run(t, "inspect", "-o", "json", "--highest-image-bytes", "disabled", img); code != exitOK {
		t.Errorf("with the limit disabled by flag: exit status %d (%v), want 0", code, err)
	}

	// A broken file is an error (2) naming file and line, and nothing is written.
	if err := os.WriteFile("bad.yaml", []byte("rules:\n  lowestEfficiency: 1.1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, code, err = run(t, "inspect", "-o", "json", "--config", "bad.yaml", img)
	if code != exitError || err == nil || err.Error() != "bad.yaml:2: lowestEfficiency: 1.1 is outside 0..1 (a ratio: 0.9 means 90%)" {
		t.Errorf("bad config: exit status %d, error %v", code, err)
	}
	if out != "" {
		t.Errorf("bad config wrote a report:\n%s", out)
	}
}

func TestInspectNoThresholdsNoGate(t *testing.T) {
	img, _ := gateImage(t)
	t.Chdir(t.TempDir())
	out, _, code, err := run(t, "inspect", "-o", "json", img)
	if code != exitOK {
		t.Fatalf("exit status %d (%v)", code, err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatal(err)
	}
	if _, ok := raw["gate"]; ok {
		t.Error("report has a gate object though no threshold was given")
	}
}
