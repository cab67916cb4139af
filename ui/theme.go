package ui

import "github.com/gdamore/tcell/v2"

// theme holds every style the browser draws with. The monochrome theme uses
// attributes only, so that nothing depends on color: marks are letters,
// the cursor is reverse video.
type theme struct {
	base     tcell.Style
	dim      tcell.Style
	header   tcell.Style
	cursor   tcell.Style // the selected row of the focused pane
	cursorBg tcell.Style // the selected row of another pane
	added    tcell.Style
	modified tcell.Style
	removed  tcell.Style
	dir      tcell.Style
	errStyle tcell.Style
	key      tcell.Style
	border   tcell.Style
	title    tcell.Style
}

func newTheme(color bool) theme {
	def := tcell.StyleDefault
	t := theme{
		base:     def,
		dim:      def.Dim(true),
		header:   def.Bold(true),
		cursor:   def.Reverse(true),
		cursorBg: def.Underline(true),
		added:    def,
		modified: def,
		removed:  def.Dim(true),
		dir:      def.Bold(true),
		errStyle: def.Bold(true),
		key:      def.Bold(true),
		border:   def,
		title:    def.Bold(true),
	}
	if !color {
		return t
	}
	t.added = def.Foreground(tcell.ColorGreen)
	t.modified = def.Foreground(tcell.ColorYellow)
	t.removed = def.Foreground(tcell.ColorRed)
	t.dir = def.Foreground(tcell.ColorBlue).Bold(true)
	t.errStyle = def.Foreground(tcell.ColorRed).Bold(true)
	t.key = def.Foreground(tcell.ColorAqua).Bold(true)
	t.title = def.Foreground(tcell.ColorAqua).Bold(true)
	t.dim = def.Foreground(tcell.ColorGray)
	t.cursorBg = def.Background(tcell.ColorDarkSlateGray)
	return t
}

// status is what the selected layer range did to a path.
type status uint8

const (
	stAbsent status = iota
	stUnchanged
	stAdded
	stModified
	stRemoved
)

func (s status) mark() string {
	switch s {
	case stAdded:
		return "+"
	case stModified:
		return "~"
	case stRemoved:
		return "-"
	}
	return " "
}

// String names the status as the tree's title and Details say it.
func (s status) String() string {
	switch s {
	case stAdded:
		return "added"
	case stModified:
		return "modified"
	case stRemoved:
		return "removed"
	case stUnchanged:
		return "unchanged"
	}
	return "absent"
}

func (t *theme) forStatus(s status) tcell.Style {
	switch s {
	case stAdded:
		return t.added
	case stModified:
		return t.modified
	case stRemoved:
		return t.removed
	}
	return t.base
}
