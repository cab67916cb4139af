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
	"github.com/stagescope/stagescope/analyze/report"
)

var reportSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(report.Schema()))
	if err != nil {
		return nil, fmt.Errorf("parsing report.schema.json: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(report.SchemaID, doc); err != nil {
		return nil, fmt.Errorf("loading report.schema.json: %w", err)
	}
	sch, err := c.Compile(report.SchemaID)
	if err != nil {
		return nil, fmt.Errorf("compiling report.schema.json: %w", err)
	}
	return sch, nil
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
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(diff.Schema()))
	if err != nil {
		return nil, fmt.Errorf("parsing diff.schema.json: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(diff.SchemaID, doc); err != nil {
		return nil, fmt.Errorf("loading diff.schema.json: %w", err)
	}
	return c.Compile(diff.SchemaID)
})

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
