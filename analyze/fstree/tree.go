// Package fstree merges an image's layers into one tree with the history of
// every path (Builder, Tree, Node), measures what the layers did and waste
// (Measure), and computes dive's efficiency numbers while merging
// (DiveMetrics). It knows nothing of rules or reports.
package fstree

import (
	"context"
	"errors"
	"path"
	"slices"
	"strings"
	"unsafe"

	"github.com/stagescope/stagescope/layers"
)

// Version is one layer's record of a path.
type Version struct {
	Layer    int32
	HiddenBy int32 // layer that overwrote or deleted this version; -1 while visible
	Size     int64
	Digest   uint64
	Mode     uint32
	Type     layers.Type
	Deleted  bool // a whiteout: the path was deleted in Layer
	Opaque   bool // the directory was made opaque in Layer
	Implicit bool // a directory only implied by its children's paths
	// ext holds the link target and the owner (see Link and Owner):
	// behind a pointer, as few versions have a link or an owner other
	// than root, so that every other costs 8 bytes instead of 24.
	ext *versionExt
}

// versionExt is what few versions need.
type versionExt struct {
	link     string
	uid, gid uint32
}

// Link returns the target of a symlink or hard link, "" for other versions.
func (v Version) Link() string {
	if v.ext == nil {
		return ""
	}
	return v.ext.link
}

// Owner returns the numeric user and group that own the path.
func (v Version) Owner() (uid, gid uint32) {
	if v.ext == nil {
		return 0, 0
	}
	return v.ext.uid, v.ext.gid
}

// cuts tells whether this version hides what lower layers put below the path.
func (v *Version) cuts() bool {
	return v.Deleted || v.Opaque || v.Type != layers.TypeDir
}

// Node is one path of the merged filesystem.
//
// A tree holds one Node per path, so its fields are laid out for size: the
// one version almost every path has is kept inline, and what only
// directories and paths written more than once need sits behind more.
type Node struct {
	Name    string
	Parent  *Node
	first   [1]Version // the version, while the path has only one
	more    *nodeMore
	id      uint32 // the node's number, which indexes dive's records while merging
	hasOne  bool   // first holds a version
	indexed bool   // the builder keeps a map of the children (see Builder.child)
}

// nodeMore is the part of a Node that most files do not need.
type nodeMore struct {
	versions []Version // every version, oldest first, once there are two
	children []*Node   // sorted by name once the tree is finished
}

// Versions returns the versions of the path, oldest first, at most one per
// layer. The root has none.
func (n *Node) Versions() []Version {
	if n.more != nil && n.more.versions != nil {
		return n.more.versions
	}
	if !n.hasOne {
		return nil
	}
	return n.first[:]
}

// addVersion appends v to the node's versions.
func (n *Node) addVersion(v Version) {
	switch {
	case !n.hasOne:
		n.first[0] = v
		n.hasOne = true
	case n.more != nil && n.more.versions != nil:
		n.more.versions = append(n.more.versions, v)
	default:
		if n.more == nil {
			n.more = &nodeMore{}
		}
		n.more.versions = []Version{n.first[0], v}
		n.first[0] = Version{}
	}
}

// Children returns the node's children, sorted by name.
func (n *Node) Children() []*Node {
	if n.more == nil {
		return nil
	}
	return n.more.children
}

// setChildren replaces the node's children.
func (n *Node) setChildren(cs []*Node) {
	if n.more == nil {
		n.more = &nodeMore{}
	}
	n.more.children = cs
}

// Path returns the node's slash-separated path without a leading "/".
func (n *Node) Path() string {
	if n.Parent == nil {
		return ""
	}
	if n.Parent.Parent == nil {
		return n.Name
	}
	size := -1
	for p := n; p.Parent != nil; p = p.Parent {
		size += len(p.Name) + 1
	}
	b := make([]byte, size)
	i := size
	for p := n; p.Parent != nil; p = p.Parent {
		i -= len(p.Name)
		copy(b[i:], p.Name)
		if i > 0 {
			i--
			b[i] = '/'
		}
	}
	return unsafe.String(&b[0], len(b))
}

