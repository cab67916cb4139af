// Package diff compares two analysed images: their numbers side by side
// and the files only one of them has or that differ, and writes the
// comparison as the versioned JSON of `stagescope diff -o json` (its own
// wire types and schema, diff.schema.json).
package diff

import (
	"cmp"
	"slices"
	"strings"

	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/analyze/report"
	"github.com/stagescope/stagescope/analyze/rules"
	"github.com/stagescope/stagescope/layers"
)

// Side is one image's numbers in a comparison.
type Side struct {
	Layers          int
	LayerBytes      int64 // the layers, uncompressed: the image size
	CompressedBytes int64
	Files           int64 // visible non-directory entries
	TotalBytes      int64 // bytes of visible files
	WastedBytes     int64 // hidden copies still shipped
	LeftoverBytes   int64 // all findings, each file counted once
	Categories      map[rules.Category]int64
}

// PathDiff is one path that only one image has, or that both have with
// different contents. Bytes are 0 on the side that lacks the file.
type PathDiff struct {
	Path   string
	ABytes int64
	BBytes int64
}

// Comparison is what differs between two images A and B.
type Comparison struct {
	A, B Side
	// OnlyA and OnlyB are visible files one image has and the other has
	// not; Changed are files both have with different content, type, link
	// or mode. Each is sorted by bytes (the larger side for Changed)
	// descending, then path.
	OnlyA, OnlyB, Changed []PathDiff
	// SharedLayers counts the layers of B whose diff ID is also a layer of
	// A, and SharedBytes their size. Only diff IDs that the bytes proved
	// (layers.Layer.DiffIDVerified) on both sides count: a config's claim
	// alone does not make a layer shared.
	SharedLayers int
	SharedBytes  int64
}

// Input is what the comparison needs of one analysed image.
type Input struct {
	Image *layers.Image
	// Tree is the merged filesystem, Metrics its measure (LayerBytes
	// included).
	Tree    *fstree.Tree
	Metrics *fstree.Metrics
	// LeftoverBytes sums the leftover findings, each file counted once;
	// CategoryBytes splits them by category.
	LeftoverBytes int64
	CategoryBytes map[rules.Category]int64
	// Suppressed are the findings the ignore list silenced (in no total),
	// as the image's own report lists them.
	Suppressed []report.SuppressedJSON
}

func sideOf(in Input) Side {
	m := in.Metrics
	s := Side{
		Layers: len(in.Image.Layers), LayerBytes: m.LayerBytes,
		Files: m.Files, TotalBytes: m.TotalBytes, WastedBytes: m.WastedBytes,
		LeftoverBytes: in.LeftoverBytes, Categories: map[rules.Category]int64{},
	}
	for i := range in.Image.Layers {
		s.CompressedBytes += in.Image.Layers[i].CompressedSize
	}
	for c, b := range in.CategoryBytes {
		s.Categories[c] += b
	}
	return s
}

// Compare compares the final filesystems and the numbers of two images.
func Compare(a, b Input) *Comparison {
	c := &Comparison{A: sideOf(a), B: sideOf(b)}
	inA := map[string]bool{}
	for i := range a.Image.Layers {
		if l := &a.Image.Layers[i]; l.DiffIDVerified {
			inA[l.DiffID] = true
		}
	}
	for i := range b.Image.Layers {
		if l := &b.Image.Layers[i]; l.DiffID != "" && l.DiffIDVerified && inA[l.DiffID] {
			c.SharedLayers++
			c.SharedBytes += l.Size
		}
	}
	compareDirs(a.Tree.Root, b.Tree.Root, "", c)
	for _, l := range [][]PathDiff{c.OnlyA, c.OnlyB, c.Changed} {
		slices.SortFunc(l, func(x, y PathDiff) int {
			return cmp.Or(cmp.Compare(max(y.ABytes, y.BBytes), max(x.ABytes, x.BBytes)), strings.Compare(x.Path, y.Path))
		})
	}
	return c
}

