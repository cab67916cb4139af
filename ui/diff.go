package ui

import (
	"fmt"
	"strings"

	"github.com/aymanbagabas/go-udiff"
	"github.com/gdamore/tcell/v2"

	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/internal/format"
)

// diffSide is one version of a file to diff: its first viewLimit bytes and
// its full size, or nothing for a deletion.
type diffSide struct {
	v     *fstree.Version
	label string
	data  []byte
	size  int64
}

// text tells whether the side is text (a deletion is the empty text).
func (s diffSide) text() bool { return isText(s.data) }

// diffContext is how many unchanged lines surround each change.
const diffContext = 3

// diffLines is the unified diff of two versions of a file, line by line,
// tabs as spaces; a note says when the versions are equal, not both text,
// or compared only in part.
func diffLines(a, b diffSide) ([]string, error) {
	var out []string
	for _, s := range []diffSide{a, b} {
		if s.size > int64(len(s.data)) {
			out = append(out, fmt.Sprintf("… only the first %s of the %s of %s compared", format.Bytes(int64(len(s.data))), format.Bytes(s.size), s.label))
		}
	}
	if !a.text() || !b.text() {
		return append(out,
			"the versions are not both text: no line diff",
			fmt.Sprintf("%s: %s", a.label, sideKind(a)),
			fmt.Sprintf("%s: %s", b.label, sideKind(b))), nil
	}
	before, after := string(a.data), string(b.data)
	edits := udiff.Lines(before, after)
	if len(edits) == 0 {
		return append(out, fmt.Sprintf("%s and %s are the same (%s)", a.label, b.label, format.Bytes(int64(len(a.data))))), nil
	}
	u, err := udiff.ToUnified(a.label, b.label, before, edits, diffContext)
	if err != nil {
		return nil, fmt.Errorf("diffing %s and %s: %w", a.label, b.label, err)
	}
	u = strings.ReplaceAll(strings.TrimSuffix(u, "\n"), "\t", "    ")
	return append(out, strings.Split(u, "\n")...), nil
}

// sideKind says what a side of a diff holds that is not text.
func sideKind(s diffSide) string {
	switch {
	case s.v != nil && s.v.Deleted:
		return "deleted"
	case s.text():
		return fmt.Sprintf("text, %s", format.Bytes(s.size))
	}
	return fmt.Sprintf("binary, %s (v views it as a hex dump)", format.Bytes(s.size))
}

// diffable tells whether a version can be one side of a diff: a file, a
// hard link to one, or a deletion.
func diffable(v *fstree.Version) bool {
	return v != nil && (v.Deleted || viewable(v))
}

// diffStyle colors a line of a unified diff by its first character.
func diffStyle(th *theme, l string) tcell.Style {
	switch {
	case strings.HasPrefix(l, "+++ "), strings.HasPrefix(l, "--- "):
		return th.header
	case strings.HasPrefix(l, "@@"), strings.HasPrefix(l, "…"), strings.HasPrefix(l, `\`):
		return th.dim
	case strings.HasPrefix(l, "+"):
		return th.added
	case strings.HasPrefix(l, "-"):
		return th.removed
	}
	return th.base
}
