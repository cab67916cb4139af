// Package leftovers finds what a runtime image does not need: Scan runs
// the rule table (analyze/rules) and the package analyzers' knowledge (OS
// packages only a build needs, npm dev dependencies, bytes hidden by later
// layers) over a merged tree and returns its findings, their totals and the
// facts Suggest writes a multi-stage fix from. Locate places the findings
// (base image or the user's Dockerfile line). Capture declares the files
// the pass reads.
package leftovers

import (
	"bytes"
	"cmp"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/analyze/npm"
	"github.com/stagescope/stagescope/analyze/pkgdb"
	"github.com/stagescope/stagescope/analyze/rules"
	"github.com/stagescope/stagescope/layers"
)

// CategoryTotal is what one category of leftovers weighs, each file counted
// once.
type CategoryTotal struct {
	Category rules.Category
	Findings int
	Files    int64
	Bytes    int64
}

// Leftovers sums the findings: per category, for the union (a file in
// several findings counted once) and per layer.
type Leftovers struct {
	Categories []CategoryTotal // bytes descending
	Files      int64           // union
	Bytes      int64           // union, hidden copies included
	// ShippedBytes is every byte of file contents the layers carry, visible
	// or hidden; Bytes is a share of it.
	ShippedBytes int64
	// LayerBytes is the union per layer that wrote the bytes.
	LayerBytes []int64
	// LayerFiles counts the files of LayerBytes.
	LayerFiles []int64
	// RuntimeBytes estimates the image's files without leftovers and waste.
	RuntimeBytes int64
}

// groupKey identifies one finding while the pass collects it.
type groupKey struct {
	rule   string
	path   string // the rule's group: a directory, a file's parent, a package
	layer  int32
	hidden int32
	by     string // the ignore entry that silences the group, "" for none
}

type group struct {
	f      Finding
	by     string // see groupKey
	byPath bool
	first  string // the one path while the group holds a single file
	dir    bool   // the group is a directory taken whole
	// claims are the paths of a group under the common directory of its
	// files (a package's, hidden versions'), which its path cannot name.
	claims []string
	// nodes are the files whose version in the group's layer it claims,
	// whatever its kind: 8 bytes a file, the paths are made on output.
	nodes []*fstree.Node
}

// scan is the leftover pass over a merged tree.
type scan struct {
	img     *layers.Image
	tree    *fstree.Tree
	paths   []rules.Compiled
	secrets []rules.Compiled
	ignore  *rules.Silencer
	// pathBy is the ignored glob that matches the file being visited, ""
	// when none does: what it claims goes to suppressed findings.
	pathBy string
	// at is the node of the file being visited.
	at *fstree.Node
	// The rules, by a path's last component. Ignored ones run too: what
	// they find is reported as suppressed, and counts in no total.
	dirRules, fileRules, secretRules *rules.Index
	// The analyzers' rules.
	pkgRule, devRule rules.Rule
	content          map[layerPath][]byte

	pkgOf map[*fstree.Node]int32 // visible files owned by a build-only package
	pkgs  []buildPkg
	node  map[string]npm.NodePackage // node_modules package dirs, dev or not
	facts Facts

	segs    []string
	groups  map[groupKey]*group
	totals  Leftovers
	visible int64 // union bytes of visible files
	cats    map[rules.Category]*CategoryTotal
	// claimed marks which findings claim the file version being visited.
	claimed []*group
	// empties are the zero-byte files claimed, counted once the findings
	// are known: a finding of only empty files is dropped, and so must
	// its files be from the totals.
	empties []emptyClaim
}

// emptyClaim is a zero-byte file version and the findings that claim it.
type emptyClaim struct {
	layer int32
	by    []*group
}

type layerPath struct {
	layer int32
	path  string
}

type buildPkg struct {
	p    pkgdb.Package
	why  string
	held bool // runtime packages depend on it
}

// taken is a directory rule that took a subtree.
type taken struct {
	rule  *rules.Compiled
	path  string
	id    string // rule ID, or rules.DevDependency
	pkg   *npm.NodePackage
	owner bool // a node_modules package dir: path rules stay off below it
}

