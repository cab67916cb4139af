package rewrite

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stagescope/stagescope/analyze/dockerfile"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// pullable are the images the tests' registry holds.
var pullable = []string{"node:20-slim", "python:3.12-slim", "python:3.11-slim", "debian:bookworm-slim", "localhost/debian:bookworm-slim"}

func exists(ref string) bool { return slices.Contains(pullable, ref) }

func TestRewriteGolden(t *testing.T) {
	tests := []struct {
		name   string
		target string
		facts  Facts
	}{
		// the shared kit's naive apps, with the facts stagescope finds in their images
		{name: "node-npm", facts: Facts{Ecosystem: Node, AppDir: "/app", Runtime: []string{"/app/package.json", "/app/package-lock.json", "/app/dist", "/app/public"}}},
		{name: "go", facts: Facts{Ecosystem: Go, AppDir: "/src", Runtime: []string{"/usr/local/bin/goapp"}}},
		{name: "rust", facts: Facts{Ecosystem: Rust, AppDir: "/usr/src/rustapp", Runtime: []string{"/usr/local/bin/rustapp", "/usr/src/rustapp/static"}}},
		{name: "c-make", facts: Facts{Ecosystem: C, AppDir: "/src", Runtime: []string{"/usr/local/bin/gzstat"}, RuntimePackages: []string{"zlib1g"}}},
		// the other package managers and build systems
		{name: "node-yarn", facts: Facts{Ecosystem: Node, AppDir: "/usr/src/app", Runtime: []string{"/usr/src/app/package.json", "/usr/src/app/package-lock.json", "/usr/src/app/build"}}},
		{name: "node-pnpm", facts: Facts{Ecosystem: Node, AppDir: "/app", Runtime: []string{"/app/package.json", "/app/dist"}}},
		{name: "next-standalone", facts: Facts{Ecosystem: Node, AppDir: "/app", Runtime: []string{"/app/package.json", "/app/package-lock.json", "/app/.next", "/app/.next/standalone", "/app/public"}}},
		{name: "c-cmake", facts: Facts{Ecosystem: C, AppDir: "/src", Runtime: []string{"/usr/local/bin/server"}, RuntimePackages: []string{"libssl3"}}},
		{name: "python-pip", facts: Facts{Ecosystem: Python, AppDir: "/app"}},
		{name: "python-venv", facts: Facts{Ecosystem: Python, AppDir: "/srv"}},
		{name: "python-poetry", facts: Facts{Ecosystem: Python, AppDir: "/app"}},
		{name: "multistage-target", target: "app", facts: Facts{Ecosystem: Go, AppDir: "/src", Runtime: []string{"/usr/local/bin/api"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := filepath.Join("testdata", tt.name+".Dockerfile")
			src, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			f, err := dockerfile.Parse(in, src)
			if err != nil {
				t.Fatal(err)
			}
			tt.facts.Exists = exists
			res, err := Rewrite(f, tt.target, tt.facts)
			if err != nil {
				t.Fatal(err)
			}
			got := res.Dockerfile
			if len(res.Notes) > 0 {
				got += "\n# notes:\n# " + strings.Join(res.Notes, "\n# ") + "\n"
			}
			golden := filepath.Join("testdata", tt.name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(string(want), got); d != "" {
				t.Errorf("%s (-want +got):\n%s", golden, d)
			}
			// the rewrite is a Dockerfile BuildKit parses, whose last
			// stage is the runner and whose builder keeps every build step
			out, err := dockerfile.Parse("rewrite", []byte(res.Dockerfile))
			if err != nil {
				t.Fatalf("the rewrite does not parse: %v", err)
			}
			last, err := out.Target("")
			if err != nil || last.Name != "runner" {
				t.Fatalf("last stage %+v, %v; want the runner", last, err)
			}
			name := tt.target
			if name == "" {
				name = "builder"
			}
			builder, err := out.Target(name)
			if err != nil {
				t.Fatal(err)
			}
			orig, _ := f.Target(tt.target)
			var want2, got2 []string
			for _, in := range orig.Instructions {
				if in.Keyword == "RUN" {
					want2 = append(want2, in.Text)
				}
			}
			for _, in := range builder.Instructions {
				if in.Keyword == "RUN" && in.Text != "RUN python3 -m venv /opt/venv" {
					got2 = append(got2, in.Text)
				}
			}
			if d := cmp.Diff(want2, got2); d != "" {
				t.Errorf("the builder's RUNs (-want +got):\n%s", d)
			}
		})
	}
}

func TestRewriteUnsupported(t *testing.T) {
	f, err := dockerfile.Parse("Dockerfile", []byte("FROM eclipse-temurin:21\nCOPY app.jar /app.jar\nCMD [\"java\", \"-jar\", \"/app.jar\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, eco := range []string{"", "java"} {
		if _, err := Rewrite(f, "", Facts{Ecosystem: eco}); !errors.Is(err, ErrUnsupported) {
			t.Errorf("ecosystem %q: error %v, want ErrUnsupported", eco, err)
		}
	}
	if _, err := Rewrite(f, "nope", Facts{Ecosystem: Go}); err == nil || !strings.Contains(err.Error(), `no stage "nope"`) {
		t.Errorf("target nope: error %v, want one naming the stage", err)
	}
}

func TestVariants(t *testing.T) {
	tests := []struct {
		base, eco string
		want      []string
	}{
		{"node:18", Node, []string{"node:18-slim"}},
		{"localhost/debian:bookworm", C, []string{"localhost/debian:bookworm-slim"}},
		{"python", Python, []string{"python:slim"}},
		{"node:18-alpine", Node, nil},
		{"debian:bookworm-slim", C, nil},
		{"rust:1.80", Rust, []string{"debian:bookworm-slim"}},
		{"registry.example:5000/team/node:20", Node, []string{"registry.example:5000/team/node:20-slim"}},
		{"node@sha256:abcd", Node, nil},
		{"eclipse-temurin:21", Node, nil},
	}
	for _, tt := range tests {
		if got := variants(tt.base, tt.eco); !cmp.Equal(got, tt.want) {
			t.Errorf("variants(%q) = %q, want %q", tt.base, got, tt.want)
		}
	}
}
