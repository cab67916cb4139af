package report

import (
	"strings"
	"unicode/utf8"
)

// JSONPath is how a path of the image is written in the JSON reports. Tar
// names are bytes, not text: a JSON string cannot hold a byte that is not
// part of valid UTF-8, and encoders replace each such byte by U+FFFD, so
// that "caf\xe9" and "caf\xff" would both read "caf�". JSONPath writes such
// a byte as the four characters \xHH (lowercase hex) and a backslash as \\;
// every other character is written as is. The escape is reversible: read
// \\ as one backslash and \xHH as the byte HH. Paths without a backslash or
// an invalid byte, nearly all of them, are unchanged but for the leading
// "/" every path gets (the root is "/"), as text, SARIF and dive write them.
func JSONPath(p string) string {
	if !strings.Contains(p, `\`) && utf8.ValidString(p) {
		return "/" + p
	}
	const hex = "0123456789abcdef"
	var b strings.Builder
	b.Grow(len(p) + 9)
	b.WriteByte('/')
	for i := 0; i < len(p); {
		r, size := utf8.DecodeRuneInString(p[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			b.WriteString(`\x`)
			b.WriteByte(hex[p[i]>>4])
			b.WriteByte(hex[p[i]&0xf])
		case r == '\\':
			b.WriteString(`\\`)
		default:
			b.WriteString(p[i : i+size])
		}
		i += size
	}
	return b.String()
}

// JSONPaths is JSONPath of each of ps.
func JSONPaths(ps []string) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = JSONPath(p)
	}
	return out
}
