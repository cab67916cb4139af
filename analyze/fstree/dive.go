package fstree

import (
	"slices"
	"strings"

	"github.com/stagescope/stagescope/layers"
)

// DiveMetrics are efficiency and waste exactly as dive 0.13 computes them,
// so that dive's CI thresholds (lowestEfficiency, highestWastedBytes,
// highestUserWastedPercent) carry over.
//
// dive builds one tree per layer and visits the leaves of each (files,
// symlinks, empty directories, whiteout markers). Every visit of a path adds
// a size to the path's cumulative size and may lower its minimum size: a
// leaf's own tar size, or for a whiteout the size of what it deletes, which is
// the whole subtree below a directory (as the layers below stack up) and 0
// for anything else. Opaque markers are ignored. Then
//
//	Efficiency        = Σ minimum sizes / Σ cumulative sizes (1 when nothing was seen)
//	WastedBytes       = Σ cumulative sizes of the paths visited at least twice
//	UserWastedPercent = WastedBytes / Σ sizes of layers 1..n-1
//
// where a layer's size is the sum of its tar headers' sizes. Two quirks of
// dive are reproduced because they change its numbers: a directory whose
// latest layer did not list it explicitly (only its children) counts as a
// file, so deleting it costs 0; and a whiteout of a path that does not exist
// below it ends dive's walk of that layer, leaving the path a minimum size
// of -1 and the layer's remaining leaves unvisited.
type DiveMetrics struct {
	Efficiency  float64
	WastedBytes int64
	// UserWastedPercent is a fraction (0.25 means 25%), like dive's
	// highestUserWastedPercent threshold. It is 0 when NoUserBytes.
	UserWastedPercent float64
	// NoUserBytes tells that the layers above the first hold no bytes (a
	// single-layer image, or layers of deletions and empty files only):
	// dive's userWastedPercent then divides by zero, +Inf when WastedBytes
	// is positive and NaN when it is 0.
	NoUserBytes bool
}

// diveNode is dive's view of one path of the merged tree, kept beside the
// tree while it is built (diveState.at) and dropped when it is finished.
//
// born, gone, dir, size and live mirror dive's stacked tree of the layers
// seen so far without building it: every change is numbered, and a path is
// present when it was created after the last removal of itself and of each
// of its ancestors. live caches the size dive's whiteout sizer adds up, so
// deleting a directory costs its depth, not its subtree.
//
// refs and first or min are dive's per-path efficiency record: dive keeps a
// cumulative and a minimum size per path, but while a path has one size
// counted both are that size, and once it has two the cumulative size is
// only needed that once (to add it to the waste).
//
// item is the path's position (plus one) among the items of the layer
// being accounted (see layerItems), 0 otherwise.
//
// The fields are ordered for size (40 bytes): every node has one.
type diveNode struct {
	born, gone uint32 // numbers of the change that (re)created and that removed the path
	item       uint32
	refs       diveRefs
	dir        bool  // the stacked entry is a directory (tar type, not implied)
	size       int64 // tar size of the stacked entry
	live       int64 // size plus the sizes of all present descendants
	min        int64 // the size counted (refs: once), the smallest (twice, more)
}

// diveRefs tells how many sizes dive counted for a path.
type diveRefs uint8

const (
	unseen diveRefs = iota // no record
	opened                 // a record with no size (minimum -1)
	once
	twice
	more
)

// diveState accumulates dive's numbers while layers merge.
type diveState struct {
	seq       uint32
	minSum    int64 // Σ minimum sizes
	cumSum    int64 // Σ cumulative sizes
	wasted    int64 // Σ cumulative sizes of paths counted twice or more
	userBytes int64 // Σ sizes of layers 1..n-1
	chain     []*Node
	nodes     [][]diveNode // by Node.id, in chunks of nodeChunk
}

// grow makes room for the records of nodes 0 to id.
func (d *diveState) grow(id uint32) {
	for int(id) >= len(d.nodes)*nodeChunk {
		d.nodes = append(d.nodes, make([]diveNode, nodeChunk))
	}
}

