package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stagescope/stagescope/analyze"
	"github.com/stagescope/stagescope/analyze/analyzetest"
	"github.com/stagescope/stagescope/analyze/diff"
	"github.com/stagescope/stagescope/analyze/rules"
	"github.com/stagescope/stagescope/internal/format"
	"github.com/stagescope/stagescope/layers/layerstest"
)

// diffPair writes a naive single-stage image and its multi-stage rewrite,
// sharing their base layer, as two docker archives. sizes are the layer tar
// sizes of each, measured on the tars themselves.
func diffPair(t *testing.T) (naive, multi string, naiveSize, multiSize, baseSize int64) {
	base := []layerstest.File{layerstest.Dir("etc"), {Name: "etc/os-release", Body: strings.Repeat("o", 200)}}
	build := []layerstest.File{{Name: "usr/bin/gcc-12", Body: strings.Repeat("g", 9000)}, {Name: "app/main.c", Body: strings.Repeat("c", 400)}}
	binNaive := []layerstest.File{{Name: "app/main", Body: strings.Repeat("m", 3000)}}
	binMulti := []layerstest.File{{Name: "app/main", Body: strings.Repeat("M", 2900)}, {Name: "app/LICENSE", Body: "MIT"}}
	size := func(fs ...[]layerstest.File) int64 {
		var n int64
		for _, f := range fs {
			n += int64(len(layerstest.Tar(t, f...)))
		}
		return n
	}
	naive = writeArchive(t, layerstest.Layers(t, base, build, binNaive))
	multi = writeArchive(t, layerstest.Layers(t, base, binMulti))
	return naive, multi, size(base, build, binNaive), size(base, binMulti), size(base)
}

// diffJSON runs `diff -o json` with args, which must succeed, and returns
// its report, checked against the schema, and its stderr.
func diffJSON(t *testing.T, args ...string) (diff.Report, string) {
	t.Helper()
	out, stderr, code, err := run(t, append([]string{"diff", "-o", "json"}, args...)...)
	if code != exitOK {
		t.Fatalf("diff %v: exit status %d: %v", args, code, err)
	}
	analyzetest.ValidateDiffReport(t, []byte(out))
	var r diff.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	return r, stderr
}

func TestDiffJSON(t *testing.T) {
	t.Parallel()
	naive, multi, naiveSize, multiSize, baseSize := diffPair(t)
	r, _ := diffJSON(t, naive, multi)
	if r.A.Image.Reference != naive || r.B.Image.Reference != multi {
		t.Errorf("references %q, %q; want %q, %q", r.A.Image.Reference, r.B.Image.Reference, naive, multi)
	}
	if r.A.LayerBytes != naiveSize || r.B.LayerBytes != multiSize || r.Saved.LayerBytes != naiveSize-multiSize {
		t.Errorf("sizes A %d B %d saved %d; want %d, %d, %d", r.A.LayerBytes, r.B.LayerBytes, r.Saved.LayerBytes, naiveSize, multiSize, naiveSize-multiSize)
	}
	if r.SharedLayers != (diff.Shared{Layers: 1, Bytes: baseSize}) {
		t.Errorf("shared layers %+v, want 1 of %d bytes", r.SharedLayers, baseSize)
	}
	want := struct{ A, B, C diff.PathList }{
		diff.PathList{Files: 2, ABytes: 9400, Paths: []diff.PathDiffJSON{{Path: "/usr/bin/gcc-12", ABytes: 9000}, {Path: "/app/main.c", ABytes: 400}}},
		diff.PathList{Files: 1, BBytes: 3, Paths: []diff.PathDiffJSON{{Path: "/app/LICENSE", BBytes: 3}}},
		diff.PathList{Files: 1, ABytes: 3000, BBytes: 2900, Paths: []diff.PathDiffJSON{{Path: "/app/main", ABytes: 3000, BBytes: 2900}}},
	}
	if diff := cmp.Diff(want, struct{ A, B, C diff.PathList }{r.OnlyInA, r.OnlyInB, r.Changed}); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
	if got, want := r.Saved.TotalBytes, int64(200+9000+400+3000)-int64(200+2900+3); got != want {
		t.Errorf("saved visible bytes %d, want %d", got, want)
	}
	if len(r.Categories) != len(rules.Categories()) {
		t.Errorf("%d categories, want %d", len(r.Categories), len(rules.Categories()))
	}
}

