package main

import (
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/stagescope/stagescope/analyze/analyzetest"
	"github.com/stagescope/stagescope/analyze/fleet"
	"github.com/stagescope/stagescope/analyze/report"
	"github.com/stagescope/stagescope/layers/cache"
	"github.com/stagescope/stagescope/layers/cache/cachetest"
	lt "github.com/stagescope/stagescope/layers/layerstest"
)

// fleetRegistry serves three images that share a base layer from a
// registry on loopback, and counts the layer blobs fetched.
type fleetRegistry struct {
	host    string
	mu      sync.Mutex
	fetched map[string]int  // layer blob digest → GETs
	layers  map[string]bool // the layer blobs (configs are blobs too)
	base    string          // the shared layer's blob digest
}

func (r *fleetRegistry) gets() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for k, v := range r.fetched {
		out[k] = v
	}
	clear(r.fetched)
	return out
}

func newFleetRegistry(t *testing.T) *fleetRegistry {
	t.Helper()
	fr := &fleetRegistry{fetched: map[string]int{}, layers: map[string]bool{}}
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if i := strings.Index(req.URL.Path, "/blobs/"); i >= 0 && req.Method == http.MethodGet {
			fr.mu.Lock()
			if d := req.URL.Path[i+len("/blobs/"):]; fr.layers[d] {
				fr.fetched[d]++
			}
			fr.mu.Unlock()
		}
		reg.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	fr.host = strings.TrimPrefix(srv.URL, "http://")
	base := []lt.File{{Name: "usr/lib/libbig.so", Body: strings.Repeat("L", 40_000)}, {Name: "usr/share/doc/x/README", Body: "docs"}}
	imgs := map[string]v1.Image{
		"team/small:1": lt.Layers(t, base, []lt.File{{Name: "app/main", Body: strings.Repeat("m", 2_000)}}),
		"team/big:1":   lt.Layers(t, base, []lt.File{{Name: "usr/bin/cc", Body: strings.Repeat("c", 30_000)}}),
		"solo/app:2":   lt.Layers(t, []lt.File{{Name: "bin/app", Body: strings.Repeat("a", 5_000)}}),
	}
	for ref, img := range imgs {
		r, err := name.ParseReference(fr.host+"/"+ref, name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(r, img); err != nil {
			t.Fatal(err)
		}
		ls, err := img.Layers()
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range ls {
			d, err := l.Digest()
			if err != nil {
				t.Fatal(err)
			}
			fr.mu.Lock()
			fr.layers[d.String()] = true
			fr.mu.Unlock()
		}
	}
	ls, err := imgs["team/big:1"].Layers()
	if err != nil {
		t.Fatal(err)
	}
	d, err := ls[0].Digest()
	if err != nil {
		t.Fatal(err)
	}
	fr.base = d.String()
	fr.gets()
	return fr
}

// jsonLines splits JSON Lines output and checks every line against the
// report schema.
func jsonLines(t *testing.T, out string) []*report.Report {
	t.Helper()
	var reps []*report.Report
	for i, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		analyzetest.ValidateReport(t, []byte(line))
		var r report.Report
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		reps = append(reps, &r)
	}
	return reps
}

func refsOf(reps []*report.Report) []string {
	var out []string
	for _, r := range reps {
		out = append(out, r.Image.Reference)
	}
	return out
}

