package cache

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/cespare/xxhash/v2"
	"github.com/klauspost/compress/zstd"

	"github.com/stagescope/stagescope/layers"
)

// The record format. A record is
//
//	magic "SSLC" · format byte · uvarint len + key · zstd(body) · xxhash64 (8 bytes, LE)
//
// where the key names what the record holds (the analyzer version and the
// diff ID: a record found under another key is foreign) and the checksum
// covers every byte before it. The body is a list of sections, each
//
//	uvarint tag · uvarint len · payload
//
// Section 1 is the layer as layers.Read produced it (see appendLayer).
// Per-layer analyzers that come later (secrets, permissions) add their own
// tag and raise Version, which is part of every key.
const (
	magic       = "SSLC"
	formatV1    = 1
	checksumLen = 8
)

// Section tags.
const (
	// TagLayer is the layer's size, entries and captured files.
	TagLayer = 1
	// TagContent is the layer's Content: a content scanner's result (the
	// secret scan's), in the encoding Cache.KeepContent was given.
	TagContent = 2
)

// Section is one analyzer's results for a layer.
type Section struct {
	Tag  uint64
	Data []byte
}

// Entry flags: bits 0-2 type, bits 3-4 whiteout, then what follows.
const (
	flagLink   = 1 << 5
	flagDigest = 1 << 6
)

var (
	encoder, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
	decoder, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxBody))
)

// maxBody bounds a record's decompressed body: a foreign record cannot make
// the decoder allocate more.
const maxBody = 1 << 30

// Encode makes the record of lay's results (Size, EntryCount, Entries,
// Files) and of extra sections, under key.
func Encode(key string, lay *layers.Layer, extra ...Section) []byte {
	body := appendSection(nil, TagLayer, appendLayer(nil, lay))
	for _, s := range extra {
		body = appendSection(body, s.Tag, s.Data)
	}
	b := make([]byte, 0, len(key)+len(body)/3+32)
	b = append(b, magic...)
	b = append(b, formatV1)
	b = appendString(b, key)
	b = encoder.EncodeAll(body, b)
	return binary.LittleEndian.AppendUint64(b, xxhash.Sum64(b))
}

// Decode reads a record made by Encode under key. It returns the layer's
// results and the other sections; any damage, or a record made under
// another key, is an error.
func Decode(key string, b []byte) (*layers.Layer, []Section, error) {
	if len(b) < len(magic)+1+checksumLen || string(b[:len(magic)]) != magic {
		return nil, nil, errors.New("not a stagescope layer record")
	}
	sum := b[len(b)-checksumLen:]
	b = b[:len(b)-checksumLen]
	if binary.LittleEndian.Uint64(sum) != xxhash.Sum64(b) {
		return nil, nil, errors.New("checksum mismatch (damaged record)")
	}
	if b[len(magic)] != formatV1 {
		return nil, nil, fmt.Errorf("record format %d, want %d", b[len(magic)], formatV1)
	}
	r := reader{b: b[len(magic)+1:]}
	if got := r.string(); r.err != nil || got != key {
		return nil, nil, fmt.Errorf("record made for another key (%.80q)", got)
	}
	body, err := decoder.DecodeAll(r.b, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("decompressing record: %w", err)
	}
	r = reader{b: body}
	var (
		lay   *layers.Layer
		extra []Section
	)
	for len(r.b) > 0 && r.err == nil {
		tag := r.uvarint()
		data := r.bytes()
		if r.err != nil {
			break
		}
		if tag == TagLayer {
			if lay, err = decodeLayer(data); err != nil {
				return nil, nil, err
			}
			continue
		}
		extra = append(extra, Section{Tag: tag, Data: data})
	}
	if r.err != nil {
		return nil, nil, r.err
	}
	if lay == nil {
		return nil, nil, errors.New("record has no layer section")
	}
	return lay, extra, nil
}

