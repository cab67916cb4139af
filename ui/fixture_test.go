package ui

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"
	"github.com/google/go-cmp/cmp"
	"github.com/rivo/tview"

	"github.com/stagescope/stagescope/analyze"
	"github.com/stagescope/stagescope/analyze/leftovers"
	"github.com/stagescope/stagescope/analyze/rules"
	"github.com/stagescope/stagescope/layers"
	"github.com/stagescope/stagescope/layers/layerstest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// fixtureSteps is a small image with every kind of change: a base layer, a
// toolchain and an apt cache added, the app copied with a secret, then a
// cleanup layer that deletes the cache and the secret (too late) and edits a
// file.
func fixtureSteps() []layerstest.Step {
	return []layerstest.Step{
		{CreatedBy: "/bin/sh -c #(nop) ADD file:0123456789abcdef in /", Files: []layerstest.File{
			layerstest.Dir("etc/"),
			{Name: "etc/os-release", Body: "ID=debian\n"},
			layerstest.Dir("usr/"), layerstest.Dir("usr/bin/"),
			{Name: "usr/bin/sh", Body: strings.Repeat("s", 1200)},
			layerstest.Dir("usr/lib/"),
			{Name: "usr/lib/libc.so.6", Body: strings.Repeat("c", 9000)},
			layerstest.Symlink("bin", "usr/bin"),
			layerstest.Dir("tmp/"),
		}},
		{CreatedBy: "/bin/sh -c apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev && echo a long command that has to wrap in the details pane", Files: []layerstest.File{
			{Name: "usr/bin/gcc", Body: strings.Repeat("g", 30000)},
			layerstest.Hardlink("usr/bin/cc", "usr/bin/gcc"),
			layerstest.Dir("usr/include/"),
			{Name: "usr/include/stdio.h", Body: strings.Repeat("h", 2500)},
			{Name: "var/cache/apt/archives/gcc_12_amd64.deb", Body: strings.Repeat("d", 50000)},
		}},
		{CreatedBy: "COPY . /app", Files: []layerstest.File{
			{Name: "app/main.js", Body: strings.Repeat("m", 700)},
			{Name: "app/.env", Body: "TOKEN=abc\n"},
			{Name: "app/node_modules/left-pad/index.js", Body: strings.Repeat("l", 400)},
		}},
		{CreatedBy: "/bin/sh -c rm -rf /var/cache/apt /app/.env && echo ID=debian12 > /etc/os-release", Files: []layerstest.File{
			layerstest.Whiteout("var/cache/apt"),
			layerstest.Whiteout("app/.env"),
			{Name: "etc/os-release", Body: "ID=debian12\n"},
		}},
	}
}

// fixtureFindings stand in for the leftover rules' output, so that these
// tests do not change when the rules do.
func fixtureFindings() []leftovers.Finding {
	return []leftovers.Finding{
		{RuleID: "gcc", Category: rules.CatToolchain, Severity: rules.SevMedium, Path: "usr/bin/gcc", Files: 1, Bytes: 30000, Layer: 1, HiddenBy: -1,
			Package: "gcc-12", Why: "a C compiler is only needed to build", Fix: "build in a separate stage"},
		{RuleID: "c-headers", Category: rules.CatDevHeaders, Severity: rules.SevLow, Path: "usr/include", Files: 1, Bytes: 2500, Layer: 1, HiddenBy: -1,
			Package: "libc6-dev", Why: "headers are only needed to compile", Fix: "install libc6-dev in the build stage only"},
		{RuleID: "dotenv", Category: rules.CatSecret, Severity: rules.SevHigh, Path: "app/.env", Files: 1, Bytes: 10, Layer: 2, HiddenBy: 3,
			Why: "a deleted secret still ships in the layer that added it", Fix: "use a build secret (RUN --mount=type=secret)"},
	}
}

// fixture reads the fixture image for real and analyzes it.
func fixture(t testing.TB) *analyze.Analysis {
	t.Helper()
	img, err := layers.Read(context.Background(), layerstest.Image(t, fixtureSteps()...), layers.WithParallelism(1))
	if err != nil {
		t.Fatal(err)
	}
	a := analyze.Run(img)
	a.Findings = fixtureFindings()
	return a
}

// loadedBrowser is a browser that went through a whole load, as Run
// drives it, without a running application.
func loadedBrowser(t testing.TB, opts ...Option) *Browser {
	t.Helper()
	return browserOf(t, fixture(t), opts...)
}

// browserOf is a browser that went through a whole load of a's image.
func browserOf(t testing.TB, a *analyze.Analysis, opts ...Option) *Browser {
	t.Helper()
	return browserNamed(t, "fixture.tar", a, opts...)
}

// browserNamed is browserOf with the image's reference as the title shows
// it.
func browserNamed(t testing.TB, ref string, a *analyze.Analysis, opts ...Option) *Browser {
	t.Helper()
	b, err := newBrowser(ref, opts...)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range a.Image.Layers {
		b.setProgress(layers.Progress{LayersDone: i, LayersTotal: len(a.Image.Layers)})
		b.addLayer(l)
	}
	b.setAnalysis(a)
	return b
}

// screenText draws p onto a w×h simulation screen and returns the text,
// one line per row, trailing spaces cut.
func screenText(t testing.TB, p tview.Primitive, w, h int) string {
	t.Helper()
	s := tcell.NewSimulationScreen("UTF-8")
	if err := s.Init(); err != nil {
		t.Fatal(err)
	}
	defer s.Fini()
	s.SetSize(w, h)
	p.SetRect(0, 0, w, h)
	p.Draw(s)
	s.Show()
	return contents(s)
}

func contents(s tcell.SimulationScreen) string {
	cells, w, h := s.GetContents()
	var sb strings.Builder
	for y := 0; y < h; y++ {
		var row strings.Builder
		for x := 0; x < w; x++ {
			c := cells[y*w+x]
			if len(c.Bytes) == 0 {
				row.WriteByte(' ')
				continue
			}
			row.Write(c.Bytes)
			if width(string(c.Bytes)) == 2 {
				x++ // a wide rune covers the next cell
			}
		}
		sb.WriteString(strings.TrimRight(row.String(), " "))
		sb.WriteByte('\n')
	}
	return sb.String()
}

// golden compares got with testdata/name.golden; -update rewrites it.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs from the golden file (-want +got):\n%s", name, diff)
	}
}

// press sends keys straight to the browser's key handler; a key it lets
// through goes to the focused widget, as the application would send it.
func press(b *Browser, keys ...any) {
	send := func(ev *tcell.EventKey) {
		if ev = b.handleKey(ev); ev != nil {
			b.pages.InputHandler()(ev, func(p tview.Primitive) { b.app.SetFocus(p) })
		}
	}
	for _, k := range keys {
		switch k := k.(type) {
		case rune:
			send(tcell.NewEventKey(tcell.KeyRune, k, tcell.ModNone))
		case string:
			for _, r := range k {
				send(tcell.NewEventKey(tcell.KeyRune, r, tcell.ModNone))
			}
		case tcell.Key:
			send(tcell.NewEventKey(k, 0, tcell.ModNone))
		}
	}
}
