package diff_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/stagescope/stagescope/analyze/analyzetest"
	"github.com/stagescope/stagescope/analyze/diff"
	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/analyze/report"
	"github.com/stagescope/stagescope/analyze/rules"
	"github.com/stagescope/stagescope/layers"
	lt "github.com/stagescope/stagescope/layers/layerstest"
)

func body(n int, c string) string { return strings.Repeat(c, n) }

// naiveMulti builds a single-stage image (A) and its multi-stage rewrite
// (B) on one shared base layer.
func naiveMulti(t *testing.T) (a, b v1.Image) {
	t.Helper()
	base := lt.Step{CreatedBy: "ADD rootfs /", Files: []lt.File{
		lt.Dir("etc"), {Name: "etc/os-release", Body: body(100, "o")},
		lt.Dir("usr/lib"), {Name: "usr/lib/libc.so", Body: body(3000, "l")},
		lt.Dir("bin"), {Name: "bin/dash", Body: body(500, "d")}, lt.Symlink("bin/sh", "dash"),
	}}
	a = lt.Image(t, base,
		lt.Step{CreatedBy: "RUN apt-get install -y gcc", Files: []lt.File{
			{Name: "usr/bin/gcc-12", Body: body(4000, "g")},
			{Name: "usr/lib/gcc/x86_64-linux-gnu/12/cc1", Body: body(6000, "c")},
			{Name: "var/cache/apt/archives/gcc_12.deb", Body: body(2000, "p")},
			{Name: "opt/tool", Body: body(10, "t")},
		}},
		lt.Step{CreatedBy: "COPY . /app", Files: []lt.File{
			{Name: "app/main.c", Body: body(300, "s")},
			{Name: "app/.git/HEAD", Body: body(20, "h")},
		}},
		lt.Step{CreatedBy: "RUN cc -o /app/main /app/main.c", Files: []lt.File{{Name: "app/main", Body: body(1500, "m")}}},
		lt.Step{CreatedBy: "RUN rm -rf /var/cache/apt/archives/*", Files: []lt.File{lt.Whiteout("var/cache/apt/archives/gcc_12.deb")}},
	)
	b = lt.Image(t, base,
		lt.Step{CreatedBy: "COPY --from=build /app/main /app/main", Files: []lt.File{
			{Name: "app/main", Body: body(1400, "n")},
			{Name: "app/config.json", Body: body(50, "j")},
			lt.Dir("opt/tool"), {Name: "opt/tool/bin", Body: body(7, "b")},
		}},
	)
	return a, b
}

// inputOf reads img and merges its layers into the comparison's input,
// as the analyze facade does, with leftovers as given.
func inputOf(t *testing.T, img v1.Image, leftovers map[rules.Category]int64, opts ...layers.Option) diff.Input {
	t.Helper()
	li, err := layers.Read(context.Background(), img, opts...)
	if err != nil {
		t.Fatal(err)
	}
	b := fstree.NewBuilder()
	for i := range li.Layers {
		b.Add(li.Layers[i].Entries)
	}
	tree := b.Finish()
	m := fstree.Measure(tree)
	for i := range li.Layers {
		m.LayerBytes += li.Layers[i].Size
	}
	in := diff.Input{Image: li, Tree: tree, Metrics: m, CategoryBytes: leftovers}
	for _, n := range leftovers {
		in.LeftoverBytes += n
	}
	return in
}

