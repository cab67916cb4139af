package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// newDocsCmd is the hidden command the release runs (.goreleaser.yaml's
// before hooks) to write the man pages and shell completions that go into
// every archive. Both come from the command tree itself, so they never drift
// from the flags.
func newDocsCmd() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:    "docs --dir DIR",
		Short:  "Write man pages and shell completions into DIR",
		Hidden: true,
		Args:   cobra.NoArgs,
		Example: `  # what a release puts into each archive; SOURCE_DATE_EPOCH dates the man pages
  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) stagescope docs --dir build/docs`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return writeDocs(cmd.Root(), dir)
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "directory to write man/ and completions/ into (created if missing)")
	_ = cmd.MarkFlagRequired("dir")
	_ = cmd.MarkFlagDirname("dir")
	return cmd
}

// writeDocs writes dir/man/*.1 (one page per command, cobra's doc package;
// the date comes from SOURCE_DATE_EPOCH when it is set, for reproducible
// archives) and dir/completions/stagescope.{bash,zsh,fish,ps1}.
func writeDocs(root *cobra.Command, dir string) error {
	man := filepath.Join(dir, "man")
	comp := filepath.Join(dir, "completions")
	for _, d := range []string{man, comp} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	root.DisableAutoGenTag = true // the tag would carry today's date
	header := &doc.GenManHeader{Section: "1", Source: "stagescope " + version, Manual: "stagescope manual"}
	if err := doc.GenManTree(root, header, man); err != nil {
		return fmt.Errorf("writing man pages: %w", err)
	}
	for _, c := range []struct {
		name string
		gen  func(path string) error
	}{
		{"stagescope.bash", func(p string) error { return root.GenBashCompletionFileV2(p, true) }},
		{"stagescope.zsh", root.GenZshCompletionFile},
		{"stagescope.fish", func(p string) error { return root.GenFishCompletionFile(p, true) }},
		{"stagescope.ps1", root.GenPowerShellCompletionFileWithDesc},
	} {
		if err := c.gen(filepath.Join(comp, c.name)); err != nil {
			return fmt.Errorf("writing %s: %w", c.name, err)
		}
	}
	return nil
}
