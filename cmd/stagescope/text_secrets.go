package main

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/stagescope/stagescope/analyze"
)

// writeSecretsText writes the secrets found by content: never a value,
// only its redacted form and fingerprint.
func writeSecretsText(w io.Writer, s *analyze.SecretsJSON) error {
	if s == nil || len(s.Findings)+len(s.Suppressed)+len(s.Warnings) == 0 {
		return nil
	}
	if len(s.Findings) > 0 {
		fmt.Fprintf(w, "\nSecrets found by content (%d; values redacted, every layer version and .git object searched)\n", len(s.Findings))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "severity\trule\tlayer\tships\tredacted\tfingerprint\twhere\n")
		for _, f := range s.Findings {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", f.Severity, f.RuleID, secretLayer(f), yesNo(f.StillShips),
				f.Redacted, f.Fingerprint[:12], secretWhere(f))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(s.Suppressed) > 0 {
		fmt.Fprintf(w, "\nSecrets allowed by .stagescope.yaml (%d suppressed)\n", len(s.Suppressed))
		for _, f := range s.Suppressed {
			fmt.Fprintf(w, "  %s %s %s %s\n", f.RuleID, f.Redacted, f.Fingerprint[:12], secretWhere(f))
		}
	}
	for _, m := range s.Warnings {
		fmt.Fprintf(w, "secret scan: %s\n", m)
	}
	return nil
}

func secretLayer(f analyze.SecretJSON) string {
	if f.Layer == nil {
		return "config"
	}
	return strconv.Itoa(*f.Layer)
}

func secretWhere(f analyze.SecretJSON) string {
	p := f.Path
	if len(p) < 7 || p[:7] != "config:" {
		p = "/" + p
	}
	if f.Line > 0 {
		p += ":" + strconv.Itoa(f.Line)
	}
	if f.GitObject != "" {
		p += " (git object " + f.GitObject[:12] + ")"
	}
	return p
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no (deleted later)"
}
