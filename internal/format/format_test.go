package format

import "testing"

func TestBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 152: "152 B", -152: "-152 B", 2_900_000: "2.9 MB", 1 << 30: "1.1 GB"} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestOneLine(t *testing.T) {
	for s, want := range map[string]string{
		"":         "",
		"one line": "one line",
		"  unauthorized:\n\tauthentication required\r\n": "unauthorized: authentication required",
	} {
		if got := OneLine(s); got != want {
			t.Errorf("OneLine(%q) = %q, want %q", s, got, want)
		}
	}
}

func TestCount(t *testing.T) {
	for _, tt := range []struct {
		n    int64
		noun string
		want string
	}{
		{0, "file", "0 files"},
		{1, "file", "1 file"},
		{2, "layer", "2 layers"},
		{-1, "byte", "-1 bytes"},
		{12345, "finding", "12,345 findings"},
		{3, "entry", "3 entries"},
		{1, "entry", "1 entry"},
		{2, "key", "2 keys"},
	} {
		if got := Count(tt.n, tt.noun); got != tt.want {
			t.Errorf("Count(%d, %q) = %q, want %q", tt.n, tt.noun, got, tt.want)
		}
	}
}
