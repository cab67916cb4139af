// Package rewrite turns the user's own Dockerfile into a builder → runner
// multi-stage build: their base and build steps stay in the builder, with
// their comments and order; the runner starts from the base's slim variant
// (when it exists) and copies only the runtime files the image really uses.
// It is pure: the facts about the image come from the analysis.
package rewrite

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/stagescope/stagescope/analyze/dockerfile"
)

// The ecosystems Rewrite handles (the analysis's names).
const (
	Node   = "node"
	Go     = "go"
	Rust   = "rust"
	C      = "c"
	Python = "python"
)

// ErrUnsupported says Rewrite has no rewrite for the image's ecosystem:
// the caller falls back to the generic skeleton, and says so.
var ErrUnsupported = errors.New("no rewrite for this ecosystem")

// Facts are what the analysis learned about the image.
type Facts struct {
	Ecosystem string
	// AppDir is the project's directory in the image (absolute).
	AppDir string
	// Runtime are the absolute image paths the runner needs.
	Runtime []string
	// RuntimePackages are the Debian runtime libraries of the -dev
	// packages the build used (C).
	RuntimePackages []string
	// Exists says whether an image reference can be pulled; the slim
	// variant of the base is used only when it does. Nil: never.
	Exists func(ref string) bool
}

// Result is the rewritten Dockerfile.
type Result struct {
	Dockerfile string
	// Runner is the runner stage's base.
	Runner string
	Notes  []string
}

// Rewrite rewrites the stage target of f ("" is the last) into a builder
// and a runner.
func Rewrite(f *dockerfile.File, target string, facts Facts) (*Result, error) {
	st, err := f.Target(target)
	if err != nil {
		return nil, err
	}
	switch facts.Ecosystem {
	case Node, Go, Rust, C, Python:
	default:
		return nil, fmt.Errorf("%w (%q)", ErrUnsupported, facts.Ecosystem)
	}
	w := &writer{f: f, st: st, facts: facts, lines: strings.Split(strings.TrimRight(string(f.Source), "\n"), "\n")}
	w.builder()
	w.runner()
	return &Result{Dockerfile: w.out.String(), Runner: w.runnerBase, Notes: w.notes}, nil
}

type writer struct {
	f          *dockerfile.File
	st         *dockerfile.Stage
	facts      Facts
	lines      []string
	out        strings.Builder
	notes      []string
	builderRef string // how the runner names the builder stage
	runnerBase string
	// moved are the runtime instructions the runner takes over.
	moved []*dockerfile.Instruction
	env   []*dockerfile.Instruction
	// workdir is the stage's last WORKDIR.
	workdir string
	runs    string // every RUN's text, lower case, to tell package managers
}

// runtimeKeywords are instructions that describe the running container:
// they move from the builder to the runner.
var runtimeKeywords = map[string]bool{"CMD": true, "ENTRYPOINT": true, "EXPOSE": true, "USER": true, "HEALTHCHECK": true, "VOLUME": true, "STOPSIGNAL": true, "LABEL": true}

// secretNames are files that must never be COPYed into a layer.
var secretNames = []string{".env", "id_rsa", "id_ed25519", "id_ecdsa", ".npmrc", ".pypirc", ".netrc", "credentials", "*.pem", "*.key"}

func isSecret(p string) bool {
	base := path.Base(p)
	for _, pat := range secretNames {
		if ok, _ := path.Match(pat, base); ok {
			return true
		}
	}
	return false
}

