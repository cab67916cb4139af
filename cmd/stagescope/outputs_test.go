package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stagescope/stagescope/analyze/analyzetest"
)

// outputsImage is testImage made absolute before any test changes directory.
var outputsImage, _ = filepath.Abs(testImage)

// One run writes several outputs: the one on stdout and each file are the
// bytes a run of that format alone writes.
func TestSeveralOutputs(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(t.TempDir()) // no config file around
	files := map[string]string{
		"json":      filepath.Join(dir, "report.json"),
		"sarif":     filepath.Join(dir, "results.sarif"),
		"cyclonedx": filepath.Join(dir, "bom.cdx.json"),
		"text":      filepath.Join(dir, "report.txt"),
	}
	r := stagescope(t, "inspect", "-o", "text", "-o", "json="+files["json"], "-o", "sarif="+files["sarif"],
		"--output", "cyclonedx="+files["cyclonedx"], "-o=text="+files["text"], outputsImage)
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	alone := func(format string) string {
		t.Helper()
		a := stagescope(t, "inspect", "-o", format, outputsImage)
		if a.code != exitOK {
			t.Fatalf("-o %s: exit %d: %s", format, a.code, a.stderr)
		}
		return a.stdout
	}
	if want := alone("text"); r.stdout != want {
		t.Errorf("stdout of -o text with files differs from -o text alone:\n got %q\nwant %q", clip(r.stdout), clip(want))
	}
	for format, file := range files {
		got, err := os.ReadFile(file)
		if err != nil {
			t.Fatalf("-o %s=FILE: %v", format, err)
		}
		if want := alone(format); string(got) != want {
			t.Errorf("-o %s=FILE differs from -o %s alone:\n got %q\nwant %q", format, format, clip(string(got)), clip(want))
		}
	}
	report, _ := os.ReadFile(files["json"])
	analyzetest.ValidateReport(t, report)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != len(files) {
		t.Errorf("directory holds %d entries, want the %d outputs and no temporary file", len(ents), len(files))
	}
}

func clip(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

// A standard-input stream can be read only once: several outputs of it
// show the run reads the image once.
func TestSeveralOutputsFromStdin(t *testing.T) {
	data, err := os.ReadFile(outputsImage)
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	out, stderr, code, err := runIn(t, bytes.NewReader(data), "inspect", "-o", "json", "-o", "sarif=results.sarif", "-o", "text=report.txt", "-")
	if code != exitOK {
		t.Fatalf("exit %d: %v %s", code, err, stderr)
	}
	analyzetest.ValidateReport(t, []byte(out))
	for _, f := range []string{"results.sarif", "report.txt"} {
		if fi, err := os.Stat(f); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v, want a non-empty file", f, err)
		}
	}
}

// A failed gate still writes every output, and exits 1.
func TestSeveralOutputsGate(t *testing.T) {
	t.Chdir(t.TempDir())
	r := stagescope(t, "inspect", "-o", "text", "-o", "json=r.json", "--highest-category-bytes", "docs=0", outputsImage)
	if r.code != exitGate {
		t.Fatalf("exit %d, want %d: %s", r.code, exitGate, r.stderr)
	}
	data, err := os.ReadFile("r.json")
	if err != nil || !bytes.Contains(data, []byte(`"pass": false`)) {
		t.Errorf("r.json (%v): want the report with the failed gate", err)
	}
	if !strings.Contains(r.stdout, "Gate FAIL") {
		t.Errorf("stdout lacks the gate table:\n%s", clip(r.stdout))
	}
}

// A usage error, or a run that fails, leaves every file as it was: none
// created, an existing one unchanged, no temporary file left.
func TestSeveralOutputsErrors(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile("old.json", []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir("sub", 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-o", "json=new.json", "-o", "yaml"}, `unknown output format "yaml"`},
		{[]string{"-o", "json=new.json", "-o", "text", "-o", "sarif"}, "-o text and -o sarif both write to stdout"},
		{[]string{"-o", "json=new.json", "-o", "tui=x.txt"}, "-o tui=x.txt: a file takes one of text, json, sarif, cyclonedx"},
		{[]string{"-o", "json=new.json", "-o", "tui"}, "-o tui is the interactive browser"},
		{[]string{"-o", "json=new.json", "-o", "sarif=./new.json"}, "one file for two outputs"},
		{[]string{"-o", "json=new.json", "-o", "sarif=nodir/r.sarif"}, "directory nodir does not exist"},
		{[]string{"-o", "json=sub"}, "sub is a directory"},
		{[]string{"-o", "json="}, "no file name after ="},
		{[]string{"-o", "json=new.json", "-o", "json=old.json", "--lowest-efficiency", "2"}, "--lowest-efficiency"},
		{[]string{"-o", "json=new.json", "-o", "json=old.json", "nosuch.tar"}, "nosuch.tar"},
		{[]string{"-o", "json=new.json", outputsImage, outputsImage}, "writes the report of one image"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			args := append([]string{"inspect"}, tc.args...)
			if !slices.ContainsFunc(tc.args, func(a string) bool { return strings.HasSuffix(a, ".tar") }) {
				args = append(args, outputsImage)
			}
			wantOneLineError(t, stagescope(t, args...), tc.want)
			ents, _ := os.ReadDir(dir)
			var names []string
			for _, e := range ents {
				names = append(names, e.Name())
			}
			if !slices.Equal(names, []string{"old.json", "sub"}) {
				t.Errorf("directory holds %v, want only old.json and sub", names)
			}
			if data, _ := os.ReadFile("old.json"); string(data) != "old" {
				t.Errorf("old.json holds %q, want it unchanged", data)
			}
		})
	}
}
