package main

import (
	"fmt"
	"strings"

	"github.com/stagescope/stagescope/analyze/report"
	"github.com/stagescope/stagescope/analyze/rules"
	"github.com/stagescope/stagescope/analyze/secrets"
)

// addSARIFSecrets adds a rule per secret rule that found something (ID
// "secret/<rule>", in table order) and a result per secret found by
// content. Values never appear: the message
// names the redacted form, the fingerprint is the value's SHA-256.
func addSARIFSecrets(run *sarifRun, s *report.SecretsJSON, rep *report.Report) {
	if s == nil || len(s.Findings) == 0 {
		return
	}
	used := map[string]bool{}
	for _, f := range s.Findings {
		used[f.RuleID] = true
	}
	index := map[string]int{}
	for _, r := range secrets.Rules() {
		if !used[r.ID] {
			continue
		}
		id := "secret/" + r.ID
		index[id] = len(run.Tool.Driver.Rules)
		why := sentence(r.Why)
		fix := sentence(secrets.Fix)
		sev := rules.Severity(r.Severity)
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{
			ID: id, Name: id,
			ShortDescription:     sarifText{Text: firstSentence(why)},
			FullDescription:      sarifText{Text: why},
			Help:                 sarifHelp{Text: why + "\n\nFix: " + fix, Markdown: "**Why:** " + why + "\n\n**Fix:** " + fix},
			DefaultConfiguration: sarifConfig{Level: sarifLevel(sev)},
			Properties: map[string]any{
				"tags":              []string{"container-image", "secret", "security"},
				"category":          "secret",
				"security-severity": securitySeverity(sev),
			},
		})
	}
	for _, f := range s.Findings {
		id := "secret/" + f.RuleID
		where := secretWhere(f)
		var msg strings.Builder
		fmt.Fprintf(&msg, "%s secret %s at %s", f.RuleID, f.Redacted, where)
		props := map[string]any{"category": "secret", "severity": f.Severity, "fingerprint": f.Fingerprint,
			"redacted": f.Redacted, "stillShips": f.StillShips}
		var logical []sarifLogicalLocation
		if f.Layer != nil {
			fmt.Fprintf(&msg, ", layer %d", *f.Layer)
			props["layer"] = *f.Layer
			if *f.Layer < len(rep.Layers) {
				d := rep.Layers[*f.Layer].Digest
				props["layerDigest"] = d
				logical = []sarifLogicalLocation{{Name: d, FullyQualifiedName: d + f.Path, Kind: "layer"}}
			}
		}
		if !f.StillShips {
			msg.WriteString("; deleted or overwritten later, but its bytes still ship in that layer")
		}
		if f.GitObject != "" {
			props["gitObject"] = f.GitObject
		}
		msg.WriteString(".")
		line := max(f.Line, 1)
		uri := pathURI(f.Path)
		if strings.HasPrefix(f.Path, "config:") {
			uri = "config/" + pathURI(strings.TrimPrefix(f.Path, "config:"))
		}
		run.Results = append(run.Results, sarifResult{
			RuleID: id, RuleIndex: index[id], Level: sarifLevel(rules.Severity(f.Severity)),
			Message: sarifText{Text: msg.String()},
			Locations: []sarifLocation{{
				PhysicalLocation: sarifPhysicalLocation{
					ArtifactLocation: sarifArtifactLocation{URI: uri, URIBaseID: sarifRoot},
					Region:           sarifRegion{StartLine: line, StartColumn: 1, EndLine: line, EndColumn: 1},
				},
				LogicalLocations: logical,
			}},
			PartialFingerprints: map[string]string{"secretFingerprint/v1": f.Fingerprint},
			Properties:          props,
		})
	}
}
