// Package dockerfile reads a Dockerfile with BuildKit's own parser and maps
// an image's layers onto the instructions of its final stage through the
// image history, so that every layer and finding can name the line that
// made it. It is pure: the caller reads the file and the image.
package dockerfile

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/stagescope/stagescope/internal/format"
)

// File is a parsed Dockerfile.
type File struct {
	Path string
	// Syntax is the `# syntax=` directive, "" when there is none.
	Syntax string
	// Args are the ARGs declared before the first FROM, with their
	// defaults ("" when none).
	Args   map[string]string
	Stages []Stage
	// Source is the file's text, for the rewriter.
	Source []byte
}

// Stage is one FROM and the instructions that follow it.
type Stage struct {
	Index int
	Name  string // "" when the stage has no AS name
	// From is the FROM instruction itself.
	From Instruction
	// Base is the image the stage starts from, with the ARGs declared
	// before the first FROM expanded: an image reference, "scratch", or the
	// name of an earlier stage (then Parent is that stage's index).
	Base   string
	Parent int
	// Platform is FROM's --platform, "" when not given.
	Platform     string
	Instructions []Instruction
}

// Label names the stage as the JSON report does: its AS name, else its
// index.
func (s *Stage) Label() string {
	if s.Name != "" {
		return s.Name
	}
	return strconv.Itoa(s.Index)
}

// Instruction is one instruction of a stage.
type Instruction struct {
	// Keyword is the instruction in upper case: RUN, COPY, ENV, ...
	Keyword string
	// Text is the instruction as written, continuation lines joined and
	// white space folded; heredoc bodies are left out.
	Text string
	// StartLine and EndLine are 1-based and inclusive; EndLine includes
	// continuation lines and heredoc bodies.
	StartLine, EndLine int
	// Command is BuildKit's typed instruction (nil for FROM).
	Command instructions.Command
}

// Parse parses a Dockerfile. The error names the file and, where the
// parser knows it, the line.
func Parse(path string, src []byte) (*File, error) {
	res, err := parser.Parse(bytes.NewReader(src))
	if err != nil {
		return nil, parseErr(path, err)
	}
	stages, metaArgs, err := instructions.Parse(res.AST, nil)
	if err != nil {
		return nil, parseErr(path, err)
	}
	if len(stages) == 0 {
		return nil, fmt.Errorf("%s: no FROM instruction: not a Dockerfile", path)
	}
	f := &File{Path: path, Args: map[string]string{}, Source: src}
	if syntax, _, _, ok := parser.DetectSyntax(src); ok {
		f.Syntax = syntax
	}
	for _, a := range metaArgs {
		for _, kv := range a.Args {
			f.Args[kv.Key] = kv.ValueString()
		}
	}
	lex := shell.NewLex(res.EscapeToken)
	names := map[string]int{}
	for i, st := range stages {
		s := Stage{Index: i, Name: strings.ToLower(st.Name), Parent: -1, Platform: st.Platform}
		s.From = Instruction{Keyword: "FROM", Text: format.OneLine(st.SourceCode)}
		s.From.StartLine, s.From.EndLine = lines(st.Location)
		base, _, err := lex.ProcessWord(st.BaseName, envMap(f.Args))
		if err != nil {
			return nil, fmt.Errorf("%s:%d: FROM %s: %w", path, s.From.StartLine, st.BaseName, err)
		}
		s.Base = base
		if p, ok := names[strings.ToLower(base)]; ok {
			s.Parent = p
		}
		for _, c := range st.Commands {
			in := Instruction{Keyword: strings.ToUpper(c.Name()), Command: c}
			in.StartLine, in.EndLine = lines(c.Location())
			if str, ok := c.(fmt.Stringer); ok {
				in.Text = format.OneLine(firstLine(str.String()))
			}
			s.Instructions = append(s.Instructions, in)
		}
		if s.Name != "" {
			names[s.Name] = i
		}
		f.Stages = append(f.Stages, s)
	}
	return f, nil
}

// lineInMessage is the line BuildKit names in its message, which the
// error gives as path:line instead.
var lineInMessage = regexp.MustCompile(`^dockerfile parse error on line \d+: `)

// parseErr makes BuildKit's error one line that names the file and line.
func parseErr(path string, err error) error {
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	msg = lineInMessage.ReplaceAllString(msg, "")
	var loc *parser.LocationError
	if errors.As(err, &loc) && len(loc.Locations) > 0 && len(loc.Locations[0]) > 0 {
		return fmt.Errorf("%s:%d: %s", path, loc.Locations[0][0].Start.Line, msg)
	}
	return fmt.Errorf("%s: %s", path, msg)
}

// Target returns the stage a build of target makes: the stage named
// target, or the last stage when target is "".
func (f *File) Target(target string) (*Stage, error) {
	if target == "" {
		return &f.Stages[len(f.Stages)-1], nil
	}
	for i := range f.Stages {
		if f.Stages[i].Name == strings.ToLower(target) {
			return &f.Stages[i], nil
		}
	}
	if n, err := strconv.Atoi(target); err == nil && n >= 0 && n < len(f.Stages) {
		return &f.Stages[n], nil
	}
	names := make([]string, 0, len(f.Stages))
	for i := range f.Stages {
		names = append(names, f.Stages[i].Label())
	}
	return nil, fmt.Errorf("%s: no stage %q (stages: %s)", f.Path, target, strings.Join(names, ", "))
}

// Chain is the stages whose instructions make the image of s, from the one
// built on an outside image (or scratch) up to s itself.
func (f *File) Chain(s *Stage) []*Stage {
	chain := []*Stage{s}
	for seen := 0; s.Parent >= 0 && seen < len(f.Stages); seen++ {
		s = &f.Stages[s.Parent]
		chain = append([]*Stage{s}, chain...)
	}
	return chain
}

func lines(rs []parser.Range) (start, end int) {
	for i, r := range rs {
		if i == 0 || r.Start.Line < start {
			start = r.Start.Line
		}
		if r.End.Line > end {
			end = r.End.Line
		}
	}
	return start, end
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// envMap is a shell.EnvGetter over a map.
type envMap map[string]string

func (e envMap) Get(k string) (string, bool) { v, ok := e[k]; return v, ok }

func (e envMap) Keys() []string {
	ks := make([]string, 0, len(e))
	for k := range e {
		ks = append(ks, k)
	}
	return ks
}
