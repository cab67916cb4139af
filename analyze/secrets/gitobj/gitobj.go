// Package gitobj reads the objects of a git repository shipped in an image
// (a .git directory left by COPY . /app) from the streams of its files:
// loose objects (zlib) and packfiles (zlib, with OFS and REF deltas
// resolved), so that a secret committed once and removed from the work tree
// can still be found. Memory is bounded: objects larger than MaxObject are
// skipped, and a pack keeps at most CacheBytes of objects as delta bases;
// what it cannot resolve is counted and warned about, never guessed.
package gitobj

import (
	"crypto/sha1" //nolint:gosec // git names objects by SHA-1; not used for security
	"encoding/hex"
	"fmt"
	"path"
	"strconv"
	"strings"
)

// The paths this package reads: loose objects (.git/objects/xx/<38 hex>)
// and packfiles (.git/objects/pack/*.pack), of a work tree's .git or of a
// bare repository (NAME.git/objects/…).

// MaxObject is the largest object (after inflating or applying its delta)
// that is kept and handed on.
const MaxObject = 8 << 20

// CacheBytes bounds the objects one pack keeps as possible delta bases.
const CacheBytes = 64 << 20

// Object is one object of a repository.
type Object struct {
	ID   string // hex SHA-1
	Type string // "commit", "tree", "blob" or "tag"
	Data []byte // valid only during the call that hands it on
}

// objectsDir returns the part of p before "/objects/" when that directory
// is a repository's (its parent is .git or ends in .git).
func objectsDir(p string) (rest string, ok bool) {
	i := strings.LastIndex(p, "objects/")
	if i < 0 || (i > 0 && p[i-1] != '/') {
		return "", false
	}
	repo := strings.TrimSuffix(p[:i], "/")
	if !strings.HasSuffix(repo, ".git") {
		return "", false
	}
	return p[i+len("objects/"):], true
}

// LooseID returns the object ID of a loose object's path, or "" when p is
// not one.
func LooseID(p string) string {
	rest, ok := objectsDir(p)
	if !ok || len(rest) != 41 || rest[2] != '/' {
		return ""
	}
	id := rest[:2] + rest[3:]
	if _, err := hex.DecodeString(id); err != nil || strings.ToLower(id) != id {
		return ""
	}
	return id
}

// IsPack tells whether p is a packfile of a repository.
func IsPack(p string) bool {
	rest, ok := objectsDir(p)
	return ok && path.Dir(rest) == "pack" && strings.HasSuffix(rest, ".pack")
}

var typeNames = [...]string{1: "commit", 2: "tree", 3: "blob", 4: "tag"}

// objectID is git's name of an object: the SHA-1 of "TYPE SIZE\0DATA".
func objectID(typ string, data []byte) string {
	h := sha1.New() //nolint:gosec // git's object names
	h.Write([]byte(typ + " " + strconv.Itoa(len(data)) + "\x00"))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

// limitedBuffer collects bytes up to max, then fails.
type limitedBuffer struct {
	b   []byte
	max int
}

var errTooLarge = fmt.Errorf("object larger than %d bytes", MaxObject)

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if len(l.b)+len(p) > l.max {
		return 0, errTooLarge
	}
	l.b = append(l.b, p...)
	return len(p), nil
}
