package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stagescope/stagescope/analyze/analyzetest"
	"github.com/stagescope/stagescope/analyze/report"
	"github.com/stagescope/stagescope/analyze/rules"
	"github.com/stagescope/stagescope/analyze/secrets"
)

// Every rule a finding can carry, and every content secret rule, is listed
// with its category, severity, why and fix, in text and in JSON.
func TestRulesListsEveryRule(t *testing.T) {
	t.Parallel()
	var want []string
	for _, r := range rules.All() {
		want = append(want, r.ID)
	}
	for _, r := range secrets.Rules() {
		want = append(want, r.ID)
	}

	r := stagescope(t, "rules", "-o", "json")
	if r.code != exitOK {
		t.Fatalf("rules -o json: exit %d: %s", r.code, r.stderr)
	}
	analyzetest.ValidateRuleList(t, []byte(r.stdout))
	var doc report.RuleList
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("rules -o json: %v\n%s", err, r.stdout)
	}
	if doc.SchemaVersion != report.RulesSchemaVersion {
		t.Errorf("schemaVersion %d, want %d", doc.SchemaVersion, report.RulesSchemaVersion)
	}
	var got []string
	for _, rj := range doc.Rules {
		got = append(got, rj.ID)
		if !rules.ValidCategory(rj.Category) || rj.Severity == "" || rj.Why == "" || rj.Fix == "" || rj.Kind == "" {
			t.Errorf("rule %s: category %q, severity %q, kind %q, why %q, fix %q: want all set", rj.ID, rj.Category, rj.Severity, rj.Kind, rj.Why, rj.Fix)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rule IDs of rules -o json (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(rules.Categories(), doc.Categories); diff != "" {
		t.Errorf("categories of rules -o json (-want +got):\n%s", diff)
	}

	text := stagescope(t, "rules")
	if text.code != exitOK {
		t.Fatalf("rules: exit %d: %s", text.code, text.stderr)
	}
	for _, rj := range doc.Rules {
		head := rj.ID + "  " + string(rj.Category) + ", " + string(rj.Severity) + ", " + rj.Kind + " rule\n"
		if !strings.Contains(text.stdout, head) || !strings.Contains(text.stdout, "  why    "+rj.Why+"\n") || !strings.Contains(text.stdout, "  fix    "+rj.Fix+"\n") {
			t.Errorf("rules text lacks %q with its why and fix", head)
		}
	}
}

func TestRulesSelect(t *testing.T) {
	t.Parallel()
	r := stagescope(t, "rules", "-o", "json", "vcs", "docs.man")
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	analyzetest.ValidateRuleList(t, []byte(r.stdout))
	var doc report.RuleList
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, rj := range doc.Rules {
		got = append(got, rj.ID)
	}
	want := []string{"docs.man"}
	for _, rl := range rules.All() {
		if rl.Category == rules.CatVCS {
			want = append(want, rl.ID)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rules vcs docs.man (-want +got):\n%s", diff)
	}
	wantOneLineError(t, stagescope(t, "rules", "nosuch"), `no rule has the ID or category "nosuch"`)
	wantOneLineError(t, stagescope(t, "rules", "-o", "yaml"), `unknown output format "yaml"`)
}

// Shell completion offers rule IDs and categories where flags take them,
// for `inspect` and for dive's `stagescope IMAGE` habit alike.
func TestRuleCompletion(t *testing.T) {
	t.Parallel()
	complete := func(t *testing.T, args ...string) []string {
		t.Helper()
		r := stagescope(t, append([]string{"__complete"}, args...)...)
		if r.code != exitOK {
			t.Fatalf("__complete %v: exit %d: %s", args, r.code, r.stderr)
		}
		var out []string
		for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
			if strings.HasPrefix(l, ":") {
				continue // the directive
			}
			name, _, _ := strings.Cut(l, "\t")
			out = append(out, name)
		}
		return out
	}
	var cats []string
	for _, c := range rules.Categories() {
		cats = append(cats, string(c))
	}
	for _, tc := range []struct {
		args []string
		want []string // all of these are offered
		not  []string // none of these
	}{
		{[]string{"inspect", "--ignore", ""}, append([]string{"docs.man", "vcs.git", rules.Deleted}, cats...), []string{"aws-access-key-id"}},
		{[]string{"app.tar", "--ignore", ""}, append([]string{"docs.man", "toolchain.package"}, cats...), nil},
		{[]string{"inspect", "--forbid-rule", ""}, []string{"secret.private-key", rules.Overwritten}, cats},
		{[]string{"inspect", "--highest-category-bytes", ""}, []string{"toolchain=", "secret=", "wasted="}, []string{"docs.man"}},
		{[]string{"rules", ""}, append([]string{"docs.man", "aws-access-key-id"}, cats...), nil},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			got := complete(t, tc.args...)
			for _, w := range tc.want {
				if !slices.Contains(got, w) {
					t.Errorf("completion lacks %q; got %v", w, got)
				}
			}
			for _, n := range tc.not {
				if slices.Contains(got, n) {
					t.Errorf("completion offers %q, want not", n)
				}
			}
		})
	}
}