// Input is what Scan reads: an image's layers and merged tree, and what
// the package analyzers found in the files captured from it.
type Input struct {
	Image *layers.Image
	Tree  *fstree.Tree
	// Packages are the installed OS packages (pkgdb.Installed).
	Packages []pkgdb.Package
	// NodePackages are the packages of the node_modules trees
	// (npm.NodePackages); those of the distribution's and global trees
	// are left alone.
	NodePackages []npm.NodePackage
	// Ignore silences rules and paths: what they find is reported apart
	// (Result.Suppressed) and counts in no total.
	Ignore rules.Ignore
}

// Result is what the leftover pass finds in a merged tree.
type Result struct {
	// Findings are the leftovers found, largest first.
	Findings []Finding
	// Suppressed are the findings the ignore list silenced, largest first.
	Suppressed []Suppressed
	// Unmatched are the ignored path globs that matched no file.
	Unmatched []string
	// Facts are what the pass learned besides the findings, for Suggest.
	Facts Facts
	// totals lacks ShippedBytes and RuntimeBytes, which need the metrics
	// (see Leftovers).
	totals  Leftovers
	visible int64 // union bytes of the visible files the findings claim
}

// Leftovers sums the findings, completed with the image's metrics.
func (r *Result) Leftovers(m *fstree.Metrics) Leftovers {
	l := r.totals
	l.ShippedBytes = m.TotalBytes + m.WastedBytes
	l.RuntimeBytes = m.TotalBytes - r.visible
	return l
}

// Scan runs the rules and the analyzers' knowledge over the merged tree of
// an image. It does not need the tree's metrics, so that fstree.Measure may
// run at the same time.
func Scan(in Input) *Result {
	img, t := in.Image, in.Tree
	s := &scan{
		img:     img,
		tree:    t,
		paths:   rules.Paths(),
		secrets: rules.Secrets(),
		ignore:  rules.NewSilencer(in.Ignore),
		content: map[layerPath][]byte{},
		groups:  map[groupKey]*group{},
		cats:    map[rules.Category]*CategoryTotal{},
		pkgOf:   map[*fstree.Node]int32{},
		node:    map[string]npm.NodePackage{},
		facts: Facts{
			Config: img.Config, Tree: t,
			Versions: map[string]string{}, Projects: map[string][]string{},
		},
	}
	none := func(string) bool { return false }
	s.dirRules = rules.NewIndex(s.paths, true, none)
	s.fileRules = rules.NewIndex(s.paths, false, none)
	s.secretRules = rules.NewIndex(s.secrets, false, none)
	s.pkgRule, _ = rules.ByID(rules.Package)
	s.devRule, _ = rules.ByID(rules.DevDependency)
	for i := range img.Layers {
		for _, f := range img.Layers[i].Files {
			s.content[layerPath{int32(i), f.Path}] = f.Data
		}
	}
	s.totals.LayerBytes = make([]int64, len(img.Layers))
	s.totals.LayerFiles = make([]int64, len(img.Layers))
	s.packages(in.Packages)
	for _, np := range in.NodePackages {
		if distroNode(np.Root) {
			continue
		}
		s.node[np.Path] = np
	}
	s.facts.NodePackages = len(s.node) > 0
	s.walk(t.Root, nil)
	s.countEmpties()
	findings, suppressed := s.findings()
	for _, f := range findings {
		ct := s.cat(f.Category)
		ct.Findings++
	}
	for _, ct := range s.cats {
		if ct.Findings == 0 {
			continue // only empty files, whose findings were dropped (countEmpties left them out)
		}
		s.totals.Categories = append(s.totals.Categories, *ct)
	}
	slices.SortFunc(s.totals.Categories, func(x, y CategoryTotal) int {
		if c := cmp.Compare(y.Bytes, x.Bytes); c != 0 {
			return c
		}
		return cmp.Compare(x.Category, y.Category)
	})
	return &Result{Findings: findings, Suppressed: suppressed, Unmatched: s.ignore.Unmatched(), Facts: s.facts, totals: s.totals, visible: s.visible}
}

