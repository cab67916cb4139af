package fstree

import (
	"slices"
	"strings"
)

// resolve sets the HiddenBy of a path's versions vs: the next version's
// layer, or an earlier layer in cuts, where an ancestor hid what lower
// layers put below it (sorted ascending). With children set it returns the
// cuts that apply below the path.
func resolve(vs []Version, cuts []int32, children bool) []int32 {
	for i := range vs {
		v := &vs[i]
		hidden := int32(-1)
		if i+1 < len(vs) {
			hidden = vs[i+1].Layer
		}
		for _, c := range cuts {
			if c > v.Layer {
				if hidden < 0 || c < hidden {
					hidden = c
				}
				break
			}
		}
		v.HiddenBy = hidden
	}
	if !children {
		return nil
	}
	var own []int32
	for i := range vs {
		if vs[i].cuts() {
			own = append(own, vs[i].Layer)
		}
	}
	if len(own) == 0 {
		return cuts
	}
	return mergeSorted(cuts, own)
}

// Snapshot returns the tree of the layers merged so far, as Finish would
// return it were they all: children sorted by name, what every version was
// hidden by resolved. It is a copy, so merging may go on while another
// goroutine reads it; call it between two Adds, on the goroutine that adds.
// Its nodes and children come in two allocations.
func (b *Builder) Snapshot() *Tree {
	src := b.tree
	t := &Tree{Layers: src.Layers, nodes: src.nodes}
	nodes := make([]Node, 1, src.nodes+1)
	kids := make([]*Node, 0, src.nodes)
	var links map[*Node]bool
	if len(src.links) > 0 {
		links = make(map[*Node]bool, len(src.links))
		for _, n := range src.links {
			links[n] = true
		}
	}
	// copyNode fills dst, at index at of nodes, from n.
	var copyNode func(at int, n *Node, cuts []int32)
	copyNode = func(at int, n *Node, cuts []int32) {
		dst := &nodes[at]
		dst.Name, dst.id, dst.hasOne, dst.first = n.Name, n.id, n.hasOne, n.first
		if n.more != nil {
			dst.more = &nodeMore{versions: slices.Clone(n.more.versions)}
		}
		cs := n.Children()
		childCuts := resolve(dst.Versions(), cuts, len(cs) > 0)
		if len(cs) == 0 {
			return
		}
		if dst.more == nil {
			dst.more = &nodeMore{}
		}
		first := len(nodes)
		for _, c := range cs {
			nodes = append(nodes, Node{Parent: dst})
			if links[c] {
				t.links = append(t.links, &nodes[len(nodes)-1])
			}
		}
		start := len(kids)
		for i := range cs {
			kids = append(kids, &nodes[first+i])
		}
		own := kids[start:len(kids):len(kids)]
		if n.indexed {
			order := make([]int, len(cs))
			for i := range order {
				order[i] = i
			}
			slices.SortFunc(order, func(a, b int) int { return strings.Compare(cs[a].Name, cs[b].Name) })
			for i, j := range order {
				own[i] = &nodes[first+j]
			}
		}
		dst.more.children = own
		for i, c := range cs {
			copyNode(first+i, c, childCuts)
		}
	}
	copyNode(0, src.Root, nil)
	t.Root = &nodes[0]
	return t
}
