package ui

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Escape makes a string that came from an image safe to show on a
// terminal: control characters (C0, DEL, C1) become visible escapes (`\n`,
// `\x1b`, `\u009b`), so that no escape sequence reaches the terminal and no
// newline starts a line of its own; bytes that are not UTF-8 become `\xff`;
// the invisible characters that reorder or hide text (bidi controls, line
// and paragraph separators, zero-width spaces) become `\u202e`. Everything
// else, backslashes included, is kept: the escapes are for people, and the
// JSON report keeps exact values for programs. A string with nothing to
// escape is returned as is, without allocating.
//
// Every image-derived string printed by stagescope goes through Escape: the
// text reports, error lines, and every cell the browser draws.
func Escape(s string) string {
	i := 0
	for i < len(s) {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			break
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || needsEscape(r) {
			break
		}
		i += size
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\x`)
			writeHex(&b, uint32(s[i]), 2)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x80 && needsEscape(r):
			b.WriteString(`\x`)
			writeHex(&b, uint32(r), 2)
		case needsEscape(r):
			b.WriteString(`\u`)
			writeHex(&b, uint32(r), 4)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// needsEscape tells the runes Escape replaces.
func needsEscape(r rune) bool {
	switch {
	case unicode.IsControl(r): // C0, DEL and C1
		return true
	case r < 0x600:
		return false
	}
	switch r {
	case 0x061c, // Arabic letter mark
		0x200b, 0x200c, 0x200e, 0x200f, // zero-width space and non-joiner, LRM, RLM
		0x2028, 0x2029, // line and paragraph separators
		0x2060, 0xfeff: // word joiner, zero-width no-break space
		return true
	}
	return r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 // bidi embeddings, overrides, isolates
}

func writeHex(b *strings.Builder, v uint32, digits int) {
	h := strconv.FormatUint(uint64(v), 16)
	for n := len(h); n < digits; n++ {
		b.WriteByte('0')
	}
	b.WriteString(h)
}
