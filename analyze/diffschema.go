package analyze

import _ "embed" // the diff report's JSON Schema

//go:embed diff.schema.json
var diffSchema []byte

// DiffSchemaID is the $id of the diff report's JSON Schema.
const DiffSchemaID = "https://github.com/stagescope/stagescope/analyze/diff.schema.json"

// DiffSchema returns the JSON Schema (draft 2020-12) of a DiffReport
// encoded as JSON: analyze/diff.schema.json. Its objects are closed too.
func DiffSchema() []byte {
	return append([]byte(nil), diffSchema...)
}
