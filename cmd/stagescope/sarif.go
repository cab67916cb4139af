package main

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cespare/xxhash/v2"
	"github.com/dustin/go-humanize"

	"github.com/stagescope/stagescope/analyze"
	"github.com/stagescope/stagescope/analyze/dockerfile"
	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/analyze/leftovers"
	"github.com/stagescope/stagescope/analyze/report"
	"github.com/stagescope/stagescope/analyze/rules"
	"github.com/stagescope/stagescope/internal/format"
)

// SARIF 2.1.0 wire types: only the parts stagescope writes.

const (
	sarifSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
	sarifVersion = "2.1.0"
	// sarifRoot is the uriBaseId of paths inside the image's filesystem.
	sarifRoot = "IMAGEROOT"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool               sarifTool                        `json:"tool"`
	OriginalURIBaseIDs map[string]sarifArtifactLocation `json:"originalUriBaseIds"`
	Results            []sarifResult                    `json:"results"`
	Properties         map[string]any                   `json:"properties,omitempty"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifHelp struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name,omitempty"`
	ShortDescription     sarifText      `json:"shortDescription"`
	FullDescription      sarifText      `json:"fullDescription"`
	Help                 sarifHelp      `json:"help"`
	DefaultConfiguration sarifConfig    `json:"defaultConfiguration"`
	Properties           map[string]any `json:"properties,omitempty"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	// Suppressions mark a finding the ignore list silenced: SARIF viewers
	// show it as dismissed, not as a problem.
	Suppressions []sarifSuppression `json:"suppressions,omitempty"`
	Properties   map[string]any     `json:"properties,omitempty"`
}

// sarifSuppression is SARIF 2.1.0's suppression object (§3.35). An ignore
// list, on the command line or in the config file, lies outside the image
// analysed: its kind is "external", never "inSource".
type sarifSuppression struct {
	Kind          string `json:"kind"`
	Status        string `json:"status"`
	Justification string `json:"justification"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysicalLocation  `json:"physicalLocation"`
	LogicalLocations []sarifLogicalLocation `json:"logicalLocations,omitempty"`
	// Properties of a claimed file: its bytes.
	Properties map[string]any `json:"properties,omitempty"`
}

// sarifMaxLocations caps the locations of one result: GitHub code scanning
// rejects a result with more than 1,000 (and shows 100 of them). A finding
// of more files lists its largest ones and says how many it left out; the
// JSON report's findings[].claims lists them all.
const sarifMaxLocations = 1000

type sarifPhysicalLocation struct {
	ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
	Region           sarifRegion           `json:"region"`
}

type sarifArtifactLocation struct {
	URI         string     `json:"uri,omitempty"`
	URIBaseID   string     `json:"uriBaseId,omitempty"`
	Description *sarifText `json:"description,omitempty"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn"`
	EndLine     int `json:"endLine"`
	EndColumn   int `json:"endColumn"`
}

type sarifLogicalLocation struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName,omitempty"`
	Kind               string `json:"kind"`
}

// sarifLevel maps a finding's severity onto SARIF's levels.
func sarifLevel(s rules.Severity) string {
	switch s {
	case rules.SevCritical, rules.SevHigh:
		return "error"
	case rules.SevMedium:
		return "warning"
	}
	return "note"
}

// securitySeverity is GitHub's score for security rules (secrets).
func securitySeverity(s rules.Severity) string {
	switch s {
	case rules.SevCritical:
		return "9.5"
	case rules.SevHigh:
		return "8.0"
	case rules.SevMedium:
		return "5.5"
	case rules.SevLow:
		return "3.0"
	}
	return ""
}

var severityRank = map[rules.Severity]int{
	rules.SevInfo: 0, rules.SevLow: 1, rules.SevMedium: 2, rules.SevHigh: 3, rules.SevCritical: 4,
}