// builder writes the user's file up to and including the target stage,
// made the builder: runtime instructions moved out, secrets no longer
// copied, and the ecosystem's build settings added after FROM.
func (w *writer) builder() {
	skip := map[int]bool{} // 1-based lines left out
	replace := map[int]string{}
	for i := range w.st.Instructions {
		in := &w.st.Instructions[i]
		switch c := in.Command.(type) {
		case *instructions.WorkdirCommand:
			if path.IsAbs(c.Path) || w.workdir == "" {
				w.workdir = c.Path
			} else {
				w.workdir = path.Join(w.workdir, c.Path)
			}
		case *instructions.EnvCommand:
			w.env = append(w.env, in)
		case *instructions.RunCommand:
			w.runs += " " + strings.ToLower(strings.Join(c.CmdLine, " "))
		case *instructions.CopyCommand:
			if c.From == "" && len(c.SourcePaths) > 0 && !slices.ContainsFunc(c.SourcePaths, func(s string) bool { return !isSecret(s) }) {
				for l := in.StartLine; l <= in.EndLine; l++ {
					skip[l] = true
				}
				id := path.Base(c.SourcePaths[0])
				replace[in.StartLine] = fmt.Sprintf("# stagescope: %s copied a secret into a layer; mount it only where a RUN needs it:\n#   RUN --mount=type=secret,id=%s,target=%s …   (build with --secret id=%s,src=%s)",
					in.Text, id, secretTarget(c.DestPath, id, w.workdir), id, c.SourcePaths[0])
				w.notes = append(w.notes, fmt.Sprintf("%s no longer copies the secret %s: pass it with RUN --mount=type=secret where a build step needs it, keep it out with .dockerignore, and rotate it", lineRef(in), c.SourcePaths[0]))
			}
		}
		if runtimeKeywords[in.Keyword] {
			w.moved = append(w.moved, in)
			for l := in.StartLine; l <= in.EndLine; l++ {
				skip[l] = true
			}
		}
	}
	w.builderRef = w.st.Name
	fromLine := w.st.From.StartLine
	last := len(w.lines)
	if w.st.Index+1 < len(w.f.Stages) {
		last = w.f.Stages[w.st.Index+1].From.StartLine - 1
	}
	for n := 1; n <= last; n++ {
		if r, ok := replace[n]; ok {
			w.line(r)
			continue
		}
		if skip[n] {
			continue
		}
		line := w.lines[n-1]
		if n == fromLine && w.builderRef == "" {
			line = strings.TrimRight(line, " \t") + " AS builder"
			w.builderRef = "builder"
		}
		w.line(line)
		if n == w.st.From.EndLine {
			w.builderSettings()
		}
	}
}

// secretTarget is where a secret COPY put the file.
func secretTarget(dest, id, workdir string) string {
	if strings.HasSuffix(dest, "/") || dest == "." || dest == "./" {
		dest = path.Join(dest, id)
	}
	if !path.IsAbs(dest) {
		dest = path.Join("/", workdir, dest)
	}
	return dest
}

func lineRef(in *dockerfile.Instruction) string {
	return fmt.Sprintf("line %d (%s)", in.StartLine, in.Keyword)
}

func (w *writer) line(s string) {
	w.out.WriteString(s)
	w.out.WriteByte('\n')
}

// builderSettings are what the builder needs besides the user's steps.
func (w *writer) builderSettings() {
	switch w.facts.Ecosystem {
	case Go:
		w.line("# stagescope: a static, stripped binary runs in an empty runner")
		w.line(`ENV CGO_ENABLED=0 GOFLAGS="-trimpath -ldflags=-s"`)
	case Python:
		if !strings.Contains(w.runs, "poetry") && !strings.Contains(w.runs, "venv") {
			w.line("# stagescope: install into a virtual environment the runner copies whole")
			w.line("RUN python3 -m venv /opt/venv")
			w.line(`ENV VIRTUAL_ENV=/opt/venv PATH="/opt/venv/bin:$PATH"`)
		}
		if strings.Contains(w.runs, "poetry") {
			w.line("# stagescope: poetry installs into the project's .venv, which the runner copies")
			w.line("ENV POETRY_VIRTUALENVS_IN_PROJECT=true")
		}
	}
}

