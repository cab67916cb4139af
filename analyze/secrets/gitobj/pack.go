package gitobj

import (
	"bufio"
	"compress/zlib"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
)

// Pack returns the writer of a packfile's stream. A goroutine parses the
// pack as its bytes arrive (nothing but the delta-base cache is held) and
// hands every commit, blob and tag to fn, deltas applied. Whatever stops the
// parse (a truncated zlib stream, a bad delta, a base that is missing,
// evicted or part of a delta loop) is reported to warn; Write then fails,
// and the caller moves on. Close waits for the parser. When ctx ends, the
// parser stops at the next object or delta and Write fails: Close then
// returns at once.
func Pack(ctx context.Context, fn func(Object), warn func(string)) io.WriteCloser {
	pr, pw := io.Pipe()
	p := &pack{ctx: ctx, fn: fn, warn: warn, pw: pw, done: make(chan struct{}),
		byOff: map[int64]*cached{}, byID: map[string]*cached{}}
	stop := context.AfterFunc(ctx, func() { pw.CloseWithError(ctx.Err()) })
	go func() {
		defer close(p.done)
		defer stop()
		err := p.parse(&countingReader{r: bufio.NewReaderSize(pr, 64<<10)})
		if err != nil {
			if ctx.Err() == nil {
				p.warn(err.Error())
			}
			pr.CloseWithError(err)
			return
		}
		_, _ = io.Copy(io.Discard, pr) // the trailing checksum
	}()
	return p
}

type cached struct {
	off  int64
	id   string
	typ  string
	data []byte
}

type pending struct {
	off   int64
	base  string
	delta []byte
}

type pack struct {
	ctx   context.Context
	fn    func(Object)
	warn  func(string)
	pw    *io.PipeWriter
	done  chan struct{}
	byOff map[int64]*cached
	byID  map[string]*cached
	fifo  []*cached // cache order, oldest first
	bytes int       // bytes cached
	// unresolved counts deltas whose base was too large, evicted or
	// missing; skipped counts objects over MaxObject.
	unresolved, skipped int
	pending             []pending
	pendingBytes        int
	zr                  io.ReadCloser
}

func (p *pack) Write(b []byte) (int, error) { return p.pw.Write(b) }

func (p *pack) Close() error {
	_ = p.pw.Close()
	<-p.done
	return nil
}

// countingReader counts the bytes read: an object's offset in the pack.
type countingReader struct {
	r *bufio.Reader
	n int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	return n, err
}

func (c *countingReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.n++
	}
	return b, err
}

const (
	objOfsDelta = 6
	objRefDelta = 7
	// maxPending bounds the REF deltas kept until their base shows up.
	maxPending = 16 << 20
)

func (p *pack) parse(r *countingReader) error {
	var hdr [12]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return fmt.Errorf("pack header: %w", err)
	}
	if string(hdr[:4]) != "PACK" {
		return errors.New("not a packfile (no PACK signature)")
	}
	if v := binary.BigEndian.Uint32(hdr[4:8]); v != 2 && v != 3 {
		return fmt.Errorf("pack version %d not supported", v)
	}
	count := binary.BigEndian.Uint32(hdr[8:])
	for i := uint32(0); i < count; i++ {
		if err := p.ctx.Err(); err != nil {
			return err
		}
		off := r.n
		typ, size, err := typeSize(r)
		if err != nil {
			return fmt.Errorf("object %d at offset %d: %w", i, off, err)
		}
		switch typ {
		case 1, 2, 3, 4:
			data, err := p.inflate(r, size)
			if err != nil {
				return fmt.Errorf("object %d at offset %d: %w", i, off, err)
			}
			if data != nil {
				p.emit(off, typeNames[typ], data)
			}
		case objOfsDelta:
			neg, err := ofsDelta(r)
			if err != nil {
				return fmt.Errorf("object %d at offset %d: %w", i, off, err)
			}
			delta, err := p.inflate(r, size)
			if err != nil {
				return fmt.Errorf("object %d at offset %d: %w", i, off, err)
			}
			if neg <= 0 || neg > off-12 {
				return fmt.Errorf("object %d at offset %d: delta base offset %d outside the pack", i, off, off-neg)
			}
			base := p.byOff[off-neg]
			if delta == nil || base == nil {
				p.unresolved++
				continue
			}
			if _, err := p.applyEmit(off, base, delta); err != nil {
				return fmt.Errorf("object %d at offset %d: %w", i, off, err)
			}
		case objRefDelta:
			var id [20]byte
			if _, err := io.ReadFull(r, id[:]); err != nil {
				return fmt.Errorf("object %d at offset %d: %w", i, off, err)
			}
			delta, err := p.inflate(r, size)
			if err != nil {
				return fmt.Errorf("object %d at offset %d: %w", i, off, err)
			}
			if delta == nil {
				p.unresolved++
				continue
			}
			base := p.byID[hex.EncodeToString(id[:])]
			if base == nil {
				if p.pendingBytes+len(delta) > maxPending {
					p.unresolved++
					continue
				}
				p.pending = append(p.pending, pending{off: off, base: hex.EncodeToString(id[:]), delta: delta})
				p.pendingBytes += len(delta)
				continue
			}
			if _, err := p.applyEmit(off, base, delta); err != nil {
				return fmt.Errorf("object %d at offset %d: %w", i, off, err)
			}
		default:
			return fmt.Errorf("object %d at offset %d: bad object type %d", i, off, typ)
		}
	}
	if err := p.resolvePending(); err != nil {
		return err
	}
	if p.unresolved > 0 || p.skipped > 0 {
		p.warn(fmt.Sprintf("%d objects larger than %d bytes skipped, %d deltas not resolved (base too large, evicted from the %d-byte cache, missing, or in a delta loop)",
			p.skipped, MaxObject, p.unresolved, CacheBytes))
	}
	return nil
}

