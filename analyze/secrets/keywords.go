package secrets

import (
	"cmp"
	"fmt"
	"math/bits"
	"slices"
)

// keywords finds every occurrence of a fixed set of keywords in a buffer,
// overlapping ones included: an Aho-Corasick automaton compiled to a DFA
// over byte classes.
//
// A DFA spends one table load per byte, and each load needs the state the
// one before gave: run over a buffer from start to end, it waits on memory
// latency, not on the CPU. find therefore runs the automaton on several
// lanes at once, each over its own segment of the buffer, so that their
// loads overlap. A lane starts at its segment's first
// byte in the start state (it finds every keyword starting there or later)
// and runs on up to maxLen-1 bytes past its segment's end, reporting only
// the keywords that start inside its segment: every occurrence is reported
// once, by the lane whose segment holds its start.
type keywords struct {
	// class maps a byte to its column in a row of delta: each byte of a
	// keyword has a column of its own, every other byte shares column 0.
	class [256]uint8
	// delta is the transition table: delta[s+class[b]] is the state after
	// state s reads b. States are premultiplied by stride (a state is the
	// offset of its row), so that the loop needs no multiplication; with
	// uint16 states and 1<<16 entries, no index is out of range and the
	// compiler checks none. A state with matchBit set ends at least one
	// keyword.
	delta *[1 << 16]uint16
	shift uint // log2 of the row length
	// out holds the keywords that end in each match state, longest first,
	// indexed by (state &^ matchBit) >> shift.
	out  [][]int32
	lens []int // keyword ID -> length in bytes
	// maxLen is the longest keyword's length.
	maxLen int
}

// matchBit is set in every match state and in no other: the loop tests
// all its lanes with one OR. Non-match states are numbered from 0, match
// states from matchBit on.
const matchBit = 1 << 15

// lanes is how many segments find runs the automaton on at once (step
// is written out for that many), and minLane how short a segment may be:
// a shorter text is searched on one lane. Eight lanes are about a fifth
// faster than four: the loop is then bound by its loads, not by their
// latency.
const (
	lanes   = 8
	minLane = 64
)

// kwHit is one keyword occurrence: keyword kw (an index into the list the
// set was built from) starts at buf[start].
type kwHit struct {
	start int
	kw    int32
}

// newKeywords builds the automaton of kws, none of them empty. It fails
// only when the keywords need more states or byte classes than a uint16
// state can address.
func newKeywords(kws []string) (*keywords, error) {
	k := &keywords{lens: make([]int, len(kws))}

	// Byte classes: one per distinct keyword byte, 0 for the rest.
	nclass := 1
	for _, kw := range kws {
		for i := range len(kw) {
			if k.class[kw[i]] == 0 {
				if nclass == 256 {
					return nil, fmt.Errorf("more than 255 distinct keyword bytes")
				}
				k.class[kw[i]] = uint8(nclass)
				nclass++
			}
		}
	}
	k.shift = uint(bits.Len(uint(nclass - 1)))
	stride := 1 << k.shift

	// The trie: node 0 is the root; next[n*256+b] is the child of n on b,
	// or 0 for none (the root is nobody's child).
	next := make([]int32, 256)
	var own [][]int32 // the keywords that end at each node
	own = append(own, nil)
	for id, kw := range kws {
		if kw == "" {
			return nil, fmt.Errorf("keyword %d is empty", id)
		}
		k.lens[id] = len(kw)
		k.maxLen = max(k.maxLen, len(kw))
		n := int32(0)
		for i := range len(kw) {
			c := &next[int(n)*256+int(kw[i])]
			if *c == 0 {
				*c = int32(len(own))
				own = append(own, nil)
				next = append(next, make([]int32, 256)...)
			}
			n = *c
		}
		own[n] = append(own[n], int32(id))
	}
	nodes := len(own)

	// Breadth first, the failure links complete the trie into the DFA
	// (delta over bytes, by node number) and give each node its output:
	// its own keywords, then those of its failure node (shorter suffixes).
	dfa := make([]int32, nodes*256)
	out := make([][]int32, nodes)
	fail := make([]int32, nodes)
	order := make([]int32, 0, nodes)
	copy(dfa[:256], next[:256])
	for b := range 256 {
		if c := next[b]; c != 0 {
			order = append(order, c) // fail[c] is the root
		}
	}
	out[0] = own[0]
	for q := 0; q < len(order); q++ {
		n := order[q]
		out[n] = append(slices.Clone(own[n]), out[fail[n]]...)
		for b := range 256 {
			f := dfa[int(fail[n])*256+b]
			if c := next[int(n)*256+b]; c != 0 {
				fail[c] = f
				dfa[int(n)*256+b] = c
				order = append(order, c)
			} else {
				dfa[int(n)*256+b] = f
			}
		}
	}

	// Number the states: non-match ones from 0 (the root first), match
	// ones from matchBit on, each premultiplied by stride.
	state := make([]uint16, nodes)
	plain, match := 0, 0
	for n := range nodes {
		if len(out[n]) == 0 {
			state[n] = uint16(plain << k.shift)
			plain++
		} else {
			state[n] = uint16(matchBit + match<<k.shift)
			match++
		}
	}
	if plain<<k.shift > matchBit || matchBit+match<<k.shift > 1<<16 {
		return nil, fmt.Errorf("%d states of %d columns do not fit a uint16", nodes, stride)
	}
	k.delta = new([1 << 16]uint16)
	k.out = make([][]int32, match)
	for n := range nodes {
		s := int(state[n])
		if s&matchBit != 0 {
			o := out[n]
			slices.SortStableFunc(o, func(a, b int32) int { return cmp.Compare(k.lens[b], k.lens[a]) })
			k.out[(s&^matchBit)>>k.shift] = o
		}
		for b := range 256 {
			k.delta[s+int(k.class[b])] = state[dfa[n*256+b]]
		}
	}
	return k, nil
}