// newSARIF converts the findings of an analysis into a SARIF log: one rule
// per rule ID of table (the leftover rules, in table order, whether they
// found anything or not), then one per other rule ID a finding carries, and
// one result per finding; with df, each result's first location is the
// Dockerfile instruction that made it.
func newSARIF(a *analyze.Analysis, rep *report.Report, table []rules.Rule, df *sarifDockerfile) *sarifLog {
	var srules []sarifRule
	index := map[string]int{}
	for _, r := range table {
		if _, dup := index[r.ID]; dup {
			continue
		}
		index[r.ID] = len(srules)
		srules = append(srules, newSARIFRule(r))
	}
	// Rule IDs the table lacks: described by their findings, at the
	// highest severity any of them has.
	extra := map[string]rules.Rule{}
	all := slices.Clone(a.Findings)
	for i := range a.Suppressed {
		all = append(all, a.Suppressed[i].Finding)
	}
	for i := range all {
		f := &all[i]
		if _, ok := index[f.RuleID]; ok {
			continue
		}
		r, ok := extra[f.RuleID]
		if !ok || severityRank[f.Severity] > severityRank[r.Severity] {
			extra[f.RuleID] = rules.Rule{ID: f.RuleID, Category: f.Category, Severity: f.Severity, Why: f.Why, Fix: f.Fix}
		}
	}
	ids := make([]string, 0, len(extra))
	for id := range extra {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		index[id] = len(srules)
		srules = append(srules, newSARIFRule(extra[id]))
	}

	results := make([]sarifResult, 0, len(a.Findings))
	for i := range a.Findings {
		f := &a.Findings[i]
		results = append(results, newSARIFResult(f, index[f.RuleID], rep, df, a.Place.Line(f.Layer)))
	}
	for i := range a.Suppressed {
		f := &a.Suppressed[i].Finding
		r := newSARIFResult(f, index[f.RuleID], rep, df, a.Place.Line(f.Layer))
		r.Suppressions = []sarifSuppression{{Kind: "external", Status: "accepted", Justification: suppressionJustification(rep.Suppressed[i])}}
		results = append(results, r)
	}
	// The image's totals, as the JSON report has them (its summary and
	// leftovers objects): a result is one finding, and files that several
	// findings claim count once only in these.
	props := map[string]any{
		"imageReference": rep.Image.Reference,
		"imageSource":    rep.Image.Source,
		"platform":       rep.Image.Platform,
		"summary":        rep.Summary,
		"leftovers":      rep.Leftovers,
	}
	props["imageConfigDigest"] = rep.Image.ConfigDigest
	if rep.Image.Digest != "" {
		props["imageDigest"] = rep.Image.Digest
	}
	if rep.Image.IndexDigest != "" {
		props["imageIndexDigest"] = rep.Image.IndexDigest
	}
	log := &sarifLog{
		Schema:  sarifSchema,
		Version: sarifVersion,
		Runs: []sarifRun{{
			Tool: sarifTool{Driver: sarifDriver{
				Name:    "stagescope",
				Version: rep.Tool.Version,
				Rules:   srules,
			}},
			OriginalURIBaseIDs: map[string]sarifArtifactLocation{
				sarifRoot: {Description: &sarifText{Text: "The root of the filesystem of image " + rep.Image.Reference}},
			},
			Results:    results,
			Properties: props,
		}},
	}
	addSARIFSecrets(&log.Runs[0], rep.Secrets, rep)
	return log
}

func newSARIFRule(r rules.Rule) sarifRule {
	why := sentence(r.Why)
	if why == "" {
		why = fmt.Sprintf("A %s leftover that a runtime image does not need.", r.Category)
	}
	fix := sentence(r.Fix)
	if fix == "" {
		fix = "Leave it in a build stage of a multi-stage build."
	}
	sr := sarifRule{
		ID:                   r.ID,
		Name:                 r.ID,
		ShortDescription:     sarifText{Text: firstSentence(why)},
		FullDescription:      sarifText{Text: why},
		Help:                 sarifHelp{Text: why + "\n\nFix: " + fix, Markdown: "**Why:** " + why + "\n\n**Fix:** " + fix},
		DefaultConfiguration: sarifConfig{Level: sarifLevel(r.Severity)},
		Properties: map[string]any{
			"tags":     []string{"container-image", "leftover", string(r.Category)},
			"category": string(r.Category),
		},
	}
	if r.Category == rules.CatSecret {
		sr.Properties["tags"] = []string{"container-image", "leftover", string(r.Category), "security"}
		if sev := securitySeverity(r.Severity); sev != "" {
			sr.Properties["security-severity"] = sev
		}
	}
	return sr
}

