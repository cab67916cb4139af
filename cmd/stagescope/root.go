package main

import (
	"io"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

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
	root.AddCommand(newVersionCmd(s))
	root.AddCommand(newDocsCmd())
	return root
}