func TestCompareNaiveMulti(t *testing.T) {
	imgA, imgB := naiveMulti(t)
	// What the leftover pass finds in A (analyze's TestDiffInput): the
	// compiler, the source next to the binary, the .git directory and the
	// deleted .deb.
	leftoversA := map[rules.Category]int64{rules.CatToolchain: 4000 + 6000, rules.CatBuildCache: 300, rules.CatVCS: 20, rules.CatWasted: 2000}
	a := inputOf(t, imgA, leftoversA)
	b := inputOf(t, imgB, nil, layers.WithKnownLayers(a.Image))
	c := diff.Compare(a, b)

	wantOnlyA := []diff.PathDiff{
		{Path: "usr/lib/gcc/x86_64-linux-gnu/12/cc1", ABytes: 6000},
		{Path: "usr/bin/gcc-12", ABytes: 4000},
		{Path: "app/main.c", ABytes: 300},
		{Path: "app/.git/HEAD", ABytes: 20},
		{Path: "opt/tool", ABytes: 10}, // a file in A, a directory in B
	}
	wantOnlyB := []diff.PathDiff{
		{Path: "app/config.json", BBytes: 50},
		{Path: "opt/tool/bin", BBytes: 7},
	}
	wantChanged := []diff.PathDiff{{Path: "app/main", ABytes: 1500, BBytes: 1400}}
	if d := cmp.Diff(wantOnlyA, c.OnlyA); d != "" {
		t.Errorf("only in A (-want +got):\n%s", d)
	}
	if d := cmp.Diff(wantOnlyB, c.OnlyB); d != "" {
		t.Errorf("only in B (-want +got):\n%s", d)
	}
	if d := cmp.Diff(wantChanged, c.Changed); d != "" {
		t.Errorf("changed (-want +got):\n%s", d)
	}

	baseSize := a.Image.Layers[0].Size
	if c.SharedLayers != 1 || c.SharedBytes != baseSize {
		t.Errorf("shared = %d layers, %d bytes; want 1, %d", c.SharedLayers, c.SharedBytes, baseSize)
	}
	// Visible files: the base has 4 (3 files and a symlink) of 3600 bytes.
	wantA := diff.Side{Layers: 5, Files: 4 + 6, TotalBytes: 3600 + 4000 + 6000 + 10 + 300 + 20 + 1500, WastedBytes: 2000,
		LeftoverBytes: 4000 + 6000 + 300 + 20 + 2000,
		Categories:    leftoversA}
	wantB := diff.Side{Layers: 2, Files: 4 + 3, TotalBytes: 3600 + 1400 + 50 + 7, Categories: map[rules.Category]int64{}}
	for _, s := range []struct {
		name      string
		got, want diff.Side
		img       *layers.Image
	}{{"A", c.A, wantA, a.Image}, {"B", c.B, wantB, b.Image}} {
		for _, l := range s.img.Layers {
			s.want.LayerBytes += l.Size
			s.want.CompressedBytes += l.CompressedSize
		}
		if d := cmp.Diff(s.want, s.got); d != "" {
			t.Errorf("side %s (-want +got):\n%s", s.name, d)
		}
	}

	rep := diff.NewReport(a, b, c, diff.ReportOptions{ToolVersion: "t", MaxPaths: 2,
		A: report.Options{Reference: "naive.tar"}, B: report.Options{Reference: "multi.tar"}})
	wantCats := wantA.Categories // B has none
	for _, cd := range rep.Categories {
		if cd.Saved != wantCats[cd.Category] || cd.Saved != cd.A-cd.B {
			t.Errorf("category %s: a %d b %d saved %d, want saved %d", cd.Category, cd.A, cd.B, cd.Saved, wantCats[cd.Category])
		}
	}
	if len(rep.Categories) != len(rules.Categories()) {
		t.Errorf("%d categories in the report, want all %d", len(rep.Categories), len(rules.Categories()))
	}
	wantList := diff.PathList{Files: 5, ABytes: 10_330, Truncated: true, Paths: []diff.PathDiffJSON{
		{Path: "/usr/lib/gcc/x86_64-linux-gnu/12/cc1", ABytes: 6000}, {Path: "/usr/bin/gcc-12", ABytes: 4000}}} // wire paths start with /
	if d := cmp.Diff(wantList, rep.OnlyInA); d != "" {
		t.Errorf("onlyInA (-want +got):\n%s", d)
	}
	if got, want := rep.Saved.TotalBytes, wantA.TotalBytes-wantB.TotalBytes; got != want {
		t.Errorf("saved total bytes = %d, want %d", got, want)
	}
}