func (s *scan) cat(c rules.Category) *CategoryTotal {
	ct, ok := s.cats[c]
	if !ok {
		ct = &CategoryTotal{Category: c}
		s.cats[c] = ct
	}
	return ct
}

// packages finds the build-only OS packages and the visible files they own.
func (s *scan) packages(all []pkgdb.Package) {
	needed := pkgdb.NeededBy(all)
	for _, p := range all {
		s.facts.Versions[p.Name] = p.Version
		why, ok := pkgdb.BuildOnly(p)
		if !ok {
			continue
		}
		if hs := needed[p.Name]; len(hs) > 0 {
			if len(hs) > 3 {
				hs = append(hs[:3:3], "…")
			}
			why += "; runtime packages depend on it (" + strings.Join(hs, ", ") + "): a runtime stage without them drops it"
		}
		idx := int32(len(s.pkgs))
		s.pkgs = append(s.pkgs, buildPkg{p: p, why: why, held: len(needed[p.Name]) > 0})
		if !s.ignored(rules.Package) {
			s.facts.BuildPackages = append(s.facts.BuildPackages, p)
		}
		for _, f := range p.Files {
			n := s.tree.Resolve(layers.CleanPath(f))
			if n == nil || !n.Visible() || n.IsDir() {
				continue
			}
			if _, dup := s.pkgOf[n]; !dup {
				s.pkgOf[n] = idx
			}
		}
	}
}

func (s *scan) ignored(id string) bool {
	return s.ignore.Rule(id)
}

// noteProject records where project files sit, outside distribution trees
// and installed packages.
func (s *scan) noteProject(name string) {
	if !projectFiles[name] || slices.Contains(s.segs, "node_modules") || slices.Contains(s.segs, "mod") {
		return
	}
	p := strings.Join(s.segs, "/")
	if rules.Distro(s.segs) || rules.NotProject(s.segs) {
		return
	}
	s.facts.Projects[name] = append(s.facts.Projects[name], path.Dir(p))
}

// walk visits n's children depth first. t is the directory rule that took
// an ancestor, if any.
func (s *scan) walk(n *fstree.Node, t *taken) {
	for _, c := range n.Children() {
		s.segs = append(s.segs, c.Name)
		ct := t
		if len(c.Children()) > 0 || c.IsDir() {
			if c.IsDir() && c.Visible() {
				ct = s.takeDir(c, t)
			}
			s.walk(c, ct)
		}
		// Every node: a path that is a directory now may have been a file
		// in a lower layer, whose bytes still ship (file skips directory
		// versions).
		s.file(c, t)
		s.segs = s.segs[:len(s.segs)-1]
	}
}

// takeDir decides which rule, if any, takes the directory c whole.
func (s *scan) takeDir(c *fstree.Node, t *taken) *taken {
	l := len(s.segs)
	if l >= 2 && (s.segs[l-2] == "node_modules" || (l >= 3 && s.segs[l-3] == "node_modules" && strings.HasPrefix(s.segs[l-2], "@"))) {
		p := strings.Join(s.segs, "/")
		if np, ok := s.node[p]; ok {
			if np.Dev {
				return &taken{path: p, id: rules.DevDependency, pkg: &np, owner: true}
			}
			return &taken{path: p, owner: true}
		}
	}
	if t != nil {
		return t
	}
	for _, i := range s.dirRules.Candidates(c.Name) {
		r := &s.paths[i]
		if !r.Match(s.segs, true) {
			continue
		}
		if r.Beside != "" && c.Parent.Child(r.Beside) == nil {
			continue
		}
		return &taken{rule: r, path: strings.Join(s.segs, "/"), id: r.ID}
	}
	return nil
}