// resolvePending applies the REF deltas whose base came later in the pack.
// Each waits under its base's ID; applying one names a new object, and the
// deltas waiting for that one go next, so a chain in any order resolves in
// one walk (linear in the deltas, not a pass over all of them per link). A
// loop of deltas never gets a base and ends up counted as unresolved. It
// stops when the pack's context ends.
func (p *pack) resolvePending() error {
	waiting := make(map[string][]pending, len(p.pending))
	for _, d := range p.pending {
		waiting[d.base] = append(waiting[d.base], d)
	}
	p.pending = nil
	var ready []string
	for id := range waiting {
		if p.byID[id] != nil {
			ready = append(ready, id)
		}
	}
	slices.Sort(ready) // a deterministic order
	for len(ready) > 0 {
		id := ready[len(ready)-1]
		ready = ready[:len(ready)-1]
		ds := waiting[id]
		delete(waiting, id)
		base := p.byID[id]
		if base == nil {
			p.unresolved += len(ds) // evicted from the cache meanwhile
			continue
		}
		for _, d := range ds {
			if err := p.ctx.Err(); err != nil {
				return err
			}
			c, err := p.applyEmit(d.off, base, d.delta)
			if err != nil {
				p.warn(fmt.Sprintf("object at offset %d: %v", d.off, err))
			}
			if c != nil && len(waiting[c.id]) > 0 {
				ready = append(ready, c.id)
			}
		}
	}
	for _, ds := range waiting {
		p.unresolved += len(ds)
	}
	return nil
}

// applyEmit applies delta to base and emits the result, which it returns
// (nil when the result is too large to keep).
func (p *pack) applyEmit(off int64, base *cached, delta []byte) (*cached, error) {
	data, err := applyDelta(base.data, delta)
	if errors.Is(err, errTooLarge) {
		p.skipped++
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return p.emit(off, base.typ, data), nil
}

// emit names an object, caches it as a possible base and hands it on.
func (p *pack) emit(off int64, typ string, data []byte) *cached {
	c := &cached{off: off, id: objectID(typ, data), typ: typ, data: data}
	p.byOff[off], p.byID[c.id] = c, c
	p.fifo = append(p.fifo, c)
	p.bytes += len(data)
	for p.bytes > CacheBytes && len(p.fifo) > 0 {
		old := p.fifo[0]
		p.fifo = p.fifo[1:]
		delete(p.byOff, old.off)
		if p.byID[old.id] == old {
			delete(p.byID, old.id)
		}
		p.bytes -= len(old.data)
	}
	if typ != "tree" {
		p.fn(Object{ID: c.id, Type: typ, Data: data})
	}
	return c
}

// inflate reads one zlib stream of size bytes. It returns nil data for an
// object larger than MaxObject, read past and counted as skipped.
func (p *pack) inflate(r *countingReader, size int64) ([]byte, error) {
	var err error
	if p.zr == nil {
		p.zr, err = zlib.NewReader(r)
	} else {
		err = p.zr.(zlib.Resetter).Reset(r, nil)
	}
	if err != nil {
		return nil, fmt.Errorf("zlib: %w", err)
	}
	dst := io.Discard
	var buf *limitedBuffer
	if size <= MaxObject {
		buf = &limitedBuffer{b: make([]byte, 0, size), max: int(size)}
		dst = buf
	} else {
		p.skipped++
	}
	n, err := io.Copy(dst, io.LimitReader(p.zr, size+1))
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("truncated zlib stream: %w", err)
		}
		if errors.Is(err, errTooLarge) {
			return nil, fmt.Errorf("inflates past its declared %d bytes", size)
		}
		return nil, fmt.Errorf("zlib: %w", err)
	}
	if n != size {
		return nil, fmt.Errorf("inflates to %d bytes, header says %d", n, size)
	}
	if buf == nil {
		return nil, nil
	}
	return buf.b, nil
}