func TestFleetCatalogCacheShardMerge(t *testing.T) {
	t.Parallel()
	fr := newFleetRegistry(t)
	cacheDir := t.TempDir()
	args := func(more ...string) []string {
		return append([]string{"inspect", "-o", "json", "--insecure", "--no-daemon", "--cache", cacheDir, "--catalog", fr.host}, more...)
	}
	all := []string{fr.host + "/solo/app:2", fr.host + "/team/big:1", fr.host + "/team/small:1"}

	// Cold: every image, the shared base fetched once.
	res := stagescope(t, args()...)
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	full := jsonLines(t, res.stdout)
	if diff := cmp.Diff(all, refsOf(full)); diff != "" {
		t.Errorf("images (-want +got):\n%s", diff)
	}
	gets := fr.gets()
	if gets[fr.base] != 1 || len(gets) != 4 {
		t.Errorf("layer blobs fetched in one run: %v; want each of the 4 once (the shared base %s too)", gets, fr.base)
	}
	// Warm: the same run fetches no layer at all.
	res = stagescope(t, args()...)
	if res.code != 0 {
		t.Fatalf("warm: exit %d: %s", res.code, res.stderr)
	}
	if gets := fr.gets(); len(gets) != 0 {
		t.Errorf("warm run fetched blobs %v, want none", gets)
	}
	if diff := cmp.Diff(full, jsonLines(t, res.stdout)); diff != "" {
		t.Errorf("warm reports differ from cold ones:\n%s", diff)
	}

	// Two shards cover every image once; merged, they make the fleet
	// report of the whole run.
	dir := t.TempDir()
	var shardRefs []string
	for i, shard := range []string{"0/2", "1/2"} {
		res := stagescope(t, args("--shard", shard)...)
		if res.code != 0 {
			t.Fatalf("shard %s: exit %d: %s", shard, res.code, res.stderr)
		}
		shardRefs = append(shardRefs, refsOf(jsonLines(t, res.stdout))...)
		if err := os.WriteFile(filepath.Join(dir, "shard-"+string(rune('0'+i))+".jsonl"), []byte(res.stdout), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(shardRefs)
	if diff := cmp.Diff(all, shardRefs); diff != "" {
		t.Errorf("shards together (-want +got):\n%s", diff)
	}
	if err := os.WriteFile(filepath.Join(dir, "full.jsonl"), []byte(stagescope(t, args()...).stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	merged := stagescope(t, "merge", "-o", "json", filepath.Join(dir, "shard-0.jsonl"), filepath.Join(dir, "shard-1.jsonl"))
	whole := stagescope(t, "merge", "-o", "json", filepath.Join(dir, "full.jsonl"))
	if merged.code != 0 || whole.code != 0 {
		t.Fatalf("merge: exit %d (%s), %d (%s)", merged.code, merged.stderr, whole.code, whole.stderr)
	}
	fm, fw := fleetJSON(t, merged.stdout), fleetJSON(t, whole.stdout)
	byRef := func(a, b fleet.Image) int { return strings.Compare(a.Reference, b.Reference) }
	slices.SortFunc(fm.Images, byRef)
	slices.SortFunc(fw.Images, byRef)
	if diff := cmp.Diff(fw, fm); diff != "" {
		t.Errorf("merged shards differ from the whole run (-whole +merged):\n%s", diff)
	}
	// each row names its image as its report does (schemaVersion 2)
	type identity struct {
		ConfigDigest, Digest, IndexDigest string
		RepoTags                          []string
	}
	wantID, gotID := map[string]identity{}, map[string]identity{}
	for _, r := range full {
		wantID[r.Image.Reference] = identity{r.Image.ConfigDigest, r.Image.Digest, r.Image.IndexDigest, r.Image.RepoTags}
	}
	for _, img := range fm.Images {
		gotID[img.Reference] = identity{img.ConfigDigest, img.Digest, img.IndexDigest, img.RepoTags}
		if !strings.HasPrefix(img.ConfigDigest, "sha256:") {
			t.Errorf("%s: configDigest %q", img.Reference, img.ConfigDigest)
		}
	}
	if diff := cmp.Diff(wantID, gotID); diff != "" {
		t.Errorf("fleet rows' identity against the reports' (-reports +fleet):\n%s", diff)
	}
	if fm.SchemaVersion != 2 {
		t.Errorf("fleet schemaVersion %d, want 2", fm.SchemaVersion)
	}
	want := fleet.Totals{Images: 3, Layers: 5, UniqueLayers: 4}
	got := fm.Totals
	got.LayerBytes, got.UniqueLayerBytes, got.WastedBytes, got.LeftoverBytes = 0, 0, 0, 0
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("totals (-want +got):\n%s", diff)
	}
	for _, img := range fm.Images {
		wantShared := 1
		if strings.Contains(img.Reference, "solo") {
			wantShared = 0
		}
		if img.SharedLayers != wantShared {
			t.Errorf("%s: shared layers = %d, want %d", img.Reference, img.SharedLayers, wantShared)
		}
	}
}

func fleetJSON(t *testing.T, out string) *fleet.Report {
	t.Helper()
	analyzetest.ValidateFleet(t, []byte(out))
	var f fleet.Report
	if err := json.Unmarshal([]byte(out), &f); err != nil {
		t.Fatal(err)
	}
	return &f
}

func TestFleetGateAndText(t *testing.T) {
	t.Parallel()
	fr := newFleetRegistry(t)
	refs := filepath.Join(t.TempDir(), "refs.txt")
	list := "# two of the three\n" + fr.host + "/team/small:1\n\n" + fr.host + "/team/big:1\n"
	if err := os.WriteFile(refs, []byte(list), 0o600); err != nil {
		t.Fatal(err)
	}
	// big is 70 kB of layers, small 42 kB: a 60 kB cap fails big only.
	res := stagescope(t, "inspect", "-o", "text", "--insecure", "--no-daemon", "--no-cache", "--refs", refs, "--highest-image-bytes", "60kB")
	if res.code != 1 {
		t.Fatalf("exit %d, want 1 (one image over the gate): %s", res.code, res.stderr)
	}
	for _, want := range []string{"Fleet       2 images, 4 layers (3 distinct)", "shared layers", "1 of 2", "FAIL", "pass", "Gate        FAIL: 1 of 2 images",
		// no base boundary in these images: the own/base split is unknown
		"own / base", "? (no base)"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("text output lacks %q:\n%s", want, res.stdout)
		}
	}
	// The same through JSON Lines and merge: the gate carries over.
	res = stagescope(t, "inspect", "-o", "json", "--insecure", "--no-daemon", "--no-cache", "--refs", refs, "--highest-image-bytes", "60kB")
	if res.code != 1 {
		t.Fatalf("json: exit %d, want 1: %s", res.code, res.stderr)
	}
	out := filepath.Join(t.TempDir(), "all.jsonl")
	if err := os.WriteFile(out, []byte(res.stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	m := stagescope(t, "merge", "-o", "json", out)
	if m.code != 1 {
		t.Fatalf("merge: exit %d, want 1: %s", m.code, m.stderr)
	}
	f := fleetJSON(t, m.stdout)
	if f.Gate == nil || f.Gate.Pass || !slices.Equal(f.Gate.Failed, []string{fr.host + "/team/big:1"}) {
		t.Errorf("merged gate = %+v, want big failed", f.Gate)
	}
}

func TestMergeBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"merge"}, "requires at least 1 arg"},
		{[]string{"merge", write("garbage", "not json")}, "not a stagescope JSON report"},
		{[]string{"merge", write("empty", "")}, "no reports"},
		{[]string{"merge", write("v9", `{"schemaVersion": 9}`)}, "schemaVersion 9"},
		{[]string{"merge", filepath.Join(dir, "missing")}, "no such file"},
		{[]string{"merge", "-o", "yaml", write("x", "")}, `unknown output format "yaml"`},
	} {
		res := stagescope(t, tc.args...)
		if res.code != 2 || !strings.Contains(res.stderr, tc.want) || strings.Count(res.stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line with %q", tc.args, res.code, res.stderr, tc.want)
		}
	}
}

func TestFleetRedisSharedByTwoMachines(t *testing.T) {
	url := cachetest.RedisURL(t, 2)
	fr := newFleetRegistry(t)
	// A namespace of this run's own: the Redis may be shared.
	ctx := context.Background()
	r, err := cache.OpenRedis(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.DeletePrefix(ctx, "stagescope/"); err != nil {
		t.Fatal(err)
	}
	_ = r.Close()
	// Two "machines": separate user cache directories, one Redis.
	for i, want := range []int{4, 0} {
		t.Setenv("XDG_CACHE_HOME", t.TempDir())
		res := stagescope(t, "inspect", "-o", "json", "--insecure", "--no-daemon", "--cache", url, "--catalog", fr.host)
		if res.code != 0 {
			t.Fatalf("machine %d: exit %d: %s", i+1, res.code, res.stderr)
		}
		if got := len(fr.gets()); got != want {
			t.Errorf("machine %d fetched %d layer blobs, want %d", i+1, got, want)
		}
	}
}