func TestCompareSameImage(t *testing.T) {
	imgA, _ := naiveMulti(t)
	a := inputOf(t, imgA, nil)
	b := inputOf(t, imgA, nil, layers.WithKnownLayers(a.Image))
	c := diff.Compare(a, b)
	if len(c.OnlyA)+len(c.OnlyB)+len(c.Changed) != 0 {
		t.Errorf("an image compared with itself differs: %+v %+v %+v", c.OnlyA, c.OnlyB, c.Changed)
	}
	if c.SharedLayers != len(a.Image.Layers) || c.SharedBytes != c.A.LayerBytes {
		t.Errorf("shared %d layers, %d bytes; want all %d, %d", c.SharedLayers, c.SharedBytes, len(a.Image.Layers), c.A.LayerBytes)
	}
}

func TestCompareModeAndLink(t *testing.T) {
	a := inputOf(t, lt.Layers(t, []lt.File{
		{Name: "bin/run", Body: "#!/bin/sh\n", Mode: 0o755}, lt.Symlink("bin/sh", "dash"), {Name: "same", Body: "x"},
	}), nil)
	b := inputOf(t, lt.Layers(t, []lt.File{
		{Name: "bin/run", Body: "#!/bin/sh\n", Mode: 0o644}, lt.Symlink("bin/sh", "bash"), {Name: "same", Body: "x"},
	}), nil)
	c := diff.Compare(a, b)
	want := []diff.PathDiff{{Path: "bin/run", ABytes: 10, BBytes: 10}, {Path: "bin/sh"}}
	if d := cmp.Diff(want, c.Changed); d != "" {
		t.Errorf("changed (-want +got):\n%s", d)
	}
}

// TestDiffSchemaCoversWireTypes checks diff.schema.json against the wire
// types, as TestReportSchemaCoversWireTypes does for the report.
func TestDiffSchemaCoversWireTypes(t *testing.T) {
	analyzetest.SchemaCoversType(t, "diff.schema.json", diff.Schema(), reflect.TypeFor[diff.Report]())
}

func TestDiffReportSchema(t *testing.T) {
	imgA, imgB := naiveMulti(t)
	a := inputOf(t, imgA, nil)
	b := inputOf(t, imgB, nil, layers.WithKnownLayers(a.Image))
	rep := diff.NewReport(a, b, diff.Compare(a, b), diff.ReportOptions{ToolVersion: "t", MaxPaths: 1,
		A: report.Options{Reference: "naive.tar", Source: "docker-archive"}, B: report.Options{Reference: "multi", Source: "oci"}})
	data, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	analyzetest.ValidateDiffReport(t, data)

	// The schema can fail: break the report in a few ways.
	for name, mutate := range map[string]func(m map[string]any){
		"unknown field":    func(m map[string]any) { m["extra"] = 1 },
		"missing onlyInB":  func(m map[string]any) { delete(m, "onlyInB") },
		"negative size":    func(m map[string]any) { m["a"].(map[string]any)["layerBytes"] = -1 },
		"unknown category": func(m map[string]any) { m["categories"].([]any)[0].(map[string]any)["category"] = "compilers" },
		"relative path": func(m map[string]any) {
			m["onlyInA"].(map[string]any)["paths"].([]any)[0].(map[string]any)["path"] = "usr"
		},
		"fractional saving":  func(m map[string]any) { m["saved"].(map[string]any)["files"] = 1.5 },
		"wrong schema level": func(m map[string]any) { m["schemaVersion"] = 1 },
	} {
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		mutate(m)
		bad, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if analyzetest.ValidateDiff(bad) == nil {
			t.Errorf("%s: the schema accepted the broken diff report", name)
		}
	}
}
