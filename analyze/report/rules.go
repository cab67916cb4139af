package report

import (
	_ "embed" // the rule list's JSON Schema

	"github.com/stagescope/stagescope/analyze/rules"
	"github.com/stagescope/stagescope/analyze/secrets"
)

// RulesSchemaVersion is the version of RuleList's wire format. Raise it
// for any incompatible change, not for added fields.
const RulesSchemaVersion = 1

// RuleList is the document `stagescope rules -o json` writes.
type RuleList struct {
	SchemaVersion int              `json:"schemaVersion"`
	Categories    []rules.Category `json:"categories"`
	Rules         []RuleJSON       `json:"rules"`
}

// RuleJSON is one rule of the rule list.
type RuleJSON struct {
	ID       string         `json:"id"`
	Category rules.Category `json:"category"`
	Severity rules.Severity `json:"severity"`
	// Kind says how the rule finds things: RuleKindPath, RuleKindAnalyzer
	// or RuleKindContent.
	Kind  string   `json:"kind"`
	Paths []string `json:"paths,omitempty"`
	Why   string   `json:"why"`
	Fix   string   `json:"fix"`
}

// The kinds of rules.
const (
	// RuleKindPath: the rule table's globs match a path.
	RuleKindPath = "path"
	// RuleKindAnalyzer: package databases, lockfiles or hidden versions
	// say it.
	RuleKindAnalyzer = "analyzer"
	// RuleKindContent: a secret found in a file's contents, reported under
	// secrets and accepted with the config's secrets.allow, not --ignore.
	RuleKindContent = "content"
)

// AllRules is every rule stagescope applies: the leftover rules (path and
// analyzer ones, in table order) and then the content secret rules.
func AllRules() []RuleJSON {
	var out []RuleJSON
	for _, r := range rules.All() {
		kind := RuleKindPath
		if len(r.Paths) == 0 {
			kind = RuleKindAnalyzer
		}
		out = append(out, RuleJSON{ID: r.ID, Category: r.Category, Severity: r.Severity, Kind: kind, Paths: r.Paths, Why: r.Why, Fix: r.Fix})
	}
	for _, r := range secrets.Rules() {
		out = append(out, RuleJSON{ID: r.ID, Category: rules.CatSecret, Severity: rules.Severity(r.Severity), Kind: RuleKindContent, Why: r.Why, Fix: secrets.Fix})
	}
	return out
}

// NewRuleList is the rule list of rs, with every category.
func NewRuleList(rs []RuleJSON) *RuleList {
	if rs == nil {
		rs = []RuleJSON{}
	}
	return &RuleList{SchemaVersion: RulesSchemaVersion, Categories: rules.Categories(), Rules: rs}
}

//go:embed rules.schema.json
var rulesSchema []byte

// RulesSchemaID is the $id of the rule list's JSON Schema.
const RulesSchemaID = "https://github.com/stagescope/stagescope/analyze/report/rules.schema.json"

// RulesSchema returns the JSON Schema (draft 2020-12) of RuleList:
// analyze/report/rules.schema.json. Its objects are closed.
func RulesSchema() []byte {
	return append([]byte(nil), rulesSchema...)
}
