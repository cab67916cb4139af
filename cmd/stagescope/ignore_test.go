package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stagescope/stagescope/analyze/report"
	"github.com/stagescope/stagescope/analyze/rules"
)

func TestIgnoreFlagErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"inspect", "--ignore", "doc", testImage}, []string{`--ignore "doc": no leftover rule has this ID and no category this name`}},
		{[]string{"inspect", "--ignore", "usr/[share", testImage}, []string{`--ignore: bad path glob "usr/[share"`}},
		{[]string{"inspect", "--ignore", "/", testImage}, []string{"--ignore: empty path glob"}},
	} {
		t.Run(tc.args[2], func(t *testing.T) {
			wantOneLineError(t, stagescope(t, tc.args...), tc.want...)
		})
	}
}

// --ignore drops findings of a rule or under a path, and the totals follow.
func TestIgnoreFlag(t *testing.T) {
	t.Parallel()
	inspect := func(t *testing.T, args ...string) report.Report {
		t.Helper()
		r := stagescope(t, append([]string{"inspect", "-o", "json"}, append(args, testImage)...)...)
		if r.code != exitOK {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		var rep report.Report
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatal(err)
		}
		return rep
	}
	all := inspect(t)
	byRule := func(rep report.Report) map[string]int64 {
		m := map[string]int64{}
		for _, f := range rep.Findings {
			m[f.RuleID] += f.Bytes
		}
		return m
	}
	base := byRule(all)
	for _, id := range []string{"docs.doc", "vcs.git", "secret.dotenv"} {
		if base[id] == 0 {
			t.Fatalf("testdata image has no %s finding to silence: %v", id, base)
		}
	}
	got := inspect(t, "--ignore", "docs.doc", "--ignore", "/app/.git", "--ignore", "**/.env")
	want := map[string]int64{}
	for id, b := range base {
		if id != "docs.doc" && id != "vcs.git" && id != "secret.dotenv" {
			want[id] = b
		}
	}
	// the deleted .env also leaves the wasted group of its layers
	var envWaste int64
	for _, f := range all.Findings {
		if f.RuleID == rules.Deleted && f.Path == "/app/.env" {
			envWaste = f.Bytes
		}
	}
	want[rules.Deleted] -= envWaste
	if want[rules.Deleted] == 0 {
		delete(want, rules.Deleted)
	}
	if diff := cmp.Diff(want, byRule(got)); diff != "" {
		t.Errorf("bytes per rule after --ignore (-want +got):\n%s", diff)
	}
	if got.Leftovers.Bytes >= all.Leftovers.Bytes {
		t.Errorf("leftover total %d after --ignore, want less than %d", got.Leftovers.Bytes, all.Leftovers.Bytes)
	}
	if slices.ContainsFunc(got.Leftovers.Categories, func(c report.CategoryTotalJSON) bool {
		return c.Category == rules.CatVCS || c.Category == rules.CatSecret
	}) {
		t.Errorf("categories after --ignore still list vcs or secret: %+v", got.Leftovers.Categories)
	}
}

// --ignore and the config's ignore.rules take a category: every rule of it
// is silenced, and the gate's ignore list names the category.
func TestIgnoreCategory(t *testing.T) {
	dir := t.TempDir()
	img, err := filepath.Abs(testImage)
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	for _, tc := range []struct {
		name, config string
		args         []string
	}{
		{"flag", "", []string{"--ignore", "docs"}},
		{"config", "ignore:\n  rules: [docs]\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			os.Remove(".stagescope.yaml")
			if tc.config != "" {
				if err := os.WriteFile(".stagescope.yaml", []byte(tc.config), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			out, _, code, err := run(t, append(append([]string{"inspect", "-o", "json", "--highest-leftover-bytes", "1GB"}, tc.args...), img)...)
			if code != exitOK {
				t.Fatalf("exit %d: %v", code, err)
			}
			var rep report.Report
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatal(err)
			}
			for _, f := range rep.Findings {
				if f.Category == rules.CatDocs {
					t.Errorf("finding %s %s left after ignoring the docs category", f.RuleID, f.Path)
				}
			}
			if got := rep.Gate.Ignore.Categories; !slices.Equal(got, []rules.Category{rules.CatDocs}) {
				t.Errorf("gate ignore categories %v, want [docs]", got)
			}
		})
	}
}