// typeSize reads an object header: type and inflated size.
func typeSize(r io.ByteReader) (int, int64, error) {
	b, err := r.ReadByte()
	if err != nil {
		return 0, 0, err
	}
	typ := int(b>>4) & 7
	size := int64(b & 15)
	for shift := 4; b&0x80 != 0; shift += 7 {
		if shift > 56 {
			return 0, 0, errors.New("object size too large")
		}
		if b, err = r.ReadByte(); err != nil {
			return 0, 0, err
		}
		size |= int64(b&0x7f) << shift
	}
	return typ, size, nil
}

// ofsDelta reads an OFS_DELTA's distance back to its base.
func ofsDelta(r io.ByteReader) (int64, error) {
	b, err := r.ReadByte()
	if err != nil {
		return 0, err
	}
	ofs := int64(b & 0x7f)
	for n := 0; b&0x80 != 0; n++ {
		if n > 8 {
			return 0, errors.New("delta base offset too large")
		}
		if b, err = r.ReadByte(); err != nil {
			return 0, err
		}
		ofs = ((ofs + 1) << 7) | int64(b&0x7f)
	}
	return ofs, nil
}

// deltaSize reads one of a delta's two leading sizes.
func deltaSize(d []byte) (int, []byte, error) {
	var n int
	for i, shift := 0, 0; i < len(d) && shift < 63; i, shift = i+1, shift+7 {
		n |= int(d[i]&0x7f) << shift
		if d[i]&0x80 == 0 {
			return n, d[i+1:], nil
		}
	}
	return 0, nil, errors.New("bad delta header")
}

// applyDelta applies a git delta to base.
func applyDelta(base, d []byte) ([]byte, error) {
	src, d, err := deltaSize(d)
	if err != nil {
		return nil, err
	}
	dst, d, err := deltaSize(d)
	if err != nil {
		return nil, err
	}
	if src != len(base) {
		return nil, fmt.Errorf("delta expects a %d-byte base, got %d", src, len(base))
	}
	if dst > MaxObject {
		return nil, errTooLarge
	}
	out := make([]byte, 0, dst)
	for len(d) > 0 {
		op := d[0]
		d = d[1:]
		switch {
		case op&0x80 != 0:
			var off, size int
			for bit := range 7 {
				if op&(1<<bit) == 0 {
					continue
				}
				if len(d) == 0 {
					return nil, errors.New("truncated delta copy")
				}
				if bit < 4 {
					off |= int(d[0]) << (8 * bit)
				} else {
					size |= int(d[0]) << (8 * (bit - 4))
				}
				d = d[1:]
			}
			if size == 0 {
				size = 0x10000
			}
			if off+size > len(base) || len(out)+size > dst {
				return nil, errors.New("delta copies outside its base or result")
			}
			out = append(out, base[off:off+size]...)
		case op > 0:
			if int(op) > len(d) || len(out)+int(op) > dst {
				return nil, errors.New("truncated delta insert")
			}
			out = append(out, d[:op]...)
			d = d[op:]
		default:
			return nil, errors.New("reserved delta opcode 0")
		}
	}
	if len(out) != dst {
		return nil, fmt.Errorf("delta makes %d bytes, header says %d", len(out), dst)
	}
	return out, nil
}
