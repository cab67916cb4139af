package secrets

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
)

// keywords finds every occurrence of a fixed set of keywords in a buffer,
// overlapping ones included: an Aho-Corasick automaton compiled to a DFA.
//
// A DFA spends one table load per byte, and each load needs the state the
// one before gave: run over a buffer from start to end, it waits on memory
// latency, not on the CPU. find therefore runs the automaton on several
// lanes at once, each over its own segment of the buffer, so that their
// loads overlap. A lane starts at its segment's first byte in the start
// state (it finds every keyword starting there or later) and runs on a
// little past its segment's end, reporting only the keywords that start
// inside its segment: every occurrence is reported once, by the lane whose
// segment holds its start.
//
// With enough lanes the loop is bound by its loads, so it makes one per
// byte and no more: a state indexes its row by the byte itself, and a
// state fits 16 bits. For that the automaton is built over probes, the
// keywords cut to the longest length (probeLen) at which the table has at
// most 128 states that end a probe and 128 that do not; a probe that ends
// in the text is a keyword only if the rest of the keyword follows.
type keywords struct {
	// delta is the transition table: delta[s|b] is the state after state
	// s reads byte b. A state is the offset of its row (its number times
	// 256), so that the loop needs no multiplication; with uint16 states
	// and 1<<16 entries, no index is out of range and the compiler checks
	// none. A state with matchBit set ends at least one probe.
	delta *[1 << 16]uint16
	// out holds the keywords whose probes end in each match state, those
	// of the longest probe first, indexed by (state &^ matchBit) >> 8.
	out      [][]int32
	kws      [][]byte // keyword ID -> the keyword
	probe    []int    // keyword ID -> the length of its probe
	maxLen   int      // the longest keyword's length
	probeLen int      // the longest probe's length
}

// matchBit is set in every match state and in no other: the loop tests
// all its lanes with one OR. States that end no probe are numbered from
// 0, the others from matchBit on, so that there are at most 128 of each.
const (
	matchBit  = 1 << 15
	maxStates = matchBit >> 8
)

// lanes is how many segments find runs the automaton on at once (step
// is written out for that many), and minLane how short a segment may be:
// a shorter text is searched on one lane. Eight lanes are about a fifth
// faster than four: the loop is then bound by its loads, not by their
// latency.
const (
	lanes   = 8
	minLane = 16
)

// kwHit is one keyword occurrence: keyword kw (an index into the list the
// set was built from) starts at buf[start].
type kwHit struct {
	start int
	kw    int32
}

// newKeywords builds the automaton of kws, none of them empty, with the
// longest probes that fit. It fails only when even probes of one byte
// do not (more than 128 distinct first bytes).
func newKeywords(kws []string) (*keywords, error) {
	maxLen := 0
	for id, kw := range kws {
		if kw == "" {
			return nil, fmt.Errorf("keyword %d is empty", id)
		}
		maxLen = max(maxLen, len(kw))
	}
	for p := maxLen; p > 0; p-- {
		if k := buildKeywords(kws, p); k != nil {
			return k, nil
		}
	}
	return nil, fmt.Errorf("the automaton of %d keywords does not fit %d states", len(kws), 2*maxStates)
}