// visibleFile returns the version of a node that is a visible file, or nil.
func visibleFile(n *fstree.Node) *fstree.Version {
	if n == nil || !n.Visible() || n.IsDir() {
		return nil
	}
	return n.Last()
}

// visibleDir returns n when it is a visible directory, else nil.
func visibleDir(n *fstree.Node) *fstree.Node {
	if n == nil || !n.Visible() || !n.IsDir() {
		return nil
	}
	return n
}

// compareDirs walks two directories' children together, in name order.
// Either directory may be nil (absent on that side).
func compareDirs(da, db *fstree.Node, prefix string, c *Comparison) {
	var ca, cb []*fstree.Node
	if da != nil {
		ca = da.Children()
	}
	if db != nil {
		cb = db.Children()
	}
	i, j := 0, 0
	for i < len(ca) || j < len(cb) {
		var na, nb *fstree.Node
		switch {
		case j >= len(cb) || (i < len(ca) && ca[i].Name < cb[j].Name):
			na = ca[i]
			i++
		case i >= len(ca) || cb[j].Name < ca[i].Name:
			nb = cb[j]
			j++
		default:
			na, nb = ca[i], cb[j]
			i++
			j++
		}
		name := nb
		if na != nil {
			name = na
		}
		p := prefix + name.Name
		fa, fb := visibleFile(na), visibleFile(nb)
		switch {
		case fa != nil && fb != nil:
			if fileDiffers(fa, fb) {
				c.Changed = append(c.Changed, PathDiff{Path: p, ABytes: fa.Size, BBytes: fb.Size})
			}
		case fa != nil:
			c.OnlyA = append(c.OnlyA, PathDiff{Path: p, ABytes: fa.Size})
		case fb != nil:
			c.OnlyB = append(c.OnlyB, PathDiff{Path: p, BBytes: fb.Size})
		}
		if sa, sb := visibleDir(na), visibleDir(nb); sa != nil || sb != nil {
			compareDirs(sa, sb, p+"/", c)
		}
	}
}

// fileDiffers tells whether two visible files differ in what they hold.
func fileDiffers(a, b *fstree.Version) bool {
	if a.Type != b.Type || a.Size != b.Size || a.Link() != b.Link() || a.Mode != b.Mode {
		return true
	}
	if a.Type == layers.TypeRegular && a.Digest != 0 && b.Digest != 0 {
		return a.Digest != b.Digest
	}
	return false
}

// Report is the machine contract of `stagescope diff -o json`. Sizes
// are bytes; "saved" is A minus B, negative when B grew.
type Report struct {
	SchemaVersion int             `json:"schemaVersion"`
	Tool          report.ToolInfo `json:"tool"`
	A             SideJSON        `json:"a"`
	B             SideJSON        `json:"b"`
	Saved         Saved           `json:"saved"`
	SharedLayers  Shared          `json:"sharedLayers"`
	Categories    []CategoryJSON  `json:"categories"`
	OnlyInA       PathList        `json:"onlyInA"`
	OnlyInB       PathList        `json:"onlyInB"`
	Changed       PathList        `json:"changed"`
}

// SideJSON is one image of a comparison.
type SideJSON struct {
	Image           report.ImageInfo `json:"image"`
	Layers          int              `json:"layers"`
	LayerBytes      int64            `json:"layerBytes"`
	CompressedBytes int64            `json:"compressedBytes"`
	Files           int64            `json:"files"`
	TotalBytes      int64            `json:"totalBytes"`
	WastedBytes     int64            `json:"wastedBytes"`
	LeftoverBytes   int64            `json:"leftoverBytes"`
	// Suppressed are the findings the ignore list silenced, as inspect
	// reports them: they count in no total above.
	Suppressed []report.SuppressedJSON `json:"suppressed"`
}

// Saved is what B saves over A (A minus B).
type Saved struct {
	LayerBytes      int64 `json:"layerBytes"`
	CompressedBytes int64 `json:"compressedBytes"`
	Files           int64 `json:"files"`
	TotalBytes      int64 `json:"totalBytes"`
	WastedBytes     int64 `json:"wastedBytes"`
	LeftoverBytes   int64 `json:"leftoverBytes"`
}

