//go:build ignore

// Command generate writes the hostile-input corpus of testdata/bad (the
// small cases; the large ones are made by the tests in a temporary dir).
//
//	go run ./testdata/bad/generate.go
package main

import (
	"log"
	"os"
	"path/filepath"

	"github.com/stagescope/stagescope/layers/layerstest"
)

func main() {
	dir := filepath.Join("testdata", "bad", "corpus")
	if err := os.RemoveAll(dir); err != nil {
		log.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		log.Fatal(err)
	}
	cases, err := layerstest.WriteBadCorpus(dir, false)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("wrote %d cases to %s", len(cases), dir)
}
