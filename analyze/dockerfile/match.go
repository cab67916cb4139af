package dockerfile

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/stagescope/stagescope/internal/format"
	"github.com/stagescope/stagescope/layers"
)

// Location is where a layer's instruction sits in the Dockerfile.
type Location struct {
	Path      string
	StartLine int
	EndLine   int
	Stage     string
	// Instruction is the instruction as written, on one line.
	Instruction string
}

// Lines is the location's line range, "4" or "4-5".
func (l *Location) Lines() string { return LineRange(l.StartLine, l.EndLine) }

// LineRange writes a line range: "4" for one line, "4-5" for several.
func LineRange(start, end int) string {
	if end <= start {
		return strconv.Itoa(start)
	}
	return strconv.Itoa(start) + "-" + strconv.Itoa(end)
}

// Mapping is the result of matching a Dockerfile against an image.
type Mapping struct {
	// BaseLayers is how many layers, from the bottom, the stage's base
	// image made: the layers below the first instruction of the stage chain.
	BaseLayers int
	// BaseName is the image the chain starts FROM ("scratch" for none).
	BaseName string
	// From is the location of that FROM line.
	From Location
	// Layers has one entry per image layer: nil for a base layer, else
	// the instruction that made it.
	Layers []*Location
}

// MismatchError says which instruction the image history does not hold.
type MismatchError struct {
	Path string
	// Line and Instruction name the Dockerfile instruction that found no
	// history entry; Line is 0 when the history ran out first.
	Line        int
	Instruction string
	// CreatedBy is the history entry it was compared with ("" when the
	// history ran out).
	CreatedBy string
	Reason    string
}

func (e *MismatchError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s does not match the image: %s", e.Path, e.Reason)
	}
	if e.CreatedBy == "" {
		return fmt.Sprintf("%s:%d: %s does not match the image: %s", e.Path, e.Line, clip(e.Instruction), e.Reason)
	}
	return fmt.Sprintf("%s:%d: %s does not match the image: the history has %q there", e.Path, e.Line, clip(e.Instruction), clip(e.CreatedBy))
}

func clip(s string) string {
	if r := []rune(s); len(r) > 80 {
		return string(r[:79]) + "…"
	}
	return s
}

// Match maps an image's layers onto the instructions of target's stage
// chain, reading the history from the top down, so that the base image's
// layers need no Dockerfile. nLayers is the image's layer count. When the
// Dockerfile does not match the history, Match returns a *MismatchError
// and no mapping: never a wrong line.
func Match(f *File, target *Stage, history []layers.History, nLayers int) (*Mapping, error) {
	nonEmpty := 0
	for _, h := range history {
		if !h.EmptyLayer {
			nonEmpty++
		}
	}
	if nonEmpty != nLayers {
		return nil, &MismatchError{Path: f.Path, Reason: fmt.Sprintf("its history records %d layers, the image has %d", nonEmpty, nLayers)}
	}
	chain := f.Chain(target)
	type step struct {
		st *Stage
		in *Instruction
		sh []string // the shell in force (SHELL), for RUN
	}
	var steps []step
	for _, st := range chain {
		sh := []string{"/bin/sh", "-c"}
		for i := range st.Instructions {
			in := &st.Instructions[i]
			if c, ok := in.Command.(*instructions.ShellCommand); ok {
				sh = c.Shell
			}
			steps = append(steps, step{st: st, in: in, sh: sh})
		}
	}
	// layer index of each history entry (-1 for empty ones)
	layerOf := make([]int, len(history))
	for i, n := 0, 0; i < len(history); i++ {
		layerOf[i] = -1
		if !history[i].EmptyLayer {
			layerOf[i] = n
			n++
		}
	}
	m := &Mapping{Layers: make([]*Location, nLayers), BaseName: chain[0].Base}
	m.From = Location{Path: f.Path, StartLine: chain[0].From.StartLine, EndLine: chain[0].From.EndLine, Stage: chain[0].Label(), Instruction: chain[0].From.Text}
	h := len(history) - 1
	for j := len(steps) - 1; j >= 0; j-- {
		s := steps[j]
		if h >= 0 {
			e := parseEntry(history[h].CreatedBy)
			if ok := matches(e, s.in, s.sh); ok {
				if l := layerOf[h]; l >= 0 {
					m.Layers[l] = &Location{Path: f.Path, StartLine: s.in.StartLine, EndLine: s.in.EndLine, Stage: s.st.Label(), Instruction: s.in.Text}
				}
				h--
				continue
			}
			if makesLayer(s.in) {
				return nil, &MismatchError{Path: f.Path, Line: s.in.StartLine, Instruction: s.in.Text, CreatedBy: strings.TrimSpace(history[h].CreatedBy)}
			}
			if l := layerOf[h]; l >= 0 && !optional(s.in) {
				return nil, &MismatchError{Path: f.Path, Line: s.in.StartLine, Instruction: s.in.Text, CreatedBy: strings.TrimSpace(history[h].CreatedBy)}
			}
			continue // a builder that records no history for this instruction
		}
		if makesLayer(s.in) {
			return nil, &MismatchError{Path: f.Path, Line: s.in.StartLine, Instruction: s.in.Text, Reason: "the image history has no entry left for it"}
		}
	}
	for i := 0; i <= h; i++ {
		if !history[i].EmptyLayer {
			m.BaseLayers++
		}
	}
	if m.BaseName == "scratch" && m.BaseLayers > 0 {
		return nil, &MismatchError{Path: f.Path, Line: chain[0].From.StartLine, Instruction: chain[0].From.Text,
			Reason: fmt.Sprintf("the stage starts from scratch, but %d layers lie below its first instruction", m.BaseLayers)}
	}
	return m, nil
}