// runner writes the runner stage.
func (w *writer) runner() {
	w.runnerBase = w.runnerImage()
	trimmed := strings.TrimRight(w.out.String(), "\n")
	w.out.Reset()
	w.out.WriteString(trimmed + "\n")
	w.line("")
	w.line("# stagescope: the runner holds only what the app needs at run time")
	w.line("FROM " + w.runnerBase + " AS runner")
	app := w.facts.AppDir
	if w.workdir != "" {
		app = w.workdir
		if !path.IsAbs(app) {
			app = "/" + app
		}
	}
	if app != "" && w.facts.Ecosystem != Go {
		w.line("WORKDIR " + app)
	}
	for _, in := range w.env {
		w.line(w.source(in))
	}
	switch w.facts.Ecosystem {
	case Node:
		w.nodeRunner(app)
	case Go:
		w.line("ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
		w.copyRuntime(app)
	case Rust, C:
		if len(w.facts.RuntimePackages) > 0 {
			w.line("RUN apt-get update \\")
			w.line(" && apt-get install -y --no-install-recommends " + strings.Join(w.facts.RuntimePackages, " ") + " \\")
			w.line(" && apt-get clean && rm -rf /var/lib/apt/lists/*")
			w.notes = append(w.notes, "the runner installs the runtime libraries of the -dev packages the build used ("+strings.Join(w.facts.RuntimePackages, ", ")+")")
		}
		w.copyRuntime(app)
	case Python:
		switch {
		case strings.Contains(w.runs, "poetry"):
			w.line(fmt.Sprintf(`ENV VIRTUAL_ENV=%s/.venv PATH="%s/.venv/bin:$PATH"`, app, app))
			w.notes = append(w.notes, "the runner has the project's .venv but not poetry: start the app with the venv's python rather than `poetry run`")
		case strings.Contains(w.runs, "venv"):
			w.line("COPY --from=" + w.builderRef + " /opt/venv /opt/venv")
			w.notes = append(w.notes, "the runner copies the virtual environment from /opt/venv: change the path if yours is elsewhere")
		default:
			w.line("COPY --from=" + w.builderRef + " /opt/venv /opt/venv")
			w.line(`ENV VIRTUAL_ENV=/opt/venv PATH="/opt/venv/bin:$PATH"`)
		}
		w.line(fmt.Sprintf("COPY --from=%s %s %s", w.builderRef, app, app))
		w.notes = append(w.notes, "the runner copies the app directory whole: keep .git, .env and tests out of it with .dockerignore")
	}
	for _, in := range w.moved {
		w.line(w.source(in))
	}
}

// source is an instruction's text as the user wrote it (its Text when
// the rewrite made it).
func (w *writer) source(in *dockerfile.Instruction) string {
	if in.StartLine < 1 {
		return in.Text
	}
	return strings.Join(w.lines[in.StartLine-1:in.EndLine], "\n")
}

// nodeRunner installs production dependencies with the project's package
// manager, or copies a Next.js standalone server.
func (w *writer) nodeRunner(app string) {
	b := w.builderRef
	if slices.Contains(w.facts.Runtime, app+"/.next/standalone") {
		w.line(fmt.Sprintf("COPY --from=%s %s/.next/standalone ./", b, app))
		w.line(fmt.Sprintf("COPY --from=%s %s/.next/static ./.next/static", b, app))
		if slices.Contains(w.facts.Runtime, app+"/public") {
			w.line(fmt.Sprintf("COPY --from=%s %s/public ./public", b, app))
		}
		w.notes = append(w.notes, "Next.js output: \"standalone\": the runner runs .next/standalone's server.js with the modules it traced; .next/cache stays behind")
		w.moved = slices.DeleteFunc(w.moved, func(in *dockerfile.Instruction) bool { return in.Keyword == "CMD" || in.Keyword == "ENTRYPOINT" })
		w.moved = append(w.moved, &dockerfile.Instruction{Keyword: "CMD", Text: `CMD ["node", "server.js"]`, StartLine: -1})
		return
	}
	var manifests []string
	for _, p := range w.facts.Runtime {
		if path.Dir(p) == app && manifest(p) {
			manifests = append(manifests, p)
		}
	}
	install := "npm install --omit=dev && npm cache clean --force"
	if len(manifests) > 1 {
		install = "npm ci --omit=dev && npm cache clean --force"
	}
	switch {
	case strings.Contains(w.runs, "pnpm"):
		manifests = []string{app + "/package.json", app + "/pnpm-lock.yaml"}
		install = "corepack enable && pnpm install --prod --frozen-lockfile && pnpm store prune"
	case strings.Contains(w.runs, "yarn"):
		manifests = []string{app + "/package.json", app + "/yarn.lock"}
		install = "yarn install --production --frozen-lockfile && yarn cache clean"
	}
	if len(manifests) > 0 {
		w.line(fmt.Sprintf("COPY --from=%s %s ./", b, strings.Join(manifests, " ")))
	}
	w.line("RUN " + install)
	w.notes = append(w.notes, "the runner installs only the production dependencies and cleans the package cache in the same RUN: devDependencies stay in the builder")
	for _, p := range w.facts.Runtime {
		if !slices.Contains(manifests, p) && !manifest(p) && p != app+"/.next/standalone" {
			w.copyOne(app, p)
		}
	}
}

// copyRuntime copies the runtime paths from the builder.
func (w *writer) copyRuntime(app string) {
	for _, p := range w.facts.Runtime {
		w.copyOne(app, p)
	}
}

// manifest says whether p is a package manifest or lockfile, which the
// runner's install step copies.
func manifest(p string) bool {
	switch path.Base(p) {
	case "package.json", "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml":
		return true
	}
	return false
}

func (w *writer) copyOne(app, p string) {
	dest := p
	if app != "" && strings.HasPrefix(p, app+"/") {
		dest = "./" + strings.TrimPrefix(p, app+"/")
	}
	w.line(fmt.Sprintf("COPY --from=%s %s %s", w.builderRef, p, dest))
}

// runnerImage picks the runner's base: the base's slim variant when it
// exists, an empty image for a static Go binary, else the base itself.
func (w *writer) runnerImage() string {
	base := w.f.Chain(w.st)[0].Base
	if w.facts.Ecosystem == Go {
		if w.shellForm() {
			w.notes = append(w.notes, "CMD/ENTRYPOINT in shell form need a shell: the runner keeps the base; use the exec form ([\"…\"]) to run from scratch")
			return base
		}
		w.notes = append(w.notes, "the builder sets CGO_ENABLED=0 and strips the binary (GOFLAGS): it runs in scratch (add CA certificates if it calls HTTPS)")
		return "scratch"
	}
	for _, c := range variants(base, w.facts.Ecosystem) {
		if w.facts.Exists != nil && w.facts.Exists(c) {
			return c
		}
	}
	if v := variants(base, w.facts.Ecosystem); len(v) > 0 {
		w.notes = append(w.notes, fmt.Sprintf("no slim variant of %s was found (tried %s): the runner keeps the same base", base, strings.Join(v, ", ")))
	}
	return base
}

func (w *writer) shellForm() bool {
	for _, in := range w.moved {
		switch c := in.Command.(type) {
		case *instructions.CmdCommand:
			if c.PrependShell {
				return true
			}
		case *instructions.EntrypointCommand:
			if c.PrependShell {
				return true
			}
		}
	}
	return false
}

// variants are the slim images of a base, best first.
func variants(base, eco string) []string {
	repo, tag := base, "latest"
	if i := strings.LastIndex(base, ":"); i > strings.LastIndex(base, "/") {
		repo, tag = base[:i], base[i+1:]
	}
	if strings.Contains(base, "@") || strings.Contains(tag, "slim") || strings.Contains(tag, "alpine") {
		return nil
	}
	name := path.Base(repo)
	switch name {
	case "debian", "node", "python", "ruby", "openjdk":
		if tag == "latest" {
			return []string{repo + ":slim"}
		}
		return []string{repo + ":" + tag + "-slim"}
	case "rust", "gcc":
		if eco == Rust || eco == C {
			return []string{strings.TrimSuffix(repo, name) + "debian:bookworm-slim"}
		}
	}
	return nil
}
