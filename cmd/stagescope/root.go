package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"
)

// streams are the program's standard streams, with what it needs to know
// about them.
type streams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// InTTY, OutTTY and ErrTTY tell whether the streams are terminals.
	InTTY, OutTTY, ErrTTY bool
	// Width is the width text output is cut to; 0 never cuts.
	Width int
}

func defaultStreams() *streams {
	s := &streams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	s.InTTY = term.IsTerminal(int(os.Stdin.Fd()))
	s.OutTTY = term.IsTerminal(int(os.Stdout.Fd()))
	s.ErrTTY = term.IsTerminal(int(os.Stderr.Fd()))
	termWidth := 0
	if s.OutTTY {
		if w, _, err := term.GetSize(int(os.Stdout.Fd())); err == nil && w > 0 {
			termWidth = w
		}
	}
	s.Width = outputWidth(s.OutTTY, termWidth, os.Getenv("COLUMNS"))
	return s
}

// outputWidth is the width text output is cut to: a terminal's own width,
// else COLUMNS when it is a positive number, else 0: piped into a CI log or
// a file, nothing is cut. --width overrides it.
func outputWidth(tty bool, termWidth int, columns string) int {
	if tty && termWidth > 0 {
		return termWidth
	}
	if n, err := strconv.Atoi(strings.TrimSpace(columns)); err == nil && n > 0 {
		return n
	}
	if tty {
		return 100 // a terminal that does not tell its size
	}
	return 0
}

func newRootCmd(s *streams) *cobra.Command {
	root := &cobra.Command{
		Use:   "stagescope",
		Short: "See what a container image really carries, layer by layer",
		Long: `stagescope opens a container image layer by layer and shows every layer's
files, the bytes wasted by files that later layers overwrite or delete, and the
build-time leftovers (compilers, caches, dev dependencies, secrets) that a
multi-stage build would have left behind.`,
		Example: `  stagescope inspect myapp:latest      # the interactive browser
  stagescope myapp:latest              # the same, as with dive
  stagescope inspect -o text app.tar   # a summary for a CI log`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(s.Out)
	root.SetErr(s.ErrOut)
	width := -1
	root.PersistentFlags().IntVar(&width, "width", -1, "cut text output to this many columns; 0 never cuts (default: the terminal's width, else COLUMNS, else no cut)")
	root.PersistentFlags().Lookup("width").DefValue = "auto"
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		if width < -1 {
			return fmt.Errorf("--width must not be negative, got %d", width)
		}
		if width >= 0 {
			s.Width = width
		}
		return nil
	}
	inspect := newInspectCmd(s, nil)
	root.AddCommand(inspect)
	root.AddCommand(newDiffCmd(s, nil))
	root.AddCommand(newMergeCmd(s, nil))
	root.AddCommand(newFixCmd(s, nil))
	root.AddCommand(newRulesCmd(s))
	root.AddCommand(newVersionCmd(s))
	root.AddCommand(newDocsCmd())
	implicitInspect(root, inspect)
	return root
}

// implicitInspect makes `stagescope IMAGE [flags]` mean `stagescope inspect
// IMAGE [flags]`, as `dive IMAGE` does. The root takes inspect's flags
// (hidden from its help, which lists the commands) and runs inspect when its
// first argument names no command; with no argument it shows its help.
func implicitInspect(root, inspect *cobra.Command) {
	inspect.Flags().VisitAll(func(f *pflag.Flag) {
		c := *f
		c.Hidden = true
		root.Flags().AddFlag(&c)
		if fn, ok := inspect.GetFlagCompletionFunc(f.Name); ok {
			_ = root.RegisterFlagCompletionFunc(f.Name, fn)
		}
	})
	root.Args = cobra.ArbitraryArgs
	root.SuggestionsMinimumDistance = 2 // cobra's own default for unknown commands
	root.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return cmd.Help()
		}
		if _, err := os.Stat(args[0]); err != nil {
			if sugg := cmd.SuggestionsFor(args[0]); len(sugg) > 0 {
				return fmt.Errorf("unknown command %q (did you mean %q?); an image of that name: stagescope inspect %s", args[0], sugg[0], args[0])
			}
		}
		if err := inspect.Args(cmd, args); err != nil {
			return err
		}
		return inspect.RunE(cmd, args)
	}
}
