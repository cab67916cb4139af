package layers

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// sniff tells which kind of image the file or directory at p holds, from
// its contents: a directory with index.json is an OCI layout; a tar with
// manifest.json is a docker save archive (classic or docker ≥ 25, whose
// archives are also OCI layouts); a tar with only index.json is an OCI
// archive; a gzip- or zstd-compressed tar is taken for a compressed docker
// save archive, read as a stream. It also returns the tar index it built,
// if any.
func sniff(p string) (Kind, *tarIndex, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return "", nil, fmt.Errorf("opening %s: %w", p, unwrapPathError(err))
	}
	if fi.IsDir() {
		if fileExists(filepath.Join(p, "index.json")) {
			return KindOCILayout, nil, nil
		}
		if fileExists(filepath.Join(p, "manifest.json")) {
			return "", nil, fmt.Errorf("%s is not a container image: a directory holding manifest.json (an unpacked docker save); open the .tar instead", p)
		}
		return "", nil, fmt.Errorf("%s is not a container image: a directory without index.json (not an OCI image layout)", p)
	}
	if !fi.Mode().IsRegular() {
		return "", nil, fmt.Errorf("%s is not a container image: not a regular file or directory", p)
	}
	if fi.Size() == 0 {
		return "", nil, fmt.Errorf("%s is not a container image: empty file", p)
	}
	head, err := readHead(p, nil)
	if err != nil {
		return "", nil, err
	}
	switch c := compressionOf(head); c {
	case gzipTar, zstdTar:
		inner, err := readHead(p, decompressorFor(c))
		if err != nil {
			return "", nil, err
		}
		if !isTarHeader(inner) {
			return "", nil, fmt.Errorf("%s is not a container image: %s data that is not a tar archive", p, c)
		}
		return KindDockerArchive, nil, nil
	}
	if !isTarHeader(head) {
		return "", nil, fmt.Errorf("%s is not a container image: not a tar archive or OCI layout directory", p)
	}
	idx, err := indexTar(p)
	if err != nil {
		return "", nil, err
	}
	switch {
	case idx.has("manifest.json"):
		return KindDockerArchive, idx, nil
	case idx.has("index.json"):
		return KindOCIArchive, idx, nil
	}
	return "", nil, fmt.Errorf("%s is not a container image: a tar archive with neither manifest.json (docker save) nor index.json (OCI layout)", p)
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

func (c compression) String() string {
	switch c {
	case gzipTar:
		return "gzip"
	case zstdTar:
		return "zstd"
	}
	return "uncompressed"
}

func decompressorFor(c compression) func(io.Reader) (io.Reader, error) {
	switch c {
	case gzipTar:
		return func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) }
	case zstdTar:
		return func(r io.Reader) (io.Reader, error) {
			return zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(1<<30))
		}
	}
	return nil
}

// readHead reads the first 512 bytes of the file (decompressed by dec when
// set); a shorter file gives fewer.
func readHead(p string, dec func(io.Reader) (io.Reader, error)) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", p, unwrapPathError(err))
	}
	defer f.Close()
	var r io.Reader = f
	if dec != nil {
		if r, err = dec(f); err != nil {
			return nil, fmt.Errorf("%s is not a container image: %w", p, err)
		}
	}
	head := make([]byte, 512)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		if dec != nil {
			return nil, fmt.Errorf("%s is not a container image: %w", p, err)
		}
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	return head[:n], nil
}

// isTarHeader tells whether b starts with a tar header block: the ustar magic
// or, for old archives, a valid header checksum.
func isTarHeader(b []byte) bool {
	if len(b) < 512 {
		return false
	}
	if bytes.HasPrefix(b[257:], []byte("ustar")) {
		return true
	}
	field := strings.TrimRight(strings.TrimSpace(string(bytes.TrimRight(b[148:156], "\x00"))), "\x00 ")
	want, err := strconv.ParseInt(field, 8, 64)
	if err != nil {
		return false
	}
	var sum int64
	for i, c := range b[:512] {
		if i >= 148 && i < 156 {
			c = ' '
		}
		sum += int64(c)
	}
	return sum == want && sum != 8*' '
}
