package main

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/stagescope/stagescope/analyze/report"
	"github.com/stagescope/stagescope/analyze/secrets"
	"github.com/stagescope/stagescope/ui"
)

// writeSecretsText writes the secrets found by content: never a value,
// only its redacted form and fingerprint.
func writeSecretsText(w io.Writer, s *report.SecretsJSON) error {
	if s == nil || len(s.Findings)+len(s.Suppressed)+len(s.Warnings) == 0 {
		return nil
	}
	if len(s.Findings) > 0 {
		fmt.Fprintf(w, "\nSecrets found by content (%d; values redacted, every layer version and .git object searched)\n", len(s.Findings))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "severity\trule\tlayer\tships\tredacted\tfingerprint\twhere\n")
		for _, f := range s.Findings {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", f.Severity, f.RuleID, secretLayer(f), yesNo(f.StillShips),
				ui.Escape(f.Redacted), f.Fingerprint[:12], ui.Escape(secretWhere(f)))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	for _, g := range []struct{ by, title string }{
		{secrets.SuppressedAllowed, "Secrets allowed by .stagescope.yaml"},
		{secrets.SuppressedNotProject, "Secrets set aside as test data or a toolchain's own files, not your project's"},
	} {
		var fs []report.SecretJSON
		for _, f := range s.Suppressed {
			if f.SuppressedBy == g.by || (g.by == secrets.SuppressedAllowed && f.SuppressedBy == "") {
				fs = append(fs, f)
			}
		}
		if len(fs) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s (%d suppressed)\n", g.title, len(fs))
		for _, f := range fs {
			fmt.Fprintf(w, "  %s %s %s %s\n", f.RuleID, ui.Escape(f.Redacted), f.Fingerprint[:12], ui.Escape(secretWhere(f)))
		}
	}
	for _, m := range s.Warnings {
		fmt.Fprintf(w, "secret scan: %s\n", ui.Escape(m))
	}
	return nil
}

func secretLayer(f report.SecretJSON) string {
	if f.Layer == nil {
		return "config"
	}
	return strconv.Itoa(*f.Layer)
}

func secretWhere(f report.SecretJSON) string {
	p := f.Path
	switch {
	case f.GitObject != "" && f.Line > 0:
		p += " (git object " + f.GitObject[:12] + ", line " + strconv.Itoa(f.Line) + ")"
	case f.GitObject != "":
		p += " (git object " + f.GitObject[:12] + ")"
	case f.Line > 0:
		p += ":" + strconv.Itoa(f.Line)
	}
	return p
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no (deleted later)"
}

// maxPermRows bounds the permission findings listed in text.
const maxPermRows = 30

// writePermissionsText writes the permission and user findings.
func writePermissionsText(w io.Writer, ps []report.PermissionJSON) error {
	if len(ps) == 0 {
		return nil
	}
	fmt.Fprintf(w, "\nPermissions and users (%d)\n", len(ps))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "severity\trule\tlayer\tmode\towner\tpath\n")
	for i, p := range ps {
		if i == maxPermRows {
			fmt.Fprintf(tw, "…\t%d more in -o json\t\t\t\t\n", len(ps)-maxPermRows)
			break
		}
		layer, owner, path := "config", "", "(image config: no USER)"
		if p.Layer != nil {
			layer = strconv.Itoa(*p.Layer)
		}
		if p.UID != nil {
			owner = "uid " + strconv.FormatInt(*p.UID, 10)
		}
		if p.GID != nil {
			owner = "gid " + strconv.FormatInt(*p.GID, 10)
		}
		if p.Path != "" {
			path = ui.Escape(p.Path)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", p.Severity, p.RuleID, layer, p.Mode, owner, path)
	}
	return tw.Flush()
}