// file claims the versions of the non-directory node c.
func (s *scan) file(c *fstree.Node, t *taken) {
	var p string
	pathOf := func() string {
		if p == "" {
			p = strings.Join(s.segs, "/")
		}
		return p
	}
	s.at = c
	vs := c.Versions()
	for i := range vs {
		v := &vs[i]
		if v.Deleted || v.Type == layers.TypeDir || v.Implicit {
			continue
		}
		s.claimed = s.claimed[:0]
		s.pathBy = s.ignore.PathBy(s.segs)
		if v.HiddenBy < 0 {
			if s.pathBy == "" {
				s.noteProject(c.Name)
			}
			s.visibleFile(c, v, t, pathOf)
		} else if v.Size > 0 {
			id := rules.Deleted
			if i+1 < len(vs) && vs[i+1].Layer == v.HiddenBy && !vs[i+1].Deleted {
				id = rules.Overwritten
			}
			s.claimWasted(id, v, pathOf())
		}
		if v.Type == layers.TypeRegular {
			for _, j := range s.secretRules.Candidates(c.Name) {
				r := &s.secrets[j]
				if !r.Match(s.segs, false) || !s.contentOK(r, v, pathOf) {
					continue
				}
				g := s.group(groupKey{rule: r.ID, path: pathOf(), layer: v.Layer, hidden: v.HiddenBy}, r.Rule)
				s.claim(g, v, pathOf(), false)
				break
			}
		}
		s.count(v)
	}
}

// visibleFile applies the path rules, the package and the node_modules
// knowledge to a visible file version.
func (s *scan) visibleFile(c *fstree.Node, v *fstree.Version, t *taken, pathOf func() string) {
	if idx, ok := s.pkgOf[c]; ok {
		bp := &s.pkgs[idx]
		g := s.group(groupKey{rule: rules.Package, path: "pkg:" + bp.p.Manager + ":" + bp.p.Name, layer: v.Layer, hidden: -1}, &s.pkgRule)
		if g.f.Package == "" {
			g.f.Package = bp.p.Name
			g.f.Why = fmt.Sprintf("%s package %s %s: %s", bp.p.Manager, bp.p.Name, bp.p.Version, bp.why)
			if bp.held {
				g.f.Severity = rules.SevLow // removing it alone is not possible
			}
		}
		s.claimCommon(g, v, pathOf())
	}
	if t != nil && t.id == rules.DevDependency {
		g := s.group(groupKey{rule: rules.DevDependency, path: t.path, layer: v.Layer, hidden: -1}, &s.devRule)
		if g.f.Package == "" {
			g.f.Package = t.pkg.Name + "@" + t.pkg.Version
			g.f.Why = fmt.Sprintf("%s is only a development dependency of %s (from %s)", t.pkg.Name, t.pkg.Root+"/node_modules", t.pkg.Source)
			g.dir = true
		}
		s.claim(g, v, pathOf(), true)
		return
	}
	if t != nil && t.rule != nil && !t.rule.Excluded(s.segs) {
		g := s.group(groupKey{rule: t.id, path: t.path, layer: v.Layer, hidden: -1}, t.rule.Rule)
		g.dir = true
		s.claim(g, v, pathOf(), true)
		return
	}
	if t != nil && t.owner {
		return // an installed npm package: its files are the package's
	}
	for _, i := range s.fileRules.Candidates(c.Name) {
		r := &s.paths[i]
		last, ok := r.MatchGroup(s.segs, false)
		if !ok || !s.contentOK(r, v, pathOf) {
			continue
		}
		// Files of one rule in one directory group under a glob of their
		// names ("usr/lib/x86_64-linux-gnu/*.a"); a lone file keeps its path.
		glob := last
		if strings.Contains(last, "**") || !strings.ContainsAny(last, "*?[") {
			glob = "*"
		}
		if dir := path.Dir(pathOf()); dir != "." {
			glob = dir + "/" + glob
		}
		g := s.group(groupKey{rule: r.ID, path: glob, layer: v.Layer, hidden: -1}, r.Rule)
		s.claim(g, v, pathOf(), false)
		return
	}
}

// contentOK checks a rule's content condition against the captured file.
func (s *scan) contentOK(r *rules.Compiled, v *fstree.Version, pathOf func() string) bool {
	if len(r.Content) == 0 {
		return true
	}
	data, ok := s.content[layerPath{v.Layer, pathOf()}]
	if !ok {
		return !r.NeedContent
	}
	for _, c := range r.Content {
		if bytes.Contains(data, []byte(c)) {
			return true
		}
	}
	return false
}

