package leftovers_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/analyze/leftovers"
	"github.com/stagescope/stagescope/analyze/npm"
	"github.com/stagescope/stagescope/analyze/pkgdb"
	"github.com/stagescope/stagescope/analyze/rules"
	"github.com/stagescope/stagescope/layers"
)

// Scan reads the packages its caller parsed (Input.Packages,
// Input.NodePackages) and never the databases in the image itself: the
// facade parses them once per run for every analyzer. What it finds
// comes back in the Result, whatever the ignore list silences apart.
func TestScanInput(t *testing.T) {
	file := func(p string, size int64) layers.Entry {
		return layers.Entry{Path: p, Type: layers.TypeRegular, Size: size, Mode: 0o644}
	}
	status := "Package: make\nStatus: install ok installed\nVersion: 4.3\nArchitecture: amd64\n"
	img := &layers.Image{Layers: []layers.Layer{{
		Entries: []layers.Entry{
			file("srv/tool/make", 1000),
			file("app/node_modules/jest/index.js", 300),
			file("app/node_modules/jest/package.json", 20),
			file("var/lib/dpkg/status", int64(len(status))),
			file("var/lib/dpkg/info/make.list", 14),
		},
		Files: []layers.File{
			{Path: "var/lib/dpkg/status", Data: []byte(status)},
			{Path: "var/lib/dpkg/info/make.list", Data: []byte("/srv/tool/make")},
		},
	}}}
	files := map[string][]byte{}
	for _, f := range img.Layers[0].Files {
		files[f.Path] = f.Data
	}
	if got := pkgdb.Installed(files); len(got) != 1 || got[0].Name != "make" {
		t.Fatalf("the image's database holds %+v, want make (the first case would prove nothing)", got)
	}
	b := fstree.NewBuilder()
	b.Add(img.Layers[0].Entries)
	tree := b.Finish()
	mk := pkgdb.Package{Manager: pkgdb.ManagerDpkg, Name: "make", Version: "4.3", Files: []string{"srv/tool/make"}}
	jest := npm.NodePackage{Name: "jest", Version: "29.0.0", Path: "app/node_modules/jest", Root: "app", Dev: true, Source: "app/package-lock.json"}

	type found struct {
		Rule  string
		Kind  leftovers.Kind
		Path  string
		Bytes int64
	}
	tests := []struct {
		name           string
		in             leftovers.Input
		want           []found
		wantSuppressed []string // rule IDs
	}{
		{
			name: "no packages given: the databases in the image are not parsed again",
		},
		{
			name: "the packages given are found",
			in:   leftovers.Input{Packages: []pkgdb.Package{mk}, NodePackages: []npm.NodePackage{jest}},
			want: []found{
				{rules.Package, leftovers.KindPackage, "srv/tool/make", 1000},
				{rules.DevDependency, leftovers.KindDir, "app/node_modules/jest", 320},
			},
		},
		{
			name:           "an ignored rule's finding is set apart",
			in:             leftovers.Input{Packages: []pkgdb.Package{mk}, NodePackages: []npm.NodePackage{jest}, Ignore: rules.Ignore{Rules: []string{rules.Package}}},
			want:           []found{{rules.DevDependency, leftovers.KindDir, "app/node_modules/jest", 320}},
			wantSuppressed: []string{rules.Package},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.Image, in.Tree = img, tree
			r := leftovers.Scan(in)
			var got []found
			for _, f := range r.Findings {
				got = append(got, found{f.RuleID, f.Kind, f.Path, f.Bytes})
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			var supp []string
			for _, s := range r.Suppressed {
				supp = append(supp, s.RuleID)
			}
			if diff := cmp.Diff(tt.wantSuppressed, supp); diff != "" {
				t.Errorf("suppressed (-want +got):\n%s", diff)
			}
		})
	}
}
