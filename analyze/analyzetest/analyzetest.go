// Package analyzetest checks JSON reports against the report's JSON Schema,
// for the tests of every package that writes one.
package analyzetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/stagescope/stagescope/analyze/diff"
	"github.com/stagescope/stagescope/analyze/fleet"
	"github.com/stagescope/stagescope/analyze/report"
)

// compile compiles the JSON Schema schema, named file in errors, whose $id
// is id.
func compile(file, id string, schema []byte) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return nil, fmt.Errorf("parsing %s: %w", file, err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(id, doc); err != nil {
		return nil, fmt.Errorf("loading %s: %w", file, err)
	}
	sch, err := c.Compile(id)
	if err != nil {
		return nil, fmt.Errorf("compiling %s: %w", file, err)
	}
	return sch, nil
}

var reportSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	return compile("report.schema.json", report.SchemaID, report.Schema())
})

// Validate returns an error, with every violation, unless data is one JSON
// document that conforms to the report schema.
func Validate(data []byte) error {
	sch, err := reportSchema()
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var first json.RawMessage
	if err := dec.Decode(&first); err != nil {
		return fmt.Errorf("report is not JSON: %w", err)
	}
	if dec.More() {
		return fmt.Errorf("report holds more than one JSON document")
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(first))
	if err != nil {
		return fmt.Errorf("report is not JSON: %w", err)
	}
	if err := sch.Validate(v); err != nil {
		return fmt.Errorf("report does not follow report.schema.json: %w", err)
	}
	return nil
}

// ValidateReport fails the test unless data, the output of
// `stagescope inspect -o json` or an encoded report.Report, conforms to the
// report schema.
func ValidateReport(t testing.TB, data []byte) {
	t.Helper()
	if err := Validate(data); err != nil {
		t.Errorf("%v\nreport:\n%s", err, clip(data))
	}
}

// ValidateReportValue encodes r as JSON and validates it. It returns the
// encoded report.
func ValidateReportValue(t testing.TB, r *report.Report) []byte {
	t.Helper()
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatalf("encoding report: %v", err)
	}
	ValidateReport(t, data)
	return data
}

// clip keeps failure messages readable for big reports.
func clip(b []byte) []byte {
	const limit = 4000
	if len(b) <= limit {
		return b
	}
	return append(b[:limit:limit], "…"...)
}

var diffSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	return compile("diff.schema.json", diff.SchemaID, diff.Schema())
})

var fleetSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	return compile("fleet.schema.json", fleet.SchemaID, fleet.Schema())
})

// ValidateFleet fails the test unless data, the output of
// `stagescope merge -o json`, is one JSON document that conforms to the
// fleet report's schema.
func ValidateFleet(t testing.TB, data []byte) {
	t.Helper()
	validateDoc(t, "fleet report", fleetSchema, data)
}

// validateDoc fails the test unless data is one JSON document that
// conforms to the schema sch returns.
func validateDoc(t testing.TB, what string, sch func() (*jsonschema.Schema, error), data []byte) {
	t.Helper()
	s, err := sch()
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s is not one JSON document: %v", what, err)
	}
	if err := s.Validate(v); err != nil {
		t.Errorf("%s does not follow its schema: %v\n%s:\n%s", what, err, what, clip(data))
	}
}

var rulesSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	return compile("rules.schema.json", report.RulesSchemaID, report.RulesSchema())
})

// ValidateRuleList fails the test unless data, the output of
// `stagescope rules -o json`, is one JSON document that conforms to the
// rule list's schema.
func ValidateRuleList(t testing.TB, data []byte) {
	t.Helper()
	validateDoc(t, "rule list", rulesSchema, data)
}

// ValidateDiff returns an error, with every violation, unless data is one
// JSON document that conforms to the diff report schema.
func ValidateDiff(data []byte) error {
	sch, err := diffSchema()
	if err != nil {
		return err
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("diff report is not one JSON document: %w", err)
	}
	if err := sch.Validate(v); err != nil {
		return fmt.Errorf("diff report does not follow diff.schema.json: %w", err)
	}
	return nil
}

// ValidateDiffReport fails the test unless data, the output of
// `stagescope diff -o json`, conforms to the diff report schema.
func ValidateDiffReport(t testing.TB, data []byte) {
	t.Helper()
	if err := ValidateDiff(data); err != nil {
		t.Errorf("%v\ndiff report:\n%s", err, clip(data))
	}
}

// CheckClaims fails the test unless each finding of r claims as many files
// and bytes as it says, in its own layer, and the claims of all findings,
// each file version (path, layer) counted once, are the leftovers' union.
func CheckClaims(t testing.TB, r *report.Report) {
	t.Helper()
	type version struct {
		path  string
		layer int
	}
	union := map[version]int64{}
	for _, f := range r.Findings {
		var files, bytes int64
		for c := range f.Claims.All() {
			files++
			bytes += c.Bytes
			if c.Layer != f.Layer {
				t.Errorf("finding %s %s: claim %s in layer %d, the finding's is %d", f.RuleID, f.Path, c.Path, c.Layer, f.Layer)
			}
			union[version{c.Path, c.Layer}] = c.Bytes
		}
		if files != f.Files || int64(f.Claims.Len()) != f.Files || bytes != f.Bytes {
			t.Errorf("finding %s %s: %d claims (Len %d) of %d bytes, it says %d files of %d bytes", f.RuleID, f.Path, files, f.Claims.Len(), bytes, f.Files, f.Bytes)
		}
	}
	var files, bytes int64
	for _, b := range union {
		files++
		bytes += b
	}
	if files != r.Leftovers.Files || bytes != r.Leftovers.Bytes {
		t.Errorf("the findings' claims add up to %d files of %d bytes, the leftovers to %d files of %d bytes", files, bytes, r.Leftovers.Files, r.Leftovers.Bytes)
	}
}