func appendSection(b []byte, tag uint64, data []byte) []byte {
	b = binary.AppendUvarint(b, tag)
	b = binary.AppendUvarint(b, uint64(len(data)))
	return append(b, data...)
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// appendLayer encodes a layer's results. Paths share a prefix with the one
// before them (tar order keeps a directory's entries together), so each
// path is the length of the prefix it shares and the rest.
//
//	varint size · uvarint entry count · uvarint len(entries) · entries ·
//	uvarint len(files) · files (path, uvarint len + data)
//
// An entry is a flags byte, the path, the link target (flagLink), the size
// (zigzag varint), the xxhash64 digest (8 bytes LE, flagDigest), the mode,
// uid and gid (uvarints).
func appendLayer(b []byte, lay *layers.Layer) []byte {
	b = binary.AppendVarint(b, lay.Size)
	b = binary.AppendUvarint(b, uint64(lay.EntryCount))
	b = binary.AppendUvarint(b, uint64(len(lay.Entries)))
	prev := ""
	for i := range lay.Entries {
		e := &lay.Entries[i]
		flags := byte(e.Type&7) | byte(e.Whiteout&3)<<3
		if e.Link != "" {
			flags |= flagLink
		}
		if e.Digest != 0 {
			flags |= flagDigest
		}
		b = append(b, flags)
		n := commonPrefix(prev, e.Path)
		b = binary.AppendUvarint(b, uint64(n))
		b = appendString(b, e.Path[n:])
		prev = e.Path
		if e.Link != "" {
			b = appendString(b, e.Link)
		}
		b = binary.AppendVarint(b, e.Size)
		if e.Digest != 0 {
			b = binary.LittleEndian.AppendUint64(b, e.Digest)
		}
		b = binary.AppendUvarint(b, uint64(e.Mode))
		b = binary.AppendUvarint(b, uint64(e.UID))
		b = binary.AppendUvarint(b, uint64(e.GID))
	}
	b = binary.AppendUvarint(b, uint64(len(lay.Files)))
	for _, f := range lay.Files {
		b = appendString(b, f.Path)
		b = appendString(b, string(f.Data))
	}
	return b
}

func commonPrefix(a, b string) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// minEntryBytes is the fewest bytes an encoded entry takes (flags, prefix,
// suffix length, size, mode, uid, gid): a count larger than the bytes
// left allow is damage, found before allocating.
const minEntryBytes = 7

func decodeLayer(data []byte) (*layers.Layer, error) {
	r := reader{b: data}
	lay := &layers.Layer{Size: r.varint()}
	lay.EntryCount = r.int()
	n := r.int()
	if r.err == nil && n > len(r.b)/minEntryBytes {
		return nil, fmt.Errorf("record claims %d entries in %d bytes", n, len(r.b))
	}
	if n > layers.DefaultMaxEntries {
		// a shared store is not trusted with an allocation read cannot make
		return nil, fmt.Errorf("record claims %d entries, more than a layer may have (%d)", n, layers.DefaultMaxEntries)
	}
	if n > 0 {
		lay.Entries = make([]layers.Entry, n)
	}
	var (
		paths layers.Arena
		path  []byte
	)
	for i := 0; i < n && r.err == nil; i++ {
		e := &lay.Entries[i]
		flags := r.byte()
		e.Type, e.Whiteout = layers.Type(flags&7), layers.Whiteout(flags>>3&3)
		keep := r.int()
		if keep > len(path) {
			r.fail("path prefix longer than the path before it")
			break
		}
		path = append(path[:keep], r.raw()...)
		e.Path = paths.String(string(path))
		if flags&flagLink != 0 {
			e.Link = paths.String(string(r.raw()))
		}
		e.Size = r.varint()
		if flags&flagDigest != 0 {
			e.Digest = r.uint64()
		}
		e.Mode, e.UID, e.GID = r.uint32(), r.uint32(), r.uint32()
	}
	nf := r.int()
	if r.err == nil && nf > len(r.b)/2 {
		return nil, fmt.Errorf("record claims %d files in %d bytes", nf, len(r.b))
	}
	for i := 0; i < nf && r.err == nil; i++ {
		p := r.string()
		lay.Files = append(lay.Files, layers.File{Path: p, Data: r.bytes()})
	}
	if r.err == nil && len(r.b) > 0 {
		r.fail("trailing bytes after the layer")
	}
	if r.err != nil {
		return nil, r.err
	}
	return lay, nil
}

// reader decodes the primitives of a record; the first error sticks and
// every later read returns zero values.
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(msg string) {
	if r.err == nil {
		r.err = errors.New("damaged record: " + msg)
	}
	r.b = nil
}

func (r *reader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("bad varint")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail("bad varint")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) int() int {
	v := r.uvarint()
	if v > math.MaxInt32 {
		r.fail("count out of range")
		return 0
	}
	return int(v)
}

func (r *reader) uint32() uint32 {
	v := r.uvarint()
	if v > math.MaxUint32 {
		r.fail("value out of range")
		return 0
	}
	return uint32(v)
}

func (r *reader) byte() byte {
	if len(r.b) < 1 {
		r.fail("truncated")
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *reader) uint64() uint64 {
	if len(r.b) < 8 {
		r.fail("truncated")
		return 0
	}
	v := binary.LittleEndian.Uint64(r.b)
	r.b = r.b[8:]
	return v
}

// raw returns the next length-prefixed bytes, aliasing the record.
func (r *reader) raw() []byte {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.fail("length past the end")
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) string() string { return string(r.raw()) }

// bytes returns a copy of the next length-prefixed bytes.
func (r *reader) bytes() []byte {
	v := r.raw()
	if v == nil {
		return nil
	}
	return append([]byte{}, v...)
}
