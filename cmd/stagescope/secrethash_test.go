package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/cespare/xxhash/v2"

	"github.com/stagescope/stagescope/layers/layerstest"
)

// TestSecretHashesNotGuessable plays the attack of issue 20: a .env that
// holds PIN=4821 (layerstest.SecretPIN), visible and duplicated in
// secret-pin.tar, deleted in inject-names.tar. Hash each of the ten
// thousand candidate contents as stagescope hashes files (xxh64, whole or
// cut short) and as anyone would (sha256): no output format may hold any
// of them, or the PIN is found again.
func TestSecretHashesNotGuessable(t *testing.T) {
	if !strings.HasPrefix(layerstest.SecretPIN, "PIN=") || len(layerstest.SecretPIN) != len("PIN=0000\n") {
		t.Fatalf("SecretPIN = %q, want PIN=NNNN and a newline", layerstest.SecretPIN)
	}
	type guess struct{ pin, hash string }
	var guesses []guess
	for i := range 10000 {
		c := fmt.Sprintf("PIN=%04d\n", i)
		d := xxhash.Sum64String(c)
		s := sha256.Sum256([]byte(c))
		for _, h := range []string{fmt.Sprintf("%016x", d), fmt.Sprintf("%012x", d>>16), hex.EncodeToString(s[:])} {
			guesses = append(guesses, guess{c, h})
		}
	}
	for _, image := range []string{"secret-pin.tar", "inject-names.tar"} {
		for _, format := range []string{"json", "text", "sarif"} {
			r := stagescope(t, "inspect", "-o", format, "../../testdata/bad/corpus/"+image)
			if r.code != exitOK {
				t.Fatalf("inspect -o %s %s: exit %d, %s", format, image, r.code, r.stderr)
			}
			if !strings.Contains(r.stdout, ".env") {
				t.Fatalf("inspect -o %s %s does not report the .env:\n%s", format, image, r.stdout)
			}
			for _, g := range guesses {
				if strings.Contains(r.stdout, g.hash) {
					t.Errorf("inspect -o %s %s shows %s, a hash of %q: the PIN is found by trying 10^4 guesses", format, image, g.hash, g.pin)
				}
			}
		}
	}
}
