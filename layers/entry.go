// Package layers loads container images from any source and reads each
// layer's tar stream once, recording every entry's metadata.
package layers

import (
	"archive/tar"
	"path"
	"strings"
)

// Type is the kind of filesystem object an entry describes.
type Type uint8

// The entry types, as found in tar headers.
const (
	TypeRegular Type = iota
	TypeDir
	TypeSymlink
	TypeHardlink
	TypeChar
	TypeBlock
	TypeFIFO
	TypeOther
)

var typeNames = [...]string{"file", "dir", "symlink", "hardlink", "char", "block", "fifo", "other"}

func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "other"
}

// Whiteout tells whether an entry is an OCI whiteout marker.
type Whiteout uint8

// Whiteout kinds.
const (
	// NoWhiteout is an ordinary entry.
	NoWhiteout Whiteout = iota
	// FileWhiteout (".wh.<name>") deletes Path, and its subtree when Path
	// is a directory, from the layers below.
	FileWhiteout
	// OpaqueWhiteout (".wh..wh..opq") hides the children that lower layers
	// gave the directory Path.
	OpaqueWhiteout
)

func (w Whiteout) String() string {
	switch w {
	case FileWhiteout:
		return "whiteout"
	case OpaqueWhiteout:
		return "opaque"
	}
	return ""
}

// The names of the OCI whiteout markers, which Read parses into Whiteout
// kinds (and TarPath spells again).
const (
	// WhiteoutPrefix starts the name of a marker that deletes the rest of
	// the name.
	WhiteoutPrefix = ".wh."
	// OpaqueMarker is the name of the marker that makes its directory
	// opaque.
	OpaqueMarker = ".wh..wh..opq"
)

// Entry is the metadata of one tar header of a layer. For a whiteout, Path is
// the path it deletes (or the directory it makes opaque), not the marker's
// own name.
type Entry struct {
	Path     string // cleaned, slash-separated, no leading "/" or "./"
	Link     string // symlink or hard link target
	Size     int64
	Digest   uint64 // xxhash64 of the contents of a regular file; 0 when not hashed
	Mode     uint32 // permission bits plus setuid, setgid and sticky
	UID, GID uint32
	Type     Type
	Whiteout Whiteout
}

// TarPath is the path of the tar member the entry was read from, cleaned:
// Path, or for a whiteout the marker's path (".wh.<name>" beside Path,
// ".wh..wh..opq" inside it). Tools that show a layer's own tar, as dive
// does, name whiteouts this way.
func (e *Entry) TarPath() string {
	switch e.Whiteout {
	case FileWhiteout:
		if i := strings.LastIndexByte(e.Path, '/'); i >= 0 {
			return e.Path[:i+1] + WhiteoutPrefix + e.Path[i+1:]
		}
		return WhiteoutPrefix + e.Path
	case OpaqueWhiteout:
		if e.Path == "" {
			return OpaqueMarker
		}
		return e.Path + "/" + OpaqueMarker
	}
	return e.Path
}

// CleanPath turns a tar member name into stagescope's canonical form: slash
// separated, no leading "/" or "./", no trailing "/", no "." or ".."
// components (".." cannot climb above the root). The root itself is "".
func CleanPath(name string) string {
	if p, ok := cleanAlready(name); ok {
		return p
	}
	p := path.Clean("/" + name)
	return strings.TrimPrefix(p, "/")
}

// cleanAlready returns name without one leading "/" or "./" and one trailing
// "/" when that is its clean form (the usual tar member name), without
// allocating.
func cleanAlready(name string) (string, bool) {
	p := strings.TrimPrefix(name, "/")
	if len(p) == len(name) {
		p = strings.TrimPrefix(name, "./")
	}
	p = strings.TrimSuffix(p, "/")
	for rest := p; rest != ""; {
		seg := rest
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			seg, rest = rest[:i], rest[i+1:]
			if rest == "" {
				return "", false // "a//"
			}
		} else {
			rest = ""
		}
		if seg == "" || seg == "." || seg == ".." {
			return "", false
		}
	}
	return p, true
}

// entryFromHeader converts a tar header; it does not hash contents.
func entryFromHeader(h *tar.Header) Entry {
	e := Entry{
		Path: CleanPath(h.Name),
		Size: h.Size,
		Mode: uint32(h.Mode) & 0o7777,
		UID:  uint32(h.Uid),
		GID:  uint32(h.Gid),
	}
	switch h.Typeflag {
	case tar.TypeReg, tar.TypeGNUSparse, tar.TypeCont:
		e.Type = TypeRegular
	case tar.TypeDir:
		e.Type = TypeDir
	case tar.TypeSymlink:
		e.Type = TypeSymlink
		e.Link = h.Linkname
	case tar.TypeLink:
		e.Type = TypeHardlink
		e.Link = CleanPath(h.Linkname)
	case tar.TypeChar:
		e.Type = TypeChar
	case tar.TypeBlock:
		e.Type = TypeBlock
	case tar.TypeFifo:
		e.Type = TypeFIFO
	default:
		e.Type = TypeOther
	}
	if e.Type != TypeRegular {
		// Devices, FIFOs, directories and links carry no content
		// (archive/tar skips no bytes for them either, nor does docker
		// write any): whatever their size field says is a lie. Other
		// types are nothing docker would extract.
		e.Size = 0
	}
	dir, base := path.Split(e.Path)
	dir = strings.TrimSuffix(dir, "/")
	switch {
	case base == OpaqueMarker:
		e.Whiteout = OpaqueWhiteout
		e.Path = dir
		e.Size = 0
	case strings.HasPrefix(base, WhiteoutPrefix):
		e.Whiteout = FileWhiteout
		e.Path = path.Join(dir, strings.TrimPrefix(base, WhiteoutPrefix))
		e.Size = 0
	}
	return e
}
