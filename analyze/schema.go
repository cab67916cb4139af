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