// suppress sets k.by to what silences the group, if anything: the glob of
// the file being visited, else the rule's ID or category.
func (s *scan) suppress(k *groupKey) (byPath bool) {
	if s.pathBy != "" {
		k.by = s.pathBy
		return true
	}
	k.by = s.ignore.RuleBy(k.rule)
	return false
}

func (s *scan) group(k groupKey, r *rules.Rule) *group {
	byPath := s.suppress(&k)
	if g, ok := s.groups[k]; ok {
		return g
	}
	g := &group{by: k.by, byPath: byPath, f: Finding{
		RuleID:    r.ID,
		Category:  r.Category,
		Severity:  r.Severity,
		Path:      k.path,
		Layer:     int(k.layer),
		HiddenBy:  int(k.hidden),
		CreatedBy: s.createdBy(k.layer),
		Why:       r.Why,
		Fix:       r.Fix,
	}}
	s.groups[k] = g
	return g
}

func (s *scan) createdBy(l int32) string {
	if l >= 0 && int(l) < len(s.img.Layers) {
		return s.img.Layers[l].CreatedBy
	}
	return ""
}

// claim adds a file version to a finding grouped under a fixed path (a
// directory taken whole) or under the file's directory.
func (s *scan) claim(g *group, v *fstree.Version, p string, dir bool) {
	if g.f.Files == 0 && !dir {
		g.first = p
	}
	g.f.Files++
	g.f.Bytes += v.Size
	g.nodes = append(g.nodes, s.at)
	s.claimed = append(s.claimed, g)
}

// claimCommon adds a file to a finding whose path is the common directory
// of its files (packages, wasted bytes).
func (s *scan) claimCommon(g *group, v *fstree.Version, p string) {
	switch {
	case g.f.Files == 0:
		g.first = p
		g.f.Path = p
	default:
		g.f.Path = commonDir(g.f.Path, p)
	}
	g.claims = append(g.claims, p)
	g.f.Files++
	g.f.Bytes += v.Size
	g.nodes = append(g.nodes, s.at)
	s.claimed = append(s.claimed, g)
}

func (s *scan) claimWasted(id string, v *fstree.Version, p string) {
	k := groupKey{rule: id, path: "", layer: v.Layer, hidden: v.HiddenBy}
	s.suppress(&k)
	g, ok := s.groups[k]
	if !ok {
		r, _ := rules.ByID(id)
		g = s.group(k, &r)
		hb := s.createdBy(v.HiddenBy)
		g.f.Why = fmt.Sprintf("%s (hidden by layer %d: %s)", r.Why, v.HiddenBy, hb)
	}
	s.claimCommon(g, v, p)
}

// commonDir returns the deepest directory holding both paths ("" is the
// root).
func commonDir(a, b string) string {
	if a == b {
		return a
	}
	for {
		if strings.HasPrefix(b, a+"/") || a == "" {
			return a
		}
		i := strings.LastIndexByte(a, '/')
		if i < 0 {
			return ""
		}
		a = a[:i]
	}
}

// count adds the version being visited to the totals once, whatever number
// of findings claimed it.
func (s *scan) count(v *fstree.Version) {
	s.claimed = slices.DeleteFunc(s.claimed, func(g *group) bool { return g.by != "" })
	if len(s.claimed) == 0 {
		return
	}
	if v.Size == 0 {
		s.empties = append(s.empties, emptyClaim{layer: v.Layer, by: slices.Clone(s.claimed)})
		s.claimed = s.claimed[:0]
		return
	}
	s.totals.Files++
	s.totals.Bytes += v.Size
	s.totals.LayerBytes[v.Layer] += v.Size
	s.totals.LayerFiles[v.Layer]++
	if v.HiddenBy < 0 {
		s.visible += v.Size
	}
	s.countCategories(s.claimed, v.Size)
	s.claimed = s.claimed[:0]
}

