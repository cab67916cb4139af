package report

import (
	"bytes"
	"encoding/json"
	"iter"
	"slices"
)

// ClaimJSON is one file a finding claims: its version in Layer.
type ClaimJSON struct {
	Path  string `json:"path"`
	Bytes int64  `json:"bytes"`
	Layer int    `json:"layer"`
}

// Claims are the files a finding claims, written as a JSON array of
// ClaimJSON. A report made from an analysis holds them as a function that
// makes each entry when it is written (a node_modules finding may claim a
// hundred thousand files, which Encode then writes one at a time); a
// decoded report holds them as a list.
type Claims struct {
	n   int
	seq iter.Seq[ClaimJSON]
}

// NewClaims returns the n claims seq yields.
func NewClaims(n int, seq iter.Seq[ClaimJSON]) Claims {
	return Claims{n: n, seq: seq}
}

// ClaimList returns the claims cs.
func ClaimList(cs ...ClaimJSON) Claims {
	return Claims{n: len(cs), seq: slices.Values(cs)}
}

// Len is the number of claims.
func (c Claims) Len() int { return c.n }

// All yields the claims in order.
func (c Claims) All() iter.Seq[ClaimJSON] {
	if c.seq == nil {
		return func(func(ClaimJSON) bool) {}
	}
	return c.seq
}

// Equal tells whether c and o hold the same claims (go-cmp uses it).
func (c Claims) Equal(o Claims) bool {
	return slices.Equal(slices.Collect(c.All()), slices.Collect(o.All()))
}

// MarshalJSON writes the claims as an array; Encode writes them without
// holding the array in memory.
func (c Claims) MarshalJSON() ([]byte, error) {
	list := slices.Collect(c.All())
	if list == nil {
		list = []ClaimJSON{}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(list); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// UnmarshalJSON reads an array of claims.
func (c *Claims) UnmarshalJSON(b []byte) error {
	var list []ClaimJSON
	if err := json.Unmarshal(b, &list); err != nil {
		return err
	}
	*c = ClaimList(list...)
	return nil
}
