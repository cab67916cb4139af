package gitobj

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto/sha1" //nolint:gosec // git's object names
	"encoding/binary"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func deflate(b []byte) []byte {
	var buf bytes.Buffer
	zw := zlib.NewWriter(&buf)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return buf.Bytes()
}

// objHeader is a pack object's type-and-size header.
func objHeader(typ int, size int) []byte {
	b := byte(typ<<4) | byte(size&15)
	size >>= 4
	var out []byte
	for size > 0 {
		out = append(out, b|0x80)
		b = byte(size & 0x7f)
		size >>= 7
	}
	return append(out, b)
}

func varint(n int) []byte {
	var out []byte
	for {
		b := byte(n & 0x7f)
		n >>= 7
		if n == 0 {
			return append(out, b)
		}
		out = append(out, b|0x80)
	}
}

// insertDelta is a delta that makes out from nothing of a base of size n.
func insertDelta(n int, out []byte) []byte {
	d := append(varint(n), varint(len(out))...)
	for len(out) > 0 {
		k := min(len(out), 127)
		d = append(d, byte(k))
		d = append(d, out[:k]...)
		out = out[k:]
	}
	return d
}

// copyDelta copies a whole base of size n, then inserts extra.
func copyDelta(n int, extra []byte) []byte {
	d := append(varint(n), varint(n+len(extra))...)
	d = append(d, 0x80|0x01|0x10, 0, byte(n)) // copy offset 0, size n (< 256)
	d = append(d, byte(len(extra)))
	return append(d, extra...)
}

type packObj struct {
	typ  int
	data []byte // inflated body (a delta for types 6 and 7)
	ofs  int64  // OFS_DELTA: distance back
	ref  []byte // REF_DELTA: base ID
}

func buildPack(objs ...packObj) []byte {
	var b bytes.Buffer
	b.WriteString("PACK")
	_ = binary.Write(&b, binary.BigEndian, uint32(2))
	_ = binary.Write(&b, binary.BigEndian, uint32(len(objs)))
	for _, o := range objs {
		b.Write(objHeader(o.typ, len(o.data)))
		switch o.typ {
		case objOfsDelta:
			n := o.ofs
			enc := []byte{byte(n & 0x7f)}
			for n >>= 7; n > 0; n >>= 7 {
				n--
				enc = append([]byte{0x80 | byte(n&0x7f)}, enc...)
			}
			b.Write(enc)
		case objRefDelta:
			b.Write(o.ref)
		}
		b.Write(deflate(o.data))
	}
	sum := sha1.Sum(b.Bytes()) //nolint:gosec // the pack's trailer
	b.Write(sum[:])
	return b.Bytes()
}

func rawID(typ string, data []byte) []byte {
	h := sha1.New() //nolint:gosec // git's object names
	h.Write([]byte(typ + " " + strconv.Itoa(len(data)) + "\x00"))
	h.Write(data)
	return h.Sum(nil)
}

// runPack streams pack through the writer in chunks and returns the
// objects handed on and the warnings.
func runPack(t *testing.T, pack []byte, chunk int) (objs []string, warns []string) {
	t.Helper()
	w := Pack(context.Background(), func(o Object) { objs = append(objs, o.Type+":"+string(o.Data)) }, func(s string) { warns = append(warns, s) })
	done := make(chan struct{})
	go func() {
		defer close(done)
		for rest := pack; len(rest) > 0; {
			n := min(chunk, len(rest))
			if _, err := w.Write(rest[:n]); err != nil {
				break // the parser gave up: the caller moves on
			}
			rest = rest[n:]
		}
		_ = w.Close()
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the pack parser did not finish")
	}
	return objs, warns
}

func TestPackDeltas(t *testing.T) {
	base := []byte("settings\nTOKEN=abc\n")
	baseID := rawID("blob", base)
	// The OFS delta's distance: from its own offset back to the base's (12).
	first := 12 + len(objHeader(3, len(base))) + len(deflate(base))
	pack := buildPack(
		packObj{typ: 3, data: base},
		packObj{typ: objOfsDelta, data: copyDelta(len(base), []byte("more\n")), ofs: int64(first - 12)},
		packObj{typ: objRefDelta, data: copyDelta(len(base), []byte("ref\n")), ref: baseID},
	)
	for _, chunk := range []int{1, 5, 1 << 20} {
		objs, warns := runPack(t, pack, chunk)
		want := []string{"blob:" + string(base), "blob:" + string(base) + "more\n", "blob:" + string(base) + "ref\n"}
		if diff := cmp.Diff(want, objs); diff != "" {
			t.Errorf("chunks of %d: objects (-want +got):\n%s", chunk, diff)
		}
		if len(warns) > 0 {
			t.Errorf("chunks of %d: warnings %v", chunk, warns)
		}
	}
}

