package report

import _ "embed" // the report's JSON Schema

//go:embed report.schema.json
var reportSchema []byte

// SchemaID is the $id of the report's JSON Schema.
const SchemaID = "https://github.com/stagescope/stagescope/analyze/report.schema.json"

// Schema returns the JSON Schema (draft 2020-12) that every Report
// encoded as JSON conforms to: analyze/report/report.schema.json. Its objects are
// closed, so a field added to the wire types must be added there too.
func Schema() []byte {
	return append([]byte(nil), reportSchema...)
}
