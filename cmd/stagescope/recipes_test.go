package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/stagescope/stagescope/analyze/fleet"
	"github.com/stagescope/stagescope/layers/cache"
	"github.com/stagescope/stagescope/layers/cache/cachetest"
	lt "github.com/stagescope/stagescope/layers/layerstest"
)

// The fleet recipes of README.md ("A GitHub Actions matrix sharing one
// Redis", "A Kubernetes Indexed Job sharing one Redis") are run here as
// written: each block is taken from README.md by its <!-- recipe: NAME -->
// marker, and its shell scripts run with the variables the scheduler would
// set, stagescope on PATH and a real Redis.

// recipe returns the first fenced block after README.md's marker for name.
func recipe(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	marker := "<!-- recipe: " + name + " -->\n"
	_, after, ok := strings.Cut(string(b), marker)
	if !ok {
		t.Fatalf("README.md has no %q", strings.TrimSpace(marker))
	}
	m := regexp.MustCompile("(?s)^```[a-z]*\n(.*?)\n```\n").FindStringSubmatch(after)
	if m == nil {
		t.Fatalf("README.md: no fenced block right after %q", strings.TrimSpace(marker))
	}
	return m[1]
}

// fleetRecipeRun is a fleet of OCI layouts (content-addressed, so the layer
// cache serves them) and the environment a recipe's scripts run in.
type fleetRecipeRun struct {
	dir      string // the working directory, with images.txt
	env      []string
	distinct int // the fleet's distinct layers
	want     *fleet.Report
	wantText string // the first two lines of the unsharded fleet table
}

