package analyze

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/analyze/leftovers"
	"github.com/stagescope/stagescope/analyze/rules"
	"github.com/stagescope/stagescope/layers"
	"github.com/stagescope/stagescope/layers/layerstest"
)

// tsvCategories maps the categories of ../shared/images/leftovers.tsv to
// the report's: build outputs, sources and downloads left in the image are
// build debris (build-cache); a download deleted later is waste.
var tsvCategories = map[string][]rules.Category{
	"apt-lists":    {rules.CatPackageCache},
	"apt-debs":     {rules.CatPackageCache},
	"build-tools":  {rules.CatToolchain, rules.CatDevHeaders},
	"pkg-cache":    {rules.CatPackageCache, rules.CatBuildCache},
	"build-cache":  {rules.CatBuildCache},
	"build-output": {rules.CatBuildCache},
	"sources":      {rules.CatBuildCache},
	"download":     {rules.CatBuildCache, rules.CatWasted},
	"dev-deps":     {rules.CatDevDependency},
	"vcs":          {rules.CatVCS},
	"secret":       {rules.CatSecret},
}

// wantSuggestion is what the whole-image fix must say for each naive app:
// its ecosystem, a COPY --from=builder line of the runner, and one more line.
var wantSuggestion = map[string]struct{ ecosystem, keep, line string }{
	"goapp-naive":   {leftovers.EcoGo, "COPY --from=builder /out/goapp /usr/local/bin/goapp", "CGO_ENABLED=0 go build"},
	"capp-naive":    {leftovers.EcoC, "COPY --from=builder /src/gzstat /usr/local/bin/gzstat", "apt-get install -y --no-install-recommends zlib1g "},
	"webapp-naive":  {leftovers.EcoNode, "COPY --from=builder /app/dist ./dist", "RUN npm ci --omit=dev && npm cache clean --force"},
	"rustapp-naive": {leftovers.EcoRust, "COPY --from=builder /out-rustapp /usr/local/bin/rustapp", "cargo build --release"},
}

// plantedRow is one row of leftovers-report.tsv: leftovers.tsv with the
// layers and bytes verify.py found in this build of the images.
type plantedRow struct {
	image, id, category, path, expect string
	layer, deletedIn                  int
	bytes                             int64
}

func readPlanted(t *testing.T, dir string) []plantedRow {
	t.Helper()
	var out []plantedRow
	for _, r := range layerstest.ReadTSV(t, filepath.Join(dir, "leftovers-report.tsv")) {
		if r[0] == "image" || len(r) < 8 {
			continue
		}
		row := plantedRow{image: r[0], id: r[1], category: r[2], path: r[3], expect: r[4], layer: -1, deletedIn: -1}
		if r[5] != "-" {
			row.layer, _ = strconv.Atoi(r[5])
		}
		row.bytes, _ = strconv.ParseInt(r[6], 10, 64)
		if r[7] != "" {
			row.deletedIn, _ = strconv.Atoi(r[7])
		}
		out = append(out, row)
	}
	return out
}

// tsvGlob turns a leftovers.tsv path into a regexp: "dir/" is the subtree,
// "*" matches across "/".
func tsvGlob(p string) *regexp.Regexp {
	q := regexp.QuoteMeta(strings.TrimSuffix(p, "/"))
	q = strings.ReplaceAll(q, `\*`, `.*`)
	if strings.HasSuffix(p, "/") {
		return regexp.MustCompile("^" + q + "/")
	}
	return regexp.MustCompile("^" + q + "$")
}

// plantedFile is a version of a file a row names.
type plantedFile struct {
	path          string
	size          int64
	layer, hidden int
	first         int // the layer that created the path
}

func plantedFiles(a *Analysis, row plantedRow) []plantedFile {
	re := tsvGlob(row.path)
	var out []plantedFile
	a.Tree.Walk(func(n *fstree.Node) bool {
		var p string
		first := -1
		vs := n.Versions()
		for i := range vs {
			if v := &vs[i]; first < 0 && !v.Deleted && !v.Implicit && v.Type != layers.TypeDir {
				first = int(v.Layer)
			}
		}
		for i := range vs {
			v := &vs[i]
			if v.Deleted || v.Type == layers.TypeDir || v.Implicit {
				continue
			}
			switch row.expect {
			case "present":
				if v.HiddenBy >= 0 {
					continue
				}
			case "deleted":
				if int(v.Layer) != row.layer || int(v.HiddenBy) != row.deletedIn {
					continue
				}
			default:
				if v.HiddenBy >= 0 {
					continue
				}
			}
			if p == "" {
				p = n.Path()
			}
			if re.MatchString(p) {
				out = append(out, plantedFile{path: p, size: v.Size, layer: int(v.Layer), hidden: int(v.HiddenBy), first: first})
			}
		}
		return true
	})
	return out
}

