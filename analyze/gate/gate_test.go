package gate

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/analyze/rules"
)

func ptr[T any](v T) *T { return &v }

// gateInput is an image's numbers as the gate reads them.
func gateInput() Input {
	return Input{
		Dive:          fstree.DiveMetrics{Efficiency: 0.95, WastedBytes: 1000, UserWastedPercent: 0.25},
		ImageBytes:    50_000,
		LeftoverBytes: 1030,
		CategoryBytes: map[rules.Category]int64{rules.CatToolchain: 700, rules.CatPackageCache: 300, rules.CatVCS: 30},
		RuleFindings:  map[string]int{"gcc": 1, "apt-archives": 1, "apt-lists": 1, "git-dir": 1},
	}
}

func TestEvaluateBoundaries(t *testing.T) {
	tests := []struct {
		name string
		th   Thresholds
		want []Check
	}{
		{"efficiency equal passes", Thresholds{LowestEfficiency: ptr(0.95)},
			[]Check{{Name: CheckLowestEfficiency, Unit: UnitRatio, Measured: 0.95, Limit: 0.95, Pass: true}}},
		{"efficiency above limit fails", Thresholds{LowestEfficiency: ptr(0.950001)},
			[]Check{{Name: CheckLowestEfficiency, Unit: UnitRatio, Measured: 0.95, Limit: 0.950001, Pass: false}}},
		{"efficiency zero passes", Thresholds{LowestEfficiency: ptr(0.0)},
			[]Check{{Name: CheckLowestEfficiency, Unit: UnitRatio, Measured: 0.95, Limit: 0, Pass: true}}},
		{"wasted equal passes", Thresholds{HighestWastedBytes: ptr(int64(1000))},
			[]Check{{Name: CheckHighestWastedBytes, Unit: UnitBytes, Measured: 1000, Limit: 1000, Pass: true}}},
		{"wasted one byte over fails", Thresholds{HighestWastedBytes: ptr(int64(999))},
			[]Check{{Name: CheckHighestWastedBytes, Unit: UnitBytes, Measured: 1000, Limit: 999, Pass: false}}},
		{"user wasted equal passes", Thresholds{HighestUserWastedPercent: ptr(0.25)},
			[]Check{{Name: CheckHighestUserWastedPercent, Unit: UnitRatio, Measured: 0.25, Limit: 0.25, Pass: true}}},
		{"user wasted over fails", Thresholds{HighestUserWastedPercent: ptr(0.2499)},
			[]Check{{Name: CheckHighestUserWastedPercent, Unit: UnitRatio, Measured: 0.25, Limit: 0.2499, Pass: false}}},
		{"image size equal passes", Thresholds{HighestImageBytes: ptr(int64(50_000))},
			[]Check{{Name: CheckHighestImageBytes, Unit: UnitBytes, Measured: 50_000, Limit: 50_000, Pass: true}}},
		{"image size over fails", Thresholds{HighestImageBytes: ptr(int64(49_999))},
			[]Check{{Name: CheckHighestImageBytes, Unit: UnitBytes, Measured: 50_000, Limit: 49_999, Pass: false}}},
		{"leftovers equal passes", Thresholds{HighestLeftoverBytes: ptr(int64(1030))},
			[]Check{{Name: CheckHighestLeftoverBytes, Unit: UnitBytes, Measured: 1030, Limit: 1030, Pass: true}}},
		{"leftovers over fails", Thresholds{HighestLeftoverBytes: ptr(int64(1029))},
			[]Check{{Name: CheckHighestLeftoverBytes, Unit: UnitBytes, Measured: 1030, Limit: 1029, Pass: false}}},
		{"per category, sorted in category order", Thresholds{HighestCategoryBytes: map[rules.Category]int64{
			rules.CatVCS: 30, rules.CatToolchain: 0, rules.CatPackageCache: 300, rules.CatSecret: 0,
		}}, []Check{
			{Name: CheckHighestCategoryBytes, Subject: "toolchain", Unit: UnitBytes, Measured: 700, Limit: 0, Pass: false},
			{Name: CheckHighestCategoryBytes, Subject: "package-cache", Unit: UnitBytes, Measured: 300, Limit: 300, Pass: true},
			{Name: CheckHighestCategoryBytes, Subject: "vcs", Unit: UnitBytes, Measured: 30, Limit: 30, Pass: true},
			{Name: CheckHighestCategoryBytes, Subject: "secret", Unit: UnitBytes, Measured: 0, Limit: 0, Pass: true},
		}},
		{"forbidden rules, deduplicated and sorted", Thresholds{ForbiddenRules: []string{"git-dir", "aws-key", "git-dir"}},
			[]Check{
				{Name: CheckForbiddenRules, Subject: "aws-key", Unit: UnitFindings, Measured: 0, Limit: 0, Pass: true},
				{Name: CheckForbiddenRules, Subject: "git-dir", Unit: UnitFindings, Measured: 1, Limit: 0, Pass: false},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := Evaluate(gateInput(), tt.th)
			if diff := cmp.Diff(tt.want, g.Checks); diff != "" {
				t.Errorf("checks (-want +got):\n%s", diff)
			}
			wantPass := true
			for _, c := range tt.want {
				wantPass = wantPass && c.Pass
			}
			if g.Pass != wantPass {
				t.Errorf("Pass = %v, want %v", g.Pass, wantPass)
			}
		})
	}
}

