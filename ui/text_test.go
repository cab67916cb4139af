package ui

import (
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"
	"github.com/google/go-cmp/cmp"
)

func TestWrap(t *testing.T) {
	tests := []struct {
		in   string
		w    int
		want []string
	}{
		{"apt-get update && apt-get install -y gcc", 16, []string{"apt-get update", "&& apt-get", "install -y gcc"}},
		{"sha256:0123456789abcdef", 10, []string{"sha256:012", "3456789abc", "def"}},
		{"a\nb c", 10, []string{"a", "b c"}},
		{"", 5, []string{""}},
		{"日本語のテキスト", 6, []string{"日本語", "のテキ", "スト"}},
	}
	for _, tt := range tests {
		got := wrap(tt.in, tt.w)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("wrap(%q, %d) (-want +got):\n%s", tt.in, tt.w, diff)
		}
		// Nothing is dropped: the words come back in order.
		if joined := strings.Join(strings.Fields(strings.Join(got, "")), ""); joined != strings.Join(strings.Fields(tt.in), "") {
			t.Errorf("wrap(%q, %d) lost text: %q", tt.in, tt.w, got)
		}
		for _, l := range got {
			if width(l) > tt.w {
				t.Errorf("wrap(%q, %d): line %q is wider than %d", tt.in, tt.w, l, tt.w)
			}
		}
	}
}

// TestDrawTextMarksCuts: text that does not fit ends in "…", wide runes
// take two cells and are never split, control characters show escaped.
func TestDrawTextMarksCuts(t *testing.T) {
	tests := []struct {
		s    string
		w    int
		want string
		used int
	}{
		{"COPY . /app", 20, "COPY . /app", 11},
		{"COPY . /app", 8, "COPY . …", 8},
		{"日本語", 5, "日本…", 5},
		{"tab\there", 10, `tab\there`, 9},
		{"\x1b]0;title\x07name", 30, `\x1b]0;title\x07name`, 20},
		{"x", 0, "", 0},
	}
	for _, tt := range tests {
		s := tcell.NewSimulationScreen("UTF-8")
		if err := s.Init(); err != nil {
			t.Fatal(err)
		}
		s.SetSize(30, 1)
		used := drawText(s, 0, 0, tt.w, tt.s, tcell.StyleDefault)
		s.Show()
		got := strings.TrimRight(contents(s), " \n")
		s.Fini()
		if got != tt.want || used != tt.used {
			t.Errorf("drawText(%q, %d) = %q using %d cells, want %q using %d", tt.s, tt.w, got, used, tt.want, tt.used)
		}
	}
}

// TestHostileTitleAndDetails: a name with a newline, an escape sequence or
// a tview style tag shows escaped in a pane title and in a text pane: it
// neither starts a line of its own nor styles the frame.
func TestHostileTitleAndDetails(t *testing.T) {
	th := newTheme(false)
	const name = "app/evil\n\x1b[2J[red]x"
	l := newListView(&th, "Files", true)
	l.title = func() string { return "Files · /" + name }
	got := screenText(t, l, 60, 3)
	if want := `Files · /app/evil\n\x1b[2J[red]x`; !strings.Contains(got, want) {
		t.Errorf("title drawn as\n%s\nwant it to hold %q", got, want)
	}
	p := newTextPane(&th, "Details")
	p.set([]line{{label: "Path     ", text: "/" + name}})
	got = screenText(t, p, 60, 4)
	if want := `Path     /app/evil\n\x1b[2J[red]x`; !strings.Contains(got, want) {
		t.Errorf("details drawn as\n%s\nwant one line holding %q", got, want)
	}
}
