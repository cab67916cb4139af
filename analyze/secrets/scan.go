package secrets

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/stagescope/stagescope/analyze/secrets/gitobj"
	"github.com/stagescope/stagescope/layers"
)

// The paths this analyzer reads, and how much of each: every regular text
// file up to FileLimit bytes (binaries are skipped by a sniff of their first
// bytes, package-manager indexes by their directory: see indexDirs), and
// the objects of a shipped .git (see gitScanner).
const (
	// FileLimit is the largest file searched; larger ones are counted as
	// skipped.
	FileLimit = 8 << 20
	// sniffLen is how many leading bytes decide that a file is binary (a
	// NUL among them), as git does.
	sniffLen = 8000
	// maxLayerFindings bounds what one layer may report.
	maxLayerFindings = 10_000
)

// binaryExts are names whose contents are compressed or machine code: not
// searched, without even a sniff.
var binaryExts = map[string]bool{
	".so": true, ".a": true, ".o": true, ".png": true, ".jpg": true, ".jpeg": true, ".gif": true,
	".ico": true, ".webp": true, ".gz": true, ".tgz": true, ".xz": true, ".bz2": true, ".zst": true,
	".zip": true, ".jar": true, ".whl": true, ".pyc": true, ".woff": true, ".woff2": true, ".ttf": true,
	".otf": true, ".mo": true, ".deb": true, ".rpm": true, ".db": true, ".sqlite": true, ".wasm": true,
}

// indexDirs hold package managers' indexes and caches: the package lists
// apt downloads (signed by the distribution), apt's binary caches and
// debconf's templates, all written by the package tools from the
// distribution's own metadata, never by the image's author. They are not
// searched: on a Debian image that ran apt-get update they are most of the
// text there is (87 of the 198 MB of text in rustapp-naive).
var indexDirs = []string{"var/lib/apt/lists/", "var/cache/apt/", "var/cache/debconf/"}

// indexFile reports whether p (cleaned, no leading /) lies in indexDirs.
func indexFile(p string) bool {
	for _, d := range indexDirs {
		if strings.HasPrefix(p, d) {
			return true
		}
	}
	return false
}

// LayerResult is what the scan learned from one layer (layers.Layer.Content).
type LayerResult struct {
	Findings []Finding // Layer is set by Collect
	Warnings []string
	Searched int // files searched
	Skipped  int // text files larger than FileLimit (by their first bytes), not searched
}

// LayerScan is the scan of layers' contents: pass it to
// layers.WithContentScan.
func LayerScan() layers.ContentScan {
	return layers.ContentScan{Start: startLayerScan, Wants: Wants}
}

// NewLayerScanner returns the scanner of one layer's contents, as
// LayerScan starts it, with no end to its context.
func NewLayerScanner() layers.ContentScanner { return startLayerScan(context.Background()) }

func startLayerScan(ctx context.Context) layers.ContentScanner {
	return &layerScan{ctx: ctx, res: &LayerResult{}}
}

// Wants tells, from a file's path, size and first bytes, whether the scan
// searches its bytes: a shipped repository's objects within their limits,
// and text files (no NUL in the first sniffLen bytes) up to FileLimit but
// those whose names say binary and package-manager indexes.
func Wants(p string, size int64, head []byte) bool {
	if gitobj.LooseID(p) != "" {
		return size <= gitobj.MaxObject
	}
	if gitobj.IsPack(p) {
		return size <= PackLimit
	}
	if binaryExts[path.Ext(p)] || indexFile(p) {
		return false
	}
	// A text file over FileLimit is wanted too: its first bytes tell it
	// from a binary, and its writer stops there (see overLimit).
	return !binaryHead(head)
}

// binaryHead tells whether a file (or git object) whose first bytes are b
// is binary: a NUL among its first sniffLen bytes, as git decides.
func binaryHead(b []byte) bool {
	return bytes.IndexByte(b[:min(len(b), sniffLen)], 0) >= 0
}

type layerScan struct {
	ctx  context.Context // ends when the read of the layer fails
	res  *LayerResult
	full bool
	// largest is the largest file over FileLimit, not searched.
	largest     string
	largestSize int64
}

// Result ends the layer; files over FileLimit get one warning, naming the
// largest.
func (ls *layerScan) Result() any {
	if n := ls.res.Skipped; n == 1 {
		ls.warn("/%s (%d bytes) not searched: larger than the %d bytes a file may have", ls.largest, ls.largestSize, FileLimit)
	} else if n > 1 {
		ls.warn("%d files larger than %d bytes not searched, the largest /%s (%d bytes)", n, FileLimit, ls.largest, ls.largestSize)
	}
	return ls.res
}

func (ls *layerScan) warn(format string, args ...any) {
	ls.res.Warnings = append(ls.res.Warnings, fmt.Sprintf(format, args...))
}

// add records hit h of file p (of git object obj, when not ""), unless
// the layer already holds maxLayerFindings: the finding (a string copy and
// a SHA-256 of the value) is made only once it is kept.
func (ls *layerScan) add(h hit, p, obj string) {
	if len(ls.res.Findings) >= maxLayerFindings {
		if !ls.full {
			ls.full = true
			ls.warn("more than %d secrets in one layer: the rest are not reported", maxLayerFindings)
		}
		return
	}
	f := newFinding(h.rule, p, -1, h.line, h.value)
	f.Object = obj
	ls.res.Findings = append(ls.res.Findings, f)
}

