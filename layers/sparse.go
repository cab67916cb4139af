package layers

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Sparse files (old GNU 'S' headers and PAX GNU.sparse 0.0, 0.1 and 1.0)
// store only their data fragments; the holes between them are a map in the
// headers. archive/tar fills the holes with zeros when the file is read, so
// a 1 PiB hole in a few hundred bytes of tar would take days to read and
// could never be counted honestly. stagescope never reads a sparse file's
// contents: it counts the bytes the layer stores for it (its data
// fragments) and keeps the logical size as metadata. archive/tar skips
// those stored bytes by itself on the next header, without expanding
// anything.
//
// archive/tar does not say how many bytes a sparse file stores: it reports
// the logical size only. So the reader taps the bytes archive/tar reads
// while it parses a header, and when the entry turns out sparse, reads the
// stored size from them: the size field of its header (or a PAX "size"
// record), less the map that PAX 1.0 keeps at the start of the data.

// SparseFile is a sparse file of a layer: its entry's Size is what the
// layer stores for it, Logical the size it would have once extracted.
type SparseFile struct {
	Path    string
	Stored  int64
	Logical int64
}

// maxSparseHeaders bounds the header bytes kept to measure a sparse file:
// the PAX and GNU long-name records before its header (archive/tar allows
// 1 MiB each).
const maxSparseHeaders = 4 << 20

// headerTap sits between the counting reader and archive/tar. While armed,
// it records what archive/tar reads from the stream offset where the next
// header starts: that header's blocks, the PAX and GNU records before it,
// and a PAX 1.0 sparse map after it.
type headerTap struct {
	r       io.Reader
	pos     int64 // stream offset of the next byte
	armed   bool
	from    int64  // record from this offset on
	rec     []byte // what was recorded, at most maxSparseHeaders bytes
	recLen  int64  // how much was read from `from` on, recorded or not
	dataEnd int64  // where the current entry's data section ends
}

func (t *headerTap) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if t.armed && n > 0 && t.pos+int64(n) > t.from {
		b := p[:n]
		if t.pos < t.from {
			b = b[t.from-t.pos:]
		}
		t.recLen += int64(len(b))
		if room := maxSparseHeaders - len(t.rec); room > 0 {
			t.rec = append(t.rec, b[:min(len(b), room)]...)
		}
	}
	t.pos += int64(n)
	return n, err
}

// arm starts recording at the header after the current entry.
func (t *headerTap) arm() {
	t.armed = true
	t.from = (t.dataEnd + 511) &^ 511
	t.rec, t.recLen = t.rec[:0], 0
}

// entryRead records, once archive/tar returned h, where its data section
// ends: stored bytes for a sparse file, none for the types archive/tar
// reads no data for.
func (t *headerTap) entryRead(h *tar.Header, stored int64) {
	t.armed = false
	switch {
	case stored >= 0:
		t.dataEnd = t.pos + stored
	case headerOnly(h.Typeflag):
		t.dataEnd = t.pos
	default:
		t.dataEnd = t.pos + h.Size
	}
}

// headerOnly tells the types whose size archive/tar ignores (as docker does).
func headerOnly(typ byte) bool {
	switch typ {
	case tar.TypeLink, tar.TypeSymlink, tar.TypeChar, tar.TypeBlock, tar.TypeDir, tar.TypeFifo:
		return true
	}
	return false
}

// sparseKind tells whether h is a sparse file, and which kind: "" for
// none, "gnu" (old GNU), "pax0" (0.0 and 0.1, map in PAX records) or
// "pax1" (1.0, map at the start of the data), as archive/tar decides.
func sparseKind(h *tar.Header) string {
	if h.Typeflag == tar.TypeGNUSparse {
		return "gnu"
	}
	major, minor := h.PAXRecords["GNU.sparse.major"], h.PAXRecords["GNU.sparse.minor"]
	switch {
	case major == "1" && minor == "0":
		return "pax1"
	case major == "0" && (minor == "0" || minor == "1"):
		return "pax0"
	case major == "" && minor == "" && h.PAXRecords["GNU.sparse.map"] != "":
		return "pax0"
	}
	return ""
}

// sparseStored returns the bytes the layer stores for the sparse file h
// that archive/tar has just returned, from the header bytes the tap
// recorded.
func (t *headerTap) sparseStored(h *tar.Header, kind string) (int64, error) {
	rec := t.rec
	off := 0
	for {
		if off+512 > len(rec) {
			return 0, errors.New("sparse file: its header is not where the stream says")
		}
		blk := rec[off : off+512]
		off += 512
		size, ok := parseNumeric(blk[124:136])
		if !ok || size < 0 {
			return 0, errors.New("sparse file: bad size field")
		}
		switch blk[156] {
		case tar.TypeXHeader, tar.TypeGNULongName, tar.TypeGNULongLink:
			if size > maxSparseHeaders {
				return 0, fmt.Errorf("sparse file: header records over %d bytes", maxSparseHeaders)
			}
			off += int((size + 511) &^ 511)
			continue
		}
		if (kind == "gnu") != (blk[156] == tar.TypeGNUSparse) {
			return 0, errors.New("sparse file: its header is not where the stream says")
		}
		// The data section's size, as archive/tar set it up: a PAX
		// "size" record overrides the field.
		if s, ok := h.PAXRecords["size"]; ok {
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil || v < 0 {
				return 0, errors.New("sparse file: bad PAX size")
			}
			size = v
		}
		if kind == "pax1" {
			// The map archive/tar has read from the data section.
			size -= t.recLen - int64(off)
		}
		if size < 0 {
			return 0, errors.New("sparse file: its map is larger than its data")
		}
		return size, nil
	}
}

// parseNumeric reads a tar number field: octal, or base-256 when its
// first byte has the high bit set (GNU).
func parseNumeric(b []byte) (int64, bool) {
	if len(b) > 0 && b[0]&0x80 != 0 {
		if b[0] != 0x80 || len(b) > 9 && strings.Trim(string(b[1:len(b)-8]), "\x00") != "" {
			return 0, false // negative, or more than 63 bits
		}
		var v int64
		for _, c := range b[max(1, len(b)-8):] {
			v = v<<8 | int64(c)
		}
		return v, v >= 0
	}
	s := strings.Trim(string(b), " \x00")
	if s == "" {
		return 0, true
	}
	v, err := strconv.ParseInt(s, 8, 64)
	return v, err == nil
}
