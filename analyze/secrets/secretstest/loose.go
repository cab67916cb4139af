package secretstest

import (
	"bytes"
	"compress/zlib"
	"io"
	"strings"
)

// looseHolds tells whether a loose object's inflated bytes hold v.
func looseHolds(body, v string) (bool, error) {
	zr, err := zlib.NewReader(strings.NewReader(body))
	if err != nil {
		return false, err
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		return false, err
	}
	return bytes.Contains(b, []byte(v)), nil
}
