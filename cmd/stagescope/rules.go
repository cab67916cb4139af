package main

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stagescope/stagescope/analyze/report"
	"github.com/stagescope/stagescope/analyze/rules"
)

// rulesOptions are the flags of `stagescope rules`.
type rulesOptions struct {
	Output string
	// Select are rule IDs and categories to list; none lists every rule.
	Select []string
}

func newRulesCmd(s *streams) *cobra.Command {
	o := &rulesOptions{}
	cmd := &cobra.Command{
		Use:   "rules [RULE-ID|CATEGORY...]",
		Short: "List the rules: ID, category, severity, why and fix",
		Long: `List every rule stagescope applies: its ID (what --ignore, --forbid-rule and
the config's ignore.rules and forbiddenRules take), category (what
--highest-category-bytes and --ignore take), severity, why it matters and how
to fix it. Arguments narrow the list to rule IDs and categories.

Path rules find files by their path, analyzer rules by what the package
databases and lockfiles say or by hidden file versions, and content rules find
secrets inside files (accept a known one with the config's secrets.allow).`,
		Example: `  stagescope rules
  stagescope rules toolchain vcs.git
  stagescope rules -o json | jq -r '.rules[].id'`,
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			return completeRulesAndCategories(args, true), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Select = args
			return runRules(o, s.Out, s.Width)
		},
	}
	cmd.Flags().StringVarP(&o.Output, "output", "o", "text", "output format: text or json")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func runRules(o *rulesOptions, out io.Writer, width int) error {
	if o.Output != "text" && o.Output != "json" {
		return fmt.Errorf("unknown output format %q (want text or json)", o.Output)
	}
	all := report.AllRules()
	list := all
	if len(o.Select) > 0 {
		list = nil
		for _, sel := range o.Select {
			if !slices.ContainsFunc(all, func(r report.RuleJSON) bool { return r.ID == sel || string(r.Category) == sel }) {
				return fmt.Errorf("no rule has the ID or category %q (stagescope rules lists them; categories: %s)", sel, categoryList())
			}
		}
		for _, r := range all {
			if slices.ContainsFunc(o.Select, func(sel string) bool { return r.ID == sel || string(r.Category) == sel }) {
				list = append(list, r)
			}
		}
	}
	if o.Output == "json" {
		return writeJSON(out, report.NewRuleList(list))
	}
	w := bufio.NewWriter(out)
	for i, r := range list {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s  %s, %s, %s rule\n", r.ID, r.Category, r.Severity, r.Kind)
		if len(r.Paths) > 0 {
			fmt.Fprintf(w, "  paths  %s\n", fit(strings.Join(r.Paths, " "), width, 9))
		}
		fmt.Fprintf(w, "  why    %s\n", fit(r.Why, width, 9))
		fmt.Fprintf(w, "  fix    %s\n", fit(r.Fix, width, 9))
	}
	return w.Flush()
}

// completeRulesAndCategories offers the rule IDs and categories not yet in
// given; content rules only when withContent (--ignore does not take them).
func completeRulesAndCategories(given []string, withContent bool) []string {
	var out []string
	for _, c := range rules.Categories() {
		if !slices.Contains(given, string(c)) {
			out = append(out, string(c)+"\tcategory")
		}
	}
	for _, r := range report.AllRules() {
		if (r.Kind == report.RuleKindContent && !withContent) || slices.Contains(given, r.ID) {
			continue
		}
		out = append(out, r.ID+"\t"+string(r.Category)+", "+string(r.Severity))
	}
	return out
}

// registerRuleCompletions makes shell completion offer rule IDs and
// categories for the flags of cmd that take them.
func registerRuleCompletions(cmd *cobra.Command) {
	f := cmd.Flags()
	if f.Lookup("ignore") != nil {
		_ = cmd.RegisterFlagCompletionFunc("ignore", func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return completeRulesAndCategories(nil, false), cobra.ShellCompDirectiveNoFileComp
		})
	}
	if f.Lookup("forbid-rule") != nil {
		_ = cmd.RegisterFlagCompletionFunc("forbid-rule", func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			var ids []string
			for _, r := range rules.All() {
				ids = append(ids, r.ID+"\t"+string(r.Category)+", "+string(r.Severity))
			}
			return ids, cobra.ShellCompDirectiveNoFileComp
		})
	}
	if f.Lookup("highest-category-bytes") != nil {
		// CATEGORY=SIZE: the category, then the user types the size.
		_ = cmd.RegisterFlagCompletionFunc("highest-category-bytes", func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			var cats []string
			for _, c := range rules.Categories() {
				cats = append(cats, string(c)+"=")
			}
			return cats, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
		})
	}
}
