package main

import (
	"io"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// version is set at build time with -ldflags "-X main.version=…"; without
// it, the module version (go install …@v1.2.3) or the commit it was built
// from stands in.
var version = "dev"

func init() {
	bi, _ := debug.ReadBuildInfo()
	version = buildVersion(version, bi)
}

// buildVersion is v unless v is "dev" and the build info names something
// better: a module version, else "dev-" and the VCS revision (12 digits,
// "-dirty" when the tree had changes).
func buildVersion(v string, bi *debug.BuildInfo) string {
	if v != "dev" || bi == nil {
		return v
	}
	if mv := bi.Main.Version; mv != "" && mv != "(devel)" {
		return mv
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch {
		case s.Key == "vcs.revision":
			rev = s.Value[:min(12, len(s.Value))]
		case s.Key == "vcs.modified" && s.Value == "true":
			dirty = "-dirty"
		}
	}
	if rev == "" {
		return v
	}
	return v + "-" + rev + dirty
}

// streams are the program's standard streams, with what it needs to know
// about them.
type streams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// OutTTY and ErrTTY tell whether the streams are terminals.
	OutTTY, ErrTTY bool
	// Width is the terminal width for text output.
	Width int
}

func defaultStreams() *streams {
	s := &streams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, Width: 100}
	s.OutTTY = term.IsTerminal(int(os.Stdout.Fd()))
	s.ErrTTY = term.IsTerminal(int(os.Stderr.Fd()))
	if s.OutTTY {
		if w, _, err := term.GetSize(int(os.Stdout.Fd())); err == nil && w > 0 {
			s.Width = w
		}
	}
	return s
}

func newRootCmd(s *streams) *cobra.Command {
	root := &cobra.Command{
		Use:   "stagescope",
		Short: "See what a container image really carries, layer by layer",
		Long: `stagescope opens a container image layer by layer and shows every layer's
files, the bytes wasted by files that later layers overwrite or delete, and the
build-time leftovers (compilers, caches, dev dependencies, secrets) that a
multi-stage build would have left behind.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(s.Out)
	root.SetErr(s.ErrOut)
	root.AddCommand(newInspectCmd(s, nil))
	root.AddCommand(newDiffCmd(s, nil))
	root.AddCommand(newMergeCmd(s, nil))
	root.AddCommand(newVersionCmd(s))
	return root
}

func newVersionCmd(s *streams) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print stagescope's version",
		Args:    cobra.NoArgs,
		Example: "  stagescope version",
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := io.WriteString(s.Out, "stagescope "+version+"\n")
			return err
		},
	}
}
