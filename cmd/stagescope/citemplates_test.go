package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/stagescope/stagescope/analyze/analyzetest"
)

// The CI integrations, action.yml (a GitHub composite action) and
// ci/stagescope.gitlab-ci.yml (a GitLab CI template), are run here as
// written: their gate scripts are taken from the files and run by the shell
// their CI would run them with, on testdata/leftovers.tar, with the built
// stagescope on PATH behind a wrapper that counts its runs. Only the install
// steps are left out (a release download, go install from the module proxy):
// the built binary stands in for what they install.

// ciRun is what one run of a CI script did.
type ciRun struct {
	code   int
	output string   // stdout and stderr
	calls  []string // stagescope's arguments, one run a line
}

// ciStagescope returns a directory holding a stagescope that logs its
// arguments to log, then runs the built binary.
func ciStagescope(t *testing.T, log string) string {
	t.Helper()
	bin := stagescopeBinary(t)
	dir := t.TempDir()
	wrapper := "#!/bin/sh\necho \"$*\" >> '" + log + "'\nexec '" + bin + "' \"$@\"\n"
	if err := os.WriteFile(filepath.Join(dir, "stagescope"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// runCIScript runs script with shell in dir, stagescope on PATH, no
// terminal and no reachable engine, and the variables vars.
func runCIScript(t *testing.T, dir string, shell []string, script string, vars ...string) ciRun {
	t.Helper()
	log := filepath.Join(t.TempDir(), "calls")
	cmd := exec.Command(shell[0], append(shell[1:], script)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+ciStagescope(t, log)+string(os.PathListSeparator)+os.Getenv("PATH"),
		"DOCKER_HOST=unix://"+filepath.Join(t.TempDir(), "no-engine.sock"), "NO_COLOR=1", "XDG_CACHE_HOME="+t.TempDir())
	cmd.Env = append(cmd.Env, vars...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	r := ciRun{}
	var exit *exec.ExitError
	switch err := cmd.Run(); {
	case err == nil:
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	default:
		t.Fatalf("running the script: %v", err)
	}
	r.output = out.String()
	if b, err := os.ReadFile(log); err == nil {
		r.calls = strings.Split(strings.TrimSpace(string(b)), "\n")
	}
	return r
}

// ciCase is one run of a CI integration: its inputs and what must come of
// them.
type ciCase struct {
	name     string
	image    string // relative to the repository's root, or a missing file
	args     string
	wantCode int
	// wantFiles: the JSON report and SARIF are written (a gate that
	// fails writes them too; an unreadable image none).
	wantFiles bool
	wantLog   []string // in the job's log
}

var ciCases = []ciCase{
	{name: "pass", image: "testdata/leftovers.tar", wantCode: 0, wantFiles: true,
		wantLog: []string{"Leftovers   493 kB in 73 files", "Largest leftovers"}},
	{name: "gate fails", image: "testdata/leftovers.tar", args: "--highest-leftover-bytes 1MB --forbid-rule secret.dotenv", wantCode: 1, wantFiles: true,
		wantLog: []string{"Gate FAIL: 1 of 2 checks failed", "FAIL    forbiddenRules"}},
	{name: "unreadable image", image: "nosuch.tar", wantCode: 2,
		wantLog: []string{"stagescope: opening nosuch.tar: no such file or directory"}},
}

// checkCIRun checks one run: its exit status, log, files, and that it ran
// stagescope once, with -o text and the files as outputs.
// The file names are as the script gives them, relative to dir or not.
func checkCIRun(t *testing.T, tc ciCase, r ciRun, dir, jsonFile, sarifFile string) {
	t.Helper()
	if r.code != tc.wantCode {
		t.Errorf("exit status %d, want %d; output:\n%s", r.code, tc.wantCode, r.output)
	}
	for _, w := range tc.wantLog {
		if !strings.Contains(r.output, w) {
			t.Errorf("the log lacks %q:\n%s", w, r.output)
		}
	}
	var inspects []string
	for _, c := range r.calls {
		if strings.HasPrefix(c, "inspect ") {
			inspects = append(inspects, c)
		}
	}
	if len(inspects) != 1 {
		t.Fatalf("stagescope inspect ran %d times, want once:\n%s", len(inspects), strings.Join(inspects, "\n"))
	}
	for _, want := range []string{"-o text ", "-o json=" + jsonFile + " ", "-o sarif=" + sarifFile + " "} {
		if !strings.Contains(inspects[0], want) {
			t.Errorf("stagescope %s: no %q", inspects[0], want)
		}
	}
	path := func(name string) string {
		if filepath.IsAbs(name) {
			return name
		}
		return filepath.Join(dir, name)
	}
	js, errJ := os.ReadFile(path(jsonFile))
	sarif, errS := os.ReadFile(path(sarifFile))
	if !tc.wantFiles {
		if errJ == nil || errS == nil {
			t.Errorf("an unreadable image left a report (%v) or SARIF (%v)", errJ, errS)
		}
		return
	}
	if errJ != nil || errS != nil {
		t.Fatalf("reading the files: %v, %v", errJ, errS)
	}
	analyzetest.ValidateReport(t, js)
	validateSARIF(t, sarif)
	var rep struct {
		Gate *struct{ Pass bool } `json:"gate"`
	}
	if err := json.Unmarshal(js, &rep); err != nil {
		t.Fatal(err)
	}
	if gateFailed := rep.Gate != nil && !rep.Gate.Pass; gateFailed != (tc.wantCode == exitGate) {
		t.Errorf("the report's gate %+v, for an exit status %d", rep.Gate, tc.wantCode)
	}
}

// ciRoot copies the files a CI job would check out into a fresh directory:
// the image and nothing else (no .stagescope.yaml, so no thresholds but
// the arguments').
func ciRoot(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	data, err := os.ReadFile(testImage)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "testdata"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "testdata", "leftovers.tar"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// readCIFile reads the YAML file name of the repository into v; the SARIF
// schema is loaded first, from the package's directory.
func readCIFile(t *testing.T, name string, v any) {
	t.Helper()
	if _, err := sarifSchemaOnce(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join("..", "..", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s is not YAML: %v", name, err)
	}
}

// TestGitHubAction runs action.yml's gate step as GitHub runs a composite
// action's bash step, with the inputs in its env and the runner's
// RUNNER_TEMP and GITHUB_OUTPUT.
func TestGitHubAction(t *testing.T) {
	t.Parallel()
	type step struct {
		ID    string            `yaml:"id"`
		Shell string            `yaml:"shell"`
		Env   map[string]string `yaml:"env"`
		Run   string            `yaml:"run"`
		If    string            `yaml:"if"`
		With  map[string]string `yaml:"with"`
	}
	var action struct {
		Outputs map[string]struct {
			Value string `yaml:"value"`
		} `yaml:"outputs"`
		Runs struct {
			Using string `yaml:"using"`
			Steps []step `yaml:"steps"`
		} `yaml:"runs"`
	}
	readCIFile(t, "action.yml", &action)
	if action.Runs.Using != "composite" {
		t.Fatalf("runs.using %q, want composite", action.Runs.Using)
	}
	i := slices.IndexFunc(action.Runs.Steps, func(s step) bool { return s.ID == "gate" })
	if i < 0 {
		t.Fatal("action.yml has no step with id gate")
	}
	gate := action.Runs.Steps[i]
	if gate.Shell != "bash" {
		t.Fatalf("the gate step's shell is %q, want bash", gate.Shell)
	}
	// The upload step reads the gate step's output, also when it failed.
	if len(action.Runs.Steps) <= i+1 || !strings.Contains(action.Runs.Steps[i+1].If, "always()") ||
		action.Runs.Steps[i+1].With["sarif_file"] != "${{ steps.gate.outputs.sarif-file }}" {
		t.Errorf("the step after the gate does not upload its sarif-file always: %+v", action.Runs.Steps[i+1:])
	}
	// The inputs as the step's env: the expressions replaced, as Actions does.
	envVar := map[string]string{}
	for k, v := range gate.Env {
		envVar[v] = k
	}
	for _, in := range []string{"image", "config", "args"} {
		if envVar["${{ inputs."+in+" }}"] == "" {
			t.Fatalf("the gate step's env lacks inputs.%s: %v", in, gate.Env)
		}
	}
	if strings.Contains(gate.Run, "${{") {
		t.Fatalf("the gate script uses an expression the test does not replace:\n%s", gate.Run)
	}
	// GitHub's bash for a composite action's `shell: bash` step.
	bash := []string{"bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"}
	for _, tc := range ciCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir, temp := ciRoot(t), t.TempDir()
			outputs := filepath.Join(t.TempDir(), "github_output")
			r := runCIScript(t, dir, bash, gate.Run,
				envVar["${{ inputs.image }}"]+"="+tc.image, envVar["${{ inputs.config }}"]+"=", envVar["${{ inputs.args }}"]+"="+tc.args,
				"RUNNER_TEMP="+temp, "GITHUB_OUTPUT="+outputs)
			b, _ := os.ReadFile(outputs)
			got := map[string]string{}
			for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
				if k, v, ok := strings.Cut(l, "="); ok {
					got[k] = v
				}
			}
			jsonFile, sarifFile := filepath.Join(temp, "stagescope.json"), filepath.Join(temp, "stagescope.sarif")
			checkCIRun(t, tc, r, dir, jsonFile, sarifFile)
			// The action's outputs name the files, where there are files.
			for name, file := range map[string]string{"sarif-file": sarifFile, "report-file": jsonFile} {
				if action.Outputs[name].Value != "${{ steps.gate.outputs."+name+" }}" {
					t.Errorf("output %s is %q, want the gate step's", name, action.Outputs[name].Value)
				}
				want := ""
				if tc.wantFiles {
					want = file
				}
				if got[name] != want {
					t.Errorf("GITHUB_OUTPUT %s=%q, want %q", name, got[name], want)
				}
			}
		})
	}
}

// TestGitLabTemplate runs the GitLab CI template's job script as a runner
// does with a bash image: its lines in one shell that stops at the first
// failing one, with the template's variables.
func TestGitLabTemplate(t *testing.T) {
	t.Parallel()
	type job struct {
		Extends   string            `yaml:"extends"`
		Variables map[string]string `yaml:"variables"`
		Script    []string          `yaml:"script"`
		Artifacts struct {
			When  string   `yaml:"when"`
			Paths []string `yaml:"paths"`
		} `yaml:"artifacts"`
	}
	var tmpl struct {
		Variables map[string]string `yaml:"variables"`
		Hidden    job               `yaml:".stagescope"`
		Job       job               `yaml:"stagescope"`
	}
	readCIFile(t, "ci/stagescope.gitlab-ci.yml", &tmpl)
	if tmpl.Job.Extends != ".stagescope" {
		t.Fatalf("job stagescope extends %q, want .stagescope", tmpl.Job.Extends)
	}
	hidden := tmpl.Hidden
	if hidden.Artifacts.When != "always" || !slices.Contains(hidden.Artifacts.Paths, "stagescope.json") || !slices.Contains(hidden.Artifacts.Paths, "stagescope.sarif") {
		t.Errorf("artifacts %+v: want stagescope.json and stagescope.sarif, always", hidden.Artifacts)
	}
	var script []string
	for _, line := range hidden.Script {
		if strings.HasPrefix(line, "go install ") {
			continue // the built binary stands in for it
		}
		script = append(script, line)
	}
	if len(script) == len(hidden.Script) {
		t.Fatalf("the script installs no stagescope with go install:\n%s", strings.Join(hidden.Script, "\n"))
	}
	// Global variables, then the job's; $CI_* are not used.
	var vars []string
	for k, v := range tmpl.Variables {
		vars = append(vars, k+"="+v)
	}
	for k, v := range hidden.Variables {
		vars = append(vars, k+"="+v)
	}
	if regexp.MustCompile(`\$\{?CI_`).MatchString(strings.Join(script, "\n")) {
		t.Fatalf("the script uses a CI_ variable the test does not set:\n%s", strings.Join(script, "\n"))
	}
	for _, tc := range ciCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := ciRoot(t)
			r := runCIScript(t, dir, []string{"bash", "-eo", "pipefail", "-c"}, strings.Join(script, "\n"),
				append(slices.Clone(vars), "STAGESCOPE_IMAGE="+tc.image, "STAGESCOPE_ARGS="+tc.args)...)
			checkCIRun(t, tc, r, dir, "stagescope.json", "stagescope.sarif")
		})
	}
}