func TestDiffText(t *testing.T) {
	t.Parallel()
	naive, multi, naiveSize, multiSize, _ := diffPair(t)
	out, _, code, err := run(t, "diff", "--max-paths", "1", naive, multi)
	if code != exitOK {
		t.Fatalf("exit status %d: %v", code, err)
	}
	for _, line := range []string{
		"Shared layers: 1 (",
		"Only in A: 2 files, 9.4 kB (largest 1 shown)",
		"  9.0 kB  /usr/bin/gcc-12",
		"Only in B: 1 file, 3 B",
		"Changed: 1 file, 3.0 kB in A, 2.9 kB in B",
		"  3.0 kB -> 2.9 kB  /app/main",
	} {
		if !strings.Contains(out, line) {
			t.Errorf("text output lacks %q:\n%s", line, out)
		}
	}
	// the column widths depend on every row (leftover categories included)
	if !regexp.MustCompile(`image size +` + regexp.QuoteMeta(format.Bytes(naiveSize)) + " ").MatchString(out) {
		t.Errorf("text output lacks the image size %s:\n%s", format.Bytes(naiveSize), out)
	}
	saved := savedStr(naiveSize-multiSize, naiveSize)
	if !strings.Contains(out, saved) {
		t.Errorf("text output lacks the saved image size %q:\n%s", saved, out)
	}
}

func TestDiffErrors(t *testing.T) {
	t.Parallel()
	naive, _, _, _, _ := diffPair(t)
	missing := filepath.Join(t.TempDir(), "nope.tar")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"diff", naive}, "accepts 2 arg(s), received 1"},
		{[]string{"diff", "-o", "sarif", naive, naive}, `unknown output format "sarif" (want text or json)`},
		{[]string{"diff", "--max-paths", "-1", naive, naive}, "--max-paths must not be negative, got -1"},
		{[]string{"diff", naive, missing}, "image B: opening " + missing + ": no such file or directory"},
		{[]string{"diff", missing, naive}, "image A: opening " + missing + ": no such file or directory"},
	}
	for _, tt := range tests {
		out, _, code, err := run(t, tt.args...)
		if code != exitError || err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: exit status %d, error %v; want 2 and %q", tt.args, code, err, tt.want)
		}
		if out != "" {
			t.Errorf("%v wrote to stdout:\n%s", tt.args, out)
		}
	}
}

// TestDiffSharedImages compares the naive and multi-stage builds of the
// shared real images; their sizes come from images.tsv, written by the
// build kit, not by stagescope.
func TestDiffSharedImages(t *testing.T) {
	t.Parallel()
	dir := layerstest.SharedImagesDir(t)
	if testing.Short() || raceEnabled {
		t.Skip("reads gigabytes of images: not with -short or -race")
	}
	sizes := map[string]int64{}
	for _, row := range layerstest.ReadTSV(t, filepath.Join(dir, "images.tsv")) {
		if n, err := strconv.ParseInt(row[4], 10, 64); err == nil {
			sizes[row[0]] = n
		}
	}
	for _, app := range []string{"webapp", "capp"} {
		t.Run(app, func(t *testing.T) {
			naive := layerstest.SharedImage(t, app+"-naive")
			multi := layerstest.SharedLayout(t, app+"-multi") // two different sources
			out, _, code, err := run(t, "diff", "-o", "json", "--max-paths", "5", naive, multi)
			if code != exitOK {
				t.Fatalf("exit status %d: %v", code, err)
			}
			analyzetest.ValidateDiffReport(t, []byte(out))
			var r diff.Report
			if err := json.Unmarshal([]byte(out), &r); err != nil {
				t.Fatal(err)
			}
			if r.A.LayerBytes != sizes[app+"-naive"] || r.B.LayerBytes != sizes[app+"-multi"] {
				t.Errorf("sizes %d, %d; images.tsv says %d, %d", r.A.LayerBytes, r.B.LayerBytes, sizes[app+"-naive"], sizes[app+"-multi"])
			}
			saved := map[rules.Category]int64{}
			for _, c := range r.Categories {
				saved[c.Category] = c.Saved
			}
			// Both naive builds keep their compilers and apt caches (leftovers.tsv).
			if saved[rules.CatToolchain] <= 0 || saved[rules.CatPackageCache] <= 0 {
				t.Errorf("toolchain saved %d, package-cache saved %d; want both > 0", saved[rules.CatToolchain], saved[rules.CatPackageCache])
			}
			if r.Saved.LayerBytes <= 0 || r.OnlyInA.Files == 0 {
				t.Errorf("the multi-stage build saves %d bytes and drops %d files; want both > 0", r.Saved.LayerBytes, r.OnlyInA.Files)
			}
			t.Logf("%s: saved %d bytes, shared %d layers; only in A %d files, only in B %d, changed %d",
				app, r.Saved.LayerBytes, r.SharedLayers.Layers, r.OnlyInA.Files, r.OnlyInB.Files, r.Changed.Files)
		})
	}
}