// at returns the record of n.
func (d *diveState) at(n *Node) *diveNode {
	return &d.nodes[n.id/nodeChunk][n.id%nodeChunk]
}

// diveItem is one node of dive's tree of a single layer. It is kept small
// (32 bytes): a layer has one per entry, all live while the layer merges.
type diveItem struct {
	path string // slash path as in the tar, whiteout names kept (".wh.x")
	// node is the merged-tree node the item is accounted to: the node of
	// path, or for a whiteout the node of what it deletes (nil when there
	// is none).
	node     *Node
	entry    int32 // index of the last entry of path in the layer; -1: a directory only implied
	whiteout bool
	leaf     bool
	// below: an item that is no whiteout lies below this one, so that its
	// apply, just before this one's in dive's order, made the path and
	// its parents present (see apply).
	below bool
}

// stacked returns what the item puts at its path: the tar size and whether
// it is a directory.
func (it *diveItem) stacked(es []layers.Entry) (size int64, dir bool) {
	if it.entry < 0 {
		return 0, false
	}
	e := &es[it.entry]
	return e.Size, e.Type == layers.TypeDir && e.Whiteout == layers.NoWhiteout
}

// metaPrefix starts the names dive never adds to its trees: opaque markers
// and other aufs metadata. Any other name that starts with
// layers.WhiteoutPrefix is a whiteout in dive's tree, wherever it sits in a
// path.
const metaPrefix = ".wh..wh.."

// merged is the builder's one call into dive's accounting: it accounts
// layer l, whose entries es the builder has just merged (so that every
// path of the layer has its Node). It gives up, returning false, once done
// is closed.
func (d *diveState) merged(b *Builder, l int, es []layers.Entry, done <-chan struct{}) bool {
	d.grow(uint32(b.tree.nodes))
	items, layerBytes := layerItems(b, es)
	if done != nil && canceled(done) {
		return false
	}
	if l > 0 {
		d.userBytes += layerBytes
	}
	diveSort(items)
	if l == 0 {
		// dive sizes the base layer's whiteouts against the base layer
		// itself (its stack of layers 0..-1 is a copy of layer 0).
		for i := range items {
			if !items[i].whiteout {
				d.apply(&items[i], es)
			}
		}
	}
	d.count(items, es)
	for i := range items {
		if i%checkEvery == 0 && done != nil && canceled(done) {
			return false
		}
		d.apply(&items[i], es)
	}
	return true
}

