package report

import (
	"strconv"
	"testing"

	json "github.com/goccy/go-json"
)

// unescapeJSONPath is the reverse of JSONPath, as README documents it.
func unescapeJSONPath(s string) string {
	var out []byte
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && s[i+1] == '\\' {
			out = append(out, '\\')
			i++
			continue
		}
		if s[i] == '\\' && i+3 < len(s) && s[i+1] == 'x' {
			if b, err := strconv.ParseUint(s[i+2:i+4], 16, 8); err == nil {
				out = append(out, byte(b))
				i += 3
				continue
			}
		}
		out = append(out, s[i])
	}
	return string(out)
}

func TestJSONPath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "/"},
		{"usr/bin/env", "/usr/bin/env"},
		{"data/café", "/data/café"},
		{"data/caf\xe9", `/data/caf\xe9`},
		{"data/caf\xff", `/data/caf\xff`},
		{`data/caf\xe9`, `/data/caf\\xe9`},
		{`lib/systemd/system/system-systemd\x2dcryptsetup.slice`, `/lib/systemd/system/system-systemd\\x2dcryptsetup.slice`},
		{"a\\\xe9", `/a\\\xe9`},
		{"\xc3", `/\xc3`},                 // a UTF-8 sequence cut short
		{"\xed\xa0\x80", `/\xed\xa0\x80`}, // an encoded surrogate is not UTF-8
		{"x\x1b[2J", "/x\x1b[2J"},         // control characters are JSON's to escape
	}
	seen := map[string]string{}
	for _, tt := range tests {
		got := JSONPath(tt.in)
		if got != tt.want {
			t.Errorf("JSONPath(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if back := unescapeJSONPath(got[1:]); back != tt.in {
			t.Errorf("unescaping %q gives %q, want %q back", got, back, tt.in)
		}
		if other, ok := seen[got]; ok {
			t.Errorf("%q and %q are both written %q", other, tt.in, got)
		}
		seen[got] = tt.in
		// What a JSON decoder reads is what JSONPath wrote.
		b, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		var dec string
		if err := json.Unmarshal(b, &dec); err != nil || dec != got {
			t.Errorf("JSON round trip of %q: %q, %v", got, dec, err)
		}
	}
}