// diff leaves out what the config's ignore list and --ignore leave out,
// as inspect does: the leftover totals of both images drop them.
func TestDiffIgnore(t *testing.T) {
	naive, multi, _, _, _ := diffPair(t)
	t.Chdir(t.TempDir())
	leftovers := func(t *testing.T, args ...string) diff.Report {
		t.Helper()
		out, _, code, err := run(t, append(append([]string{"diff", "-o", "json"}, args...), naive, multi)...)
		if code != exitOK {
			t.Fatalf("diff %v: exit %d: %v", args, code, err)
		}
		var r diff.Report
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	all := leftovers(t)
	if all.A.LeftoverBytes == 0 {
		t.Fatalf("naive image has no leftovers to ignore: %+v", all.A)
	}
	for _, tc := range []struct {
		name   string
		config string
		args   []string
	}{
		{"--ignore path", "", []string{"--ignore", "/usr/bin/**", "--ignore", "app/*.c"}},
		{"--ignore categories", "", []string{"--ignore", "toolchain", "--ignore", "build-cache"}},
		{"config ignore.paths", "ignore:\n  paths: [usr/bin, '**/*.c']\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.config != "" {
				if err := os.WriteFile(".stagescope.yaml", []byte(tc.config), 0o644); err != nil {
					t.Fatal(err)
				}
				defer os.Remove(".stagescope.yaml")
			}
			r := leftovers(t, tc.args...)
			if r.A.LeftoverBytes != 0 || r.B.LeftoverBytes != 0 {
				t.Errorf("leftover bytes A %d, B %d after ignoring every leftover path; want 0, 0 (before: %d, %d)", r.A.LeftoverBytes, r.B.LeftoverBytes, all.A.LeftoverBytes, all.B.LeftoverBytes)
			}
		})
	}
	wantOneLineError(t, stagescope(t, "diff", "--ignore", "nosuch", naive, multi), `--ignore "nosuch"`)
}

// TestDiffNoSecretScan: diff takes --no-secret-scan as inspect does (it
// was accepted and ignored): neither image's file contents are searched.
func TestDiffNoSecretScan(t *testing.T) {
	t.Parallel()
	naive, multi, _, _, _ := diffPair(t)
	for _, tc := range []struct {
		noScan bool
		want   func(n int) bool
	}{{false, func(n int) bool { return n > 0 }}, {true, func(n int) bool { return n == 0 }}} {
		// The options as the command line sets them, then the pair read
		// the way diff reads it.
		s := &streams{Out: io.Discard, ErrOut: io.Discard}
		var a, b *analyze.Analysis
		cmd := newDiffCmd(s, func(ctx context.Context, o *diffOptions, s *streams) (err error) {
			a, b, _, _, err = analyzePair(ctx, o, s)
			return err
		})
		args := []string{"--no-daemon", naive, multi}
		if tc.noScan {
			args = append([]string{"--no-secret-scan"}, args...)
		}
		cmd.SetArgs(args)
		if err := cmd.Execute(); err != nil {
			t.Fatal(err)
		}
		for name, an := range map[string]*analyze.Analysis{"A": a, "B": b} {
			searched := 0
			if an.Secrets != nil {
				searched = an.Secrets.Searched
			}
			if !tc.want(searched) {
				t.Errorf("--no-secret-scan=%v: image %s: %d files searched", tc.noScan, name, searched)
			}
		}
	}
}
