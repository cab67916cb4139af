package leftovers

import (
	"path"
	"slices"
	"strings"

	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/analyze/rules"
)

// Kind says what a finding's Path names.
type Kind uint8

// The kinds of findings.
const (
	// KindFile: Path is the one file the finding claims.
	KindFile Kind = iota
	// KindDir: Path is a directory the finding takes whole; it claims the
	// files below it.
	KindDir
	// KindGlob: Path is a directory and a glob of file names in it
	// ("usr/lib/x86_64-linux-gnu/*.a"); it claims the files it matches.
	KindGlob
	// KindPackage: the files of an OS package, listed in Claims; Path is
	// the deepest directory holding them all.
	KindPackage
	// KindWasted: hidden versions of files, listed in Claims; Path is the
	// deepest directory holding them all.
	KindWasted
)

// Finding is one leftover: a file, or a group of files, that a runtime
// image does not need.
type Finding struct {
	RuleID   string
	Category rules.Category
	Severity rules.Severity
	Kind     Kind
	// Path is the file, the directory or the glob of the files claimed,
	// or the directory holding Claims (see Kind).
	Path string
	// Claims are the paths of the files of a KindPackage or KindWasted
	// finding, sorted; nil for the other kinds, whose Path names them.
	Claims    []string
	Files     int64
	Bytes     int64
	Layer     int // layer that added the bytes
	CreatedBy string
	// HiddenBy is the layer that deleted or overwrote the path, -1 when it
	// is visible in the final filesystem (a deleted secret still ships).
	HiddenBy int
	Package  string // owning package, where known
	Why      string
	Fix      string
	// nodes are the files it claims, each in Layer (see EachFile).
	nodes []*fstree.Node
}

// EachFile calls fn with the path (no leading "/") and the version of
// every file the finding claims, whatever its kind, in tree order (depth
// first, each directory's entries sorted by name), until fn returns false:
// Files calls in all, whose sizes add up to Bytes. The paths are made as
// it goes, so that a finding of a hundred thousand files costs 8 bytes a
// file until it is written out.
func (f *Finding) EachFile(fn func(path string, v *fstree.Version) bool) {
	for _, n := range f.nodes {
		vs := n.Versions()
		for i := range vs {
			if int(vs[i].Layer) == f.Layer {
				if !fn(n.Path(), &vs[i]) {
					return
				}
				break
			}
		}
	}
}

// Suppressed is a finding an ignore list silenced (Input.Ignore): it
// is reported apart and counts in no total.
type Suppressed struct {
	Finding
	// By is the ignore entry that silenced it: the rule ID, its category,
	// or a path glob (ByPath).
	By     string
	ByPath bool
}

// Names tells whether the finding claims the path p, or a directory that
// p lies below.
func (f *Finding) Names(p string) bool {
	switch f.Kind {
	case KindFile:
		return p == f.Path
	case KindDir:
		return p == f.Path || strings.HasPrefix(p, f.Path+"/")
	case KindGlob:
		dir, glob := path.Split(f.Path)
		pd, name := path.Split(p)
		return pd == dir && rules.MatchName(glob, name)
	}
	_, ok := slices.BinarySearch(f.Claims, p)
	return ok
}

// Nodes returns the nodes of t the finding claims: the file, the directory
// taken whole, the files of a glob, or the files listed in Claims.
func (f *Finding) Nodes(t *fstree.Tree) []*fstree.Node {
	var out []*fstree.Node
	switch f.Kind {
	case KindFile, KindDir:
		if n := t.Lookup(f.Path); n != nil && n != t.Root {
			out = append(out, n)
		}
	case KindGlob:
		dir, glob := path.Split(f.Path)
		if d := t.Lookup(strings.TrimSuffix(dir, "/")); d != nil {
			for _, c := range d.Children() {
				if rules.MatchName(glob, c.Name) {
					out = append(out, c)
				}
			}
		}
	default:
		for _, p := range f.Claims {
			if n := t.Lookup(p); n != nil {
				out = append(out, n)
			}
		}
	}
	return out
}