// Last returns the newest version, or nil for the root.
func (n *Node) Last() *Version {
	vs := n.Versions()
	if len(vs) == 0 {
		return nil
	}
	return &vs[len(vs)-1]
}

// Visible tells whether the path exists in the final filesystem.
func (n *Node) Visible() bool {
	if n.Parent == nil {
		return true
	}
	v := n.Last()
	return v != nil && !v.Deleted && v.HiddenBy < 0
}

// IsDir tells whether the node's newest version is a directory.
func (n *Node) IsDir() bool {
	v := n.Last()
	return v == nil || (v.Type == layers.TypeDir && !v.Deleted)
}

// VersionAt returns the version of the path visible after layer l has been
// applied, or nil when the path does not exist then.
func (n *Node) VersionAt(l int) *Version {
	vs := n.Versions()
	for i := len(vs) - 1; i >= 0; i-- {
		v := &vs[i]
		if int(v.Layer) > l {
			continue
		}
		if v.Deleted || (v.HiddenBy >= 0 && int(v.HiddenBy) <= l) {
			return nil
		}
		return v
	}
	return nil
}

// Tree is the merged filesystem of an image.
type Tree struct {
	Root   *Node
	Layers int
	nodes  int
	links  []*Node // paths that are a hard link in some layer
}

// Nodes returns how many paths the tree holds (the root excluded).
func (t *Tree) Nodes() int { return t.nodes }

// Walk visits every node below the root depth first, parents before
// children, in name order. fn returns false to skip a node's children.
func (t *Tree) Walk(fn func(*Node) bool) {
	var walk func(n *Node)
	walk = func(n *Node) {
		for _, c := range n.Children() {
			if fn(c) {
				walk(c)
			}
		}
	}
	walk(t.Root)
}

// Child returns the child of n called name, or nil.
func (n *Node) Child(name string) *Node {
	if i, ok := n.search(name); ok {
		return n.more.children[i]
	}
	return nil
}

// Lookup finds the node of a cleaned path, or nil. It follows no symlinks
// (see Resolve).
func (t *Tree) Lookup(p string) *Node {
	n := t.Root
	if p == "" {
		return n
	}
	for _, part := range strings.Split(p, "/") {
		if n = n.Child(part); n == nil {
			return nil
		}
	}
	return n
}

// DanglingLink is a hard link whose target no layer up to the link's own
// holds as a file: docker cannot apply such a layer.
type DanglingLink struct {
	Path, Target string
	Layer        int
}

// DanglingLinks returns the first limit hard links whose target is not a
// file in the merged filesystem of the link's layer (lower layers and its
// own), and how many there are in all. A target that comes after the link
// in the same layer is not told apart: the tree does not keep the order.
func (t *Tree) DanglingLinks(limit int) ([]DanglingLink, int) {
	var out []DanglingLink
	total := 0
	seen := make(map[*Node]bool, len(t.links))
	for _, n := range t.links {
		if seen[n] {
			continue // linked in several layers: its versions are all below
		}
		seen[n] = true
		for _, v := range n.Versions() {
			if v.Type != layers.TypeHardlink || v.Deleted || holdsFile(t.Lookup(v.Link()), v.Layer) {
				continue
			}
			if total++; len(out) < limit {
				out = append(out, DanglingLink{Path: n.Path(), Target: v.Link(), Layer: int(v.Layer)})
			}
		}
	}
	return out, total
}

// holdsFile tells whether n is a non-directory in layer l's merged view.
func holdsFile(n *Node, l int32) bool {
	if n == nil {
		return false
	}
	for _, v := range n.Versions() {
		if v.Layer <= l && !v.Deleted && !v.Implicit && v.Type != layers.TypeDir && (v.HiddenBy < 0 || v.HiddenBy >= l) {
			return true
		}
	}
	return false
}

// maxSymlinks bounds the symlinks followed while resolving one path, as
// the kernel's ELOOP limit does.
const maxSymlinks = 40

