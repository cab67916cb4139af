package ui

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/gdamore/tcell/v2"

	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/internal/format"
	"github.com/stagescope/stagescope/layers"
)

// FileReader reads at most limit bytes of the file at path as layer wrote
// it, and tells the file's full size (layers.ReadFile over the image).
type FileReader func(ctx context.Context, layer int, path string, limit int64) ([]byte, int64, error)

// Files hands the browser the reader of the image's files: the viewer
// opens files once it has one.
func (e *Events) Files(r FileReader) { e.b.post(func() { e.b.viewer.read = r }) }

// viewLimit is how much of a file the viewer reads.
const viewLimit = 1 << 20

// viewerPane shows one version of a file, read on demand from the layer
// that wrote it: text as lines, anything else as a hex dump, the first
// viewLimit bytes at most. Every line is drawn escaped (see drawText).
type viewerPane struct {
	*listView
	th     *theme
	read   FileReader
	lines  []string
	diff   bool   // the lines are a unified diff
	what   string // the path and layer shown, for the title
	status string // loading, or what went wrong
	cancel context.CancelFunc
	seq    int // which request the lines answer
	// post runs a function on the UI goroutine; onClose closes the page.
	post    func(func())
	onClose func()
}

func newViewerPane(th *theme) *viewerPane {
	p := &viewerPane{listView: newListView(th, "View", false), th: th, cancel: func() {}}
	p.count = func() int { return len(p.lines) }
	p.drawRow = func(screen tcell.Screen, i, x, y, w int, _ func(tcell.Style) tcell.Style) {
		st := th.base
		if p.diff {
			st = diffStyle(th, p.lines[i])
		}
		drawText(screen, x, y, w, p.lines[i], st)
	}
	p.empty = func() string { return p.status }
	p.title = func() string { return p.what }
	return p
}

// keys are the viewer's own actions.
func (p *viewerPane) keys() []binding {
	return []binding{
		{action: "close", keys: []key{special(tcell.KeyEscape), ch('q'), ch('v')}, where: paneViewer, bar: "close", help: "close the viewer", do: p.close},
	}
}

// open starts reading version v of node n; the lines arrive later.
func (p *viewerPane) open(ctx context.Context, n *fstree.Node, v *fstree.Version) {
	path := n.Path()
	what := fmt.Sprintf("/%s · as layer %d wrote it · %s", path, v.Layer, format.Bytes(v.Size))
	p.start(ctx, what, fmt.Sprintf("reading the file from layer %d…", v.Layer), false, func(ctx context.Context, read FileReader) ([]string, error) {
		data, size, err := read(ctx, int(v.Layer), path, viewLimit)
		if err != nil {
			return nil, err
		}
		lines := viewLines(data)
		if size > int64(len(data)) {
			lines = append(lines, fmt.Sprintf("… the first %s of %s shown", format.Bytes(int64(len(data))), format.Bytes(size)))
		}
		return lines, nil
	})
}

// openDiff starts reading versions a and b of node n (a the older) and
// shows their unified diff once both are read.
func (p *viewerPane) openDiff(ctx context.Context, n *fstree.Node, a, b *fstree.Version) {
	path := n.Path()
	what := fmt.Sprintf("/%s · diff of layer %d's version and layer %d's", path, a.Layer, b.Layer)
	p.start(ctx, what, fmt.Sprintf("reading the versions of layers %d and %d…", a.Layer, b.Layer), true, func(ctx context.Context, read FileReader) ([]string, error) {
		var sides [2]diffSide
		for i, v := range []*fstree.Version{a, b} {
			sides[i] = diffSide{v: v, label: fmt.Sprintf("/%s (layer %d)", path, v.Layer)}
			if v.Deleted {
				sides[i].label = fmt.Sprintf("/%s (deleted by layer %d)", path, v.Layer)
				continue
			}
			data, size, err := read(ctx, int(v.Layer), path, viewLimit)
			if err != nil {
				return nil, err
			}
			sides[i].data, sides[i].size = data, size
		}
		return diffLines(sides[0], sides[1])
	})
}

// start shows what in the title and status until work, run on its own
// goroutine with the file reader, returns the lines. A newer request or
// closing the viewer cancels it and drops its answer.
func (p *viewerPane) start(ctx context.Context, what, status string, diff bool, work func(context.Context, FileReader) ([]string, error)) {
	p.cancel()
	p.seq++
	seq := p.seq
	p.lines, p.top, p.diff = nil, 0, diff
	p.what, p.status = what, status
	if p.read == nil {
		p.status = "the file viewer opens files once the image is open"
		return
	}
	ctx, p.cancel = context.WithCancel(ctx)
	read := p.read
	go func() {
		lines, err := work(ctx, read)
		p.post(func() {
			if seq != p.seq {
				return // the viewer moved on
			}
			if err != nil {
				p.status = format.OneLine(err.Error())
				return
			}
			p.lines = lines
			if len(p.lines) == 0 {
				p.status = "(empty file)"
			}
		})
	}()
}

func (p *viewerPane) close() {
	p.cancel()
	p.seq++
	p.lines = nil
	if p.onClose != nil {
		p.onClose()
	}
}

// viewLines are a file's lines: text (UTF-8 without NUL bytes) as it is,
// tabs as spaces; anything else as a hex dump.
func viewLines(data []byte) []string {
	if isText(data) {
		text := strings.ReplaceAll(string(data), "\t", "    ")
		text = strings.TrimSuffix(text, "\n")
		if text == "" {
			return nil
		}
		return strings.Split(text, "\n")
	}
	return hexDump(data)
}

// isText tells whether data is text: UTF-8 without NUL bytes.
func isText(data []byte) bool { return utf8.Valid(data) && bytes.IndexByte(data, 0) < 0 }

// hexDump formats data as offset, 16 bytes in hex, and the printable ones.
func hexDump(data []byte) []string {
	var out []string
	for off := 0; off < len(data); off += 16 {
		row := data[off:min(off+16, len(data))]
		var sb strings.Builder
		fmt.Fprintf(&sb, "%08x  ", off)
		for i := 0; i < 16; i++ {
			if i < len(row) {
				fmt.Fprintf(&sb, "%02x ", row[i])
			} else {
				sb.WriteString("   ")
			}
			if i == 7 {
				sb.WriteByte(' ')
			}
		}
		sb.WriteString(" |")
		for _, c := range row {
			if c < 0x20 || c >= 0x7f {
				c = '.'
			}
			sb.WriteByte(c)
		}
		sb.WriteByte('|')
		out = append(out, sb.String())
	}
	return out
}

// viewable tells whether the viewer can show a version: a regular file or
// a hard link to one, not a deletion.
func viewable(v *fstree.Version) bool {
	return v != nil && !v.Deleted && (v.Type == layers.TypeRegular || v.Type == layers.TypeHardlink)
}
