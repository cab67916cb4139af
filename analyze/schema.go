package analyze

import _ "embed" // the report's JSON Schema

//go:embed report.schema.json
var reportSchema []byte

// ReportSchemaID is the $id of the report's JSON Schema.
const ReportSchemaID = "https://github.com/stagescope/stagescope/analyze/report.schema.json"

// ReportSchema returns the JSON Schema (draft 2020-12) that every Report
// encoded as JSON conforms to: analyze/report.schema.json. Its objects are
// closed, so a field added to the wire types must be added there too.
func ReportSchema() []byte {
	return append([]byte(nil), reportSchema...)
}

//go:embed diff.schema.json
var diffSchema []byte

// DiffSchemaID is the $id of the diff report's JSON Schema.
const DiffSchemaID = "https://github.com/stagescope/stagescope/analyze/diff.schema.json"

// DiffSchema returns the JSON Schema (draft 2020-12) of a DiffReport
// encoded as JSON: analyze/diff.schema.json. Its objects are closed too.
func DiffSchema() []byte {
	return append([]byte(nil), diffSchema...)
}