func TestEvaluateEmpty(t *testing.T) {
	var th Thresholds
	if !th.Empty() {
		t.Fatal("zero Thresholds is not Empty")
	}
	g := Evaluate(gateInput(), th)
	if !g.Pass || len(g.Checks) != 0 || g.Failed() != 0 {
		t.Errorf("Evaluate(empty) = %+v, want a pass with no checks", g)
	}
	th.Ignore = rules.Ignore{Rules: []string{"gcc"}}
	if !th.Empty() {
		t.Error("an ignore list alone checks nothing, but Empty() = false")
	}
}

func TestEvaluateAllTogether(t *testing.T) {
	g := Evaluate(gateInput(), Thresholds{
		LowestEfficiency:         ptr(0.99),
		HighestWastedBytes:       ptr(int64(1)),
		HighestUserWastedPercent: ptr(0.5),
		ForbiddenRules:           []string{"apt-lists"},
	})
	var names []string
	for _, c := range g.Checks {
		names = append(names, c.Name)
	}
	want := []string{CheckLowestEfficiency, CheckHighestWastedBytes, CheckHighestUserWastedPercent, CheckForbiddenRules}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("check order (-want +got):\n%s", diff)
	}
	if g.Pass || g.Failed() != 3 {
		t.Errorf("Pass = %v, Failed() = %d; want false, 3", g.Pass, g.Failed())
	}
}

// Where no layer above the first holds a byte, dive's userWastedPercent is
// wasted/0: +Inf fails every limit and NaN (nothing wasted) passes every
// one, in dive 0.13.1 (runtime/ci/rule.go: fail when limit < value). The
// gate gives dive's verdict and says why.
func TestEvaluateUserWastedUndefined(t *testing.T) {
	for _, tc := range []struct {
		name     string
		wasted   int64
		limit    float64
		wantPass bool
		wantNote string
	}{
		{"wasted bytes: +Inf fails even limit 1", 10, 1, false, "+Inf"},
		{"wasted bytes: +Inf fails limit 0", 10, 0, false, "+Inf"},
		{"nothing wasted: NaN passes limit 0", 0, 0, true, "NaN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := gateInput()
			in.Dive = fstree.DiveMetrics{Efficiency: 0, WastedBytes: tc.wasted, NoUserBytes: true}
			g := Evaluate(in, Thresholds{HighestUserWastedPercent: ptr(tc.limit)})
			if len(g.Checks) != 1 {
				t.Fatalf("got %d checks, want 1", len(g.Checks))
			}
			c := g.Checks[0]
			if c.Pass != tc.wantPass || g.Pass != tc.wantPass || c.Measured != 0 {
				t.Errorf("check %+v, gate pass %v: want pass %v, measured 0", c, g.Pass, tc.wantPass)
			}
			if !strings.Contains(c.Note, tc.wantNote) || !strings.Contains(c.Note, "dive") {
				t.Errorf("note %q: want it to say %s and that dive decides so", c.Note, tc.wantNote)
			}
		})
	}
	// A defined value has no note.
	if c := Evaluate(gateInput(), Thresholds{HighestUserWastedPercent: ptr(0.5)}).Checks[0]; c.Note != "" {
		t.Errorf("note %q on a defined userWastedPercent, want none", c.Note)
	}
}
