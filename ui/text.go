package ui

import (
	"strings"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/uniseg"
)

// seg is a piece of text drawn in one style.
type seg struct {
	text  string
	style tcell.Style
}

// drawText draws s from (x, y), at most w cells wide, and returns the cells
// used. A string cut short ends in "…", so nothing is cut silently. Control
// characters are drawn escaped (see Escape), never handed to the terminal.
func drawText(screen tcell.Screen, x, y, w int, s string, st tcell.Style) int {
	if w <= 0 {
		return 0
	}
	s = Escape(s)
	full := uniseg.StringWidth(s)
	limit := w
	if full > w {
		limit = w - 1
	}
	used := 0
	state := -1
	rest := s
	for rest != "" {
		var cluster string
		var width int
		cluster, rest, width, state = uniseg.FirstGraphemeClusterInString(rest, state)
		if used+width > limit {
			break
		}
		rs := []rune(cluster)
		screen.SetContent(x+used, y, rs[0], rs[1:], st) // a wide rune covers the next cell itself
		used += width
	}
	if full > w {
		screen.SetContent(x+used, y, '…', nil, st)
		used++
	}
	return used
}

// drawSegs draws segments one after the other and returns the cells used.
func drawSegs(screen tcell.Screen, x, y, w int, segs []seg) int {
	used := 0
	for _, s := range segs {
		if used >= w {
			break
		}
		used += drawText(screen, x+used, y, w-used, s.text, s.style)
	}
	return used
}

// fill paints a run of cells with a style.
func fill(screen tcell.Screen, x, y, w int, st tcell.Style) {
	for i := 0; i < w; i++ {
		screen.SetContent(x+i, y, ' ', nil, st)
	}
}

// width is the number of cells s takes.
func width(s string) int { return uniseg.StringWidth(s) }

// padLeft right-aligns s in n cells.
func padLeft(s string, n int) string {
	if d := n - width(s); d > 0 {
		return strings.Repeat(" ", d) + s
	}
	return s
}

// padRight left-aligns s in n cells.
func padRight(s string, n int) string {
	if d := n - width(s); d > 0 {
		return s + strings.Repeat(" ", d)
	}
	return s
}

// wrap breaks s into lines of at most w cells, at spaces where it can and
// inside words where it must. Nothing is dropped.
func wrap(s string, w int) []string {
	if w < 1 {
		w = 1
	}
	var out []string
	for _, para := range strings.Split(s, "\n") {
		line := ""
		for _, word := range strings.Fields(para) {
			for width(word) > w {
				if line != "" {
					out = append(out, line)
					line = ""
				}
				head, tail := splitWidth(word, w)
				out = append(out, head)
				word = tail
			}
			switch {
			case line == "":
				line = word
			case width(line)+1+width(word) <= w:
				line += " " + word
			default:
				out = append(out, line)
				line = word
			}
		}
		out = append(out, line)
	}
	return out
}

// splitWidth splits s after at most w cells.
func splitWidth(s string, w int) (string, string) {
	used, state := 0, -1
	rest := s
	for rest != "" {
		var cluster string
		var cw int
		cluster, rest, cw, state = uniseg.FirstGraphemeClusterInString(rest, state)
		if used+cw > w && used > 0 {
			return s[:len(s)-len(rest)-len(cluster)], s[len(s)-len(rest)-len(cluster):]
		}
		used += cw
	}
	return s, ""
}