// find appends to hits every occurrence of a keyword that starts in
// buf[:limit] (it may end past limit, in buf), in order of start and, at
// one start, of keyword.
func (k *keywords) find(hits []kwHit, buf []byte, limit int) []kwHit {
	buf = buf[:min(len(buf), limit+k.maxLen-1)]
	n0 := len(hits)
	// Lane j finds the keywords that start in buf[j*seg:(j+1)*seg] (the
	// last lane: up to limit): it reads seg+maxLen-1 bytes from there, the
	// last lane all the rest.
	seg := min(limit, len(buf)-k.maxLen+1) / lanes
	if seg < minLane {
		hits = k.resume(hits, 0, buf, 0, limit)
	} else {
		hits = k.runLanes(hits, buf, seg, limit)
	}
	found := hits[n0:]
	slices.SortFunc(found, func(a, b kwHit) int {
		return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(a.kw, b.kw))
	})
	return hits
}

// runLanes is resume on all lanes, which split buf[:limit] into segments
// of seg bytes (the last one up to limit): first each lane's first
// seg+maxLen-1 bytes in one loop, then the rest of the last lane alone.
func (k *keywords) runLanes(hits []kwHit, buf []byte, seg, limit int) []kwHit {
	n := seg + k.maxLen - 1
	var text [lanes][]byte
	var st [lanes]uint16
	for j := range lanes {
		text[j] = buf[j*seg : j*seg+n]
	}
	for i := 0; i < n; i++ {
		i, st = k.step(&text, i, st)
		if i == n {
			break
		}
		for j, s := range st {
			if s&matchBit != 0 {
				end := limit // of the last lane's segment
				if j < lanes-1 {
					end = (j + 1) * seg
				}
				hits = k.report(hits, s, j*seg+i, end)
			}
		}
	}
	return k.resume(hits, st[lanes-1], buf, (lanes-1)*seg+n, limit)
}

// step runs the lanes in states st over their texts (of one length) from
// index i on, until one of them is in a match state: it returns that index
// and the states there, or the texts' length and the states at the end.
// It calls nothing, so that the states stay in registers; it is written
// out for eight lanes.
func (k *keywords) step(text *[lanes][]byte, i int, st [lanes]uint16) (int, [lanes]uint16) {
	d, cl := k.delta, &k.class
	b0 := text[0]
	b1, b2, b3, b4 := text[1][:len(b0)], text[2][:len(b0)], text[3][:len(b0)], text[4][:len(b0)]
	b5, b6, b7 := text[5][:len(b0)], text[6][:len(b0)], text[7][:len(b0)]
	s0, s1, s2, s3, s4, s5, s6, s7 := st[0], st[1], st[2], st[3], st[4], st[5], st[6], st[7]
	for ; i < len(b0); i++ {
		s0 = d[s0+uint16(cl[b0[i]])]
		s1 = d[s1+uint16(cl[b1[i]])]
		s2 = d[s2+uint16(cl[b2[i]])]
		s3 = d[s3+uint16(cl[b3[i]])]
		s4 = d[s4+uint16(cl[b4[i]])]
		s5 = d[s5+uint16(cl[b5[i]])]
		s6 = d[s6+uint16(cl[b6[i]])]
		s7 = d[s7+uint16(cl[b7[i]])]
		if (s0|s1|s2|s3|s4|s5|s6|s7)&matchBit != 0 {
			break
		}
	}
	return i, [lanes]uint16{s0, s1, s2, s3, s4, s5, s6, s7}
}

// resume goes on with a lane in state s from buf[from:], reporting the
// keywords that start before limit.
func (k *keywords) resume(hits []kwHit, s uint16, buf []byte, from, limit int) []kwHit {
	d, cl := k.delta, &k.class
	for i := from; i < len(buf); i++ {
		s = d[s+uint16(cl[buf[i]])]
		if s&matchBit != 0 {
			hits = k.report(hits, s, i, limit)
		}
	}
	return hits
}

// report appends the keywords that state s ends at buf[end] and that
// start before limit.
func (k *keywords) report(hits []kwHit, s uint16, end, limit int) []kwHit {
	for _, kw := range k.out[(s&^matchBit)>>k.shift] {
		if start := end - k.lens[kw] + 1; start < limit {
			hits = append(hits, kwHit{start, kw})
		}
	}
	return hits
}
