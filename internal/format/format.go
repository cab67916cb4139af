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