func newFleetRecipeRun(t *testing.T, db int) *fleetRecipeRun {
	t.Helper()
	url := cachetest.RedisURL(t, db)
	ctx := context.Background()
	r, err := cache.OpenRedis(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.DeletePrefix(ctx, "stagescope/"); err != nil {
		t.Fatal(err)
	}
	_ = r.Close()

	base := []lt.File{{Name: "usr/lib/libbase.so", Body: strings.Repeat("B", 30_000)}, {Name: "usr/share/doc/base/README", Body: "docs"}}
	var refs []string
	for i, app := range [][]lt.File{
		{{Name: "app/one", Body: strings.Repeat("1", 3_000)}},
		{{Name: "app/two", Body: strings.Repeat("2", 4_000)}, {Name: "usr/bin/gcc", Body: strings.Repeat("g", 9_000)}},
		{{Name: "app/three", Body: strings.Repeat("3", 5_000)}},
		{{Name: "app/four", Body: strings.Repeat("4", 6_000)}, {Name: "root/.npm/_cacache/x", Body: strings.Repeat("n", 2_000)}},
	} {
		app = append(app, lt.File{Name: fmt.Sprintf("etc/app-%d", i), Body: "x"})
		refs = append(refs, "oci:"+lt.OCILayout(t, lt.Layers(t, base, app)))
	}
	refs = append(refs, "oci:"+lt.OCILayout(t, lt.Layers(t, []lt.File{{Name: "bin/solo", Body: strings.Repeat("s", 7_000)}})))
	run := &fleetRecipeRun{dir: t.TempDir(), distinct: 1 + 5}
	if err := os.WriteFile(filepath.Join(run.dir, "images.txt"), []byte(strings.Join(refs, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	// stagescope on PATH is this test binary, which runs main (TestMain).
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	if err := os.Symlink(exe, filepath.Join(bin, "stagescope")); err != nil {
		t.Fatal(err)
	}
	run.env = append(os.Environ(), asMainEnv+"=1", "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"DOCKER_HOST=unix://"+filepath.Join(bin, "no-engine.sock"), "NO_COLOR=1", "STAGESCOPE_CACHE="+url)

	// What an unsharded run without any cache reports.
	all := stagescope(t, "inspect", "-o", "json", "--no-cache", "--refs", filepath.Join(run.dir, "images.txt"))
	if all.code != 0 {
		t.Fatalf("unsharded inspect: exit %d: %s", all.code, all.stderr)
	}
	allFile := filepath.Join(t.TempDir(), "all.jsonl")
	if err := os.WriteFile(allFile, []byte(all.stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	m := stagescope(t, "merge", "-o", "json", allFile)
	if m.code != 0 {
		t.Fatalf("unsharded merge: exit %d: %s", m.code, m.stderr)
	}
	run.want = fleetJSON(t, m.stdout)
	if run.want.Totals.UniqueLayers != run.distinct {
		t.Fatalf("the fleet has %d distinct layers, want %d", run.want.Totals.UniqueLayers, run.distinct)
	}
	m = stagescope(t, "merge", allFile)
	run.wantText = strings.Join(strings.SplitN(m.stdout, "\n", 3)[:2], "\n")
	return run
}

var layersReadRE = regexp.MustCompile(`stagescope: (\d+) images?: (\d+) layers? from the layer cache, (\d+) read`)

// shard runs one shard's script with the scheduler's variables and returns
// how many images it inspected and how many layers it read.
func (run *fleetRecipeRun) shard(t *testing.T, shell []string, script string, vars ...string) (images, read int) {
	t.Helper()
	out := run.script(t, shell, script, vars...)
	m := layersReadRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("%v: no summary line in stderr:\n%s", vars, out)
	}
	images, _ = strconv.Atoi(m[1])
	read, _ = strconv.Atoi(m[3])
	return images, read
}

// script runs a recipe's script in the run's directory and returns its
// stdout and stderr; it must exit 0.
func (run *fleetRecipeRun) script(t *testing.T, shell []string, script string, vars ...string) string {
	t.Helper()
	cmd := exec.Command(shell[0], append(shell[1:], script)...)
	cmd.Dir = run.dir
	cmd.Env = append(slices.Clone(run.env), vars...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v: %v\n%s\nscript:\n%s", vars, err, out.String(), script)
	}
	return out.String()
}

// checkShards checks what the shards did together: every image inspected
// once, every distinct layer read once (the Redis carried the rest).
func (run *fleetRecipeRun) checkShards(t *testing.T, images, read []int) {
	t.Helper()
	var sumImages, sumRead int
	for i := range images {
		sumImages += images[i]
		sumRead += read[i]
		if images[i] == 0 {
			t.Errorf("shard %d inspected no image", i)
		}
	}
	if sumImages != len(run.want.Images) {
		t.Errorf("the shards inspected %d images (%v), want %d", sumImages, images, len(run.want.Images))
	}
	if sumRead != run.distinct {
		t.Errorf("the shards read %d layers (%v), want each of the %d distinct layers once", sumRead, read, run.distinct)
	}
}

// checkMerged compares a merged fleet report with the unsharded one; the
// rows come in shard order, so both are sorted by reference.
func (run *fleetRecipeRun) checkMerged(t *testing.T, got *fleet.Report) {
	t.Helper()
	byRef := func(a, b fleet.Image) int { return strings.Compare(a.Reference, b.Reference) }
	want := *run.want
	want.Images = slices.SortedFunc(slices.Values(want.Images), byRef)
	got.Images = slices.SortedFunc(slices.Values(got.Images), byRef)
	if diff := cmp.Diff(&want, got); diff != "" {
		t.Errorf("merged shards differ from the unsharded run (-want +got):\n%s", diff)
	}
}

// ghJob is what the test reads of a GitHub Actions job.
type ghJob struct {
	Needs    any `yaml:"needs"`
	Strategy struct {
		Matrix struct {
			Shard []int `yaml:"shard"`
		} `yaml:"matrix"`
	} `yaml:"strategy"`
	Env   map[string]string `yaml:"env"`
	Steps []struct {
		Run string `yaml:"run"`
	} `yaml:"steps"`
}

// runs are the job's run scripts that contain command.
func (j ghJob) runs(t *testing.T, name, command string) []string {
	t.Helper()
	var out []string
	for _, s := range j.Steps {
		if strings.Contains(s.Run, command) {
			out = append(out, s.Run)
		}
	}
	if len(out) == 0 {
		t.Fatalf("job %s has no step that runs %q", name, command)
	}
	return out
}

func TestRecipeGitHubActionsMatrix(t *testing.T) {
	t.Parallel()
	var wf struct {
		Jobs map[string]ghJob `yaml:"jobs"`
	}
	if err := yaml.Unmarshal([]byte(recipe(t, "github-actions")), &wf); err != nil {
		t.Fatalf("the workflow is not YAML: %v", err)
	}
	shardJob, reportJob := wf.Jobs["shard"], wf.Jobs["report"]
	if reportJob.Needs != "shard" {
		t.Errorf("report needs %v, want shard", reportJob.Needs)
	}
	shards := shardJob.Strategy.Matrix.Shard
	if len(shards) < 2 {
		t.Fatalf("matrix.shard = %v, want several", shards)
	}
	if !strings.Contains(shardJob.Env["STAGESCOPE_CACHE"], "secrets.") {
		t.Errorf("the shards' STAGESCOPE_CACHE is %q, want the one Redis from a secret", shardJob.Env["STAGESCOPE_CACHE"])
	}
	inspect := shardJob.runs(t, "shard", "stagescope inspect")
	merge := reportJob.runs(t, "report", "stagescope merge")

	run := newFleetRecipeRun(t, 3)
	// GitHub's bash for run steps; expressions are replaced before the
	// shell sees the script, as Actions does. The secret is the test's Redis.
	bash := []string{"bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"}
	var images, read []int
	for _, i := range shards {
		expr := strings.NewReplacer("${{ matrix.shard }}", strconv.Itoa(i), "${{ strategy.job-total }}", strconv.Itoa(len(shards)))
		for _, s := range inspect {
			s = expr.Replace(s)
			if strings.Contains(s, "${{") {
				t.Fatalf("a shard step uses an expression the test does not set:\n%s", s)
			}
			n, r := run.shard(t, bash, s, "STAGESCOPE_REDIS_PASSWORD=")
			images, read = append(images, n), append(read, r)
		}
	}
	run.checkShards(t, images, read)
	var text string
	for _, s := range merge {
		text += run.script(t, bash, s)
	}
	b, err := os.ReadFile(filepath.Join(run.dir, "fleet.json"))
	if err != nil {
		t.Fatalf("the report job wrote no fleet.json: %v", err)
	}
	run.checkMerged(t, fleetJSON(t, string(b)))
	if !strings.Contains(text, run.wantText) {
		t.Errorf("the report job's table lacks the unsharded totals %q:\n%s", run.wantText, text)
	}
}

func TestRecipeKubernetesIndexedJob(t *testing.T) {
	t.Parallel()
	var job struct {
		Kind string `yaml:"kind"`
		Spec struct {
			CompletionMode string `yaml:"completionMode"`
			Completions    int    `yaml:"completions"`
			Template       struct {
				Spec struct {
					Containers []struct {
						Env []struct {
							Name  string `yaml:"name"`
							Value string `yaml:"value"`
						} `yaml:"env"`
						Command []string `yaml:"command"`
					} `yaml:"containers"`
				} `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal([]byte(recipe(t, "kubernetes")), &job); err != nil {
		t.Fatalf("the Job is not YAML: %v", err)
	}
	if job.Kind != "Job" || job.Spec.CompletionMode != "Indexed" || job.Spec.Completions < 2 {
		t.Fatalf("kind %q, completionMode %q, completions %d: want an Indexed Job of several completions",
			job.Kind, job.Spec.CompletionMode, job.Spec.Completions)
	}
	if len(job.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(job.Spec.Template.Spec.Containers))
	}
	c := job.Spec.Template.Spec.Containers[0]
	if len(c.Command) != 3 || c.Command[0] != "sh" || c.Command[1] != "-c" {
		t.Fatalf("command %q, want sh -c SCRIPT", c.Command)
	}
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	if env["SHARDS"] != strconv.Itoa(job.Spec.Completions) {
		t.Errorf("SHARDS=%q, want the completions, %d", env["SHARDS"], job.Spec.Completions)
	}
	if !strings.HasPrefix(env["STAGESCOPE_CACHE"], "redis://") {
		t.Errorf("STAGESCOPE_CACHE=%q, want one Redis", env["STAGESCOPE_CACHE"])
	}

	run := newFleetRecipeRun(t, 4)
	// The Job's variables, but the volume is the run's directory and the
	// Redis the test's; the index is what Kubernetes gives each pod.
	vars := []string{"SHARDS=" + env["SHARDS"], "FLEET=" + run.dir}
	var images, read []int
	for i := range job.Spec.Completions {
		n, r := run.shard(t, []string{"sh", "-c"}, c.Command[2], append(vars, fmt.Sprintf("JOB_COMPLETION_INDEX=%d", i))...)
		images, read = append(images, n), append(read, r)
	}
	run.checkShards(t, images, read)

	text := run.script(t, []string{"sh", "-c"}, recipe(t, "kubernetes-merge"), vars...)
	if !strings.Contains(text, run.wantText) {
		t.Errorf("the merge's table lacks the unsharded totals %q:\n%s", run.wantText, text)
	}
	// The same shard files, merged as JSON, are the unsharded fleet.
	files, err := filepath.Glob(filepath.Join(run.dir, "out", "shard-*.jsonl"))
	if err != nil || len(files) != job.Spec.Completions {
		t.Fatalf("shard files %v (%v), want %d", files, err, job.Spec.Completions)
	}
	m := stagescope(t, append([]string{"merge", "-o", "json"}, files...)...)
	if m.code != 0 {
		t.Fatalf("merge: exit %d: %s", m.code, m.stderr)
	}
	run.checkMerged(t, fleetJSON(t, m.stdout))
}
