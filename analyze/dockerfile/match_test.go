package dockerfile

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stagescope/stagescope/layers"
	"github.com/stagescope/stagescope/layers/layerstest"
)

// nodeBase is the history buildah writes for the shared kit's node:18.
var nodeBase = []layerstest.Step{
	{CreatedBy: "/bin/sh -c #(nop) ADD file:5d6f in / ", Files: []layerstest.File{{Name: "etc/debian_version", Body: "12"}}},
	{CreatedBy: "/bin/sh -c apt-get update  && apt-get install -y --no-install-recommends nodejs npm ca-certificates  && apt-get clean && rm -rf /var/lib/apt/lists/*", Files: []layerstest.File{{Name: "usr/bin/node", Body: "elf"}}},
	{CreatedBy: `/bin/sh -c #(nop) CMD ["node"]`, Empty: true},
}

func layer(createdBy string) layerstest.Step {
	return layerstest.Step{CreatedBy: createdBy, Files: []layerstest.File{{Name: "f", Body: createdBy}}}
}

func empty(createdBy string) layerstest.Step {
	return layerstest.Step{CreatedBy: createdBy, Empty: true}
}

// history builds a real image of base+steps in the test process and reads
// its history back through layers.Read.
func history(t *testing.T, steps ...layerstest.Step) ([]layers.History, int) {
	t.Helper()
	img := layerstest.Image(t, append(append([]layerstest.Step(nil), nodeBase...), steps...)...)
	got, err := layers.Read(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	return got.Config.History, len(got.Layers)
}

func parseFile(t *testing.T, name string) *File {
	t.Helper()
	src, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse(name, src)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestParse(t *testing.T) {
	f := parseFile(t, "testdata/node.Dockerfile")
	if got, want := f.Syntax, "docker/dockerfile:1"; got != want {
		t.Errorf("syntax = %q, want %q", got, want)
	}
	type stage struct {
		Name, Base string
		Parent     int
		From       [2]int
		Lines      [][2]int
		Keywords   []string
	}
	var got []stage
	for _, s := range f.Stages {
		st := stage{Name: s.Name, Base: s.Base, Parent: s.Parent, From: [2]int{s.From.StartLine, s.From.EndLine}}
		for _, in := range s.Instructions {
			st.Lines = append(st.Lines, [2]int{in.StartLine, in.EndLine})
			st.Keywords = append(st.Keywords, in.Keyword)
		}
		got = append(got, st)
	}
	want := []stage{
		{Name: "builder", Base: "localhost/node:18", Parent: -1, From: [2]int{3, 3},
			Lines: [][2]int{{4, 4}, {5, 5}, {6, 6}, {7, 7}, {8, 8}}, Keywords: []string{"WORKDIR", "COPY", "RUN", "COPY", "RUN"}},
		{Name: "runtime", Base: "localhost/node:18", Parent: -1, From: [2]int{10, 10},
			Lines:    [][2]int{{11, 11}, {12, 12}, {13, 13}, {14, 14}, {16, 18}, {19, 22}, {23, 23}, {24, 24}, {25, 25}},
			Keywords: []string{"ARG", "WORKDIR", "ENV", "COPY", "RUN", "RUN", "COPY", "EXPOSE", "CMD"}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("stages (-want +got):\n%s", d)
	}
	if got, want := f.Args, map[string]string{"NODE": "18"}; !cmp.Equal(got, want) {
		t.Errorf("args = %v, want %v", got, want)
	}
}

// runtimeLines are the lines of the runtime stage's layer-making
// instructions, in order: COPY, RUN, RUN heredoc, COPY.
var runtimeLines = [][2]int{{14, 14}, {16, 18}, {19, 22}, {23, 23}}

// noHeredocLines are the same in node-noheredoc.Dockerfile, whose RUN
// npm ci is one line.
var noHeredocLines = [][2]int{{14, 14}, {16, 18}, {19, 19}, {20, 20}}

func TestMatchDialects(t *testing.T) {
	tests := []struct {
		name       string
		dockerfile string
		steps      []layerstest.Step
		// lines of the image's layers above the base, in order
		want [][2]int
	}{
		{
			// buildah 1.28 (the shared kit's) has no heredocs
			name:       "buildah",
			dockerfile: "testdata/node-noheredoc.Dockerfile",
			steps: []layerstest.Step{
				empty("/bin/sh -c #(nop) WORKDIR /app"),
				empty("/bin/sh -c #(nop) ENV NODE_ENV=production"),
				layer("/bin/sh -c #(nop) COPY multi:9a1c in ./ "),
				layer("|1 PORT=3000 /bin/sh -c apt-get update  && apt-get install -y curl  && rm -rf /var/lib/apt/lists/*"),
				layer("|1 PORT=3000 /bin/sh -c npm ci --omit=dev"),
				layer("/bin/sh -c #(nop) COPY dir:77ab in ./dist "),
				empty("/bin/sh -c #(nop) EXPOSE 3000"),
				empty(`/bin/sh -c #(nop) CMD ["node", "dist/server.js"]`),
			},
			want: noHeredocLines,
		},
		{
			// the classic builder has no heredocs either
			name:       "classic",
			dockerfile: "testdata/node-noheredoc.Dockerfile",
			steps: []layerstest.Step{
				empty("/bin/sh -c #(nop)  ARG PORT=3000"),
				empty("/bin/sh -c #(nop) WORKDIR /app"),
				empty("/bin/sh -c #(nop)  ENV NODE_ENV=production"),
				layer("/bin/sh -c #(nop) COPY multi:9a1c in ./ "),
				layer("|1 PORT=3000 /bin/sh -c apt-get update  && apt-get install -y curl  && rm -rf /var/lib/apt/lists/*"),
				layer("|1 PORT=3000 /bin/sh -c npm ci --omit=dev"),
				layer("/bin/sh -c #(nop) COPY dir:77ab in ./dist "),
				empty("/bin/sh -c #(nop)  EXPOSE 3000"),
				empty(`/bin/sh -c #(nop)  CMD ["node" "dist/server.js"]`),
			},
			want: noHeredocLines,
		},
		{
			name:       "buildkit",
			dockerfile: "testdata/node.Dockerfile",
			steps: []layerstest.Step{
				empty("ARG PORT=3000"),
				layer("WORKDIR /app"),
				empty("ENV NODE_ENV=production"),
				layer("COPY /app/package.json /app/package-lock.json ./ # buildkit"),
				layer("RUN |1 PORT=3000 /bin/sh -c apt-get update  && apt-get install -y curl  && rm -rf /var/lib/apt/lists/* # buildkit"),
				layer("RUN |1 PORT=3000 /bin/sh -c <<EOF\nset -e\nnpm ci --omit=dev\nEOF # buildkit"),
				layer("COPY /app/dist ./dist # buildkit"),
				empty("EXPOSE map[3000/tcp:{}]"),
				empty(`CMD ["node" "dist/server.js"]`),
			},
			want: append([][2]int{{12, 12}}, runtimeLines...),
		},
		{
			name:       "kaniko",
			dockerfile: "testdata/node.Dockerfile",
			steps: []layerstest.Step{
				empty("ARG PORT=3000"),
				empty("WORKDIR /app"),
				empty("ENV NODE_ENV=production"),
				layer("COPY --from=builder /app/package.json /app/package-lock.json ./"),
				layer("RUN apt-get update  && apt-get install -y curl  && rm -rf /var/lib/apt/lists/*"),
				layer("RUN <<EOF"),
				layer("COPY --from=builder /app/dist ./dist"),
				empty("EXPOSE 3000"),
				empty(`CMD ["node", "dist/server.js"]`),
			},
			want: runtimeLines,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := parseFile(t, tt.dockerfile)
			target, err := f.Target("")
			if err != nil {
				t.Fatal(err)
			}
			h, n := history(t, tt.steps...)
			m, err := Match(f, target, h, n)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := m.BaseLayers, 2; got != want {
				t.Errorf("base layers = %d, want %d", got, want)
			}
			if got, want := m.From.StartLine, 10; got != want {
				t.Errorf("FROM line = %d, want %d", got, want)
			}
			var got [][2]int
			for i, l := range m.Layers {
				if (l == nil) != (i < m.BaseLayers) {
					t.Errorf("layer %d: mapped = %v, want only the layers above the base mapped", i, l != nil)
				}
				if l != nil {
					got = append(got, [2]int{l.StartLine, l.EndLine})
				}
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("layer lines (-want +got):\n%s", d)
			}
		})
	}
}

// buildahRuntime is the buildah history of node-noheredoc.Dockerfile's
// runtime stage.
var buildahRuntime = []layerstest.Step{
	empty("/bin/sh -c #(nop) WORKDIR /app"),
	empty("/bin/sh -c #(nop) ENV NODE_ENV=production"),
	layer("/bin/sh -c #(nop) COPY multi:9a1c in ./ "),
	layer("|1 PORT=3000 /bin/sh -c apt-get update  && apt-get install -y curl  && rm -rf /var/lib/apt/lists/*"),
	layer("|1 PORT=3000 /bin/sh -c npm ci --omit=dev"),
	layer("/bin/sh -c #(nop) COPY dir:77ab in ./dist "),
	empty("/bin/sh -c #(nop) EXPOSE 3000"),
	empty(`/bin/sh -c #(nop) CMD ["node", "dist/server.js"]`),
}

func TestMatchMismatch(t *testing.T) {
	tests := []struct {
		name     string
		edit     func(string) string // applied to node-noheredoc.Dockerfile
		steps    []layerstest.Step
		wantLine int
	}{
		{
			name: "a RUN edited since the build",
			edit: func(s string) string {
				return strings.Replace(s, "RUN npm ci --omit=dev", "RUN npm install --omit=dev", 1)
			},
			steps:    buildahRuntime,
			wantLine: 19,
		},
		{
			name:     "a COPY the image does not have",
			edit:     func(s string) string { return strings.Replace(s, "EXPOSE 3000", "COPY README.md ./\nEXPOSE 3000", 1) },
			steps:    buildahRuntime,
			wantLine: 21,
		},
		{
			name: "another app's Dockerfile",
			edit: func(string) string {
				return "FROM localhost/debian:bookworm\nRUN apt-get update\nCOPY . /src\nRUN make\n"
			},
			steps:    buildahRuntime,
			wantLine: 4,
		},
		{
			name:     "the image has layers the Dockerfile does not make",
			edit:     func(s string) string { return s },
			steps:    append([]layerstest.Step{layer("/bin/sh -c #(nop) COPY file:12 in /etc/motd ")}, buildahRuntime...),
			wantLine: 0, // the stage matches; the extra layer is counted into the base
		},
		{
			name:     "a stage from scratch over layers",
			edit:     func(string) string { return "FROM scratch\nCOPY --from=builder /out/goapp /goapp\n" },
			steps:    []layerstest.Step{layer("/bin/sh -c #(nop) COPY file:ab in /goapp ")},
			wantLine: 1,
		},
	}
	src, err := os.ReadFile("testdata/node-noheredoc.Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("Dockerfile", []byte(tt.edit(string(src))))
			if err != nil {
				t.Fatal(err)
			}
			target, err := f.Target("")
			if err != nil {
				t.Fatal(err)
			}
			h, n := history(t, tt.steps...)
			m, err := Match(f, target, h, n)
			if tt.wantLine == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if got, want := m.BaseLayers, 3; got != want {
					t.Errorf("base layers = %d, want %d", got, want)
				}
				return
			}
			var me *MismatchError
			if !errors.As(err, &me) {
				t.Fatalf("Match = %v, %v; want a *MismatchError", m, err)
			}
			if m != nil {
				t.Errorf("Match returned a mapping with its error: %+v", m)
			}
			if got, want := me.Line, tt.wantLine; got != want {
				t.Errorf("mismatch at line %d, want %d (%v)", got, want, err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

func TestMatchTargetAndChain(t *testing.T) {
	const src = `ARG BASE=localhost/golang:1.19
FROM ${BASE} AS deps
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download

FROM deps AS builder
COPY . .
RUN go build -o /out/app .

FROM scratch
COPY --from=builder /out/app /app
ENTRYPOINT ["/app"]
`
	f, err := Parse("Dockerfile", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	builder, err := f.Target("builder")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(f.Chain(builder)), 2; got != want {
		t.Fatalf("chain of builder has %d stages, want %d", got, want)
	}
	// --target builder: deps's and builder's layers above node's two
	h, n := history(t,
		empty("/bin/sh -c #(nop) WORKDIR /src"),
		layer("/bin/sh -c #(nop) COPY multi:1 in ./ "),
		layer("/bin/sh -c go mod download"),
		layer("/bin/sh -c #(nop) COPY dir:2 in . "),
		layer("/bin/sh -c go build -o /out/app ."),
	)
	m, err := Match(f, builder, h, n)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range m.Layers {
		if l != nil {
			got = append(got, l.Stage+":"+strconv.Itoa(l.StartLine))
		}
	}
	if want := []string{"deps:4", "deps:5", "builder:8", "builder:9"}; !cmp.Equal(got, want) {
		t.Errorf("layers = %v, want %v", got, want)
	}
	if got, want := m.BaseName, "localhost/golang:1.19"; got != want {
		t.Errorf("base = %q, want %q", got, want)
	}
	if got, want := m.From.StartLine, 2; got != want {
		t.Errorf("FROM line = %d, want %d", got, want)
	}

	// the final stage from scratch: one layer, no base
	final, err := f.Target("")
	if err != nil {
		t.Fatal(err)
	}
	img := layerstest.Image(t, layer("/bin/sh -c #(nop) COPY file:ab in /app "), empty(`/bin/sh -c #(nop) ENTRYPOINT ["/app"]`))
	read, err := layers.Read(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	m, err = Match(f, final, read.Config.History, len(read.Layers))
	if err != nil {
		t.Fatal(err)
	}
	if m.BaseLayers != 0 || m.Layers[0] == nil || m.Layers[0].StartLine != 12 || m.Layers[0].Stage != "2" {
		t.Errorf("scratch stage: base %d, layer 0 %+v; want base 0 and line 12 of stage 2", m.BaseLayers, m.Layers[0])
	}

	if _, err := f.Target("tests"); err == nil || !strings.Contains(err.Error(), `no stage "tests" (stages: deps, builder, 2)`) {
		t.Errorf("Target(tests) error = %v, want one naming the stages", err)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"unknown instruction", "FROM x\nFROBNICATE y\n", "Dockerfile:2: "},
		{"no instructions", "# nothing\n", "Dockerfile:1: file with no instructions"}, {"ARG only", "ARG A=1\n", "Dockerfile: no FROM instruction"},
		{"instruction before FROM", "RUN make\nFROM x\n", "Dockerfile:1: "},
		{"unterminated heredoc flag", "FROM x\nCOPY --chmod 7 a b\n", "Dockerfile"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("Dockerfile", []byte(tt.src))
			if err == nil {
				t.Fatal("Parse succeeded")
			}
			if msg := err.Error(); !strings.HasPrefix(msg, tt.want) || strings.Contains(msg, "\n") {
				t.Errorf("error = %q, want one line starting %q", msg, tt.want)
			}
		})
	}
}

// TestDropBuildArgs: the "|N K=V …" prefix of a RUN's history is dropped;
// N is the image's word, so a huge or lying N ends with the words.
func TestDropBuildArgs(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"|2 A=1 B=2 /bin/sh -c make", "/bin/sh -c make"},
		{"|0 /bin/sh -c make", "/bin/sh -c make"},
		{"/bin/sh -c make", "/bin/sh -c make"},
		{"|x A=1 /bin/sh -c make", "|x A=1 /bin/sh -c make"},
		{"|9223372036854775807 A=1 /bin/sh -c make", ""},
		{"|5 A=1", ""},
	} {
		if got := dropBuildArgs(tt.in); got != tt.want {
			t.Errorf("dropBuildArgs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