// Resolve finds the visible node of a cleaned path in the final
// filesystem, following visible symlinks in its directories (not in its
// last element), so that "bin/sh" finds "usr/bin/sh" behind a merged
// /usr's "bin -> usr/bin". It returns nil when the path does not exist or
// a symlink loops.
func (t *Tree) Resolve(p string) *Node {
	if n := t.Lookup(p); n != nil && n.Visible() {
		return n // the common case: no symlink on the way
	}
	parts := strings.Split(p, "/")
	n := t.Root
	hops := 0
	for i := 0; i < len(parts); i++ {
		part := parts[i]
		switch part {
		case "", ".":
			continue
		case "..":
			if n.Parent != nil {
				n = n.Parent
			}
			continue
		}
		c := n.Child(part)
		if c == nil || !c.Visible() {
			return nil
		}
		if i < len(parts)-1 {
			if v := c.Last(); v.Type == layers.TypeSymlink {
				hops++
				if hops > maxSymlinks {
					return nil
				}
				target := v.Link()
				if !strings.HasPrefix(target, "/") {
					target = path.Join(n.Path(), target)
				}
				rest := append(strings.Split(layers.CleanPath(target), "/"), parts[i+1:]...)
				parts, i, n = rest, -1, t.Root
				continue
			}
		}
		n = c
	}
	if n == t.Root {
		return nil
	}
	return n
}

// Builder merges layers, oldest first, into a Tree. Each whiteout costs O(1)
// while merging; what it hides is resolved once, in Finish.
type Builder struct {
	tree    *Tree
	layer   int32
	dive    *diveState                 // dive's accounting, told of each merged layer (merged)
	divem   DiveMetrics                // dive's numbers, once Finish dropped dive
	nodes   []Node                     // the chunk new nodes come from
	names   layers.Arena               // new nodes' names
	shifted map[*Node]int              // children moved by inserts, per directory
	index   map[*Node]map[string]*Node // children of the directories marked indexed
}

// NewBuilder starts an empty tree.
func NewBuilder() *Builder {
	return &Builder{tree: &Tree{Root: &Node{}}, layer: -1, dive: &diveState{}, shifted: map[*Node]int{}}
}

// Add merges the next layer's entries. Layers must come in index order.
func (b *Builder) Add(entries []layers.Entry) {
	_ = b.AddContext(context.Background(), entries)
}

// AddContext is Add that stops, leaving the tree half built, and returns
// ctx's error once ctx is done: one hostile layer may take long to merge,
// and Ctrl-C or --timeout must stop it within a second.
func (b *Builder) AddContext(ctx context.Context, entries []layers.Entry) error {
	b.layer++
	b.tree.Layers++
	if err := b.addEntries(ctx, entries); err != nil {
		return err
	}
	if !b.dive.merged(b, int(b.layer), entries, ctx.Done()) {
		return ctx.Err()
	}
	return nil
}

// AddMoreContext merges entries that follow, in the same layer, those the
// last Add or AddMoreContext merged: a layer merged in parts while it is
// read, for a look at its tree before its end (the browser's tree of a
// layer still being read; Snapshot takes it). It stops as AddContext does.
// dive's accounting (DiveMetrics) leaves out what it merged.
func (b *Builder) AddMoreContext(ctx context.Context, entries []layers.Entry) error {
	if b.layer < 0 {
		return errors.New("fstree: AddMoreContext before any layer was added")
	}
	return b.addEntries(ctx, entries)
}

// addEntries merges entries into the current layer, looking at ctx as it
// goes.
func (b *Builder) addEntries(ctx context.Context, entries []layers.Entry) error {
	done := ctx.Done()
	// The check comes every 1024 entries, or sooner when their paths are
	// long: each component of a deep path is a node to make.
	work := 0
	for i := range entries {
		if work += len(entries[i].Path); (i&1023 == 0 || work > checkEvery) && done != nil {
			work = 0
			select {
			case <-done:
				return ctx.Err()
			default:
			}
		}
		b.addEntry(&entries[i])
	}
	return nil
}

// checkEvery is how much work (path bytes, nodes, items) the builder does
// between two looks at its context.
const checkEvery = 1 << 16

// canceled tells, without blocking, whether done is closed.
func canceled(done <-chan struct{}) bool {
	select {
	case <-done:
		return true
	default:
		return false
	}
}

