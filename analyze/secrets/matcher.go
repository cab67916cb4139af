package secrets

import (
	"bytes"
	"fmt"
	"regexp"
	"sync"
)

// matcher is the keyword prefilter of every rule, built once.
type matcher struct {
	// find is the prefilter, (*keywords).find of the rules' keywords (a
	// test swaps in the library the automaton is checked against).
	find     func(hits []kwHit, buf []byte, limit int) []kwHit
	rule     []int            // keyword ID -> index in rules
	cont     [][256]bool      // per rule: bytes that continue a value
	hasValue []bool           // per rule: the pattern has a value submatch
	re       []*regexp.Regexp // per rule: its Pattern, compiled
}

var (
	theMatcher *matcher
	matcherErr error
	matcherOne sync.Once
)

// ruleProbeLen is the longest probe length at which the automaton of the
// rules' keywords fits its states: what newKeywords finds for them
// (TestRuleProbeLen keeps the two the same when the rules change).
const ruleProbeLen = 7

// Prepare compiles the rules and builds the keyword automaton now (a few
// milliseconds), rather than when the scan first needs them: a caller may
// run it on a goroutine of its own while the image loads.
func Prepare() { getMatcher() }

func getMatcher() *matcher {
	matcherOne.Do(func() {
		m := &matcher{cont: make([][256]bool, len(rules)), hasValue: make([]bool, len(rules)), re: make([]*regexp.Regexp, len(rules))}
		kws, rule := ruleKeywords()
		m.rule = rule
		for i, r := range rules {
			for c := range 256 {
				m.cont[i][c] = alnum(byte(c))
			}
			for _, c := range []byte(r.Cont) {
				m.cont[i][c] = true
			}
			m.re[i] = regexp.MustCompile(r.Pattern) // the table is fixed: a test catches a bad one
			m.hasValue[i] = m.re[i].NumSubexp() > 0
		}
		// Built at the probe length newKeywords would search for: one
		// table, where the search from the longest keyword down builds
		// thirteen (about 20 ms and 19 MB at every start).
		if kw := buildKeywords(kws, ruleProbeLen); kw != nil {
			m.find = kw.find
		} else {
			matcherErr = fmt.Errorf("the rules' keywords cut to %d bytes need too many states", ruleProbeLen)
		}
		theMatcher = m
	})
	if matcherErr != nil {
		panic(fmt.Sprintf("secrets: building the keyword automaton: %v", matcherErr)) // the table is fixed: a test catches this
	}
	return theMatcher
}

// ruleKeywords lists the keywords of every rule, and for each the index
// of its rule.
func ruleKeywords() (kws []string, rule []int) {
	for i, r := range rules {
		for _, k := range r.Keywords {
			kws = append(kws, k)
			rule = append(rule, i)
		}
	}
	return kws, rule
}

func alnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// hit is one secret found in a stream.
type hit struct {
	rule  int
	value []byte // aliases the window: copy before the window moves
	line  int    // 1-based
	start int64  // offset of the value in the stream
}

// matchAt runs rule ri's pattern at buf[at:], with buf[:at] the bytes
// before (for context) and final telling whether buf ends the stream. It
// returns the value and its offsets in buf.
func (m *matcher) matchAt(ri int, buf []byte, at int) (vs, ve int, ok bool) {
	r := &rules[ri]
	if at > 0 && !r.AnyBefore && (alnum(buf[at-1]) || buf[at-1] == '_') && alnum(buf[at]) {
		return 0, 0, false // the keyword is inside a longer word
	}
	end := min(len(buf), at+maxMatch)
	loc := m.re[ri].FindSubmatchIndex(buf[at:end])
	if loc == nil {
		return 0, 0, false
	}
	me := at + loc[1]
	if me < len(buf) && m.cont[ri][buf[me]] {
		return 0, 0, false // the value goes on: a longer string
	}
	vs, ve = at+loc[0], me
	if m.hasValue[ri] && loc[2] >= 0 {
		vs, ve = at+loc[2], at+loc[3]
	}
	if Placeholder(string(buf[vs:ve])) {
		return 0, 0, false
	}
	if len(r.Context) > 0 && !nearby(buf, at, me, r.Context) {
		return 0, 0, false
	}
	return vs, ve, true
}

// nearby tells whether one of words (lowercase) appears within
// contextRadius bytes of buf[s:e].
func nearby(buf []byte, s, e int, words []string) bool {
	lo, hi := max(0, s-contextRadius), min(len(buf), e+contextRadius)
	around := bytes.ToLower(buf[lo:hi])
	for _, w := range words {
		if bytes.Contains(around, []byte(w)) {
			return true
		}
	}
	return false
}

// Search finds the secrets of a whole buffer (a config string, a git blob
// held in memory). fn gets each hit's rule, value and line.
func searchAll(buf []byte, fn func(h hit)) {
	newStream(fn).searchBuffer(buf)
}

