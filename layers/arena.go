package layers

import (
	"strings"
	"unsafe"
)

// arenaChunk is how many bytes an Arena allocates at once.
const arenaChunk = 64 << 10

// Arena keeps many small strings in a few large allocations: each string
// costs exactly its bytes, with no per-string header or size-class rounding,
// and the garbage collector sees one object per 64 KiB chunk instead of one
// per string. A chunk lives as long as any string that points into it.
// The zero value is ready to use. An Arena is not safe for concurrent use,
// and must not be copied once used: two copies would append into the same
// spare bytes, behind strings already handed out (go vet flags copies).
type Arena struct {
	_     noCopy
	chunk []byte
}

// noCopy makes go vet's copylocks check report an Arena copied by value.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}

// String returns a copy of s held in the arena. Bytes handed out are never
// written again: the arena only appends to its current chunk.
func (a *Arena) String(s string) string {
	if s == "" || len(s) > arenaChunk/16 {
		return strings.Clone(s)
	}
	if cap(a.chunk)-len(a.chunk) < len(s) {
		a.chunk = make([]byte, 0, arenaChunk)
	}
	a.chunk = append(a.chunk, s...)
	b := a.chunk[len(a.chunk)-len(s):]
	return unsafe.String(&b[0], len(b))
}
