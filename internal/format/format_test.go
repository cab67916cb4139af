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
