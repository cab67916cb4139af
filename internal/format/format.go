// Package format writes the sizes and messages that stagescope's screens
// and reports show: one spelling of a size, one way to fold a message onto
// a line. The analysis keeps sizes as int64 bytes; ui and cmd format them
// here.
package format

import (
	"strings"

	"github.com/dustin/go-humanize"
)

// Bytes formats a size the way stagescope's screens and reports do (SI
// units, as docker and dive show them): "2.9 MB", "-152 B".
func Bytes(n int64) string {
	if n < 0 {
		return "-" + humanize.Bytes(uint64(-n))
	}
	return humanize.Bytes(uint64(n))
}

// OneLine folds a multi-line message onto one line, every run of white
// space one space.
func OneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// Count is n and noun, the noun plural unless n is 1, n with thousands
// separators: "1 file", "0 files", "2,345 files", "3 entries". The plural
// is the English regular one: noun+"s", or "ies" for a consonant and "y".
func Count(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if stem, ok := strings.CutSuffix(noun, "y"); ok && stem != "" && !strings.ContainsRune("aeiou", rune(stem[len(stem)-1])) {
		return humanize.Comma(n) + " " + stem + "ies"
	}
	return humanize.Comma(n) + " " + noun + "s"
}
