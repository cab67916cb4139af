package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stagescope/stagescope/analyze/gate"
	"github.com/stagescope/stagescope/analyze/rules"
)

func ptr[T any](v T) *T { return &v }

// testRules stands in for the leftover rule table in parser tests.
func testRules(id string) bool {
	switch id {
	case "gcc", "apt-archives", "git-dir", "aws-key":
		return true
	}
	return false
}

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name, text string
		want       gate.Thresholds
	}{
		{"empty file", "", gate.Thresholds{}},
		{"only a comment", "# nothing yet\n", gate.Thresholds{}},
		{"dive's own .dive-ci", `rules:
  # If the efficiency is measured below X%, mark as failed.
  lowestEfficiency: 0.95
  highestWastedBytes: 20MB
  highestUserWastedPercent: 0.20
`, gate.Thresholds{LowestEfficiency: ptr(0.95), HighestWastedBytes: ptr(int64(20_000_000)), HighestUserWastedPercent: ptr(0.20)}},
		{"dive's disabled", `rules:
  lowestEfficiency: disabled
  highestWastedBytes: disabled
  highestUserWastedPercent: 0.1
`, gate.Thresholds{HighestUserWastedPercent: ptr(0.1)}},
		{"everything", `rules:
  lowestEfficiency: 1
  highestWastedBytes: 0
  highestUserWastedPercent: 0
  highestImageBytes: 1.5GiB
  highestLeftoverBytes: 50kB
  highestCategoryBytes:
    toolchain: 0
    package-cache: 5MB
    docs: disabled
  forbiddenRules: [aws-key, git-dir]
ignore:
  rules:
    - apt-archives
  paths: ["usr/share/doc", "**/*.map"]
`, gate.Thresholds{
			LowestEfficiency:         ptr(1.0),
			HighestWastedBytes:       ptr(int64(0)),
			HighestUserWastedPercent: ptr(0.0),
			HighestImageBytes:        ptr(int64(1536 << 20)),
			HighestLeftoverBytes:     ptr(int64(50_000)),
			HighestCategoryBytes:     map[rules.Category]int64{rules.CatToolchain: 0, rules.CatPackageCache: 5_000_000},
			ForbiddenRules:           []string{"aws-key", "git-dir"},
			Ignore:                   rules.Ignore{Rules: []string{"apt-archives"}, Paths: []string{"usr/share/doc", "**/*.map"}},
		}},
		{"a single rule ID instead of a list", "rules:\n  forbiddenRules: gcc\n", gate.Thresholds{ForbiddenRules: []string{"gcc"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := parseConfig(".stagescope.yaml", []byte(tt.text), testRules)
			if err != nil {
				t.Fatalf("parseConfig: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("thresholds (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"efficiency above 1", "rules:\n  lowestEfficiency: 1.1\n",
			"ci.yaml:2: lowestEfficiency: 1.1 is outside 0..1 (a ratio: 0.9 means 90%)"},
		{"negative efficiency (dive's misconfiguredLow)", "rules:\n  lowestEfficiency: -9\n",
			"ci.yaml:2: lowestEfficiency: -9 is outside 0..1 (a ratio: 0.9 means 90%)"},
		{"user wasted as a percentage (dive's misconfiguredHigh)", "rules:\n\n  highestUserWastedPercent: 10\n",
			"ci.yaml:3: highestUserWastedPercent: 10 is outside 0..1 (a ratio: 0.9 means 90%)"},
		{"not a number", "rules:\n  lowestEfficiency: high\n",
			`ci.yaml:2: lowestEfficiency: "high" is not a number (want a ratio between 0 and 1, or disabled)`},
		{"negative size", "rules:\n  highestWastedBytes: -1MB\n",
			"ci.yaml:2: highestWastedBytes: size -1MB is negative"},
		{"bad unit (dive's misconfiguredHigh)", "rules:\n  highestWastedBytes: 1BB\n",
			`ci.yaml:2: highestWastedBytes: "1BB" is not a size (want e.g. 0, 1500, 20MB, 1.5GiB, or disabled)`},
		{"negative category size", "rules:\n  highestCategoryBytes:\n    toolchain: -5\n",
			"ci.yaml:3: highestCategoryBytes: toolchain: size -5 is negative"},
		{"unknown category", "rules:\n  highestCategoryBytes:\n    compilers: 0\n",
			"ci.yaml:3: highestCategoryBytes: unknown category \"compilers\" (want one of toolchain, package-cache, build-cache, dev-dependency, dev-headers, vcs, docs, secret, wasted)"},
		{"unknown forbidden rule", "rules:\n  forbiddenRules:\n    - gcc\n    - no-such-rule\n",
			`ci.yaml:4: forbiddenRules: unknown rule ID "no-such-rule"`},
		{"unknown ignored rule", "ignore:\n  rules: [gcc, nope]\n",
			`ci.yaml:2: ignore.rules: unknown rule ID "nope" (nor a category: toolchain, …`},
		{"bad glob", "ignore:\n  paths:\n    - usr/[share\n",
			`ci.yaml:3: ignore.paths: bad path glob "usr/[share": syntax error in pattern`},
		{"unknown rules key", "rules:\n  lowestEfficency: 0.9\n",
			`ci.yaml:2: unknown key "lowestEfficency" in rules (want one of forbiddenRules, highestCategoryBytes, highestImageBytes, highestLeftoverBytes, highestOwnLeftoverBytes, highestUserWastedPercent, highestWastedBytes, lowestEfficiency)`},
		{"unknown top-level key", "rule:\n  lowestEfficiency: 0.9\n",
			`ci.yaml:1: unknown key "rule" in the file (want one of ignore, keys, rules, secrets)`},
		{"unknown action", "keys:\n  quit: Q\n  tree.explode: x\n",
			`ci.yaml:3: keys: unknown action "tree.explode" (actions: …`},
		{"unknown key", "keys:\n  quit: [Q, Hyper-Q]\n",
			`ci.yaml:2: keys: quit: unknown key "Hyper-Q" (want a character…`},
		{"clash", "keys:\n  quit: Q\n  find: Q\n",
			`ci.yaml:2: keys: Q is bound to both find and quit in the Layers pane`},
		{"keys not a mapping", "keys: [q]\n",
			"ci.yaml:1: keys must be a mapping of actions to keys"},
		{"repeated key", "rules:\n  lowestEfficiency: 0.9\n  lowestEfficiency: 0.8\n",
			"ci.yaml:3: lowestEfficiency given twice"},
		{"no value", "rules:\n  lowestEfficiency:\n",
			"ci.yaml:2: lowestEfficiency has no value"},
		{"rules not a mapping", "rules: [1, 2]\n",
			"ci.yaml:1: rules must be a mapping"},
		{"malformed YAML", "rules:\n  lowestEfficiency: 0.9\n highestWastedBytes: 1MB\n",
			"ci.yaml:2: did not find expected key"}, // yaml.v3 names the mapping's line
		{"tab indentation", "rules:\n\tlowestEfficiency: 0.9\n",
			"ci.yaml:2: found character that cannot start any token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := parseConfig("ci.yaml", []byte(tt.text), testRules)
			if err == nil {
				t.Fatal("parseConfig succeeded, want an error")
			}
			var ce *configError
			if !errors.As(err, &ce) {
				t.Errorf("error %T is not a *configError", err)
			}
			// A want ending in … is a prefix of a long message.
			prefix, cut := strings.CutSuffix(tt.want, "…")
			if got := err.Error(); got != tt.want && !(cut && strings.HasPrefix(got, prefix)) {
				t.Errorf("error\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestFindConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	got, err := findConfig("", dir)
	if err != nil || got != "" {
		t.Fatalf("findConfig in an empty dir = %q, %v; want \"\", nil", got, err)
	}
	dive := write(".dive-ci", "rules:\n  lowestEfficiency: 0.9\n")
	if got, err := findConfig("", dir); err != nil || got != dive {
		t.Errorf("findConfig = %q, %v; want %q", got, err, dive)
	}
	own := write(".stagescope.yaml", "rules:\n  lowestEfficiency: 0.8\n")
	if got, err := findConfig("", dir); err != nil || got != own {
		t.Errorf("findConfig with both files = %q, %v; want %q (ours first)", got, err, own)
	}
	if got, err := findConfig(dive, t.TempDir()); err != nil || got != dive {
		t.Errorf("findConfig(--config %s) = %q, %v", dive, got, err)
	}
	missing := filepath.Join(dir, "nope.yaml")
	if _, err := findConfig(missing, dir); err == nil || err.Error() != "config file "+missing+": no such file or directory" {
		t.Errorf("findConfig(missing) error = %v", err)
	}
}

func TestGateFlags(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "gate.yaml")
	if err := os.WriteFile(cfg, []byte(`rules:
  lowestEfficiency: 0.9
  highestWastedBytes: 1MB
  highestCategoryBytes: {toolchain: 0, docs: 1MB}
  forbiddenRules: [git-dir]
ignore:
  paths: [usr/share/doc]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	g := gateOptions{
		Config:               cfg,
		LowestEfficiency:     "0.95",     // overrides the file
		HighestWastedBytes:   "disabled", // turns the file's off
		HighestImageBytes:    "100MB",
		HighestCategoryBytes: []string{"docs=disabled", "vcs=0"},
		ForbiddenRules:       []string{"aws-key"},
	}
	got, err := g.thresholdsWith(testRules)
	if err != nil {
		t.Fatal(err)
	}
	want := gate.Thresholds{
		LowestEfficiency:     ptr(0.95),
		HighestImageBytes:    ptr(int64(100_000_000)),
		HighestCategoryBytes: map[rules.Category]int64{rules.CatToolchain: 0, rules.CatVCS: 0},
		ForbiddenRules:       []string{"git-dir", "aws-key"},
		Ignore:               rules.Ignore{Paths: []string{"usr/share/doc"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("thresholds (-want +got):\n%s", diff)
	}

	bad := []struct {
		g    gateOptions
		want string
	}{
		{gateOptions{LowestEfficiency: "1.1"}, "--lowest-efficiency: 1.1 is outside 0..1 (a ratio: 0.9 means 90%)"},
		{gateOptions{HighestImageBytes: "-1"}, "--highest-image-bytes: size -1 is negative"},
		{gateOptions{HighestCategoryBytes: []string{"toolchain"}}, `--highest-category-bytes "toolchain": want CATEGORY=SIZE, e.g. toolchain=0`},
		{gateOptions{HighestCategoryBytes: []string{"cc=0"}}, `--highest-category-bytes "cc=0": unknown category "cc" (want one of toolchain, package-cache, build-cache, dev-dependency, dev-headers, vcs, docs, secret, wasted)`},
		{gateOptions{ForbiddenRules: []string{"nope"}}, `--forbid-rule: unknown rule ID "nope"`},
		{gateOptions{ForbiddenRules: []string{" "}}, `--forbid-rule: empty rule ID`},
	}
	for _, b := range bad {
		b.g.WorkDir = t.TempDir()
		_, err := b.g.thresholdsWith(testRules)
		if err == nil || err.Error() != b.want {
			t.Errorf("thresholds(%+v) error = %v, want %s", b.g, err, b.want)
		}
	}
}
