package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stagescope/stagescope/internal/readme"
)

// TestReadmeSamples: README.md's text and JSON samples are the real output
// of testdata/leftovers.tar; -update rewrites them.
func TestReadmeSamples(t *testing.T) {
	// run at the repository's root, as README's command is
	root := filepath.Join("..", "..")
	path := filepath.Join(root, "README.md")
	text := stagescopeIn(t, root, "inspect", "-o", "text", "testdata/leftovers.tar")
	if text.code != exitOK || text.stderr != "" {
		t.Fatalf("exit status %d, stderr %q", text.code, text.stderr)
	}
	readme.Sync(t, path, "text", text.stdout, *update)

	js := stagescopeIn(t, root, "inspect", "-o", "json", "testdata/leftovers.tar")
	if js.code != exitOK || js.stderr != "" {
		t.Fatalf("exit status %d, stderr %q", js.code, js.stderr)
	}
	var full map[string]json.RawMessage
	if err := json.Unmarshal([]byte(js.stdout), &full); err != nil {
		t.Fatal(err)
	}
	var findings []json.RawMessage
	if err := json.Unmarshal(full["findings"], &findings); err != nil || len(findings) == 0 {
		t.Fatalf("findings: %v (%d)", err, len(findings))
	}
	var leftovers map[string]json.RawMessage
	if err := json.Unmarshal(full["leftovers"], &leftovers); err != nil {
		t.Fatal(err)
	}
	delete(leftovers, "layers") // one entry per layer: left out of the excerpt
	excerpt := struct {
		SchemaVersion json.RawMessage            `json:"schemaVersion"`
		Image         json.RawMessage            `json:"image"`
		Summary       json.RawMessage            `json:"summary"`
		Leftovers     map[string]json.RawMessage `json:"leftovers"`
		Findings      []json.RawMessage          `json:"findings"`
	}{full["schemaVersion"], full["image"], full["summary"], leftovers, findings[:1]}
	var b bytes.Buffer
	if err := writeJSON(&b, excerpt); err != nil {
		t.Fatal(err)
	}
	readme.Sync(t, path, "json", b.String(), *update)
}
