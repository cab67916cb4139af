//go:build ignore

// Command generate builds the planted-secrets image from fresh random fake
// values (nothing real, nothing committed) and writes it with the list of
// what is planted where:
//
//	go run ./testdata/secrets-image/generate.go [-o DIR] [-seed N]
//
// DIR/planted.tar is a docker archive (planted:1); DIR/planted.tsv lists
// rule, where, layer, stillShips, fingerprint (sha256 of the value) and a
// note per secret. The values themselves are written nowhere else.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/stagescope/stagescope/analyze/secrets"
	"github.com/stagescope/stagescope/analyze/secrets/secretstest"
)

func main() {
	out := flag.String("o", ".", "directory to write planted.tar and planted.tsv to")
	seed := flag.Uint64("seed", uint64(time.Now().UnixNano()), "seed of the fake values")
	flag.Parse()
	work, err := os.MkdirTemp("", "planted")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(work)
	img, planted, err := secretstest.PlantedImage(*seed, work)
	if err != nil {
		log.Fatal(err)
	}
	tag, err := name.NewTag("planted:1")
	if err != nil {
		log.Fatal(err)
	}
	if err := tarball.WriteToFile(filepath.Join(*out, "planted.tar"), tag, img); err != nil {
		log.Fatal(err)
	}
	f, err := os.Create(filepath.Join(*out, "planted.tsv"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(f, "# seed %d\n# rule\twhere\tlayer\tstillShips\tfingerprint\tnote\n", *seed)
	for _, p := range planted {
		fmt.Fprintf(f, "%s\t%s\t%d\t%v\t%s\t%s\n", p.RuleID, p.Where, p.Layer, p.StillShips, secrets.Fingerprint(p.Value), p.Note)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
	log.Printf("wrote %d planted secrets to %s", len(planted), *out)
}