// countCategories adds a file of size bytes to the category of each of
// the findings that claim it, once per category.
func (s *scan) countCategories(by []*group, size int64) {
	seen := make([]rules.Category, 0, 2)
	for _, g := range by {
		if slices.Contains(seen, g.f.Category) {
			continue
		}
		seen = append(seen, g.f.Category)
		ct := s.cat(g.f.Category)
		ct.Files++
		ct.Bytes += size
	}
}

// countEmpties adds the zero-byte files that a finding with bytes claims
// to the totals; the others belong to no finding reported.
func (s *scan) countEmpties() {
	for _, e := range s.empties {
		by := slices.DeleteFunc(e.by, func(g *group) bool { return g.f.Bytes == 0 })
		if len(by) == 0 {
			continue
		}
		s.totals.Files++
		s.totals.LayerFiles[e.layer]++
		s.countCategories(by, 0)
	}
	s.empties = nil
}

// findings returns the collected findings and those the ignore list
// silenced, largest first; empty ones (only zero-byte files) are dropped.
func (s *scan) findings() ([]Finding, []Suppressed) {
	gs := make([]*group, 0, len(s.groups))
	for _, g := range s.groups {
		if g.f.Bytes == 0 {
			continue
		}
		switch {
		case g.claims != nil:
			g.f.Kind = KindPackage
			if g.f.Category == rules.CatWasted {
				g.f.Kind = KindWasted
			}
			slices.Sort(g.claims)
			g.f.Claims = slices.Compact(g.claims)
		case g.dir:
			g.f.Kind = KindDir
		case g.f.Files == 1 && g.first != "":
			g.f.Kind = KindFile
		default:
			g.f.Kind = KindGlob
		}
		if !g.dir && g.f.Files == 1 && g.first != "" {
			g.f.Path = g.first
		}
		g.f.nodes = g.nodes
		gs = append(gs, g)
	}
	slices.SortFunc(gs, func(x, y *group) int {
		if c := cmp.Compare(y.f.Bytes, x.f.Bytes); c != 0 {
			return c
		}
		if c := cmp.Compare(x.f.Path, y.f.Path); c != 0 {
			return c
		}
		if c := cmp.Compare(x.f.RuleID, y.f.RuleID); c != 0 {
			return c
		}
		return cmp.Compare(x.f.Layer, y.f.Layer)
	})
	out := make([]Finding, 0, len(gs))
	var supp []Suppressed
	for _, g := range gs {
		if g.by != "" {
			supp = append(supp, Suppressed{Finding: g.f, By: g.by, ByPath: g.byPath})
			continue
		}
		out = append(out, g.f)
	}
	return out, supp
}

// keyLimit caps the key files whose contents layers.Read captures to tell
// private keys from certificates.
const keyLimit = 64 << 10

// captureKeys selects the small files whose contents tell a private key
// from a certificate (*.pem, *.key), for the content condition of the
// secret rules. Their contents are only searched for a private-key
// marker, never reported.
func captureKeys(p string, size int64) bool {
	if size > keyLimit {
		return false
	}
	return strings.HasSuffix(p, ".pem") || strings.HasSuffix(p, ".key")
}

// CaptureLimit is the largest size cap of the files Scan and its analyzers
// read: pass it to layers.WithCapture together with Capture.
const CaptureLimit = max(pkgdb.Limit, npm.Limit, keyLimit)

// Capture is the layers.WithCapture predicate of the leftover pass: the
// files each analyzer declares next to its parser (pkgdb.Capture,
// npm.Capture) and the key files of the secret rules. p is cleaned (no
// leading "/").
func Capture(p string, size int64) bool {
	return pkgdb.Capture(p, size) || npm.Capture(p, size) || captureKeys(p, size)
}

// distroNode tells whether a node_modules tree belongs to the distribution
// or a global install (Debian's /usr/share/nodejs, npm -g): they have no
// app lockfile, and dev or not means nothing there.
func distroNode(root string) bool {
	for _, p := range []string{"usr/share/", "usr/lib/", "usr/local/lib/"} {
		if strings.HasPrefix(root+"/", p) {
			return true
		}
	}
	return false
}
