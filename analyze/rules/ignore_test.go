package rules

import (
	"strings"
	"testing"
)

// An ignored path glob silences the path and everything below it.
func TestSilencerPath(t *testing.T) {
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
		s := NewSilencer(Ignore{Paths: []string{tt.pattern}})
		if got := s.Path(strings.Split(tt.path, "/")); got != tt.want {
			t.Errorf("ignore %q: Path(%q) = %v, want %v", tt.pattern, tt.path, got, tt.want)
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

// An ignored rule ID silences that rule only.
func TestSilencerRule(t *testing.T) {
	s := NewSilencer(Ignore{Rules: []string{"docs.man"}})
	for id, want := range map[string]bool{"docs.man": true, "docs.doc": false, "": false} {
		if got := s.Rule(id); got != want {
			t.Errorf("Rule(%q) = %v, want %v", id, got, want)
		}
	}
}

// An ignored category silences every rule of it, and RuleBy names what
// silenced a rule: its ID when listed, else its category.
func TestSilencerCategory(t *testing.T) {
	s := NewSilencer(Ignore{Rules: []string{"docs.man"}, Categories: []Category{CatDocs, CatWasted}})
	for id, want := range map[string]string{
		"docs.man": "docs.man", "docs.doc": "docs", Deleted: "wasted", Overwritten: "wasted",
		"vcs.git": "", "": "",
	} {
		if got := s.RuleBy(id); got != want {
			t.Errorf("RuleBy(%q) = %q, want %q", id, got, want)
		}
	}
}

// Unmatched lists the globs no path matched, in order.
func TestSilencerUnmatched(t *testing.T) {
	s := NewSilencer(Ignore{Paths: []string{"usr/share/doc", "**/*.map", "opt/nothing", "[bad"}})
	for _, p := range []string{"usr/share/doc/bash/README", "usr/bin/bash", "app/x.js.map"} {
		s.Path(strings.Split(p, "/"))
	}
	if got, want := strings.Join(s.Unmatched(), " "), "opt/nothing"; got != want {
		t.Errorf("Unmatched() = %q, want %q (a malformed glob is not listed: it was refused before)", got, want)
	}
}