func TestPackRefDeltaBeforeItsBase(t *testing.T) {
	base := []byte("the base comes last\n")
	pack := buildPack(
		packObj{typ: objRefDelta, data: copyDelta(len(base), []byte("+delta\n")), ref: rawID("blob", base)},
		packObj{typ: 3, data: base},
	)
	objs, warns := runPack(t, pack, 7)
	want := []string{"blob:" + string(base), "blob:" + string(base) + "+delta\n"}
	if diff := cmp.Diff(want, objs); diff != "" || len(warns) > 0 {
		t.Errorf("objects (-want +got):\n%s\nwarnings %v", diff, warns)
	}
}

func TestPackBadInput(t *testing.T) {
	a, b := []byte("object a, 20 bytes.."), []byte("object b, 20 bytes..")
	good := buildPack(packObj{typ: 3, data: bytes.Repeat([]byte("some text "), 500)}, packObj{typ: 3, data: a})
	for _, tc := range []struct {
		name string
		pack []byte
		warn string
	}{
		{"delta loop", buildPack(
			packObj{typ: objRefDelta, data: insertDelta(len(b), a), ref: rawID("blob", b)},
			packObj{typ: objRefDelta, data: insertDelta(len(a), b), ref: rawID("blob", a)},
		), "2 deltas not resolved"},
		{"truncated zlib", good[:len(good)/3], "truncated zlib stream"},
		{"OFS delta before the pack", buildPack(packObj{typ: objOfsDelta, data: insertDelta(1, a), ofs: 100}), "outside the pack"},
		{"bad delta", buildPack(packObj{typ: 3, data: a}, packObj{typ: objRefDelta, data: append(varint(len(a)), 5, 0x80|0x01|0x10, 200, 40), ref: rawID("blob", a)}), "delta copies outside"},
		{"not a pack", []byte("hello, world"), "no PACK signature"},
		{"zlib bomb past its size", func() []byte {
			p := buildPack(packObj{typ: 3, data: bytes.Repeat([]byte("x"), 4000)})
			// Claim 10 bytes: the stream inflates past them.
			return append(append(p[:12:12], objHeader(3, 10)...), p[12+len(objHeader(3, 4000)):]...)
		}(), "inflates past"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, warns := runPack(t, tc.pack, 64)
			if !strings.Contains(strings.Join(warns, "\n"), tc.warn) {
				t.Errorf("warnings %q, want one containing %q", warns, tc.warn)
			}
		})
	}
}

func TestLoose(t *testing.T) {
	body := []byte("password: hunter2\n")
	obj := deflate(append([]byte("blob "+strconv.Itoa(len(body))+"\x00"), body...))
	for _, tc := range []struct {
		name     string
		data     []byte
		want     []string
		wantWarn string
	}{
		{"blob", obj, []string{"blob:" + string(body)}, ""},
		{"truncated", obj[:len(obj)/2], nil, "truncated zlib stream"},
		{"not zlib", []byte("plain text"), nil, "zlib"},
		{"size lies", deflate([]byte("blob 99\x00short")), nil, "bad object header"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got, warns []string
			w := Loose(context.Background(), "ab"+strings.Repeat("0", 38), func(o Object) { got = append(got, o.Type+":"+string(o.Data)) }, func(s string) { warns = append(warns, s) })
			_, _ = w.Write(tc.data)
			_ = w.Close()
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("objects (-want +got):\n%s", diff)
			}
			if tc.wantWarn != "" && !strings.Contains(strings.Join(warns, "\n"), tc.wantWarn) {
				t.Errorf("warnings %q, want one containing %q", warns, tc.wantWarn)
			}
		})
	}
}

