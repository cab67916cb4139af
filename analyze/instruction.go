package analyze

import (
	"strings"

	"github.com/stagescope/stagescope/internal/format"
)

// Instruction is the Dockerfile instruction a history created_by records,
// without the shell prefix builders put in front of it and with its white
// space folded onto one line; "-" when there is none.
func Instruction(createdBy string) string {
	s := strings.TrimSpace(createdBy)
	s = strings.TrimPrefix(s, "/bin/sh -c ")
	s = strings.TrimPrefix(s, "#(nop) ")
	s = format.OneLine(s)
	if s == "" {
		return "-"
	}
	return s
}
