// Command limit is the yardstick of stagescope's performance harness: the
// least code that reads an image the way stagescope must — every layer's tar
// headers, and every regular file's contents hashed with xxhash64 — one layer
// after another, with the standard library's gzip. What it costs is the
// physical limit for this work on this machine.
//
// With -sha256 it also hashes every layer blob with SHA-256, as stagescope
// does to check each layer against its digest: the limit of that work, done
// one layer after another.
//
//	limit [-sha256] IMAGE.tar   # a docker save archive
//	limit [-sha256] LAYOUT-DIR  # an OCI image layout
package main

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/cespare/xxhash/v2"
)

// blobHash is set by -sha256: every layer blob goes through it.
var blobHash hash.Hash

func main() {
	withSHA := flag.Bool("sha256", false, "also hash every layer blob with SHA-256 (stagescope's digest check)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: limit [-sha256] IMAGE.tar|LAYOUT-DIR")
		os.Exit(2)
	}
	if *withSHA {
		blobHash = sha256.New()
	}
	var s stats
	var err error
	if fi, e := os.Stat(flag.Arg(0)); e == nil && fi.IsDir() {
		err = readLayout(flag.Arg(0), &s)
	} else {
		err = readArchive(flag.Arg(0), &s)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "limit:", err)
		os.Exit(1)
	}
	fmt.Printf("layers %d entries %d bytes %d sum %016x\n", s.layers, s.entries, s.bytes, s.sum)
}

type stats struct {
	layers, entries, bytes int64
	sum                    uint64
}

// readLayer reads an uncompressed layer blob: the tar stream is the blob.
func readLayer(r io.Reader, s *stats) error {
	if blobHash != nil {
		blobHash.Reset()
		r = io.TeeReader(r, blobHash)
		defer func() { s.sum += uint64(blobHash.Sum(nil)[0]) }()
	}
	return readTar(r, s)
}

// readTar parses a layer's tar stream and hashes every regular file.
func readTar(r io.Reader, s *stats) error {
	tr := tar.NewReader(r)
	h := xxhash.New()
	buf := make([]byte, 256<<10)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		s.entries++
		s.sum += xxhash.Sum64String(hdr.Name)
		if hdr.Typeflag == tar.TypeReg && hdr.Size > 0 {
			h.Reset()
			n, err := io.CopyBuffer(h, tr, buf)
			if err != nil {
				return err
			}
			s.bytes += n
			s.sum += h.Sum64()
		}
	}
	_, err := io.Copy(io.Discard, r) // trailing padding
	s.layers++
	return err
}

// readArchive reads the layers of a docker save archive in archive order.
func readArchive(p string, s *stats) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	var manifest []struct{ Layers []string }
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if err != nil {
			return fmt.Errorf("no manifest.json: %w", err)
		}
		if hdr.Name == "manifest.json" {
			if err := json.NewDecoder(tr).Decode(&manifest); err != nil {
				return err
			}
			break
		}
	}
	if len(manifest) == 0 {
		return errors.New("empty manifest.json")
	}
	want := map[string]bool{}
	for _, l := range manifest[0].Layers {
		want[l] = true
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	tr = tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if want[hdr.Name] {
			if err := readLayer(tr, s); err != nil {
				return fmt.Errorf("%s: %w", hdr.Name, err)
			}
		}
	}
}

// readLayout reads the layers of the first image of an OCI layout, in order.
func readLayout(dir string, s *stats) error {
	type desc struct {
		MediaType string
		Digest    string
	}
	readJSON := func(p string, v any) error {
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return json.Unmarshal(b, v)
	}
	blob := func(d string) string { return filepath.Join(dir, "blobs", strings.Replace(d, ":", "/", 1)) }
	var idx struct{ Manifests []desc }
	if err := readJSON(filepath.Join(dir, "index.json"), &idx); err != nil {
		return err
	}
	if len(idx.Manifests) == 0 {
		return errors.New("empty index.json")
	}
	var m struct{ Layers []desc }
	if err := readJSON(blob(idx.Manifests[0].Digest), &m); err != nil {
		return err
	}
	for _, l := range m.Layers {
		if err := readBlob(blob(l.Digest), strings.HasSuffix(l.MediaType, "gzip"), s); err != nil {
			return fmt.Errorf("%s: %w", l.Digest, err)
		}
	}
	return nil
}

func readBlob(p string, gz bool, s *stats) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	var r io.Reader = f
	if gz {
		var blob io.Reader = f
		if blobHash != nil { // the blob's digest is that of the compressed bytes
			blobHash.Reset()
			blob = io.TeeReader(f, blobHash)
			defer func() { s.sum += uint64(blobHash.Sum(nil)[0]) }()
		}
		zr, err := gzip.NewReader(bufio.NewReaderSize(blob, 1<<16))
		if err != nil {
			return err
		}
		defer zr.Close()
		r = zr
		return readTar(r, s)
	}
	return readLayer(r, s)
}