func TestPaths(t *testing.T) {
	for _, tc := range []struct {
		p      string
		loose  string
		isPack bool
	}{
		{"app/.git/objects/ab/" + strings.Repeat("c", 38), "ab" + strings.Repeat("c", 38), false},
		{".git/objects/pack/pack-1234.pack", "", true},
		{"srv/repo.git/objects/pack/pack-1234.pack", "", true},
		{"app/.git/objects/pack/pack-1234.idx", "", false},
		{"app/objects/ab/" + strings.Repeat("c", 38), "", false}, // not a repository
		{"app/.git/objects/info/packs", "", false},
		{"app/.git/objects/AB/" + strings.Repeat("C", 38), "", false},
	} {
		if got := LooseID(tc.p); got != tc.loose {
			t.Errorf("LooseID(%q) = %q, want %q", tc.p, got, tc.loose)
		}
		if got := IsPack(tc.p); got != tc.isPack {
			t.Errorf("IsPack(%q) = %v, want %v", tc.p, got, tc.isPack)
		}
	}
}

func FuzzApplyDelta(f *testing.F) {
	f.Add([]byte("base"), copyDelta(4, []byte("x")))
	f.Add([]byte(""), insertDelta(0, []byte("abc")))
	f.Fuzz(func(t *testing.T, base, delta []byte) {
		out, err := applyDelta(base, delta)
		if err == nil && len(out) > MaxObject {
			t.Fatalf("result of %d bytes", len(out))
		}
	})
}

// reverseChain is a pack of n REF deltas, each on the object the next one
// makes, stored newest first, and their first base at the end: every
// delta waits, and only one becomes ready per link.
func reverseChain(n int) (pack []byte, want []string) {
	objs := make([][]byte, n+1)
	objs[0] = []byte("version 0 of the file\n")
	for i := 1; i <= n; i++ {
		objs[i] = append(append([]byte(nil), objs[i-1][:22]...), []byte(strconv.Itoa(i)+"\n")...)
	}
	var po []packObj
	for i := n; i >= 1; i-- {
		po = append(po, packObj{typ: objRefDelta, data: insertDelta(len(objs[i-1]), objs[i]), ref: rawID("blob", objs[i-1])})
	}
	po = append(po, packObj{typ: 3, data: objs[0]})
	for i := range objs {
		want = append(want, "blob:"+string(objs[i]))
	}
	return buildPack(po...), want
}

func TestPackReverseRefChain(t *testing.T) {
	pack, want := reverseChain(300)
	objs, warns := runPack(t, pack, 4096)
	if diff := cmp.Diff(want, objs); diff != "" || len(warns) > 0 {
		t.Errorf("objects (-want +got):\n%s\nwarnings %v", diff, warns)
	}
}

// TestPackCancel ends the context of a pack while its bytes still arrive,
// and while its deltas resolve: the parser stops there (Write fails, Close
// returns, no object is handed on after), without a warning.
func TestPackCancel(t *testing.T) {
	pack, want := reverseChain(2000)
	t.Run("while streaming", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		var warns []string
		n := 0
		w := Pack(ctx, func(Object) { n++ }, func(s string) { warns = append(warns, s) })
		if _, err := w.Write(pack[:len(pack)/2]); err != nil {
			t.Fatalf("first half: %v", err)
		}
		cancel()
		if _, err := w.Write(pack[len(pack)/2:]); err == nil {
			t.Errorf("Write after the context ended: no error")
		}
		_ = w.Close()
		if n != 0 || len(warns) != 0 {
			t.Errorf("%d objects handed on, warnings %q; want none (every delta waits for the base at the end)", n, warns)
		}
	})
	t.Run("while resolving", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		var warns []string
		n := 0
		w := Pack(ctx, func(Object) {
			if n++; n == 10 {
				cancel()
			}
		}, func(s string) { warns = append(warns, s) })
		_, _ = w.Write(pack)
		_ = w.Close()
		if n != 10 || len(warns) != 0 {
			t.Errorf("%d of %d objects handed on, warnings %q; want 10 and none", n, len(want), warns)
		}
	})
}

func TestLooseCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	called := false
	w := Loose(ctx, "ab"+strings.Repeat("0", 38), func(Object) { called = true }, func(string) {})
	_, _ = w.Write(deflate([]byte("blob 5\x00hello")))
	cancel()
	_ = w.Close()
	if called {
		t.Errorf("an object was handed on after the context ended")
	}
}

// BenchmarkPackReverseRefChain resolves a chain of 5000 REF deltas stored
// newest first: one walk, where pass after pass over every waiting delta
// was quadratic.
func BenchmarkPackReverseRefChain(b *testing.B) {
	pack, want := reverseChain(5000)
	for b.Loop() {
		n := 0
		w := Pack(context.Background(), func(Object) { n++ }, func(string) {})
		_, _ = w.Write(pack)
		_ = w.Close()
		if n != len(want) {
			b.Fatalf("%d objects, want %d", n, len(want))
		}
	}
}
