package secrets

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/coregx/ahocorasick"
	gocmp "github.com/google/go-cmp/cmp"

	"github.com/stagescope/stagescope/analyze/secrets/secretstest"
	"github.com/stagescope/stagescope/layers"
)

// libraryFind is the keyword prefilter the automaton replaced, a
// well-kept Aho-Corasick library, with find's contract: the occurrences
// of kws starting in buf[:limit], by start, then keyword.
func libraryFind(t testing.TB, kws []string) func([]kwHit, []byte, int) []kwHit {
	t.Helper()
	ac, err := ahocorasick.NewBuilder().SetASCII(true).AddStrings(kws).Build()
	if err != nil {
		t.Fatal(err)
	}
	maxLen := 0
	for _, k := range kws {
		maxLen = max(maxLen, len(k))
	}
	return func(hits []kwHit, buf []byte, limit int) []kwHit {
		n0 := len(hits)
		for _, m := range ac.FindAllOverlapping(buf[:min(len(buf), limit+maxLen-1)]) {
			if m.Start < limit {
				hits = append(hits, kwHit{m.Start, int32(m.PatternID)})
			}
		}
		slices.SortFunc(hits[n0:], func(a, b kwHit) int {
			return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(a.kw, b.kw))
		})
		return hits
	}
}

// plantedText is n random bytes over alphabet with keywords from kws
// written over them at random places, often overlapping or adjacent.
func plantedText(r *rand.Rand, n int, alphabet string, kws []string) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	for range n / 16 {
		copy(b[r.IntN(n+1):], kws[r.IntN(len(kws))])
	}
	return b
}

// sizes are text lengths around the places where find changes how it
// works: one lane or all, segment ends, a keyword's or a probe's length.
func sizes(maxLen, probeLen int) []int {
	l := lanes * minLane
	return []int{0, 1, 2, probeLen - 1, probeLen, maxLen - 1, maxLen, 100, l - 1, l, l + 1, l + lanes - 1,
		l + probeLen - 2, l + probeLen - 1, l + probeLen, l + maxLen - 1, l + maxLen, 3*l + 2, 4099, 65_537}
}

// TestKeywordsMatchLibrary: the automaton finds what the library finds,
// for the rules' keywords and for random keyword sets full of shared
// prefixes and suffixes (keywords inside keywords), short ones and long
// ones cut to probes, on random text with keywords planted everywhere,
// lane and segment edges included.
func TestKeywordsMatchLibrary(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	ruleKws, _ := ruleKeywords()
	var alphabet strings.Builder
	for _, k := range ruleKws {
		alphabet.WriteString(k)
	}
	alphabet.WriteString(" \n\x00\xff")
	sets := []struct {
		name     string
		kws      []string
		alphabet string
	}{{"rules", ruleKws, alphabet.String()}}
	for i := range 26 {
		seen := map[string]bool{}
		var kws []string
		n, long := 1+r.IntN(30), 0
		if i >= 20 {
			n, long = 40, 20 // too many states: probes shorter than keywords
		}
		for range n {
			k := string(plantedText(r, 1+r.IntN(6)+r.IntN(long+1), "abc"[:2+i%2], []string{"a"}))
			if !seen[k] {
				seen[k] = true
				kws = append(kws, k)
			}
		}
		sets = append(sets, struct {
			name     string
			kws      []string
			alphabet string
		}{fmt.Sprintf("random%d", i), kws, "abcd"})
	}
	cut := 0
	for _, set := range sets {
		k, err := newKeywords(set.kws)
		if err != nil {
			t.Fatalf("%s: %v", set.name, err)
		}
		if k.probeLen < k.maxLen {
			cut++
		}
		lib := libraryFind(t, set.kws)
		for _, n := range sizes(k.maxLen, k.probeLen) {
			if n > 5000 && set.name != "rules" {
				continue // (the random sets' hits are too many for the library to be quick)
			}
			text := plantedText(r, n, set.alphabet, set.kws)
			for _, limit := range []int{n, max(0, n-k.maxLen+1), r.IntN(n + 1)} {
				got, want := k.find(nil, text, limit), lib(nil, text, limit)
				if len(want) == 0 && limit > 1000 {
					t.Fatalf("%s: no keyword in %d bytes: the text is not planted", set.name, limit)
				}
				if slices.Equal(got, want) {
					continue // (a diff of the thousands of hits is slow)
				}
				if d := gocmp.Diff(want, got, gocmp.AllowUnexported(kwHit{})); d != "" {
					t.Fatalf("%s, %d bytes, limit %d (keywords %q): hits (-library +automaton):\n%s", set.name, n, limit, set.kws, d)
				}
			}
		}
	}
	if cut < 2 {
		t.Errorf("%d keyword sets with probes shorter than keywords, want the rules' and more", cut)
	}
}

