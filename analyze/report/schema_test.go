package report_test

import (
	"reflect"
	"testing"

	"github.com/stagescope/stagescope/analyze/analyzetest"
	"github.com/stagescope/stagescope/analyze/report"
)

// TestReportSchemaCoversWireTypes checks report.schema.json against the
// wire types (analyzetest.SchemaCoversType).
func TestReportSchemaCoversWireTypes(t *testing.T) {
	analyzetest.SchemaCoversType(t, "report.schema.json", report.Schema(), reflect.TypeFor[report.Report]())
}

// TestRulesSchemaCoversWireTypes checks rules.schema.json against RuleList.
func TestRulesSchemaCoversWireTypes(t *testing.T) {
	analyzetest.SchemaCoversType(t, "rules.schema.json", report.RulesSchema(), reflect.TypeFor[report.RuleList]())
}