// makesLayer says whether every builder writes a layer for the
// instruction: such an instruction must find its history entry.
func makesLayer(in *Instruction) bool {
	switch in.Keyword {
	case "RUN", "COPY", "ADD":
		return true
	}
	return false
}

// optional instructions are those some builders record no history for.
func optional(in *Instruction) bool {
	switch in.Keyword {
	case "ARG", "LABEL", "MAINTAINER", "ONBUILD", "SHELL", "STOPSIGNAL", "HEALTHCHECK", "USER", "EXPOSE", "VOLUME", "ENV", "CMD", "ENTRYPOINT", "WORKDIR":
		return true
	}
	return false
}

// entry is a history created_by split into its instruction keyword and the
// rest, whichever builder wrote it.
type entry struct {
	keyword string // upper case; "" when the entry is a bare command (classic RUN)
	rest    string
	// legacy says the entry is the classic builder's or buildah's
	// "#(nop) COPY kind:digest in dest" form.
	legacy bool
}

// parseEntry reads the created_by of the classic builder ("/bin/sh -c
// #(nop) COPY dir:… in /app ", "|1 A=b /bin/sh -c make"), buildah/podman
// (the same), BuildKit ("RUN /bin/sh -c make # buildkit", "COPY . . #
// buildkit") and kaniko ("RUN make", "COPY . .").
func parseEntry(createdBy string) entry {
	s := strings.TrimSpace(createdBy)
	s = strings.TrimSpace(strings.TrimSuffix(s, "# buildkit"))
	if rest, ok := strings.CutPrefix(s, "/bin/sh -c #(nop)"); ok {
		kw, arg, _ := strings.Cut(strings.TrimSpace(rest), " ")
		return entry{keyword: strings.ToUpper(kw), rest: strings.TrimSpace(arg), legacy: true}
	}
	kw, arg, _ := strings.Cut(s, " ")
	if keywords[kw] {
		return entry{keyword: kw, rest: strings.TrimSpace(arg)}
	}
	return entry{rest: s}
}

var keywords = map[string]bool{
	"RUN": true, "COPY": true, "ADD": true, "ENV": true, "ARG": true, "LABEL": true, "MAINTAINER": true,
	"WORKDIR": true, "USER": true, "EXPOSE": true, "VOLUME": true, "CMD": true, "ENTRYPOINT": true,
	"SHELL": true, "STOPSIGNAL": true, "HEALTHCHECK": true, "ONBUILD": true,
}

