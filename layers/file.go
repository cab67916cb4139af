package layers

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// ErrNoFile is returned by ReadFile when the layer has no regular file at
// the path.
var ErrNoFile = errors.New("no such file in the layer")

// maxLinkHops bounds the hard links ReadFile follows. It is no symlink
// bound (fstree.Resolve follows up to 40 symlinks, as the kernel does):
// tar writes every hard link to the first name of its file, so a real
// layer needs one hop, and each hop reads the layer again from its start.
const maxLinkHops = 8

// ReadFile reads the file at path (cleaned, as Entry.Path) as layer index
// of img wrote it, from that layer alone and on demand: the layer's tar is
// read again from its start to the file (an uncompressed layer is read
// where it lies, a compressed one is decompressed again), and nothing is
// written to disk. It returns at most limit bytes of the contents and the
// file's full size. A hard link is read through its target, which tar puts
// earlier in the same layer.
func ReadFile(ctx context.Context, img v1.Image, index int, path string, limit int64) ([]byte, int64, error) {
	ls, err := img.Layers()
	if err != nil {
		return nil, 0, fmt.Errorf("listing the layers: %w", err)
	}
	if index < 0 || index >= len(ls) {
		return nil, 0, fmt.Errorf("no layer %d (the image has %d)", index, len(ls))
	}
	for hops := 0; ; hops++ {
		data, size, link, err := readFile(ctx, ls[index], path, limit)
		if err != nil {
			return nil, 0, fmt.Errorf("reading /%s from layer %d: %w", path, index, err)
		}
		if link == "" {
			return data, size, nil
		}
		if hops == maxLinkHops {
			return nil, 0, fmt.Errorf("reading /%s from layer %d: more than %d hard links", path, index, maxLinkHops)
		}
		path = link
	}
}

// readFile finds path in one pass over the layer's tar: the contents of a
// regular file, or the target of a hard link. An uncompressed blob stored
// in a file is read where it lies: tar's reader seeks past each file's
// contents and reads only the headers up to path's. Any other is
// decompressed again from its start.
func readFile(ctx context.Context, l v1.Layer, path string, limit int64) (data []byte, size int64, link string, err error) {
	var r io.Reader
	rs, c, ok := storedTar(l)
	if ok {
		r = rs
	} else {
		rc, err := l.Uncompressed()
		if err != nil {
			return nil, 0, "", err
		}
		r, c = rc, rc
	}
	defer func() { _ = c.Close() }()
	tr := tar.NewReader(r)
	for {
		if err := ctx.Err(); err != nil {
			return nil, 0, "", err
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, 0, "", ErrNoFile
		}
		if err != nil {
			return nil, 0, "", err
		}
		if CleanPath(h.Name) != path {
			continue
		}
		switch h.Typeflag {
		case tar.TypeReg, tar.TypeGNUSparse, tar.TypeCont:
			buf := make([]byte, max(0, min(limit, h.Size)))
			if _, err := io.ReadFull(tr, buf); err != nil {
				return nil, 0, "", err
			}
			return buf, h.Size, "", nil
		case tar.TypeLink:
			return nil, 0, CleanPath(h.Linkname), nil
		default:
			return nil, 0, "", fmt.Errorf("%w (tar type %q: not a regular file)", ErrNoFile, h.Typeflag)
		}
	}
}

// storedTar opens the blob of l where it lies when it is an uncompressed
// tar stored in a file (an OCI layout's blob, a docker save's layer.tar),
// and tells whether it is.
func storedTar(l v1.Layer) (io.ReadSeeker, io.Closer, bool) {
	rc, err := l.Compressed()
	if err != nil {
		return nil, nil, false
	}
	sb, ok := rc.(seekableBlob)
	if ok {
		c, err := sniffCompression(sb.raw)
		if err == nil && c == plainTar {
			if _, err := sb.raw.Seek(0, io.SeekStart); err == nil {
				return sb.raw, rc, true
			}
		}
	}
	_ = rc.Close()
	return nil, nil, false
}