// sentence capitalizes s and ends it with a full stop.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	r, n := utf8.DecodeRuneInString(s)
	s = string(unicode.ToUpper(r)) + s[n:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// newSARIFResult makes the result of a finding: with df, the Dockerfile
// instruction that made it is its first location, then the files it
// claims, sarifMaxLocations in all at most.
func newSARIFResult(f *leftovers.Finding, ruleIndex int, rep *report.Report, df *sarifDockerfile, line *dockerfile.Location) sarifResult {
	var layer report.LayerReport
	if f.Layer >= 0 && f.Layer < len(rep.Layers) {
		layer = rep.Layers[f.Layer]
	}
	p := "/" + strings.TrimPrefix(f.Path, "/")
	var msg strings.Builder
	fmt.Fprintf(&msg, "%s leftover %s: %s", f.Category, p, format.Bytes(f.Bytes))
	if f.Files > 1 {
		fmt.Fprintf(&msg, " in %s files", humanize.Comma(f.Files))
	}
	fmt.Fprintf(&msg, ", added in layer %d", f.Layer)
	if cb := analyze.Instruction(f.CreatedBy); cb != "-" {
		fmt.Fprintf(&msg, " by `%s`", cut(cb, 200))
	}
	if f.HiddenBy >= 0 {
		how := "deleted"
		if f.RuleID == rules.Overwritten {
			how = "overwritten"
		}
		fmt.Fprintf(&msg, "; %s in layer %d, but its bytes still ship in layer %d", how, f.HiddenBy, f.Layer)
	}
	if f.Package != "" {
		fmt.Fprintf(&msg, "; owned by package %s", f.Package)
	}
	msg.WriteString(".")

	props := map[string]any{
		"category":    string(f.Category),
		"severity":    string(f.Severity),
		"bytes":       f.Bytes,
		"files":       f.Files,
		"layer":       f.Layer,
		"layerDigest": layer.Digest,
		"layerDiffId": layer.DiffID,
		"createdBy":   f.CreatedBy,
	}
	if f.HiddenBy >= 0 {
		props["hiddenBy"] = f.HiddenBy
	}
	if f.Package != "" {
		props["package"] = f.Package
	}
	limit := sarifMaxLocations
	dfLoc := df.location(line)
	if dfLoc != nil {
		limit--
	}
	locs, left, leftBytes := sarifFileLocations(f, layer.Digest, limit)
	if left > 0 {
		fmt.Fprintf(&msg, " Its %s largest files are listed as locations; the other %s (%s) are in the JSON report's claims.",
			humanize.Comma(int64(len(locs))), format.Count(left, "file"), format.Bytes(leftBytes))
		props["filesNotListed"] = left
		props["bytesNotListed"] = leftBytes
	}
	if dfLoc != nil {
		locs = append([]sarifLocation{*dfLoc}, locs...)
	}
	return sarifResult{
		RuleID:    f.RuleID,
		RuleIndex: ruleIndex,
		Level:     sarifLevel(f.Severity),
		Message:   sarifText{Text: msg.String()},
		Locations: locs,
		PartialFingerprints: map[string]string{
			"primaryLocationLineHash": fmt.Sprintf("%016x:1", xxhash.Sum64String(f.RuleID+"\x00"+f.Path)),
		},
		Properties: props,
	}
}

// sarifFileLocations returns a location for each file f claims, at most limit
// of them, largest first (then by path), each with its bytes; and the
// number and bytes of those left out. Only limit+limit/2 claims are held at a
// time, however many files f claims.
func sarifFileLocations(f *leftovers.Finding, layerDigest string, limit int) (locs []sarifLocation, left, leftBytes int64) {
	type claim struct {
		path  string
		bytes int64
	}
	larger := func(x, y claim) int {
		if c := cmp.Compare(y.bytes, x.bytes); c != 0 {
			return c
		}
		return strings.Compare(x.path, y.path)
	}
	keep := make([]claim, 0, limit+limit/2)
	var all, allBytes int64
	f.EachFile(func(p string, v *fstree.Version) bool {
		all++
		allBytes += v.Size
		keep = append(keep, claim{p, v.Size})
		if len(keep) == cap(keep) {
			slices.SortFunc(keep, larger)
			keep = keep[:limit]
		}
		return true
	})
	slices.SortFunc(keep, larger)
	if len(keep) > limit {
		keep = keep[:limit]
	}
	locs = make([]sarifLocation, 0, len(keep))
	leftBytes = allBytes
	for _, c := range keep {
		leftBytes -= c.bytes
		loc := sarifLocation{
			PhysicalLocation: sarifPhysicalLocation{
				ArtifactLocation: sarifArtifactLocation{URI: pathURI(c.path), URIBaseID: sarifRoot},
				Region:           sarifRegion{StartLine: 1, StartColumn: 1, EndLine: 1, EndColumn: 1},
			},
			Properties: map[string]any{"bytes": c.bytes},
		}
		if layerDigest != "" {
			loc.LogicalLocations = []sarifLogicalLocation{{Name: layerDigest, FullyQualifiedName: layerDigest + "/" + c.path, Kind: "layer"}}
		}
		locs = append(locs, loc)
	}
	return locs, all - int64(len(keep)), leftBytes
}

// pathURI turns an image path into a relative URI reference.
func pathURI(p string) string {
	segs := strings.Split(strings.Trim(p, "/"), "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	u := strings.Join(segs, "/")
	if u == "" {
		return "."
	}
	if i := strings.IndexByte(segs[0], ':'); i >= 0 {
		u = "./" + u // a colon in the first segment would read as a scheme
	}
	return u
}

// firstSentence returns s up to the first full stop that ends a sentence:
// one followed by a space and a capital letter ("COPY . ." goes on).
func firstSentence(s string) string {
	for i := 0; i+2 < len(s); i++ {
		if s[i] == '.' && s[i+1] == ' ' {
			if r, _ := utf8.DecodeRuneInString(s[i+2:]); unicode.IsUpper(r) {
				return s[:i+1]
			}
		}
	}
	return s
}

// suppressionJustification says which ignore entry silenced a finding, and
// where it was given.
func suppressionJustification(s report.SuppressedJSON) string {
	if s.Why == report.IgnoredByFlag {
		return fmt.Sprintf("ignored on the command line: --ignore %s", s.Ignore)
	}
	return fmt.Sprintf("ignored by the config file's ignore list: %s", s.Ignore)
}
