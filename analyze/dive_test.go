package analyze_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stagescope/stagescope/analyze"
	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/analyze/report"
	"github.com/stagescope/stagescope/layers"
	"github.com/stagescope/stagescope/layers/layerstest"
)

// diveExpected is testdata/dive/expected.json: what dive v0.13.1 printed for
// its own test images.
type diveExpected struct {
	Images []struct {
		File              string   `json:"file"`
		Format            string   `json:"format"` // stagescope transport
		Platform          string   `json:"platform"`
		Layers            int      `json:"layers"`
		Efficiency        float64  `json:"efficiency"`
		WastedBytes       int64    `json:"wastedBytes"`
		UserWastedPercent *float64 `json:"userWastedPercent"` // null: dive printed NaN
	} `json:"images"`
}

func analyzeRef(t *testing.T, ref string, opts ...layers.LoadOption) *analyze.Analysis {
	t.Helper()
	ctx := context.Background()
	src, err := layers.Load(ctx, ref, append(opts, layers.WithoutDaemon())...)
	if err != nil {
		t.Fatalf("Load(%s): %v", ref, err)
	}
	img, err := src.Read(ctx)
	if err != nil {
		t.Fatalf("Read(%s): %v", ref, err)
	}
	return analyze.Run(img)
}

// TestDiveMetricsMatchDive checks the dive-compatible numbers against those
// the real dive computed on its own test images.
func TestDiveMetricsMatchDive(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "dive", "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want diveExpected
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatalf("parsing expected.json: %v", err)
	}
	if len(want.Images) == 0 {
		t.Fatal("expected.json lists no images")
	}
	for _, w := range want.Images {
		t.Run(w.File, func(t *testing.T) {
			ref := w.Format + ":" + filepath.Join("..", "testdata", "dive", w.File)
			a := analyzeRef(t, ref, layers.WithPlatform(w.Platform))
			if got := len(a.Image.Layers); got != w.Layers {
				t.Fatalf("layers: got %d, want %d", got, w.Layers)
			}
			wantUser := 0.0 // stagescope's value where dive divides 0 by 0
			if w.UserWastedPercent != nil {
				wantUser = *w.UserWastedPercent
			}
			want := fstree.DiveMetrics{Efficiency: w.Efficiency, WastedBytes: w.WastedBytes, UserWastedPercent: wantUser, NoUserBytes: w.UserWastedPercent == nil}
			checkDive(t, a.Dive, want)
			// The report carries them unrounded.
			sm := analyze.NewReport(a, report.Options{}).Summary
			want.NoUserBytes = false // the report says it in the gate's check
			checkDive(t, fstree.DiveMetrics{Efficiency: sm.EfficiencyRatio, WastedBytes: sm.DiveWastedBytes, UserWastedPercent: sm.UserWastedRatio}, want)
		})
	}
}

// TestDiveMetricsSharedImages checks the dive-compatible numbers against
// those dive printed for some of the shared real images, when they are built.
func TestDiveMetricsSharedImages(t *testing.T) {
	if testing.Short() {
		t.Skip("reads about 1.4 GB of shared images")
	}
	rows := layerstest.ReadTSV(t, filepath.Join("..", "testdata", "dive", "shared-images.tsv"))
	for _, row := range rows {
		if len(row) != 5 {
			t.Fatalf("shared-images.tsv: want 5 columns, got %q", row)
		}
		t.Run(row[0], func(t *testing.T) {
			path := layerstest.SharedImage(t, row[0])
			var want fstree.DiveMetrics
			var err error
			want.Efficiency, err = strconv.ParseFloat(row[2], 64)
			if err == nil {
				want.WastedBytes, err = strconv.ParseInt(row[3], 10, 64)
			}
			if err == nil {
				want.UserWastedPercent, err = strconv.ParseFloat(row[4], 64)
			}
			if err != nil {
				t.Fatalf("shared-images.tsv: %q: %v", row, err)
			}
			ctx := context.Background()
			src, err := layers.Load(ctx, "docker-archive:"+path)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := src.Image.ConfigName()
			if err != nil {
				t.Fatal(err)
			}
			if cfg.String() != row[1] {
				t.Skipf("%s was rebuilt (config %s, dive's numbers are for %s)", row[0], cfg, row[1])
			}
			img, err := layers.Read(ctx, src.Image, layers.WithoutDigests())
			if err != nil {
				t.Fatal(err)
			}
			checkDive(t, analyze.Run(img).Dive, want)
		})
	}
}

func checkDive(t *testing.T, got, want fstree.DiveMetrics) {
	t.Helper()
	approx := cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) <= 1e-9 })
	if diff := cmp.Diff(want, got, approx); diff != "" {
		t.Errorf("dive metrics mismatch (-want +got):\n%s", diff)
	}
}

type diveCase struct {
	name   string
	layers [][]layerstest.File
	want   fstree.DiveMetrics
}