// lookup finds n's child called name while the tree is being built, when
// a directory may keep its children in a map (see child); nil when there
// is none, or n is nil.
func (b *Builder) lookup(n *Node, name string) *Node {
	if n == nil {
		return nil
	}
	if n.indexed {
		return b.index[n][name]
	}
	return n.Child(name)
}

// search finds name among children kept sorted (the builder's default): the
// position of the child, or where it belongs.
func (n *Node) search(name string) (int, bool) {
	cs := n.Children()
	if k := len(cs); k > 0 {
		// Tar streams list a directory's children in name order: try
		// the end first.
		switch strings.Compare(cs[k-1].Name, name) {
		case 0:
			return k - 1, true
		case -1:
			return k, false
		}
	}
	return slices.BinarySearchFunc(cs, name, func(c *Node, name string) int { return strings.Compare(c.Name, name) })
}

// maxShift bounds the children a directory's inserts may move, per child,
// before the builder gives it a map: tar order keeps inserts at the end, so
// only odd layers (hostile ones included) ever get there.
const maxShift = 64

// child returns parent's child called name, creating it. Children stay
// sorted, which costs nothing when they come in tar order and needs no map;
// a directory whose children come so out of order that keeping them sorted
// would cost more than maxShift moves per child gets a map instead and is
// sorted once, in Finish.
func (b *Builder) child(parent *Node, name string) *Node {
	if parent.indexed {
		idx := b.index[parent]
		if c, ok := idx[name]; ok {
			return c
		}
		c := b.newNode(parent, name)
		idx[c.Name] = c
		parent.more.children = append(parent.more.children, c)
		return c
	}
	i, ok := parent.search(name)
	if ok {
		return parent.more.children[i]
	}
	c := b.newNode(parent, name)
	cs := parent.Children()
	if moved := len(cs) - i; moved > 0 {
		b.shifted[parent] += moved
		if b.shifted[parent] > maxShift*len(cs)+1024 {
			delete(b.shifted, parent)
			idx := make(map[string]*Node, len(cs)+1)
			for _, k := range cs {
				idx[k.Name] = k
			}
			idx[c.Name] = c
			if b.index == nil {
				b.index = map[*Node]map[string]*Node{}
			}
			b.index[parent] = idx
			parent.indexed = true
			parent.more.children = append(cs, c)
			return c
		}
	}
	parent.setChildren(slices.Insert(cs, i, c))
	return c
}

// nodeChunk is how many nodes the builder allocates at once: one allocation
// instead of one per path, and no size-class rounding of each node.
const nodeChunk = 1024

func (b *Builder) newNode(parent *Node, name string) *Node {
	if len(b.nodes) == cap(b.nodes) {
		b.nodes = make([]Node, 0, nodeChunk)
	}
	b.tree.nodes++
	b.nodes = append(b.nodes, Node{Name: b.names.String(name), Parent: parent, id: uint32(b.tree.nodes)})
	return &b.nodes[len(b.nodes)-1]
}

// node returns the node for p, creating missing ancestors as implicit
// directories of the current layer.
func (b *Builder) node(p string) *Node {
	n := b.tree.Root
	// cut is the newest layer in which an ancestor hid what lower layers had
	// put below it (deleted, made opaque, or replaced by a non-directory).
	cut := int32(-1)
	for p != "" {
		part := p
		rest := ""
		if i := strings.IndexByte(p, '/'); i >= 0 {
			part, rest = p[:i], p[i+1:]
		}
		n = b.child(n, part)
		if rest != "" {
			b.implicitDir(n, cut)
			cut = max(cut, newestCut(n))
		}
		p = rest
	}
	return n
}

// newestCut returns the newest layer in which a version of n hid the lower
// layers' children of n, or -1.
func newestCut(n *Node) int32 {
	vs := n.Versions()
	for i := len(vs) - 1; i >= 0; i-- {
		if vs[i].cuts() {
			return vs[i].Layer
		}
	}
	return -1
}