// matches says whether a history entry records the instruction.
func matches(e entry, in *Instruction, sh []string) bool {
	switch c := in.Command.(type) {
	case *instructions.RunCommand:
		if e.keyword != "" && e.keyword != "RUN" {
			return false
		}
		return matchRun(e.rest, c, sh)
	case *instructions.CopyCommand:
		return e.keyword == "COPY" && matchCopy(e, c.SourcePaths, c.SourceContents, c.DestPath)
	case *instructions.AddCommand:
		return (e.keyword == "ADD" || e.keyword == "COPY") && matchCopy(e, c.SourcePaths, c.SourceContents, c.DestPath)
	}
	if e.keyword != in.Keyword {
		return false
	}
	switch c := in.Command.(type) {
	case *instructions.WorkdirCommand:
		return path.Clean(e.rest) == path.Clean(c.Path) || path.Base(path.Clean(e.rest)) == path.Base(path.Clean(c.Path))
	case *instructions.EnvCommand:
		for _, kv := range c.Env {
			if !strings.Contains(e.rest, kv.Key+"=") {
				return false
			}
		}
	}
	return true
}

// matchRun compares a RUN's command with the history's: build args
// ("|2 A=b B=c ") and the shell prefix dropped, white space folded.
func matchRun(rest string, c *instructions.RunCommand, sh []string) bool {
	rest = dropBuildArgs(rest)
	var want string
	if c.PrependShell {
		prefix := strings.Join(sh, " ") + " "
		if r, ok := strings.CutPrefix(rest, prefix); ok {
			rest = r
		} else if r, ok := strings.CutPrefix(rest, "/bin/sh -c "); ok {
			rest = r
		}
		want = strings.Join(c.CmdLine, " ")
		if len(c.Files) > 0 {
			// BuildKit runs a heredoc as the command line, its body and
			// its terminator.
			var b strings.Builder
			b.WriteString(want)
			for _, fl := range c.Files {
				b.WriteString("\n" + fl.Data + fl.Name)
			}
			if format.OneLine(rest) == format.OneLine(b.String()) {
				return true
			}
		}
	} else {
		want = strings.Join(c.CmdLine, " ")
	}
	// kaniko writes the instruction as written.
	return format.OneLine(rest) == format.OneLine(want) || format.OneLine(dropFlags(rest)) == format.OneLine(afterKeyword(c.String()))
}

// afterKeyword drops an instruction's keyword and its --flags.
func afterKeyword(code string) string {
	_, s, _ := strings.Cut(strings.TrimSpace(code), " ")
	return dropFlags(s)
}

// dropFlags drops the leading --flags of an instruction's arguments.
func dropFlags(s string) string {
	for {
		s = strings.TrimSpace(s)
		if !strings.HasPrefix(s, "--") {
			return s
		}
		_, s, _ = strings.Cut(s, " ")
	}
}

// dropBuildArgs removes the "|N K=V …" prefix builders put before a RUN
// that sees build args.
func dropBuildArgs(s string) string {
	if !strings.HasPrefix(s, "|") {
		return s
	}
	num, rest, ok := strings.Cut(s[1:], " ")
	n, err := strconv.Atoi(num)
	if !ok || err != nil {
		return s
	}
	// n comes from the image: stop when the words run out, not after n
	// of them (|9223372036854775807 would spin for ever).
	for i := 0; i < n && rest != ""; i++ {
		_, rest, _ = strings.Cut(rest, " ")
	}
	return rest
}

// matchCopy compares COPY/ADD: the legacy "kind:digest in dest" form by
// its destination, the BuildKit/kaniko form by sources and destination.
func matchCopy(e entry, srcs []string, contents []instructions.SourceContent, dest string) bool {
	if e.legacy {
		i := strings.LastIndex(e.rest, " in ")
		if i < 0 {
			return false
		}
		return samePath(strings.TrimSpace(e.rest[i+4:]), dest)
	}
	var words []string
	for _, w := range strings.Fields(e.rest) {
		if !strings.HasPrefix(w, "--") {
			words = append(words, w)
		}
	}
	if len(words) < 2 || !samePath(words[len(words)-1], dest) {
		return false
	}
	got := words[:len(words)-1]
	want := append([]string(nil), srcs...)
	for _, c := range contents {
		want = append(want, "<<"+c.Path)
	}
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if !samePath(got[i], want[i]) {
			return false
		}
	}
	return true
}

func samePath(a, b string) bool {
	if a == b {
		return true
	}
	return path.Clean(a) == path.Clean(b)
}