func (ls *layerScan) Open(p string, size int64) io.WriteCloser {
	if g := ls.openGit(p, size); g != nil {
		return g
	}
	if binaryExts[path.Ext(p)] || indexFile(p) {
		return nil // before the size: a large archive is not a skipped text file
	}
	if size > FileLimit {
		return &overLimit{ls: ls, path: p, size: size}
	}
	ls.res.Searched++
	f := &fileScan{}
	f.s = newSizedStream(func(h hit) { ls.add(h, p, "") }, size)
	return f
}

var (
	errBinary   = errors.New("binary file")
	errTooLarge = errors.New("larger than FileLimit")
)

// overLimit is the writer of a file over FileLimit: not searched, and
// counted as skipped when its first bytes say it is text.
type overLimit struct {
	ls   *layerScan
	path string
	size int64
}

func (o *overLimit) Write(p []byte) (int, error) {
	if binaryHead(p) {
		return 0, errBinary
	}
	ls := o.ls
	ls.res.Skipped++
	if o.size > ls.largestSize {
		ls.largest, ls.largestSize = o.path, o.size
	}
	return 0, errTooLarge
}

func (o *overLimit) Close() error { return nil }

// fileScan searches one file, unless its first bytes say it is binary.
type fileScan struct {
	s       *stream
	sniffed bool
}

func (f *fileScan) Write(p []byte) (int, error) {
	if !f.sniffed {
		f.sniffed = true
		if binaryHead(p) {
			return 0, errBinary
		}
	}
	return f.s.Write(p)
}

func (f *fileScan) Close() error { return f.s.Close() }

// Result is the secret scan of a whole image.
type Result struct {
	Findings []Finding
	// Suppressed are the findings the allowlist accepted.
	Suppressed []Finding
	Allowlist  Allowlist
	Warnings   []string
	Searched   int // files searched, every version counted
	Skipped    int // files over FileLimit
}

// Collect gathers the findings of every layer that was read with
// NewLayerScanner and of the image config. ships tells whether the version
// of a path that layer wrote is in the final image.
func Collect(img *layers.Image, ships func(path string, layer int) bool) *Result {
	r := &Result{}
	for i := range img.Layers {
		lr, ok := img.Layers[i].Content.(*LayerResult)
		if !ok {
			continue
		}
		r.Searched += lr.Searched
		r.Skipped += lr.Skipped
		for _, w := range lr.Warnings {
			r.Warnings = append(r.Warnings, fmt.Sprintf("layer %d: %s", i, w))
		}
		for _, f := range lr.Findings {
			f.Layer = i
			f.StillShips = ships(f.Path, i)
			r.Findings = append(r.Findings, f)
		}
	}
	r.Findings = append(r.Findings, ScanConfig(img)...)
	sortFindings(r.Findings)
	return r
}

// Why a finding is suppressed.
const (
	// SuppressedAllowed: the allowlist (the config's secrets.allow) accepts it.
	SuppressedAllowed = "allowlist"
	// SuppressedNotProject: it lies in test data or a toolchain's own tree
	// (a key in Go's crypto tests): not the user's project, nor a secret
	// of theirs.
	SuppressedNotProject = "not-project"
)

// Allow moves the findings the allowlist accepts to Suppressed.
func (r *Result) Allow(a Allowlist) {
	r.Allowlist = a
	if a.Empty() {
		return
	}
	r.suppress(SuppressedAllowed, a.Allows)
}

// SetAside moves the findings in files that notProject names (test data,
// toolchain trees; never the config) to Suppressed.
func (r *Result) SetAside(notProject func(path string) bool) {
	r.suppress(SuppressedNotProject, func(f *Finding) bool {
		return !strings.HasPrefix(f.Path, "config:") && notProject(f.Path)
	})
}

func (r *Result) suppress(why string, drop func(*Finding) bool) {
	kept := r.Findings[:0]
	for _, f := range r.Findings {
		if drop(&f) {
			f.SuppressedBy = why
			r.Suppressed = append(r.Suppressed, f)
		} else {
			kept = append(kept, f)
		}
	}
	r.Findings = kept
}

// Redactor returns a function that replaces every secret found (allowed
// ones too) with its redacted form in a string.
func (r *Result) Redactor() func(string) string {
	var pairs []string
	seen := map[string]bool{}
	for _, fs := range [][]Finding{r.Findings, r.Suppressed} {
		for _, f := range fs {
			if f.value == "" || seen[f.value] {
				continue
			}
			seen[f.value] = true
			pairs = append(pairs, f.value, f.Redacted)
		}
	}
	if len(pairs) == 0 {
		return func(s string) string { return s }
	}
	rep := strings.NewReplacer(pairs...)
	return rep.Replace
}

// Redact replaces every secret found in the strings of img that reports
// print (history, the config) with its redacted form, in place.
func (r *Result) Redact(img *layers.Image) {
	red := r.Redactor()
	for i := range img.Layers {
		img.Layers[i].CreatedBy = red(img.Layers[i].CreatedBy)
	}
	c := &img.Config
	for i := range c.Entrypoint {
		c.Entrypoint[i] = red(c.Entrypoint[i])
	}
	for i := range c.Cmd {
		c.Cmd[i] = red(c.Cmd[i])
	}
	for i := range c.Env {
		c.Env[i] = red(c.Env[i])
	}
	for k, v := range c.Labels {
		c.Labels[k] = red(v)
	}
	for i := range c.History {
		c.History[i].CreatedBy = red(c.History[i].CreatedBy)
	}
	c.User, c.WorkingDir = red(c.User), red(c.WorkingDir)
}
