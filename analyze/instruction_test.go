package analyze_test

import (
	"testing"

	"github.com/stagescope/stagescope/analyze"
)

func TestInstruction(t *testing.T) {
	for in, want := range map[string]string{
		"/bin/sh -c apt-get update":                        "apt-get update",
		"/bin/sh -c #(nop) COPY dir:abc in /app ":          "COPY dir:abc in /app",
		"RUN |1 A=b /bin/sh -c make \\\n\t&& make install": "RUN |1 A=b /bin/sh -c make \\ && make install",
		"COPY . /app # buildkit":                           "COPY . /app # buildkit",
		"":                                                 "-",
	} {
		if got := analyze.Instruction(in); got != want {
			t.Errorf("Instruction(%q) = %q, want %q", in, got, want)
		}
	}
}
