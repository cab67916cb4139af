package analyze

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stagescope/stagescope/analyze/fstree"
)

func ptr[T any](v T) *T { return &v }

// gateAnalysis is an analysis with the measured values the gate reads.
func gateAnalysis() *Analysis {
	return &Analysis{
		Dive:    fstree.DiveMetrics{Efficiency: 0.95, WastedBytes: 1000, UserWastedPercent: 0.25},
		Metrics: &fstree.Metrics{LayerBytes: 50_000},
		Findings: []Finding{
			{RuleID: "gcc", Category: CatToolchain, Path: "usr/bin/gcc-12", Bytes: 700, HiddenBy: -1},
			{RuleID: "apt-archives", Category: CatPackageCache, Path: "var/cache/apt/archives", Bytes: 200, HiddenBy: -1},
			{RuleID: "apt-lists", Category: CatPackageCache, Path: "var/lib/apt/lists", Bytes: 100, HiddenBy: -1},
			{RuleID: "git-dir", Category: CatVCS, Path: "app/.git", Bytes: 30, HiddenBy: -1},
		},
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
		{"per category, sorted in category order", Thresholds{HighestCategoryBytes: map[Category]int64{
			CatVCS: 30, CatToolchain: 0, CatPackageCache: 300, CatSecret: 0,
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
		{"ignored rule counts for nothing", Thresholds{
			HighestCategoryBytes: map[Category]int64{CatToolchain: 0},
			ForbiddenRules:       []string{"gcc"},
			Ignore:               Ignore{Rules: []string{"gcc"}},
		}, []Check{
			{Name: CheckHighestCategoryBytes, Subject: "toolchain", Unit: UnitBytes, Measured: 0, Limit: 0, Pass: true},
			{Name: CheckForbiddenRules, Subject: "gcc", Unit: UnitFindings, Measured: 0, Limit: 0, Pass: true},
		}},
		{"ignored paths count for nothing", Thresholds{
			HighestLeftoverBytes: ptr(int64(0)),
			Ignore:               Ignore{Paths: []string{"/var/**/apt", "usr/bin/gcc-*", "app/.git"}},
		}, []Check{
			{Name: CheckHighestLeftoverBytes, Unit: UnitBytes, Measured: 0, Limit: 0, Pass: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := Evaluate(gateAnalysis(), tt.th)
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
	g := Evaluate(gateAnalysis(), th)
	if !g.Pass || len(g.Checks) != 0 || g.Failed() != 0 {
		t.Errorf("Evaluate(empty) = %+v, want a pass with no checks", g)
	}
	th.Ignore = Ignore{Rules: []string{"gcc"}}
	if !th.Empty() {
		t.Error("an ignore list alone checks nothing, but Empty() = false")
	}
}

func TestEvaluateAllTogether(t *testing.T) {
	g := Evaluate(gateAnalysis(), Thresholds{
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

func TestMatchGlob(t *testing.T) {
	tests := []struct {
		pattern, path string
		want          bool
	}{
		{"usr/share/doc", "usr/share/doc", true},
		{"usr/share/doc", "usr/share/doc/bash/README", true},
		{"/usr/share/doc/", "usr/share/doc/bash", true},
		{"usr/share/doc", "usr/share/docs", false},
		{"usr/share/doc", "usr/share", false},
		{"usr/*/doc", "usr/share/doc/x", true},
		{"usr/*/doc", "usr/a/b/doc", false},
		{"**/node_modules", "app/node_modules/x/index.js", true},
		{"**/node_modules", "node_modules", true},
		{"**/node_modules", "app/src/node_modules_old", false},
		{"app/**/*.map", "app/dist/js/main.js.map", true},
		{"app/**/*.map", "app/main.js.map", true},
		{"app/**/*.map", "lib/main.js.map", false},
		{"**", "anything/at/all", true},
		{"*.pem", "key.pem", true},
		{"*.pem", "etc/key.pem", false},
		{"[", "x", false}, // malformed: matches nothing
	}
	for _, tt := range tests {
		if got := MatchGlob(tt.pattern, tt.path); got != tt.want {
			t.Errorf("MatchGlob(%q, %q) = %v, want %v", tt.pattern, tt.path, got, tt.want)
		}
	}
}

func TestValidateGlob(t *testing.T) {
	for _, good := range []string{"usr/share/doc", "**/*.pyc", "/etc/ssh/ssh_host_*_key", "a/[bc]/d"} {
		if err := ValidateGlob(good); err != nil {
			t.Errorf("ValidateGlob(%q) = %v, want nil", good, err)
		}
	}
	for _, bad := range []string{"", "/", "usr/[share", "a/b\\"} {
		if err := ValidateGlob(bad); err == nil {
			t.Errorf("ValidateGlob(%q) = nil, want an error", bad)
		}
	}
}

func TestIgnoreFilter(t *testing.T) {
	ig := Ignore{Rules: []string{"apt-lists"}, Paths: []string{"app/.git"}}
	got := ig.Filter(gateAnalysis().Findings)
	var ids []string
	for _, f := range got {
		ids = append(ids, f.RuleID)
	}
	if diff := cmp.Diff([]string{"gcc", "apt-archives"}, ids); diff != "" {
		t.Errorf("kept rules (-want +got):\n%s", diff)
	}
}

// TestEvaluateLeftoverTotals: when the leftover pass left totals (each file
// counted once), the gate uses them rather than the sum of the findings.
func TestEvaluateLeftoverTotals(t *testing.T) {
	a := gateAnalysis()
	a.Leftovers = Leftovers{
		Bytes: 900, ShippedBytes: 50_000,
		Categories: []CategoryTotal{{Category: CatToolchain, Findings: 1, Files: 1, Bytes: 700}, {Category: CatPackageCache, Findings: 2, Files: 2, Bytes: 200}},
	}
	g := Evaluate(a, Thresholds{HighestLeftoverBytes: ptr(int64(900)), HighestCategoryBytes: map[Category]int64{CatPackageCache: 199, CatVCS: 0}})
	want := []Check{
		{Name: CheckHighestLeftoverBytes, Unit: UnitBytes, Measured: 900, Limit: 900, Pass: true},
		{Name: CheckHighestCategoryBytes, Subject: "package-cache", Unit: UnitBytes, Measured: 200, Limit: 199, Pass: false},
		{Name: CheckHighestCategoryBytes, Subject: "vcs", Unit: UnitBytes, Measured: 0, Limit: 0, Pass: true},
	}
	if diff := cmp.Diff(want, g.Checks); diff != "" {
		t.Errorf("checks (-want +got):\n%s", diff)
	}
}
