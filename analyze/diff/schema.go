package diff

import _ "embed" // the diff report's JSON Schema

//go:embed diff.schema.json
var diffSchema []byte

// SchemaID is the $id of the diff report's JSON Schema.
const SchemaID = "https://github.com/stagescope/stagescope/analyze/diff.schema.json"

// Schema returns the JSON Schema (draft 2020-12) of a Report encoded as
// JSON: analyze/diff/diff.schema.json. Its objects are closed too.
func Schema() []byte {
	return append([]byte(nil), diffSchema...)
}