// layerItems builds dive's tree of one layer from its entries: every entry
// and every directory implied by a path, the last entry of a path winning.
// It returns the items and the layer's size as dive measures it.
//
// Items are named as the layer's tar names its members (Entry.TarPath):
// dive sees whiteout markers, not the paths they delete. A path's item is
// found through its node's record (diveNode.item), which needs no map of
// the layer's paths; only the paths the merged tree has no node for
// (whiteout names) go through one.
func layerItems(b *Builder, es []layers.Entry) ([]diveItem, int64) {
	d := b.dive
	var size int64
	var index map[string]int
	var deletes map[int]*Node // by item: the node a whiteout item deletes
	items := make([]diveItem, 0, len(es))
	// Consecutive entries mostly share their directories: dirs holds the
	// previous path's directory items (the end of each in the path and its
	// item), and a path resumes below the deepest one it shares instead of
	// looking every component up again from the root.
	type dir struct{ end, item int }
	var dirs []dir
	prev := ""
	for i := range es {
		e := &es[i]
		size += e.Size
		if e.Path == "" {
			continue
		}
		p := e.TarPath()
		cp := commonPrefix(p, prev)
		for len(dirs) > 0 && dirs[len(dirs)-1].end >= cp {
			dirs = dirs[:len(dirs)-1]
		}
		prev = p
		// While the items are built, lit is the node of the path so far,
		// which the next component is looked up in.
		parent, lit, end := -1, b.tree.Root, 0
		if n := len(dirs); n > 0 {
			parent = dirs[n-1].item
			lit, end = items[parent].node, dirs[n-1].end+1
		}
		for end < len(p) {
			next := strings.IndexByte(p[end:], '/')
			last := next < 0
			if last {
				next = len(p)
			} else {
				next += end
			}
			name := p[end:next]
			if strings.HasPrefix(name, metaPrefix) {
				break
			}
			prefix := p[:next]
			child := b.lookup(lit, name)
			var j int
			var ok bool
			if child != nil {
				k := d.at(child).item
				j, ok = int(k)-1, k > 0
			} else {
				j, ok = index[prefix]
			}
			if !ok {
				it := diveItem{path: prefix, node: child, entry: -1, leaf: true}
				j = len(items)
				if deleted, ok := strings.CutPrefix(name, layers.WhiteoutPrefix); ok {
					it.whiteout = true
					if del := b.lookup(lit, deleted); del != nil {
						if deletes == nil {
							deletes = map[int]*Node{}
						}
						deletes[j] = del
					}
				}
				if child != nil {
					d.at(child).item = uint32(j + 1)
				} else {
					if index == nil {
						index = map[string]int{}
					}
					index[prefix] = j
				}
				items = append(items, it)
				if parent >= 0 {
					items[parent].leaf = false
					items[parent].below = items[parent].below || !it.whiteout
				}
			}
			if last {
				items[j].entry = int32(i)
				break
			}
			parent, lit = j, items[j].node
			dirs = append(dirs, dir{next, j})
			end = next + 1
		}
	}
	for i := range items {
		it := &items[i]
		if it.node != nil {
			d.at(it.node).item = 0
		}
		if it.whiteout {
			it.node = deletes[i]
		}
	}
	return items, size
}

// diveOrder orders paths the way dive walks a tree: depth first, children
// by name, a directory after its children. That is a comparison of the
// paths byte by byte where "/" sorts before every other byte and the end of
// a path after "/" but before every other byte: at the first difference, a
// component that ends ("/" or the end) sorts before a longer one, and an
// ancestor (its end against the "/" of a descendant) after its descendants.
func diveOrder(a, b string) int {
	i := commonPrefix(a, b)
	return pathRank(a, i, 1, 0) - pathRank(b, i, 1, 0)
}

// walkOrder is the order of a directory walk: a path before its
// descendants, siblings by name.
func walkOrder(a, b string) int {
	i := commonPrefix(a, b)
	return pathRank(a, i, 0, 1) - pathRank(b, i, 0, 1)
}

// commonPrefix is the length of the longest common prefix of a and b.
func commonPrefix(a, b string) int {
	n := min(len(a), len(b))
	if a[:n] == b[:n] {
		// One is a prefix of the other, as a directory's path is of its
		// children's: the items of one deep path are slices of one string,
		// which compare without reading their bytes.
		return n
	}
	i := 0
	for i < n && a[i] == b[i] {
		i++
	}
	return i
}

// pathRank is the weight of s[i] in a tree order of paths: end where the
// path ends, slash for a "/", every other byte after both, by value.
func pathRank(s string, i, end, slash int) int {
	switch {
	case i == len(s):
		return end
	case s[i] == '/':
		return slash
	}
	return int(s[i]) + 2
}

// diveSort puts a layer's items in diveOrder. Builders write a layer's tar
// as a directory walk, so its items usually come in walkOrder already: the
// same tree order with each path before its descendants instead of after.
// Such a list is turned into diveOrder in linear time, every path held on
// a stack until the first item that is not below it; any other is sorted.
func diveSort(items []diveItem) {
	if !slices.IsSortedFunc(items, func(a, b diveItem) int { return walkOrder(a.path, b.path) }) {
		slices.SortFunc(items, func(a, b diveItem) int { return diveOrder(a.path, b.path) })
		return
	}
	out := make([]diveItem, 0, len(items))
	var stack []int
	for i := range items {
		p := items[i].path
		for len(stack) > 0 {
			top := items[stack[len(stack)-1]].path
			if len(p) > len(top) && p[len(top)] == '/' && p[:len(top)] == top {
				break // p is below top
			}
			out = append(out, items[stack[len(stack)-1]])
			stack = stack[:len(stack)-1]
		}
		stack = append(stack, i)
	}
	for k := len(stack) - 1; k >= 0; k-- {
		out = append(out, items[stack[k]])
	}
	copy(items, out)
}

