package layers

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// maxMetadata bounds the JSON documents (manifests, indexes, configs) read
// into memory from an archive or layout.
const maxMetadata = 64 << 20

// maxMembers bounds the members of an image archive: real ones hold a few
// per layer.
const maxMembers = 1_000_000

// blobStore is where an image archive or layout keeps its files: a tar read
// in place (tarIndex) or a directory (dirStore).
type blobStore interface {
	// open returns the contents of the file name (slash-separated,
	// relative) and its size.
	open(name string) (io.ReadCloser, int64, error)
	// has tells whether name exists.
	has(name string) bool
	// where names the store in errors.
	where() string
}

// readSmall reads a whole metadata file, refusing files over maxMetadata.
func readSmall(s blobStore, name string) ([]byte, error) {
	rc, size, err := s.open(name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	if size > maxMetadata {
		return nil, fmt.Errorf("%s in %s: %d bytes, more than the %d allowed for metadata", name, s.where(), size, maxMetadata)
	}
	b, err := io.ReadAll(io.LimitReader(rc, maxMetadata+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s in %s: %w", name, s.where(), err)
	}
	return b, nil
}

// tarMember is where one member's contents sit in a tar file.
type tarMember struct {
	offset, size int64
	typ          byte
	link         string // target of a hard or symbolic link, cleaned
}

// tarIndex lists the members of an uncompressed tar file after one pass over
// its headers (contents are skipped with Seek), and serves each member
// straight from the file. Nothing is extracted.
type tarIndex struct {
	path    string
	members map[string]tarMember
}

// cleanMember turns a tar name into a relative slash path that cannot leave
// the archive ("./a/../b" -> "b", "/x" -> "x", "../x" -> "x").
func cleanMember(name string) string {
	return strings.TrimPrefix(path.Clean("/"+name), "/")
}

// indexTar reads the headers of the tar file at p.
func indexTar(p string) (*tarIndex, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", p, unwrapPathError(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", p, unwrapPathError(err))
	}
	sr := io.NewSectionReader(f, 0, fi.Size())
	tr := tar.NewReader(sr)
	idx := &tarIndex{path: p, members: map[string]tarMember{}}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading tar headers of %s after %d members: %w", p, len(idx.members), err)
		}
		if len(idx.members) >= maxMembers {
			return nil, fmt.Errorf("%s: more than %d tar members, not an image archive", p, maxMembers)
		}
		off, err := sr.Seek(0, io.SeekCurrent)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", p, err)
		}
		name := cleanMember(h.Name)
		m := tarMember{offset: off, size: h.Size, typ: h.Typeflag}
		switch h.Typeflag {
		case tar.TypeReg:
			if off+h.Size > fi.Size() {
				return nil, fmt.Errorf("%s: member %s is truncated (%d bytes declared, %d present)", p, name, h.Size, fi.Size()-off)
			}
		case tar.TypeSymlink:
			m.size = 0
			if path.IsAbs(h.Linkname) {
				m.link = cleanMember(h.Linkname)
			} else {
				m.link = cleanMember(path.Join(path.Dir(name), h.Linkname))
			}
		case tar.TypeLink:
			m.size = 0
			m.link = cleanMember(h.Linkname)
		default:
			continue
		}
		idx.members[name] = m
	}
	return idx, nil
}

func (t *tarIndex) where() string { return t.path }

// lookup finds a regular member, following links.
func (t *tarIndex) lookup(name string) (tarMember, bool) {
	m, ok := t.members[t.target(name)]
	return m, ok
}

// target is the name of the regular member name is or links to, else "".
func (t *tarIndex) target(name string) string {
	name = cleanMember(name)
	for range 16 {
		m, ok := t.members[name]
		if !ok {
			return ""
		}
		if m.typ == tar.TypeReg {
			return name
		}
		name = m.link
	}
	return ""
}

func (t *tarIndex) has(name string) bool {
	_, ok := t.lookup(name)
	return ok
}

func (t *tarIndex) open(name string) (io.ReadCloser, int64, error) {
	m, ok := t.lookup(name)
	if !ok {
		return nil, 0, fmt.Errorf("%s: no member %s", t.path, name)
	}
	f, err := os.Open(t.path)
	if err != nil {
		return nil, 0, fmt.Errorf("opening %s: %w", t.path, unwrapPathError(err))
	}
	return sectionCloser{io.NewSectionReader(f, m.offset, m.size), f.Close}, m.size, nil
}

// dirStore serves the files of a directory, such as an OCI image layout.
type dirStore string

func (d dirStore) where() string { return string(d) }

func (d dirStore) file(name string) string {
	return filepath.Join(string(d), filepath.FromSlash(cleanMember(name)))
}

func (d dirStore) has(name string) bool {
	fi, err := os.Stat(d.file(name))
	return err == nil && fi.Mode().IsRegular()
}

func (d dirStore) open(name string) (io.ReadCloser, int64, error) {
	f, err := os.Open(d.file(name))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, 0, fmt.Errorf("%s: no file %s", d, name)
		}
		return nil, 0, fmt.Errorf("opening %s: %w", d.file(name), unwrapPathError(err))
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, 0, fmt.Errorf("opening %s: %w", d.file(name), unwrapPathError(err))
	}
	return f, fi.Size(), nil
}

// blobName is where an OCI layout keeps the blob with digest h.
func blobName(h v1.Hash) string { return "blobs/" + h.Algorithm + "/" + h.Hex }

// digestFromBlobName is the digest named by a blobs/<alg>/<hex> path.
func digestFromBlobName(name string) (v1.Hash, bool) {
	parts := strings.Split(cleanMember(name), "/")
	if len(parts) != 3 || parts[0] != "blobs" {
		return v1.Hash{}, false
	}
	h, err := v1.NewHash(parts[1] + ":" + parts[2])
	return h, err == nil
}

// sectionCloser is a reader with the Close of what it reads from.
type sectionCloser struct {
	io.Reader
	close func() error
}

func (s sectionCloser) Close() error { return s.close() }