// TestNewKeywordsProbes: the probes are as long as fits, and keyword
// sets the automaton cannot hold are an error, not a panic or a wrong
// table.
func TestNewKeywordsProbes(t *testing.T) {
	var many, firsts []string
	for i := range 3000 {
		many = append(many, fmt.Sprintf("k%04d", i))
	}
	for i := range 129 {
		firsts = append(firsts, string(rune(i))+"x")
	}
	ruleKws, _ := ruleKeywords()
	for _, tc := range []struct {
		name     string
		kws      []string
		probeLen int // 0: an error
	}{
		{"the rules'", ruleKws, 7},
		{"few", []string{"abc", "abd", "x"}, 3},
		{"3000", many, 3}, // k000 to k299 would be 300 match states
		{"empty keyword", []string{"ab", ""}, 0},
		{"129 first bytes", firsts, 0},
	} {
		k, err := newKeywords(tc.kws)
		switch {
		case tc.probeLen == 0 && err == nil:
			t.Errorf("%s: newKeywords succeeded, want an error", tc.name)
		case tc.probeLen != 0 && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case err == nil && k.probeLen != tc.probeLen:
			t.Errorf("%s: probes of %d bytes, want %d", tc.name, k.probeLen, tc.probeLen)
		}
	}
}

// libraryMatcher is the secrets matcher with the library for prefilter.
func libraryMatcher(t testing.TB) *matcher {
	m := *getMatcher()
	kws, _ := ruleKeywords()
	m.find = libraryFind(t, kws)
	return &m
}

// streamHits runs text through a stream of matcher m, in chunks of size
// bytes, and returns its hits, each value copied.
func streamHits(m *matcher, text []byte, size int) []found {
	var out []found
	s := &stream{m: m, fn: func(h hit) {
		out = append(out, found{Rule: rules[h.rule].ID, Value: string(h.value), Line: h.line})
	}}
	for rest := text; len(rest) > 0; rest = rest[min(size, len(rest)):] {
		_, _ = s.Write(rest[:min(size, len(rest))])
	}
	_ = s.Close()
	return out
}

// TestStreamMatchesLibrary: whole and in chunks, a stream reports the
// same secrets with the automaton as with the library, on text with
// secrets of every rule planted across window and lane boundaries.
func TestStreamMatchesLibrary(t *testing.T) {
	g := secretstest.New(17)
	r := rand.New(rand.NewPCG(3, 4))
	lib := libraryMatcher(t)
	// Where the stream cuts: the window, the search limit within it, and
	// the lanes' segments of a window.
	step := window - maxMatch - contextRadius
	var at []int
	for w := 1; w <= 3; w++ {
		for _, edge := range []int{w * step, w*step - contextRadius, w * window, w*step + step/lanes, w*step + 3*step/lanes} {
			at = append(at, edge-40+r.IntN(80))
		}
	}
	slices.Sort(at)
	var b bytes.Buffer
	plants := g.All()
	for i, pos := range at {
		filler := plantedText(r, max(0, pos-b.Len()), "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ0123456789\n_-=:\"", []string{"SK", "eyJ", "AKIA", "token"})
		b.Write(filler)
		p := plants[i%len(plants)]
		b.WriteString(" " + p.Text + "\n")
	}
	text := b.Bytes()
	want := streamHits(lib, text, len(text))
	if len(want) < len(at) {
		t.Fatalf("the library finds %d secrets, want at least the %d planted", len(want), len(at))
	}
	for _, size := range []int{len(text), 1, 4093, 65_536, window + 1} {
		if size == 1 {
			size = 997 // one-byte writes take too long with the library
		}
		for name, m := range map[string]*matcher{"automaton": getMatcher(), "library": lib} {
			if d := gocmp.Diff(want, streamHits(m, text, size)); d != "" {
				t.Errorf("%s in chunks of %d (-library whole +got):\n%s", name, size, d)
			}
		}
	}
}

// diffScanner compares, file by file, the automaton with the library on
// the text of an image's layers: the keyword occurrences of each whole
// file, and the secrets a stream reports in chunks.
type diffScanner struct {
	t     *testing.T
	lib   *matcher
	mu    *sync.Mutex
	stats *diffStats
}

type diffStats struct{ files, bytes, keywords, secrets int }

func (d *diffScanner) Open(p string, size int64) io.WriteCloser {
	if size > FileLimit {
		return nil
	}
	return &diffFile{d: d, path: p}
}

func (d *diffScanner) Result() any { return nil }

type diffFile struct {
	d    *diffScanner
	path string
	buf  bytes.Buffer
}

func (f *diffFile) Write(p []byte) (int, error) { return f.buf.Write(p) }