// count visits the layer's leaves in dive's order and records their sizes.
func (d *diveState) count(items []diveItem, es []layers.Entry) {
	for i := range items {
		it := &items[i]
		if !it.leaf {
			continue
		}
		if !it.whiteout {
			size, _ := it.stacked(es)
			d.record(it.node, size)
			continue
		}
		if it.node == nil || !d.present(it.node) {
			// dive fails to find the deleted path below and stops
			// walking this layer, after opening the path's record.
			if it.node != nil {
				d.open(d.at(it.node))
			}
			return
		}
		var size int64
		if dn := d.at(it.node); dn.dir {
			size = dn.live
		}
		d.record(it.node, size)
	}
}

func (d *diveState) open(dn *diveNode) {
	if dn.refs == unseen {
		dn.refs = opened
		d.minSum--
	}
}

func (d *diveState) record(n *Node, size int64) {
	dn := d.at(n)
	d.open(dn)
	d.cumSum += size
	switch dn.refs {
	case opened:
		d.minSum += size + 1
		dn.min = size
		dn.refs = once
		return
	case once:
		d.wasted += dn.min + size // the path's cumulative size
		dn.refs = twice
	default:
		d.wasted += size
		dn.refs = more
	}
	if size < dn.min {
		d.minSum += size - dn.min
		dn.min = size
	}
}

// present tells whether n is in dive's stacked tree.
func (d *diveState) present(n *Node) bool {
	born := d.at(n).born
	for ; n.Parent != nil; n = n.Parent {
		if d.at(n).gone >= born {
			return false
		}
	}
	return born > 0
}

// apply stacks one item onto dive's tree: a whiteout removes what it names
// with its subtree, anything else (re)places the path's entry, creating
// missing parents as plain nodes.
func (d *diveState) apply(it *diveItem, es []layers.Entry) {
	d.seq++
	if it.whiteout {
		n := it.node
		if n == nil || !d.present(n) {
			return
		}
		dn := d.at(n)
		for p := n.Parent; p != nil; p = p.Parent {
			d.at(p).live -= dn.live
		}
		dn.gone = d.seq
		return
	}
	n := it.node
	if n == nil {
		return
	}
	// An item below this one (dive's order puts a directory right after
	// its subtree) made the path and its parents present, and the
	// whiteouts applied since removed only paths below it: walking up to
	// the root again would make a chain of implied directories cost the
	// square of its depth.
	if !it.below {
		d.chain = d.chain[:0]
		for p := n; p.Parent != nil; p = p.Parent {
			d.chain = append(d.chain, p)
		}
		var gone uint32
		for i := len(d.chain) - 1; i >= 0; i-- {
			dn := d.at(d.chain[i])
			gone = max(gone, dn.gone)
			if dn.born <= gone {
				// absent: every descendant is absent too, so the
				// stale sizes below are never read again before
				// being reset.
				dn.born = d.seq
				dn.dir, dn.size, dn.live = false, 0, 0
			}
		}
	}
	dn := d.at(n)
	size, dir := it.stacked(es)
	delta := size - dn.size
	dn.size, dn.dir = size, dir
	if delta == 0 {
		return
	}
	for p := n; p != nil; p = p.Parent {
		d.at(p).live += delta
	}
}

// metrics returns dive's three numbers for everything added so far.
func (d *diveState) metrics() DiveMetrics {
	m := DiveMetrics{Efficiency: 1, WastedBytes: d.wasted}
	if d.cumSum != 0 {
		m.Efficiency = float64(d.minSum) / float64(d.cumSum)
	}
	if d.userBytes != 0 {
		m.UserWastedPercent = float64(d.wasted) / float64(d.userBytes)
	} else {
		m.NoUserBytes = true
	}
	return m
}
