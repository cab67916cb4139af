// Package readme keeps the samples of a Markdown file (README.md) equal to
// the real output the tests produce. A sample is the fenced code block that
// follows a line <!-- sample: NAME -->; tests regenerate its text and
// compare, and with their -update flag write it back.
package readme

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Sample returns the text of the sample name in doc (its lines between the
// fences, each ending in a newline) and where that text starts and ends.
func Sample(doc, name string) (body string, start, end int, err error) {
	marker := "<!-- sample: " + name + " -->\n"
	i := strings.Index(doc, marker)
	if i < 0 {
		return "", 0, 0, fmt.Errorf("no %q line", strings.TrimSpace(marker))
	}
	rest := doc[i+len(marker):]
	if !strings.HasPrefix(rest, "```") {
		return "", 0, 0, fmt.Errorf("sample %s: the line after its marker is not a ``` fence", name)
	}
	open := strings.IndexByte(rest, '\n')
	if open < 0 {
		return "", 0, 0, fmt.Errorf("sample %s: its fence does not end", name)
	}
	start = i + len(marker) + open + 1
	closing := strings.Index(doc[start:], "\n```")
	switch {
	case strings.HasPrefix(doc[start:], "```"):
		end = start
	case closing < 0:
		return "", 0, 0, fmt.Errorf("sample %s: no closing ``` fence", name)
	default:
		end = start + closing + 1
	}
	return doc[start:end], start, end, nil
}

// Sync compares the sample name of the file at path with got; with update
// it writes got into the file instead.
func Sync(t testing.TB, path, name, got string, update bool) {
	t.Helper()
	if !strings.HasSuffix(got, "\n") {
		got += "\n"
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	want, start, end, err := Sample(doc, name)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if update {
		if want != got {
			if err := os.WriteFile(path, []byte(doc[:start]+got+doc[end:]), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s: sample %s is not the real output (-%s +real; go test -update rewrites it):\n%s", path, name, path, diff)
	}
}