// implicitDir records that the current layer needs n to be a directory. A
// directory of a lower layer serves, unless an ancestor hid it since (cut).
func (b *Builder) implicitDir(n *Node, cut int32) {
	if v := n.Last(); v != nil {
		if v.Layer == b.layer || (!v.Deleted && v.Type == layers.TypeDir && v.Layer >= cut) {
			return
		}
	}
	n.addVersion(Version{Layer: b.layer, HiddenBy: -1, Type: layers.TypeDir, Implicit: true})
}

func (b *Builder) addEntry(e *layers.Entry) {
	if e.Path == "" {
		return // the root itself, or a whiteout of it: nothing to record
	}
	n := b.node(e.Path)
	v := Version{
		Layer:    b.layer,
		HiddenBy: -1,
		Size:     e.Size,
		Digest:   e.Digest,
		Mode:     e.Mode,
		Type:     e.Type,
	}
	if e.Link != "" || e.UID != 0 || e.GID != 0 {
		// The link is copied, as names are: the entry's bytes share a
		// chunk with the rest of its layer, which the tree must not keep
		// alive.
		v.ext = &versionExt{link: b.names.String(e.Link), uid: e.UID, gid: e.GID}
	}
	if e.Type == layers.TypeHardlink && e.Whiteout == layers.NoWhiteout {
		b.tree.links = append(b.tree.links, n)
	}
	switch e.Whiteout {
	case layers.FileWhiteout:
		v.Deleted = true
		v.Type = layers.TypeOther
		if last := n.Last(); last != nil {
			v.Type = last.Type
		}
	case layers.OpaqueWhiteout:
		if last := n.Last(); last != nil && last.Layer == b.layer && last.Type == layers.TypeDir {
			last.Opaque = true
			return
		}
		v.Type = layers.TypeDir
		v.Opaque = true
		v.Implicit = true
	}
	if last := n.Last(); last != nil && last.Layer == b.layer {
		// A second entry for the path in one layer. Whiteouts apply to
		// lower layers only, so what this layer itself puts at the path
		// stays, in whichever order the entries come; a directory that
		// was deleted below and made again here hides the lower children.
		switch {
		case e.Whiteout == layers.FileWhiteout && !last.Deleted:
			if last.Type == layers.TypeDir {
				last.Opaque = true
			}
			return
		case e.Whiteout == layers.NoWhiteout && (last.Opaque || last.Deleted) && v.Type == layers.TypeDir:
			v.Opaque = true
		}
		*last = v
		return
	}
	n.addVersion(v)
}

// Finish resolves what every whiteout, opaque marker and overwrite hid, sorts
// children, and returns the tree. The builder must not be used afterwards,
// except for DiveMetrics.
func (b *Builder) Finish() *Tree {
	t, _ := b.FinishContext(context.Background())
	return t
}

// FinishContext is Finish that stops, returning ctx's error and no tree,
// once ctx is done.
func (b *Builder) FinishContext(ctx context.Context) (*Tree, error) {
	b.divem = b.dive.metrics()
	b.dive, b.index, b.shifted, b.nodes, b.names = nil, nil, nil, nil, layers.Arena{}
	done, work, stop := ctx.Done(), 0, false
	var walk func(n *Node, cuts []int32)
	walk = func(n *Node, cuts []int32) {
		if work++; work > checkEvery && done != nil {
			work, stop = 0, stop || canceled(done)
		}
		if stop {
			return
		}
		n.indexed = false
		cs := n.Children()
		slices.SortFunc(cs, func(a, b *Node) int { return strings.Compare(a.Name, b.Name) })
		childCuts := resolve(n.Versions(), cuts, len(cs) > 0)
		for _, c := range cs {
			walk(c, childCuts)
		}
	}
	walk(b.tree.Root, nil)
	if stop {
		return nil, ctx.Err()
	}
	return b.tree, nil
}

// DiveMetrics returns dive's numbers for the layers merged (after Finish,
// for all of them).
func (b *Builder) DiveMetrics() DiveMetrics {
	if b.dive != nil {
		return b.dive.metrics()
	}
	return b.divem
}

func mergeSorted(a, b []int32) []int32 {
	out := make([]int32, 0, len(a)+len(b))
	out = append(out, a...)
	out = append(out, b...)
	slices.Sort(out)
	return slices.Compact(out)
}