func (f *diffFile) Close() error {
	text := f.buf.Bytes()
	if bytes.IndexByte(text[:min(len(text), sniffLen)], 0) >= 0 {
		return nil
	}
	d := f.d
	got, want := getMatcher().find(nil, text, len(text)), d.lib.find(nil, text, len(text))
	if diff := gocmp.Diff(want, got, gocmp.AllowUnexported(kwHit{})); diff != "" {
		d.t.Errorf("%s: keywords (-library +automaton):\n%s", f.path, diff)
	}
	gotS, wantS := streamHits(getMatcher(), text, 4096), streamHits(d.lib, text, 4096)
	if diff := gocmp.Diff(wantS, gotS); diff != "" {
		d.t.Errorf("%s: secrets (-library +automaton):\n%s", f.path, diff)
	}
	d.mu.Lock()
	d.stats.files++
	d.stats.bytes += len(text)
	d.stats.keywords += len(want)
	d.stats.secrets += len(wantS)
	d.mu.Unlock()
	return nil
}

// TestImageTextMatchesLibrary runs diffScanner over the text files of
// real images: testdata/leftovers.tar (configuration, scripts, package
// metadata), the planted-secrets image, and with STAGESCOPE_DIFF_SHARED=1
// every shared image (C headers, Perl, Python, node_modules: minutes).
func TestImageTextMatchesLibrary(t *testing.T) {
	lib := libraryMatcher(t)
	imgs := map[string]func(t *testing.T, scan layers.Option) error{
		"leftovers.tar": archive("../../testdata/leftovers.tar"),
		"planted": func(t *testing.T, scan layers.Option) error {
			img, _, err := secretstest.PlantedImage(5, t.TempDir())
			if errors.Is(err, secretstest.ErrNoGit) {
				t.Skip("skipping: the planted image needs the git program to build its .git")
			}
			if err != nil {
				return err
			}
			_, err = layers.Read(context.Background(), img, scan)
			return err
		},
	}
	dir := cmp.Or(os.Getenv("STAGESCOPE_IMAGES"), "/var/cache/stagescope-images")
	shared, _ := filepath.Glob(filepath.Join(dir, "docker-archive", "*.tar"))
	fromShared := map[string]bool{}
	if os.Getenv("STAGESCOPE_DIFF_SHARED") == "1" {
		for _, p := range shared {
			imgs[filepath.Base(p)] = archive(p)
			fromShared[filepath.Base(p)] = true // (a static binary's image has no text)
		}
	} else {
		t.Logf("the %d shared images in %s are not compared: STAGESCOPE_DIFF_SHARED=1 does that", len(shared), dir)
	}
	for name, read := range imgs {
		t.Run(name, func(t *testing.T) {
			st := &diffStats{}
			mu := &sync.Mutex{}
			err := read(t, layers.WithContentScan(layers.ContentScan{Start: func(context.Context) layers.ContentScanner {
				return &diffScanner{t: t, lib: lib, mu: mu, stats: st}
			}}))
			if err != nil {
				t.Fatal(err)
			}
			if (st.files == 0 || st.keywords == 0) && !fromShared[name] {
				t.Fatalf("%d text files, %d keywords: the image gave the comparison nothing to compare", st.files, st.keywords)
			}
			t.Logf("%d text files, %d bytes, %d keywords, %d secrets: the same", st.files, st.bytes, st.keywords, st.secrets)
		})
	}
}

// archive reads the image of a docker archive.
func archive(p string) func(t *testing.T, scan layers.Option) error {
	return func(_ *testing.T, scan layers.Option) error {
		src, err := layers.Load(context.Background(), p)
		if err != nil {
			return err
		}
		_, err = src.Read(context.Background(), scan)
		return err
	}
}

// BenchmarkFind is the prefilter alone, on the text of BenchmarkStream.
func BenchmarkFind(b *testing.B) {
	text := []byte(secretstest.New(1).S("abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ0123456789\n_-=:\"", 4<<20))
	find := getMatcher().find
	b.SetBytes(int64(len(text)))
	var hits []kwHit
	for b.Loop() {
		hits = find(hits[:0], text, len(text))
	}
}

// TestRuleProbeLen: the matcher builds the rules' automaton at
// ruleProbeLen without searching for it; that is the length the search
// finds.
func TestRuleProbeLen(t *testing.T) {
	kws, _ := ruleKeywords()
	k, err := newKeywords(kws)
	if err != nil {
		t.Fatal(err)
	}
	if k.probeLen != ruleProbeLen {
		t.Errorf("newKeywords builds the rules' keywords with probes of %d bytes; ruleProbeLen is %d: set it to %d", k.probeLen, ruleProbeLen, k.probeLen)
	}
}
