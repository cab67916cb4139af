package secrets

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stagescope/stagescope/analyze/secrets/secretstest"
)

type found struct {
	Rule, Value string
	Line        int
}

func search(text string) []found {
	var out []found
	searchAll([]byte(text), func(h hit) { out = append(out, found{rules[h.rule].ID, string(h.value), h.line}) })
	return out
}

func TestEveryRuleMatchesItsPlant(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		seen := map[string]bool{}
		for _, p := range secretstest.New(seed).All() {
			seen[p.RuleID] = true
			if p.Text == "" {
				continue
			}
			text := "first line\n" + p.Text + "\nlast line\n"
			got := search(text)
			want := []found{{p.RuleID, p.Value, 2}}
			if p.RuleID == "gcp-service-account" {
				want = append(want, found{"private-key", p.Value, 0})
				want[1].Value = got[len(got)-1].Value // checked by its own plant
				want[1].Line = 2
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("seed %d, %s: matches (-want +got):\n%s", seed, p.RuleID, diff)
			}
		}
		for _, r := range rules {
			if !seen[r.ID] {
				t.Errorf("rule %s has no plant", r.ID)
			}
		}
	}
}

func TestNotSecrets(t *testing.T) {
	g := secretstest.New(7)
	for _, text := range []string{
		"aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
		"aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		"export GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
		"token: ghp_your_token_here",
		"STRIPE=sk_live_" + strings.Repeat("0", 24),
		"id=XAKIA" + g.S("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16),      // inside a longer word
		"id=AKIA" + g.S("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16) + "Q", // goes on
		"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
		"-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----",
		"-----BEGIN CERTIFICATE-----\n" + g.S("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef", 200) + "\n-----END CERTIFICATE-----",
		`"private_key_id": "` + g.S("0123456789abcdef", 40) + `"`, // no service account near
		"TASK_SK" + g.S("0123456789abcdef", 32),
	} {
		if got := search(text); len(got) > 0 {
			t.Errorf("search(%.60q) = %v, want nothing", text, got)
		}
	}
}

// TestChunkBoundaries feeds the same text in chunks of many sizes: every
// secret is found once, wherever the chunks cut it.
func TestChunkBoundaries(t *testing.T) {
	g := secretstest.New(11)
	var b strings.Builder
	var want []found
	line := 1
	filler := strings.Repeat("lorem ipsum dolor sit amet, no secret here\n", 997)
	for i := 0; i < 3; i++ {
		for _, p := range g.All() {
			if p.Text == "" || p.RuleID == "gcp-service-account" {
				continue
			}
			b.WriteString(filler)
			line += strings.Count(filler, "\n")
			b.WriteString(p.Text + "\n")
			want = append(want, found{p.RuleID, p.Value, line})
			line += strings.Count(p.Text, "\n") + 1
		}
	}
	text := b.String()
	if got := search(text); !cmp.Equal(got, want) {
		t.Fatalf("whole text: %s", cmp.Diff(want, got))
	}
	for _, size := range []int{1, 7, 4096, 65536, window - 1, window + 3, 1 << 20} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			var got []found
			s := newStream(func(h hit) { got = append(got, found{rules[h.rule].ID, string(h.value), h.line}) })
			for rest := text; len(rest) > 0; {
				n := min(size, len(rest))
				if _, err := s.Write([]byte(rest[:n])); err != nil {
					t.Fatal(err)
				}
				rest = rest[n:]
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("chunks of %d (-want +got):\n%s", size, diff)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"AKIA1234", "AKIA****"},
		{"abc", "****"},
		{"ключ-секрет", "ключ****"},
	} {
		if got := Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzStream: chunked and whole searches of the same bytes find the same.
func FuzzStream(f *testing.F) {
	for _, p := range secretstest.New(5).All() {
		f.Add([]byte("x "+p.Text+"\n"), uint16(7))
	}
	f.Fuzz(func(t *testing.T, data []byte, chunk uint16) {
		whole := search(string(data))
		var got []found
		s := newStream(func(h hit) { got = append(got, found{rules[h.rule].ID, string(h.value), h.line}) })
		n := int(chunk%4096) + 1
		for rest := data; len(rest) > 0; rest = rest[min(n, len(rest)):] {
			_, _ = s.Write(rest[:min(n, len(rest))])
		}
		_ = s.Close()
		if diff := cmp.Diff(whole, got); diff != "" {
			t.Errorf("chunks of %d differ from the whole (-whole +chunked):\n%s", n, diff)
		}
	})
}

// denseText is n lines, each an AWS access key ID of its own (drawn again
// when too few distinct characters make it look like a placeholder).
func denseText(n int) []byte {
	g := secretstest.New(3)
	var b strings.Builder
	for range n {
		v := "AKIA" + g.S("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
		for Placeholder(v) {
			v = "AKIA" + g.S("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
		}
		b.WriteString("id = " + v + "\n")
	}
	return []byte(b.String())
}

// TestLayerCap: a layer keeps at most maxLayerFindings findings, their
// lines right, and says once that it dropped the rest.
func TestLayerCap(t *testing.T) {
	text := denseText(maxLayerFindings + 50)
	ls := NewLayerScanner()
	w := ls.Open("app/ids.txt", int64(len(text)))
	for rest := text; len(rest) > 0; rest = rest[min(len(rest), 1000):] {
		if _, err := w.Write(rest[:min(len(rest), 1000)]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	res := ls.Result().(*LayerResult)
	if got, want := len(res.Findings), maxLayerFindings; got != want {
		t.Fatalf("%d findings, want %d", got, want)
	}
	for i, f := range res.Findings {
		if f.Line != i+1 {
			t.Fatalf("finding %d on line %d, want %d", i, f.Line, i+1)
		}
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "the rest are not reported") {
		t.Errorf("warnings %q, want one saying the rest are dropped", res.Warnings)
	}
}

// TestOneWrite: a file that comes in one write (searched where it lies)
// and the same file in chunks (through the window) give the same findings.
func TestOneWrite(t *testing.T) {
	var b strings.Builder
	for _, p := range secretstest.New(13).All() {
		b.WriteString("filler line\n" + p.Text + "\n")
	}
	text := []byte(b.String())
	scan := func(chunk int) []Finding {
		ls := NewLayerScanner()
		w := ls.Open("etc/app.conf", int64(len(text)))
		for rest := text; len(rest) > 0; rest = rest[min(len(rest), chunk):] {
			if _, err := w.Write(rest[:min(len(rest), chunk)]); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return ls.Result().(*LayerResult).Findings
	}
	whole := scan(len(text))
	if len(whole) < 10 {
		t.Fatalf("%d findings in one write, want every planted secret", len(whole))
	}
	if d := cmp.Diff(scan(97), whole, cmp.AllowUnexported(Finding{})); d != "" {
		t.Errorf("chunked (-) and whole (+) differ:\n%s", d)
	}
}
