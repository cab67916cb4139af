package ui

import (
	"strings"
	"testing"
)

func TestEscape(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "usr/lib/gcc/cc1", "usr/lib/gcc/cc1"},
		{"empty", "", ""},
		{"unicode kept", "données/日本語/🙂.txt", "données/日本語/🙂.txt"},
		{"backslash kept", `RUN echo "a\nb" \`, `RUN echo "a\nb" \`},
		{"OSC title", "\x1b]0;pwned\x07x", `\x1b]0;pwned\x07x`},
		{"CSI clear", "a\x1b[2Jb", `a\x1b[2Jb`},
		{"newline", "a\nstagescope: fake", `a\nstagescope: fake`},
		{"carriage return and tab", "a\rb\tc", `a\rb\tc`},
		{"DEL and NUL", "a\x7f\x00", `a\x7f\x00`},
		{"C1 CSI as a rune", "a\u009b2J", `a\u009b2J`},
		{"bidi override", "evil\u202etxt.exe", `evil\u202etxt.exe`},
		{"bidi isolate", "a\u2066b\u2069", `a\u2066b\u2069`},
		{"line separator", "a\u2028b", `a\u2028b`},
		{"invalid UTF-8", "bad-\xff\xfe-name", `bad-\xff\xfe-name`},
		{"raw C1 byte", "a\x9bb", `a\x9bb`},
		{"escape after unicode", "é\x1b", `é\x1b`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Escape(tt.in)
			if got != tt.want {
				t.Errorf("Escape(%q) = %q, want %q", tt.in, got, tt.want)
			}
			for _, c := range []byte(got) {
				if c < 0x20 || c == 0x7f {
					t.Errorf("Escape(%q) = %q holds control byte %#x", tt.in, got, c)
				}
			}
		})
	}
}

func TestEscapeKeepsCleanStrings(t *testing.T) {
	for _, s := range []string{"usr/share/doc/a b", "名前/ファイル", "x"} {
		if got := testing.AllocsPerRun(100, func() { _ = Escape(s) }); got != 0 {
			t.Errorf("Escape(%q) allocates %v times, want 0", s, got)
		}
	}
}

func FuzzEscape(f *testing.F) {
	for _, s := range []string{"plain", "\x1b]0;t\x07", "a\nb", "\xff", "\u202e", "é\u009b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Escape(s)
		for _, c := range []byte(got) {
			if c < 0x20 || c == 0x7f {
				t.Fatalf("Escape(%q) = %q holds control byte %#x", s, got, c)
			}
		}
		for _, r := range got {
			if needsEscape(r) {
				t.Fatalf("Escape(%q) = %q holds %U", s, got, r)
			}
		}
		if !strings.ContainsAny(s, "\\") && strings.Count(got, `\`) == 0 && got != s {
			t.Fatalf("Escape(%q) = %q changed a string it did not escape", s, got)
		}
		if Escape(got) != got {
			t.Fatalf("Escape is not idempotent on %q", got)
		}
	})
}