// Shared counts the layers both images have (same diff ID).
type Shared struct {
	Layers int   `json:"layers"`
	Bytes  int64 `json:"bytes"`
}

// CategoryJSON is one leftover category in both images.
type CategoryJSON struct {
	Category rules.Category `json:"category"`
	A        int64          `json:"a"`
	B        int64          `json:"b"`
	Saved    int64          `json:"saved"`
}

// PathList is a set of differing paths: totals over all of them, and the
// largest ones.
type PathList struct {
	Files     int64          `json:"files"`
	ABytes    int64          `json:"aBytes"`
	BBytes    int64          `json:"bBytes"`
	Paths     []PathDiffJSON `json:"paths"`
	Truncated bool           `json:"truncated"`
}

// PathDiffJSON is one differing path.
type PathDiffJSON struct {
	Path   string `json:"path"`
	ABytes int64  `json:"aBytes"`
	BBytes int64  `json:"bBytes"`
}

// ReportOptions say what the comparison cannot know.
type ReportOptions struct {
	ToolVersion string
	A, B        report.Options
	// MaxPaths bounds each path list; 0 keeps them all.
	MaxPaths int
}

// NewReport builds the wire report of c, the comparison of a and b.
func NewReport(a, b Input, c *Comparison, o ReportOptions) *Report {
	side := func(in Input, s Side, ro report.Options) SideJSON {
		sj := SideJSON{
			Image:           report.NewImageInfo(in.Image, ro),
			Layers:          s.Layers,
			LayerBytes:      s.LayerBytes,
			CompressedBytes: s.CompressedBytes,
			Files:           s.Files,
			TotalBytes:      s.TotalBytes,
			WastedBytes:     s.WastedBytes,
			LeftoverBytes:   s.LeftoverBytes,
			Suppressed:      in.Suppressed,
		}
		if sj.Suppressed == nil {
			sj.Suppressed = []report.SuppressedJSON{}
		}
		return sj
	}
	r := &Report{
		SchemaVersion: report.SchemaVersion,
		Tool:          report.ToolInfo{Name: "stagescope", Version: o.ToolVersion},
		A:             side(a, c.A, o.A),
		B:             side(b, c.B, o.B),
		Saved: Saved{
			LayerBytes:      c.A.LayerBytes - c.B.LayerBytes,
			CompressedBytes: c.A.CompressedBytes - c.B.CompressedBytes,
			Files:           c.A.Files - c.B.Files,
			TotalBytes:      c.A.TotalBytes - c.B.TotalBytes,
			WastedBytes:     c.A.WastedBytes - c.B.WastedBytes,
			LeftoverBytes:   c.A.LeftoverBytes - c.B.LeftoverBytes,
		},
		SharedLayers: Shared{Layers: c.SharedLayers, Bytes: c.SharedBytes},
		Categories:   make([]CategoryJSON, 0, len(rules.Categories())),
		OnlyInA:      pathList(c.OnlyA, o.MaxPaths),
		OnlyInB:      pathList(c.OnlyB, o.MaxPaths),
		Changed:      pathList(c.Changed, o.MaxPaths),
	}
	for _, cat := range rules.Categories() {
		x, y := c.A.Categories[cat], c.B.Categories[cat]
		r.Categories = append(r.Categories, CategoryJSON{Category: cat, A: x, B: y, Saved: x - y})
	}
	return r
}

func pathList(ds []PathDiff, limit int) PathList {
	l := PathList{Files: int64(len(ds)), Paths: []PathDiffJSON{}}
	for i, d := range ds {
		l.ABytes += d.ABytes
		l.BBytes += d.BBytes
		if limit > 0 && i >= limit {
			l.Truncated = true
			continue
		}
		d.Path = report.JSONPath(d.Path)
		l.Paths = append(l.Paths, PathDiffJSON(d))
	}
	return l
}