// covers tells whether finding f names the file version pf: same layer and
// hider, and the finding's path is the file or one of its directories.
// Findings whose path is only the common directory of an OS package's
// files do not count.
func covers(f *leftovers.Finding, pf plantedFile) bool {
	if f.RuleID == rules.Package || f.Layer != pf.layer || f.HiddenBy != pf.hidden {
		return false
	}
	return f.Names(pf.path)
}

// analyzeShared analyzes one shared image, read once per test binary by
// readShared (with the analyzers' capture, without digests).
func analyzeShared(t *testing.T, name string) *Analysis {
	t.Helper()
	return Run(readShared(t, name).img)
}

// baseLayers counts the leading layers an image shares with the largest
// base image of the shared set that it starts with.
func baseLayers(t *testing.T, a *Analysis) int {
	best := 0
	for _, base := range []string{"debian-bookworm", "debian-bookworm-slim", "node-18", "golang-1.19"} {
		img, err := tarball.ImageFromPath(layerstest.SharedImage(t, base), nil)
		if err != nil {
			t.Fatalf("opening base %s: %v", base, err)
		}
		cfg, err := img.ConfigFile()
		if err != nil {
			t.Fatalf("config of base %s: %v", base, err)
		}
		n := 0
		for n < len(cfg.RootFS.DiffIDs) && n < len(a.Image.Layers) && cfg.RootFS.DiffIDs[n].String() == a.Image.Layers[n].DiffID {
			n++
		}
		if n == len(cfg.RootFS.DiffIDs) && n > best {
			best = n
		}
	}
	return best
}