// buildKeywords builds the automaton of kws cut to probes of at most p
// bytes, or returns nil if it has too many states.
func buildKeywords(kws []string, p int) *keywords {
	k := &keywords{kws: make([][]byte, len(kws)), probe: make([]int, len(kws))}

	// The trie of the probes: node 0 is the root; next[n*256+b] is the
	// child of n on b, or 0 for none (the root is nobody's child).
	next := make([]int32, 256)
	own := [][]int32{nil} // the keywords whose probe ends at each node
	for id, kw := range kws {
		k.kws[id] = []byte(kw)
		k.probe[id] = min(len(kw), p)
		k.maxLen = max(k.maxLen, len(kw))
		k.probeLen = max(k.probeLen, k.probe[id])
		n := int32(0)
		for i := range k.probe[id] {
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
	// (by node number) and give each node its output: its own keywords,
	// then those of its failure node (shorter suffixes).
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

	// Number the states: those that end no probe from 0 (the root first),
	// the others from matchBit on, each times 256.
	state := make([]uint16, nodes)
	plain, match := 0, 0
	for n := range nodes {
		if len(out[n]) == 0 {
			state[n] = uint16(plain << 8)
			plain++
		} else {
			state[n] = uint16(matchBit + match<<8)
			match++
		}
	}
	if plain > maxStates || match > maxStates {
		return nil
	}
	k.delta = new([1 << 16]uint16)
	k.out = make([][]int32, match)
	for n := range nodes {
		s := int(state[n])
		if s&matchBit != 0 {
			o := out[n]
			slices.SortStableFunc(o, func(a, b int32) int { return cmp.Compare(k.probe[b], k.probe[a]) })
			k.out[(s&^matchBit)>>8] = o
		}
		for b := range 256 {
			k.delta[s|b] = state[dfa[n*256+b]]
		}
	}
	return k
}

// find appends to hits every occurrence of a keyword that starts in
// buf[:limit] (it may end past limit, in buf), in order of start and, at
// one start, of keyword.
func (k *keywords) find(hits []kwHit, buf []byte, limit int) []kwHit {
	buf = buf[:min(len(buf), limit+k.maxLen-1)]
	end := min(len(buf), limit+k.probeLen-1) // where the last probe may end
	n0 := len(hits)
	// Lane j finds the keywords that start in buf[j*seg:(j+1)*seg] (the
	// last lane: up to limit): it reads seg+probeLen-1 bytes from there,
	// the last lane all the rest.
	seg := min(limit, end-k.probeLen+1) / lanes
	if seg < minLane {
		hits = k.resume(hits, 0, buf, 0, end, limit)
	} else {
		hits = k.runLanes(hits, buf, end, seg, limit)
	}
	found := hits[n0:]
	slices.SortFunc(found, func(a, b kwHit) int {
		return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(a.kw, b.kw))
	})
	return hits
}

// runLanes is resume on all lanes, which split buf[:limit] into segments
// of seg bytes (the last one up to limit): first each lane's first
// seg+probeLen-1 bytes in one loop, then the rest of the last lane, up to
// end, alone.
func (k *keywords) runLanes(hits []kwHit, buf []byte, end, seg, limit int) []kwHit {
	n := seg + k.probeLen - 1
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
				segEnd := limit // of the last lane's segment
				if j < lanes-1 {
					segEnd = (j + 1) * seg
				}
				hits = k.report(hits, buf, s, j*seg+i, segEnd)
			}
		}
	}
	return k.resume(hits, st[lanes-1], buf, (lanes-1)*seg+n, end, limit)
}

// step runs the lanes in states st over their texts (of one length) from
// index i on, until one of them is in a match state: it returns that index
// and the states there, or the texts' length and the states at the end.
// It calls nothing, so that the states stay in registers; it is written
// out for eight lanes.
func (k *keywords) step(text *[lanes][]byte, i int, st [lanes]uint16) (int, [lanes]uint16) {
	d := k.delta
	b0 := text[0]
	b1, b2, b3, b4 := text[1][:len(b0)], text[2][:len(b0)], text[3][:len(b0)], text[4][:len(b0)]
	b5, b6, b7 := text[5][:len(b0)], text[6][:len(b0)], text[7][:len(b0)]
	s0, s1, s2, s3, s4, s5, s6, s7 := st[0], st[1], st[2], st[3], st[4], st[5], st[6], st[7]
	for ; i < len(b0); i++ {
		s0 = d[s0|uint16(b0[i])]
		s1 = d[s1|uint16(b1[i])]
		s2 = d[s2|uint16(b2[i])]
		s3 = d[s3|uint16(b3[i])]
		s4 = d[s4|uint16(b4[i])]
		s5 = d[s5|uint16(b5[i])]
		s6 = d[s6|uint16(b6[i])]
		s7 = d[s7|uint16(b7[i])]
		if (s0|s1|s2|s3|s4|s5|s6|s7)&matchBit != 0 {
			break
		}
	}
	return i, [lanes]uint16{s0, s1, s2, s3, s4, s5, s6, s7}
}

// resume goes on with a lane in state s over buf[from:to], reporting the
// keywords that start before limit.
func (k *keywords) resume(hits []kwHit, s uint16, buf []byte, from, to, limit int) []kwHit {
	d := k.delta
	for i, b := range buf[from:to] {
		s = d[s|uint16(b)]
		if s&matchBit != 0 {
			hits = k.report(hits, buf, s, from+i, limit)
		}
	}
	return hits
}

// report appends the keywords whose probes state s ends at buf[end], that
// start before limit and go on in buf as the keyword does.
func (k *keywords) report(hits []kwHit, buf []byte, s uint16, end, limit int) []kwHit {
	for _, kw := range k.out[(s&^matchBit)>>8] {
		start := end - k.probe[kw] + 1
		if start < limit && bytes.HasPrefix(buf[start:], k.kws[kw]) {
			hits = append(hits, kwHit{start, kw})
		}
	}
	return hits
}
