package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"

	json "github.com/goccy/go-json"
	"github.com/spf13/cobra"

	"github.com/stagescope/stagescope/analyze/fleet"
	"github.com/stagescope/stagescope/analyze/report"
)

// mergeOptions are the flags of `stagescope merge`.
type mergeOptions struct {
	Files  []string
	Output string
}

func newMergeCmd(s *streams, runF func(context.Context, *mergeOptions, *streams) error) *cobra.Command {
	o := &mergeOptions{}
	cmd := &cobra.Command{
		Use:   "merge FILE...",
		Short: "Combine the JSON reports of many inspect runs (shards) into one fleet report",
		Long: `Combine the JSON reports that inspect -o json wrote (one report, or JSON Lines
of many, per file; - reads stdin) into one fleet report: every image's size,
reclaimable waste, leftovers, top leftover category and the layers it shares
with the others. An image that appears twice (the same reference and digest)
counts once.

The gate of each report (thresholds given to inspect) carries over: merge
exits 1 when any image's gate failed.`,
		Example: `  # four shards of a fleet, then one report
  for i in 0 1 2 3; do stagescope inspect -o json --refs images.txt --shard $i/4 > shard-$i.jsonl; done
  stagescope merge shard-*.jsonl
  stagescope merge -o json shard-*.jsonl > fleet.json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Files = args
			if runF != nil {
				return runF(cmd.Context(), o, s)
			}
			return runMerge(cmd.Context(), o, s)
		},
	}
	cmd.Flags().StringVarP(&o.Output, "output", "o", "text", "output format: text or json")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func runMerge(_ context.Context, o *mergeOptions, s *streams) error {
	if o.Output != "text" && o.Output != "json" {
		return fmt.Errorf("unknown output format %q (want text or json)", o.Output)
	}
	var reports []*report.Report
	seen := map[[2]string]bool{}
	for _, f := range o.Files {
		rs, err := readReports(f, s.In)
		if err != nil {
			return err
		}
		for _, r := range rs {
			k := [2]string{r.Image.Reference, cmp.Or(r.Image.Digest, r.Image.ConfigDigest)}
			if seen[k] {
				continue
			}
			seen[k] = true
			reports = append(reports, r)
		}
	}
	f := fleet.New(reports, report.ToolInfo{Name: "stagescope", Version: version})
	var err error
	if o.Output == "json" {
		err = writeJSON(s.Out, f)
	} else {
		err = writeFleetText(s.Out, f, s.Width)
	}
	if err != nil {
		return err
	}
	if f.Gate != nil && !f.Gate.Pass {
		return &gateError{failed: len(f.Gate.Failed)}
	}
	return nil
}

// readReports reads every report of a file of JSON reports (JSON Lines or
// indented, one after the other).
func readReports(path string, stdin io.Reader) ([]*report.Report, error) {
	r, done, err := openInput(path, stdin)
	if err != nil {
		return nil, err
	}
	defer done()
	var out []*report.Report
	dec := json.NewDecoder(r)
	for n := 1; ; n++ {
		var rep report.Report
		err := dec.Decode(&rep)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: report %d: not a stagescope JSON report: %s", path, n, errorLine(err))
		}
		if rep.SchemaVersion != report.SchemaVersion {
			return nil, fmt.Errorf("%s: report %d: schemaVersion %d, want %d (a report of inspect -o json)", path, n, rep.SchemaVersion, report.SchemaVersion)
		}
		// The fleet sums reports up and needs no file lists: a shard of
		// big images claims hundreds of thousands of files, which merge
		// does not hold for all its reports at once.
		for i := range rep.Findings {
			rep.Findings[i].Claims = report.Claims{}
		}
		out = append(out, &rep)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no reports", path)
	}
	return out, nil
}
