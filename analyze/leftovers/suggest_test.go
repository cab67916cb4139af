package leftovers_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/analyze/leftovers"
	"github.com/stagescope/stagescope/analyze/rules"
)

// Suggest is a function of the facts and findings alone: the ecosystem
// comes from the project files or from the rules that fired (by their
// Ecosystem, not their IDs), and each rule's clean-up note comes once.
func TestSuggestFromFacts(t *testing.T) {
	empty := fstree.NewBuilder().Finish()
	finding := func(ids ...string) []leftovers.Finding {
		var fs []leftovers.Finding
		for _, id := range ids {
			r, ok := rules.ByID(id)
			if !ok {
				t.Fatalf("no rule %s", id)
			}
			fs = append(fs, leftovers.Finding{RuleID: id, Category: r.Category, Bytes: 1, HiddenBy: -1})
		}
		return fs
	}
	tests := []struct {
		name      string
		projects  map[string][]string
		findings  []leftovers.Finding
		wantEco   string // "" for no suggestion
		wantNotes []string
	}{
		{name: "nothing found", projects: map[string][]string{"go.mod": {"src"}}},
		{name: "a toolchain alone is no project", findings: finding("toolchain.go", "toolchain.gcc", "dev-headers.include")},
		{name: "go by its toolchain and project", projects: map[string][]string{"go.mod": {"src"}}, findings: finding("toolchain.go"), wantEco: leftovers.EcoGo,
			wantNotes: []string{"a CGO_ENABLED=0 binary"}},
		{name: "go by its build cache", findings: finding("build-cache.go-build", "build-cache.go-mod"), wantEco: leftovers.EcoGo,
			wantNotes: []string{"a CGO_ENABLED=0 binary", "go: cache mounts"}},
		{name: "rust by its project", projects: map[string][]string{"Cargo.toml": {"app"}}, findings: finding("docs.man"), wantEco: leftovers.EcoRust},
		{name: "c, each note once", projects: map[string][]string{"Makefile": {"src"}}, findings: finding("toolchain.gcc", "package-cache.apt-lists", "package-cache.apt-archives", "secret.dotenv", "secret.ssh-key"),
			wantEco: leftovers.EcoC, wantNotes: []string{"apt: ", "secrets: "}},
		{name: "no ecosystem", findings: finding("docs.man", "package-cache.apt-lists")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			facts := &leftovers.Facts{Tree: empty, Projects: tt.projects, Versions: map[string]string{}}
			sg := leftovers.Suggest(facts, tt.findings, 42)
			if tt.wantEco == "" {
				if sg != nil {
					t.Fatalf("Suggest = %s suggestion, want none", sg.Ecosystem)
				}
				return
			}
			if sg == nil {
				t.Fatalf("Suggest = nil, want a %s suggestion", tt.wantEco)
			}
			if sg.Ecosystem != tt.wantEco || sg.SavedBytes != 42 {
				t.Errorf("Suggest = %s saving %d, want %s saving 42", sg.Ecosystem, sg.SavedBytes, tt.wantEco)
			}
			var got []string
			for _, n := range sg.Notes {
				for _, w := range tt.wantNotes {
					if strings.HasPrefix(n, w) {
						got = append(got, w)
					}
				}
			}
			if diff := cmp.Diff(tt.wantNotes, got); diff != "" {
				t.Errorf("notes %q (-want +got prefixes):\n%s", sg.Notes, diff)
			}
		})
	}
}