// stream searches a byte stream chunk by chunk without holding it: it
// keeps a window of the last bytes, long enough for a match that spans a
// chunk boundary (maxMatch) and for a rule's context (contextRadius).
type stream struct {
	m     *matcher
	fn    func(hit)
	win   []byte
	base  int64 // stream offset of win[0]
	next  int   // keyword hits starting before win[next] are done
	lines int   // newlines in the stream before win[counted]
	// counted is where in win the newline count stands: each hit and each
	// cut counts only the bytes from there, never the window from its start.
	counted int
	lastE   int64   // stream offset where the last reported value ends
	size    int64   // the stream's length when known (newSizedStream), else 0
	whole   bool    // the stream came in one write and is searched
	kws     []kwHit // the keywords of the window last searched
}

// lineAt is the 1-based line of win[pos], moving the newline count there.
func (s *stream) lineAt(pos int) int {
	if pos >= s.counted {
		s.lines += bytes.Count(s.win[s.counted:pos], newline)
	} else {
		s.lines -= bytes.Count(s.win[pos:s.counted], newline)
	}
	s.counted = pos
	return s.lines + 1
}

var newline = []byte{'\n'}

// window is the size a stream's window grows to before it is searched.
const window = 256<<10 + maxMatch + contextRadius

func newStream(fn func(hit)) *stream {
	return &stream{m: getMatcher(), fn: fn}
}

// newSizedStream is newStream for a stream of about size bytes: a small
// file gets a window of its own size, not a whole one.
func newSizedStream(fn func(hit), size int64) *stream {
	s := newStream(fn)
	s.size = size
	return s
}

// windows recycles full-size windows.
var windows = sync.Pool{New: func() any { b := make([]byte, 0, window); return &b }}

// Write adds bytes to the stream, searching the window when it is full.
func (s *stream) Write(p []byte) (int, error) {
	n := len(p)
	if s.whole {
		return n, nil // the stream was longer than its size said
	}
	if s.win == nil && s.base == 0 && s.size > 0 && int64(n) == s.size {
		// The whole stream in one write: searched where it lies, not
		// copied into a window.
		s.whole = true
		s.searchBuffer(p)
		return n, nil
	}
	if s.win == nil && s.size > 0 && s.size < window {
		s.win = make([]byte, 0, max(s.size, 512))
	}
	for len(p) > 0 {
		if cap(s.win) < window && len(s.win)+len(p) > cap(s.win) {
			s.grow()
		}
		k := min(len(p), cap(s.win)-len(s.win))
		s.win = append(s.win, p[:k]...)
		p = p[k:]
		if len(s.win) == cap(s.win) {
			s.search(false)
		}
	}
	return n, nil
}

// grow moves the window into a full-size one.
func (s *stream) grow() {
	w := (*windows.Get().(*[]byte))[:0]
	s.win = append(w, s.win...)
}

// Close searches what is left, and gives a full-size window back.
func (s *stream) Close() error {
	if s.whole {
		return nil
	}
	s.search(true)
	if cap(s.win) == window {
		w := s.win[:0]
		windows.Put(&w)
	}
	s.win = nil
	return nil
}

// searchBuffer searches buf as a whole stream, without copying it.
func (s *stream) searchBuffer(buf []byte) {
	s.win = buf
	s.search(true)
	s.win = nil
}

// search reports the hits whose keyword starts in win[next:limit], where
// limit leaves room for a whole match unless the stream ends here, then
// drops the bytes no later match or context can need.
func (s *stream) search(final bool) {
	limit := len(s.win)
	if !final {
		limit -= maxMatch + contextRadius
	}
	if limit <= s.next {
		return
	}
	// One pass of the automaton over the new bytes gives every keyword
	// occurrence that starts there, in order.
	s.kws = s.m.find(s.kws[:0], s.win[s.next:], limit-s.next)
	at := s.next
	for _, kh := range s.kws {
		start := s.next + kh.start
		if start < at {
			continue // inside the value of a secret just reported
		}
		ri := s.m.rule[kh.kw]
		vs, ve, ok := s.m.matchAt(ri, s.win, start)
		if !ok {
			continue
		}
		abs := s.base + int64(vs)
		if abs < s.lastE {
			continue // inside a value already reported (a key block's body)
		}
		s.lastE = s.base + int64(ve)
		s.fn(hit{rule: ri, value: s.win[vs:ve], line: s.lineAt(vs), start: abs})
		at = max(at, ve)
	}
	s.next = limit
	if final {
		return
	}
	cut := max(0, s.next-contextRadius)
	s.lineAt(cut)
	s.counted = 0
	n := copy(s.win, s.win[cut:])
	s.win = s.win[:n]
	s.base += int64(cut)
	s.next -= cut
}
