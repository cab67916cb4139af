package ui

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"
	"github.com/google/go-cmp/cmp"

	"github.com/stagescope/stagescope/analyze"
	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/analyze/leftovers"
	"github.com/stagescope/stagescope/analyze/rules"
	"github.com/stagescope/stagescope/layers"
	"github.com/stagescope/stagescope/layers/layerstest"
)

// rowStrings renders the model's rows as "indent mark name size Llayer",
// with " !" for a path a finding names.
func rowStrings(m *treeModel) []string {
	out := []string{}
	for _, r := range m.Rows() {
		name := r.n.Name
		if r.info.dir {
			name += "/"
		}
		flag := ""
		if m.isLeftover(r.n) {
			flag = " !"
		}
		out = append(out, fmt.Sprintf("%*s%s %s %d L%d%s", 2*r.depth, "", r.info.st.mark(), name, r.info.size, r.info.layer, flag))
	}
	return out
}

func TestTreeModelRows(t *testing.T) {
	a := fixture(t)
	tests := []struct {
		name string
		set  func(m *treeModel)
		want []string
	}{
		{
			name: "last layer against the base, closed, biggest first",
			set:  func(m *treeModel) {},
			want: []string{"~ usr/ 42700 L0", "+ app/ 1100 L2", "~ etc/ 12 L0", "  bin 0 L0", "  tmp/ 0 L0", "+ var/ 0 L1"},
		},
		{
			name: "last layer against the base, all open: deleted paths still show, their bytes are not counted",
			set:  func(m *treeModel) { m.setAllOpen(true) },
			want: []string{
				"~ usr/ 42700 L0", "  ~ bin/ 31200 L0", "    + gcc 30000 L1 !", "      sh 1200 L0", "    + cc 0 L1",
				"    lib/ 9000 L0", "      libc.so.6 9000 L0", "  + include/ 2500 L1 !", "    + stdio.h 2500 L1",
				"+ app/ 1100 L2", "  + main.js 700 L2", "  + node_modules/ 400 L2", "    + left-pad/ 400 L2", "      + index.js 400 L2", "  - .env 10 L2 !",
				"~ etc/ 12 L0", "  ~ os-release 12 L3", "  bin 0 L0", "  tmp/ 0 L0",
				"+ var/ 0 L1", "  + cache/ 0 L1", "    - apt/ 0 L1", "      - archives/ 0 L1", "        - gcc_12_amd64.deb 50000 L1",
			},
		},
		{
			name: "layer 0 in aggregate: everything is added",
			set:  func(m *treeModel) { m.setLayer(0, false); m.setAllOpen(true) },
			want: []string{"+ usr/ 10200 L0", "  + lib/ 9000 L0", "    + libc.so.6 9000 L0", "  + bin/ 1200 L0", "    + sh 1200 L0", "+ etc/ 10 L0", "  + os-release 10 L0", "+ bin 0 L0", "+ tmp/ 0 L0"},
		},
		{
			name: "only what layer 1 changed",
			set:  func(m *treeModel) { m.setLayer(1, true); m.setAllOpen(true) },
			want: []string{
				"+ var/ 50000 L1", "  + cache/ 50000 L1", "    + apt/ 50000 L1", "      + archives/ 50000 L1", "        + gcc_12_amd64.deb 50000 L1",
				"~ usr/ 32500 L0", "  ~ bin/ 30000 L0", "    + gcc 30000 L1 !", "    + cc 0 L1", "  + include/ 2500 L1 !", "    + stdio.h 2500 L1",
			},
		},
		{
			name: "only what layer 3 changed",
			set:  func(m *treeModel) { m.setLayer(3, true) },
			want: []string{"~ etc/ 12 L0", "~ app/ 0 L2", "~ var/ 0 L1"},
		},
		{
			name: "glob on the base name opens what matches",
			set:  func(m *treeModel) { m.setPattern("*.h") },
			want: []string{"~ usr/ 2500 L0", "  + include/ 2500 L1 !", "    + stdio.h 2500 L1"},
		},
		{
			name: "glob on the path",
			set:  func(m *treeModel) { m.setPattern("usr/*/s*") },
			want: []string{"~ usr/ 3700 L0", "  + include/ 2500 L1 !", "    + stdio.h 2500 L1", "    bin/ 1200 L0", "      sh 1200 L0"},
		},
		{
			name: "substring, any case, finds deleted files too",
			set:  func(m *treeModel) { m.setPattern("gcc") },
			want: []string{
				"~ usr/ 30000 L0", "  ~ bin/ 30000 L0", "    + gcc 30000 L1 !",
				"+ var/ 0 L1", "  + cache/ 0 L1", "    - apt/ 0 L1", "      - archives/ 0 L1", "        - gcc_12_amd64.deb 50000 L1",
			},
		},
		{
			name: "a capital makes the substring match case",
			set:  func(m *treeModel) { m.setPattern("GCC") },
			want: []string{},
		},
		{
			name: "only wasted: sizes are the wasted bytes",
			set:  func(m *treeModel) { m.toggle(&m.wasteOnly) },
			want: []string{
				"+ var/ 50000 L1", "  + cache/ 50000 L1", "    - apt/ 50000 L1", "      - archives/ 50000 L1", "        - gcc_12_amd64.deb 50000 L1",
				"+ app/ 10 L2", "  - .env 10 L2 !", "~ etc/ 10 L0", "  ~ os-release 10 L3",
			},
		},
		{
			name: "only wasted as of layer 2: nothing is hidden yet",
			set:  func(m *treeModel) { m.toggle(&m.wasteOnly); m.setLayer(2, false) },
			want: []string{},
		},
		{
			name: "only leftovers: what a finding names and what is below it",
			set:  func(m *treeModel) { m.toggle(&m.leftOnly) },
			want: []string{"~ usr/ 32500 L0", "  ~ bin/ 30000 L0", "    + gcc 30000 L1 !", "  + include/ 2500 L1 !", "    + stdio.h 2500 L1", "+ app/ 0 L2", "  - .env 10 L2 !"},
		},
		{
			name: "hide unchanged",
			set:  func(m *treeModel) { m.toggle(&m.hide[stUnchanged]) },
			want: []string{"~ usr/ 32500 L0", "+ app/ 1100 L2", "~ etc/ 12 L0", "+ var/ 0 L1"},
		},
		{
			name: "by name",
			set:  func(m *treeModel) { m.toggleSort(); m.setOpen(m.tree.Lookup("usr"), true) },
			want: []string{"+ app/ 1100 L2", "  bin 0 L0", "~ etc/ 12 L0", "  tmp/ 0 L0", "~ usr/ 42700 L0", "  ~ bin/ 31200 L0", "  + include/ 2500 L1 !", "    lib/ 9000 L0", "+ var/ 0 L1"},
		},
		{
			name: "reveal opens the ancestors",
			set:  func(m *treeModel) { m.reveal(m.tree.Lookup("app/node_modules/left-pad/index.js")) },
			want: []string{
				"~ usr/ 42700 L0", "+ app/ 1100 L2", "  + main.js 700 L2", "  + node_modules/ 400 L2", "    + left-pad/ 400 L2", "      + index.js 400 L2", "  - .env 10 L2 !",
				"~ etc/ 12 L0", "  bin 0 L0", "  tmp/ 0 L0", "+ var/ 0 L1",
			},
		},
		{
			name: "reveal drops a filter that hides the path",
			set: func(m *treeModel) {
				m.setPattern("stdio")
				m.reveal(m.tree.Lookup("etc/os-release"))
			},
			want: []string{"~ usr/ 42700 L0", "+ app/ 1100 L2", "~ etc/ 12 L0", "  ~ os-release 12 L3", "  bin 0 L0", "  tmp/ 0 L0", "+ var/ 0 L1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newTreeModel(a.Tree, a.Findings)
			tt.set(m)
			if diff := cmp.Diff(tt.want, rowStrings(m)); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTreeModelCloseKeepsOthers(t *testing.T) {
	a := fixture(t)
	m := newTreeModel(a.Tree, a.Findings)
	m.setAllOpen(true)
	m.setOpen(m.tree.Lookup("usr"), false)
	got := rowStrings(m)[:3]
	want := []string{"~ usr/ 42700 L0", "+ app/ 1100 L2", "  + main.js 700 L2"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

func TestMatcher(t *testing.T) {
	tests := []struct {
		pat, path string
		want      bool
	}{
		{"lib", "/usr/LIB/x", true},
		{"LIB", "/usr/lib/x", false},
		{"LIB", "/usr/LIB/x", true},
		{"/usr/lib", "/usr/lib/x", true},
		{"/usr/lib", "/opt/usr/lib", true}, // a substring anywhere
		{"/usr/lib", "/usr/libexec", true},
		{"*.so", "/usr/lib/libc.so", true},
		{"*.so", "/usr/lib/libc.so.6", false},
		{"usr/*/libc*", "/usr/lib/libc.so.6", true},
		{"/usr/*/libc*", "/usr/lib/x/libc.so.6", false},
		{"[", "/a[b", true}, // a bad glob is a substring
		// the glob engine of --ignore: ** spans directories, and what
		// matches a directory matches everything below it
		{"usr/**/*.so", "/usr/lib/x86_64-linux-gnu/libc.so", true},
		{"/usr/**/*.so", "/usr/libc.so", true},
		{"**/node_modules", "/app/node_modules/x/index.js", true},
		{"**/node_modules", "/app/node_modules_old", false},
		{"/usr/lib/*", "/usr/lib/x/libc.so.6", true},
		{"usr/**/*.so", "/opt/usr/lib/libc.so", false},
		{"ünï", "/ÜNÏ/x", true},
	}
	for _, tt := range tests {
		m := newMatcher(tt.pat)
		if got := m([]byte(tt.path)); got != tt.want {
			t.Errorf("match(%q, %q) = %v, want %v", tt.pat, tt.path, got, tt.want)
		}
	}
	if newMatcher("") != nil {
		t.Error("empty pattern: want no matcher")
	}
}

// TestPackageFindingCoversOwnedFiles: a finding that groups a package's
// files under their common directory covers those files, not everything
// else in the directory.
func TestPackageFindingCoversOwnedFiles(t *testing.T) {
	a := packageAnalysis(t)
	m := newTreeModel(a.Tree, a.Findings)
	m.toggle(&m.leftOnly)
	want := []string{
		"~ usr/ 1000 L0",
		"  + lib/ 700 L1", "    + gcc/ 700 L1", "      + x86_64-linux-gnu/ 700 L1", "        + 12/ 700 L1", "          + cc1 700 L1 !",
		"  ~ bin/ 300 L0", "    + gcc-12 300 L1 !",
	}
	if diff := cmp.Diff(want, rowStrings(m)); diff != "" {
		t.Errorf("leftover rows (-want +got):\n%s", diff)
	}
}

// TestJumpToPackageFinding: Enter on a package's finding shows the
// package's biggest file, not the directory its files share.
func TestJumpToPackageFinding(t *testing.T) {
	b, err := newBrowser("pkg.tar")
	if err != nil {
		t.Fatal(err)
	}
	b.setAnalysis(packageAnalysis(t))
	press(b, tcell.KeyBacktab, 'j', tcell.KeyEnter)
	n := b.tree.selectedNode()
	if b.focus != paneTree || n == nil || n.Path() != "usr/lib/gcc/x86_64-linux-gnu/12/cc1" {
		t.Fatalf("after the jump: focus %s, node %v; want the tree on cc1", paneNames[b.focus], n)
	}
	if b.layers.sel != 1 || b.tree.m.layer != 1 {
		t.Errorf("after the jump: layer %d (tree %d), want 1", b.layers.sel, b.tree.m.layer)
	}
}

// packageAnalysis is a real image with a dpkg database that says gcc-12
// owns two files, and a finding that groups them under /usr.
func packageAnalysis(t *testing.T) *analyze.Analysis {
	img := layerstest.Image(t,
		layerstest.Step{CreatedBy: "base", Files: []layerstest.File{
			{Name: "usr/bin/sh", Body: "sh"},
			{Name: "usr/share/doc/base/copyright", Body: "c"},
		}},
		layerstest.Step{CreatedBy: "apt-get install gcc-12", Files: []layerstest.File{
			{Name: "usr/bin/gcc-12", Body: strings.Repeat("g", 300)},
			{Name: "usr/lib/gcc/x86_64-linux-gnu/12/cc1", Body: strings.Repeat("c", 700)},
			{Name: "var/lib/dpkg/status", Body: "Package: gcc-12\nStatus: install ok installed\nVersion: 12.2.0-14\nArchitecture: amd64\n\n"},
			{Name: "var/lib/dpkg/info/gcc-12.list", Body: "/.\n/usr\n/usr/bin\n/usr/bin/gcc-12\n/usr/lib\n/usr/lib/gcc\n/usr/lib/gcc/x86_64-linux-gnu\n/usr/lib/gcc/x86_64-linux-gnu/12\n/usr/lib/gcc/x86_64-linux-gnu/12/cc1\n"},
		}},
	)
	li, err := layers.Read(context.Background(), img, layers.WithCapture(analyze.Capture, analyze.CaptureLimit))
	if err != nil {
		t.Fatal(err)
	}
	a := analyze.Run(li)
	// Only the package's finding: the rules' own (toolchain.gcc) would
	// mark the same files.
	var pkg []leftovers.Finding
	for _, f := range a.Findings {
		if f.RuleID == rules.Package {
			pkg = append(pkg, f)
		}
	}
	if len(pkg) != 1 || pkg[0].Kind != leftovers.KindPackage || pkg[0].Path != "usr" || pkg[0].Files != 2 {
		t.Fatalf("package findings %+v, want one of gcc-12's 2 files under usr", pkg)
	}
	a.Findings = pkg
	return a
}

func TestFindingNodes(t *testing.T) {
	a := fixture(t)
	tests := []struct {
		f    leftovers.Finding
		want []string
	}{
		{leftovers.Finding{Kind: leftovers.KindFile, Path: "usr/bin/gcc"}, []string{"usr/bin/gcc"}},
		{leftovers.Finding{Kind: leftovers.KindDir, Path: "usr/include"}, []string{"usr/include"}},
		{leftovers.Finding{Kind: leftovers.KindGlob, Path: "usr/bin/*c*"}, []string{"usr/bin/cc", "usr/bin/gcc"}},
		{leftovers.Finding{Kind: leftovers.KindGlob, Path: "usr/lib/*.so.[0-9]"}, []string{"usr/lib/libc.so.6"}},
		{leftovers.Finding{Kind: leftovers.KindGlob, Path: "usr/bin/*.h"}, nil},
		{leftovers.Finding{Kind: leftovers.KindGlob, Path: "usr/nothing/*.h"}, nil},
		{leftovers.Finding{Kind: leftovers.KindFile, Path: "usr/bin/nothing"}, nil},
		// A package names its files, not the directory that holds them.
		{leftovers.Finding{Kind: leftovers.KindPackage, Path: "usr", Claims: []string{"usr/bin/gcc", "usr/lib/libc.so.6"}}, []string{"usr/bin/gcc", "usr/lib/libc.so.6"}},
		{leftovers.Finding{Kind: leftovers.KindWasted, Path: ""}, nil},
	}
	for _, tt := range tests {
		var got []string
		for _, n := range tt.f.Nodes(a.Tree) {
			got = append(got, n.Path())
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Finding{Kind: %d, Path: %q}.Nodes (-want +got):\n%s", tt.f.Kind, tt.f.Path, diff)
		}
	}

	// A glob finding covers what it matches and nothing else of the
	// directory.
	m := newTreeModel(a.Tree, []leftovers.Finding{{RuleID: "r", Category: rules.CatToolchain, Kind: leftovers.KindGlob, Path: "usr/bin/g*", Files: 1, HiddenBy: -1}})
	m.toggle(&m.leftOnly)
	want := []string{"~ usr/ 30000 L0", "  ~ bin/ 30000 L0", "    + gcc 30000 L1 !"}
	if diff := cmp.Diff(want, rowStrings(m)); diff != "" {
		t.Errorf("leftover rows of a glob finding (-want +got):\n%s", diff)
	}
}

// TestFilterOpensBoundedRows: a filter opens directories by itself only
// until autoOpenRows rows are shown; the rest stay closed until opened.
func TestFilterOpensBoundedRows(t *testing.T) {
	var es []layers.Entry
	for d := 0; d < 120; d++ {
		for f := 0; f < 60; f++ {
			es = append(es, layers.Entry{Path: fmt.Sprintf("d%03d/f%02d", d, f), Size: 1})
		}
	}
	bl := fstree.NewBuilder()
	bl.Add(es)
	m := newTreeModel(bl.Finish(), nil)
	m.toggleSort() // by name: d000 first
	m.setPattern("f")
	rows := m.Rows()
	if len(rows) < autoOpenRows || len(rows) > autoOpenRows+61+120 {
		t.Fatalf("%d rows, want about %d", len(rows), autoOpenRows)
	}
	last := rows[len(rows)-1]
	if last.n.Name != "d119" || last.open {
		t.Fatalf("last row %s (open %v), want d119 closed", last.n.Name, last.open)
	}
	m.setOpen(last.n, true)
	if got := len(m.Rows()); got != len(rows)+60 {
		t.Errorf("after opening d119: %d rows, want %d", got, len(rows)+60)
	}
}

// TestNarrowingFilter: a filter typed key by key, and statuses hidden one
// after the other, reuse what the wider view found hidden; the rows are
// those of a view set up at once.
func TestNarrowingFilter(t *testing.T) {
	a := fixture(t)
	rows := func(m *treeModel) string {
		m.setAllOpen(true)
		var sb strings.Builder
		for _, r := range m.Rows() {
			fmt.Fprintf(&sb, "%s %d %v\n", r.n.Path(), r.info.size, r.info.st)
		}
		fmt.Fprintf(&sb, "total %d\n", m.rootInfo().size)
		return sb.String()
	}
	typed := newTreeModel(a.Tree, a.Findings)
	for _, pat := range []string{"u", "us", "usr", "usr/", "usr/b", "usr/bi", "usr/bin"} {
		typed.setPattern(pat)
		fresh := newTreeModel(a.Tree, a.Findings)
		fresh.setPattern(pat)
		if got, want := rows(typed), rows(fresh); got != want {
			t.Errorf("filter %q typed key by key:\n%s\nwant, as set at once:\n%s", pat, got, want)
		}
	}
	hid := newTreeModel(a.Tree, a.Findings)
	fresh := newTreeModel(a.Tree, a.Findings)
	for _, st := range []status{stUnchanged, stAdded, stModified} {
		hid.toggle(&hid.hide[st])
		fresh.hide[st] = true
		fresh.invalidate()
		if got, want := rows(hid), rows(fresh); got != want {
			t.Errorf("hiding %v after the others:\n%s\nwant:\n%s", st, got, want)
		}
	}
}