// diveCases are small images for dive's tricky cases. Each want was worked
// out by hand from dive's definitions and then checked against dive v0.13.1
// itself, run on these images written out as docker archives.
func diveCases() []diveCase {
	f := func(name string, n int) layerstest.File {
		return layerstest.File{Name: name, Body: strings.Repeat("x", n)}
	}
	dir, wh, opq := layerstest.Dir, layerstest.Whiteout, layerstest.Opaque
	return []diveCase{
		{
			// /a is counted in both layers: 10+4 bytes, at least 4.
			name:   "file overwritten",
			layers: [][]layerstest.File{{f("a", 10), f("b", 6)}, {f("a", 4)}},
			want:   fstree.DiveMetrics{Efficiency: (4.0 + 6) / (14 + 6), WastedBytes: 14, UserWastedPercent: 14.0 / 4},
		},
		{
			// Deleting a file counts it once more, with 0 bytes.
			name:   "file deleted",
			layers: [][]layerstest.File{{f("a", 10), f("b", 5)}, {wh("a")}, {f("c", 3)}},
			want:   fstree.DiveMetrics{Efficiency: (0 + 5 + 3.0) / (10 + 5 + 3), WastedBytes: 10, UserWastedPercent: 10.0 / 3},
		},
		{
			// Deleting a directory counts the directory's path once with
			// the bytes below it; its files are not counted again.
			name:   "directory deleted",
			layers: [][]layerstest.File{{dir("d"), f("d/x", 7), f("d/y", 3), dir("d/sub"), f("d/sub/z", 2)}, {wh("d")}, {f("e", 1)}},
			want:   fstree.DiveMetrics{Efficiency: 1, WastedBytes: 0, UserWastedPercent: 0},
		},
		{
			// /d/x: 7+5 bytes, at least 5; /d: the whiteout sees 5 bytes
			// below the directory, then the empty directory 0.
			name: "directory deleted and re-created",
			layers: [][]layerstest.File{
				{dir("d"), f("d/x", 7)}, {dir("d"), f("d/x", 5)}, {wh("d")}, {dir("d")},
			},
			want: fstree.DiveMetrics{Efficiency: (5 + 0.0) / (12 + 5), WastedBytes: 12 + 5, UserWastedPercent: 17.0 / 5},
		},
		{
			// The second layer names d only through d/x, so dive's stacked
			// d is no directory and deleting it costs 0.
			name: "implied directory deleted",
			layers: [][]layerstest.File{
				{dir("d"), f("d/x", 7)}, {f("d/x", 5)}, {wh("d")}, {dir("d")},
			},
			want: fstree.DiveMetrics{Efficiency: 5.0 / 12, WastedBytes: 12, UserWastedPercent: 12.0 / 5},
		},
		{
			// dive ignores opaque markers: d/x is not counted as deleted.
			name:   "opaque directory",
			layers: [][]layerstest.File{{dir("d"), f("d/x", 7)}, {dir("d"), opq("d"), f("d/y", 2)}},
			want:   fstree.DiveMetrics{Efficiency: 1, WastedBytes: 0, UserWastedPercent: 0},
		},
		{
			// The opaque layer leaves d a leaf of 0 bytes; d/x comes back.
			name:   "opaque directory emptied, file re-added",
			layers: [][]layerstest.File{{dir("d"), f("d/x", 7)}, {dir("d"), opq("d")}, {dir("d"), f("d/x", 3)}},
			want:   fstree.DiveMetrics{Efficiency: (3 + 0.0) / (10 + 0), WastedBytes: 10, UserWastedPercent: 10.0 / 3},
		},
		{
			name:   "file re-added after deletion",
			layers: [][]layerstest.File{{f("a", 10)}, {wh("a")}, {f("a", 10)}},
			want:   fstree.DiveMetrics{Efficiency: 0, WastedBytes: 20, UserWastedPercent: 20.0 / 10},
		},
		{
			// A whiteout of a path that is not there stops dive's walk of
			// the layer: /b keeps a minimum of -1 and c (after ".wh.b" by
			// name) is counted only in the third layer.
			name:   "whiteout of a missing path",
			layers: [][]layerstest.File{{f("a", 4)}, {wh("b"), f("c", 6)}, {f("c", 6)}},
			want:   fstree.DiveMetrics{Efficiency: (4 - 1 + 6.0) / (4 + 6), WastedBytes: 0, UserWastedPercent: 0},
		},
		{
			// Paths with leading "./" and "/" name the same file.
			name:   "prefixes",
			layers: [][]layerstest.File{{f("./a", 8)}, {f("/a", 2)}},
			want:   fstree.DiveMetrics{Efficiency: 2.0 / 10, WastedBytes: 10, UserWastedPercent: 10.0 / 2},
		},
		{
			name:   "single layer",
			layers: [][]layerstest.File{{dir("d"), f("d/x", 7), layerstest.Symlink("l", "d/x")}},
			want:   fstree.DiveMetrics{Efficiency: 1, WastedBytes: 0, UserWastedPercent: 0, NoUserBytes: true},
		},
		{
			// Only a deletion above the first layer: no user bytes, so
			// dive's userWastedPercent is 10/0 (worked out from dive's
			// source: dive/image/image.go divides regardless).
			name:   "deletion only above the first layer",
			layers: [][]layerstest.File{{f("a", 10)}, {wh("a")}},
			want:   fstree.DiveMetrics{Efficiency: 0, WastedBytes: 10, UserWastedPercent: 0, NoUserBytes: true},
		},
	}
}

func TestDiveMetricsCases(t *testing.T) {
	for _, tc := range diveCases() {
		t.Run(tc.name, func(t *testing.T) {
			img, err := layers.Read(context.Background(), layerstest.Layers(t, tc.layers...))
			if err != nil {
				t.Fatal(err)
			}
			checkDive(t, analyze.Run(img).Dive, tc.want)
		})
	}
}
