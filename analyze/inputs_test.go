package analyze_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stagescope/stagescope/analyze/diff"
	"github.com/stagescope/stagescope/analyze/rules"
	lt "github.com/stagescope/stagescope/layers/layerstest"
)

// TestInputs checks what the gate and a comparison get of an analysis: the
// leftover pass's totals by category, and the tree and numbers of the
// image (diff.Compare of the image with itself finds nothing).
func TestInputs(t *testing.T) {
	a := analyzeSteps(t, []lt.Step{
		{CreatedBy: "ADD rootfs /", Files: []lt.File{{Name: "bin/dash", Body: strings.Repeat("d", 500)}}},
		{CreatedBy: "RUN apt-get install -y gcc", Files: []lt.File{
			{Name: "usr/bin/gcc-12", Body: strings.Repeat("g", 4000)},
			{Name: "var/cache/apt/archives/gcc_12.deb", Body: strings.Repeat("p", 2000)},
		}},
		{CreatedBy: "COPY . /app", Files: []lt.File{{Name: "app/.git/HEAD", Body: strings.Repeat("h", 20)}}},
		{CreatedBy: "RUN rm -rf /var/cache/apt/archives/*", Files: []lt.File{lt.Whiteout("var/cache/apt/archives/gcc_12.deb")}},
	})
	want := map[rules.Category]int64{rules.CatToolchain: 4000, rules.CatVCS: 20, rules.CatWasted: 2000}

	d := a.DiffInput(nil)
	if diff := cmp.Diff(want, d.CategoryBytes); diff != "" {
		t.Errorf("DiffInput().CategoryBytes (-want +got):\n%s", diff)
	}
	if got, want := d.LeftoverBytes, int64(4000+20+2000); got != want {
		t.Errorf("DiffInput().LeftoverBytes = %d, want %d", got, want)
	}
	if d.Image != a.Image || d.Tree != a.Tree || d.Metrics != a.Metrics {
		t.Errorf("DiffInput() does not pass the analysis's image, tree and metrics")
	}
	c := diff.Compare(d, a.DiffInput(nil))
	if n := len(c.OnlyA) + len(c.OnlyB) + len(c.Changed); n != 0 {
		t.Errorf("an analysis compared with itself has %d differing paths", n)
	}
	if diff := cmp.Diff(c.A, c.B); diff != "" {
		t.Errorf("an analysis compared with itself: sides differ (-a +b):\n%s", diff)
	}

	g := a.GateInput()
	if diff := cmp.Diff(want, g.CategoryBytes); diff != "" {
		t.Errorf("GateInput().CategoryBytes (-want +got):\n%s", diff)
	}
	if got, want := g.RuleFindings, len(a.Findings); len(got) == 0 || sum(got) != want {
		t.Errorf("GateInput().RuleFindings = %v, want the %d findings by rule", got, want)
	}
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