// TestSharedLeftoverAccuracy measures recall and precision of the
// leftover findings against every planted leftover of the shared real
// images (../shared/images/leftovers.tsv, with the layers of this build
// from leftovers-report.tsv).
func TestSharedLeftoverAccuracy(t *testing.T) {
	if testing.Short() {
		t.Skip("reads gigabytes of real images")
	}
	dir := layerstest.SharedImagesDir(t)
	rows := readPlanted(t, dir)
	var images []string
	for _, r := range rows {
		if !slices.Contains(images, r.image) {
			images = append(images, r.image)
		}
	}
	var (
		planted, found              int   // present/deleted rows
		plantedBytes, foundBytes    int64 // their files' bytes
		flaggedBytes, confirmedByTS int64 // findings' bytes (naive images), and the part naming a planted file
	)
	for _, name := range images {
		t.Run(name, func(t *testing.T) {
			a := analyzeShared(t, name)
			confirmed := make([]bool, len(a.Findings))
			for _, row := range rows {
				if row.image != name {
					continue
				}
				files := plantedFiles(a, row)
				if row.category == "artifact" || row.category == "prod-deps" {
					// what the app needs: present, and in no finding
					if len(files) == 0 {
						t.Errorf("%s: runtime file %s missing", row.id, row.path)
					}
					for _, pf := range files {
						for i := range a.Findings {
							if f := &a.Findings[i]; f.RuleID != rules.Package && f.Category != rules.CatWasted && f.Names(pf.path) && f.HiddenBy < 0 {
								t.Errorf("%s: runtime file %s flagged by %s (%s)", row.id, pf.path, f.RuleID, f.Path)
							}
						}
					}
					continue
				}
				if row.expect == "absent" {
					for _, pf := range files {
						t.Errorf("%s: %s is planted absent but the image has %s", row.id, row.path, pf.path)
					}
					continue
				}
				planted++
				allowed := tsvCategories[row.category]
				var sum, covered int64
				inLayer := false
				for _, pf := range files {
					if pf.first == row.layer {
						sum += pf.size // as verify.py counts: the files the row's layer created
					}
					ok := false
					for i := range a.Findings {
						f := &a.Findings[i]
						if slices.Contains(allowed, f.Category) && covers(f, pf) {
							ok, confirmed[i] = true, true
						}
					}
					if ok {
						covered += pf.size
						inLayer = inLayer || pf.layer == row.layer
					} else {
						t.Errorf("%s (%s): %s in layer %d (%d bytes) is in no %v finding of that layer", row.id, row.category, pf.path, pf.layer, pf.size, allowed)
					}
				}
				plantedBytes += row.bytes
				foundBytes += min(covered, row.bytes)
				switch {
				case len(files) == 0:
					t.Errorf("%s: no file matches %s", row.id, row.path)
				case sum != row.bytes:
					t.Errorf("%s: %s holds %d bytes here, leftovers-report.tsv says %d", row.id, row.path, sum, row.bytes)
				case !inLayer:
					t.Errorf("%s: nothing found in layer %d, where leftovers-report.tsv has it", row.id, row.layer)
				case covered >= sum:
					found++
				}
			}
			var imgFlagged, imgConfirmed int64
			for i, f := range a.Findings {
				imgFlagged += f.Bytes
				if confirmed[i] {
					imgConfirmed += f.Bytes
				}
			}
			if want, ok := wantSuggestion[name]; ok {
				sg := a.Suggestion
				switch {
				case sg == nil:
					t.Errorf("%s: no suggestion, want a %s skeleton", name, want.ecosystem)
				case sg.Ecosystem != want.ecosystem || !slices.Contains(sg.Keep, want.keep) || !strings.Contains(sg.Dockerfile, want.line):
					t.Errorf("%s: suggestion %s keeping %q:\n%s\nwant ecosystem %s, keep %q and the line %q", name, sg.Ecosystem, sg.Keep, sg.Dockerfile, want.ecosystem, want.keep, want.line)
				}
			}
			if strings.HasSuffix(name, "-naive") {
				flaggedBytes += imgFlagged
				confirmedByTS += imgConfirmed
				t.Logf("%s: %d findings, %d bytes; %.1f%% of them name a planted leftover; union %d bytes (%.1f%% of %d shipped)",
					name, len(a.Findings), imgFlagged, 100*float64(imgConfirmed)/float64(max(imgFlagged, 1)), a.Leftovers.Bytes, 100*float64(a.Leftovers.Bytes)/float64(a.Leftovers.ShippedBytes), a.Leftovers.ShippedBytes)
				return
			}
			// A multi-stage image: what the app's own layers ship beyond the
			// planted rows must stay under 1 % of the image; what its base
			// brought (apt metadata, docs, a base's -dev packages) is real and
			// listed.
			nb := baseLayers(t, a)
			var appOther int64
			byRule := map[string]int64{}
			for i, f := range a.Findings {
				if f.Layer < nb {
					byRule[fmt.Sprintf("%s (base layer %d)", f.RuleID, f.Layer)] += f.Bytes
					continue
				}
				if !confirmed[i] {
					appOther += f.Bytes
					byRule[fmt.Sprintf("%s %s (app layer %d)", f.RuleID, f.Path, f.Layer)] += f.Bytes
				}
			}
			share := 100 * float64(appOther) / float64(a.Leftovers.ShippedBytes)
			t.Logf("%s: %d base layers; union %d bytes (%.2f%% of %d shipped); unlisted in app layers %d bytes (%.3f%%)",
				name, nb, a.Leftovers.Bytes, 100*float64(a.Leftovers.Bytes)/float64(a.Leftovers.ShippedBytes), a.Leftovers.ShippedBytes, appOther, share)
			keys := make([]string, 0, len(byRule))
			for k := range byRule {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				t.Logf("  %10d  %s", byRule[k], k)
			}
			if share >= 1 {
				t.Errorf("%s: %d bytes (%.2f%%) flagged in the app's layers beyond the planted leftovers, want under 1%%", name, appOther, share)
			}
		})
	}
	if planted == 0 {
		t.Skip("no planted leftovers read")
	}
	t.Logf("recall: %d of %d planted leftovers found whole in the right category and layer (%.1f%%); bytes %d of %d (%.2f%%)",
		found, planted, 100*float64(found)/float64(planted), foundBytes, plantedBytes, 100*float64(foundBytes)/float64(max(plantedBytes, 1)))
	t.Logf("naive images: %.1f%% of the flagged bytes name a planted leftover (the rest: docs, headers, packages and caches leftovers.tsv does not list)",
		100*float64(confirmedByTS)/float64(max(flaggedBytes, 1)))
}
