package secrets

import (
	"fmt"
	"io"

	"github.com/stagescope/stagescope/analyze/secrets/gitobj"
)

// PackLimit is the largest packfile streamed through the pack parser; the
// parser's memory is bounded on its own (gitobj.CacheBytes), this bounds
// its time.
const PackLimit = 1 << 30

// openGit returns the writer of a shipped repository's object file (loose
// object or packfile), or nil when p is neither. Its commits, blobs and tags
// are searched as text; findings name the file and the object.
func (ls *layerScan) openGit(p string, size int64) io.WriteCloser {
	found := func(o gitobj.Object) {
		if o.Type == "blob" && len(o.Data) > 0 && binaryHead(o.Data) {
			return
		}
		searchAll(o.Data, func(h hit) { ls.add(h, p, o.ID) })
	}
	warn := func(msg string) { ls.warn("/%s: %s", p, msg) }
	if id := gitobj.LooseID(p); id != "" {
		if size > gitobj.MaxObject {
			ls.warn("/%s: loose object of %d bytes not searched (over %d)", p, size, gitobj.MaxObject)
			return nil
		}
		ls.res.Searched++
		return gitobj.Loose(ls.ctx, id, found, warn)
	}
	if gitobj.IsPack(p) {
		if size > PackLimit {
			ls.warn("/%s: packfile of %d bytes not searched (over %s)", p, size, fmt.Sprint(PackLimit))
			return nil
		}
		ls.res.Searched++
		return gitobj.Pack(ls.ctx, found, warn)
	}
	return nil
}
