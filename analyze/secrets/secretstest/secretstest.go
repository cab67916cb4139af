// Package secretstest makes fake secrets for tests: values of the shapes
// the secret rules look for, drawn at random when a test runs (nothing
// that looks like a real token is committed), and the texts they are
// planted in.
package secretstest

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strings"
)

// Gen draws fake secrets from a seeded source, so that a failing test can
// be run again with the same values.
type Gen struct{ r *rand.Rand }

// New returns a generator seeded with seed.
func New(seed uint64) *Gen { return &Gen{r: rand.New(rand.NewPCG(seed, seed^0x5eC2e75))} }

const (
	upper   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	lower   = "abcdefghijklmnopqrstuvwxyz"
	digits  = "0123456789"
	alnum   = upper + lower + digits
	hexdig  = "0123456789abcdef"
	b32     = upper + "234567"
	b64     = alnum + "+/"
	urlsafe = alnum + "_-"
)

// S returns n characters drawn from set.
func (g *Gen) S(set string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = set[g.r.IntN(len(set))]
	}
	return string(b)
}

// Plant is one fake secret and the text that holds it.
type Plant struct {
	RuleID string
	Value  string // the secret as the rule reports it (its fingerprint is of this)
	Text   string // a line or block of a file that holds Value
}

// Key returns a private-key block of the given type ("RSA ", "OPENSSH ",
// "EC ", "" for PKCS#8, "PGP " for an armored PGP key), lines joined by nl.
func (g *Gen) Key(kind, nl string) string {
	raw := make([]byte, 900)
	for i := range raw {
		raw[i] = byte(g.r.IntN(256))
	}
	body := base64.StdEncoding.EncodeToString(raw)
	var lines []string
	for len(body) > 64 {
		lines = append(lines, body[:64])
		body = body[64:]
	}
	lines = append(lines, body)
	label := kind + "PRIVATE KEY"
	if kind == "PGP " {
		label = "PGP PRIVATE KEY BLOCK"
		lines = append([]string{"Version: test", ""}, lines...)
	}
	return "-----BEGIN " + label + "-----" + nl + strings.Join(lines, nl) + nl + "-----END " + label + "-----"
}

// All returns one plant per rule, each in its usual setting.
func (g *Gen) All() []Plant {
	aws := "AKIA" + g.S(b32, 16)
	awsSecret := g.S(b64, 40)
	gcpID := g.S(hexdig, 40)
	gcpKey := g.Key("", `\n`)
	azure := g.S(b64, 86) + "=="
	jwt := "eyJ" + g.S(urlsafe, 30) + ".eyJ" + g.S(urlsafe, 60) + "." + g.S(urlsafe, 43)
	webhook := "hooks.slack.com/services/T" + g.S(upper+digits, 10) + "/B" + g.S(upper+digits, 10) + "/" + g.S(alnum, 24)
	pem := g.Key("RSA ", "\n")
	ssh := g.Key("OPENSSH ", "\n")
	pgp := g.Key("PGP ", "\n")
	plant := func(id, v, text string) Plant { return Plant{RuleID: id, Value: v, Text: text} }
	var ps []Plant
	ps = append(ps,
		plant("aws-access-key-id", aws, fmt.Sprintf("AWS_ACCESS_KEY_ID = %q", aws)),
		plant("aws-secret-access-key", awsSecret, "aws_secret_access_key = "+awsSecret),
		plant("gcp-service-account", gcpID, fmt.Sprintf(`{"type": "service_account", "project_id": "p-%s", "private_key_id": "%s", "private_key": "%s\n", "client_email": "ci@p.iam.gserviceaccount.com"}`, g.S(lower, 6), gcpID, gcpKey)),
		plant("private-key", gcpKey, ""), // inside the service-account file
		plant("azure-storage-key", azure, "DefaultEndpointsProtocol=https;AccountName=acct"+g.S(lower, 6)+";AccountKey="+azure+";EndpointSuffix=core.windows.net"),
	)
	for _, t := range []struct{ id, v string }{
		{"github-pat", "ghp_" + g.S(alnum, 36)},
		{"github-fine-grained-pat", "github_pat_" + g.S(alnum, 22) + "_" + g.S(alnum, 59)},
		{"github-oauth", "gho_" + g.S(alnum, 36)},
		{"github-app-token", "ghs_" + g.S(alnum, 36)},
		{"gitlab-token", "glpat-" + g.S(urlsafe, 20)},
		{"slack-token", "xoxb-" + g.S(digits, 12) + "-" + g.S(digits, 13) + "-" + g.S(alnum, 24)},
		{"stripe-live-key", "sk_live_" + g.S(alnum, 32)},
		{"npm-token", "npm_" + g.S(alnum, 36)},
		{"pypi-token", "pypi-AgEIcHlwaS5vcmc" + g.S(urlsafe, 70)},
		{"twilio-api-key", "SK" + g.S(hexdig, 32)},
		{"sendgrid-api-key", "SG." + g.S(urlsafe, 22) + "." + g.S(urlsafe, 43)},
	} {
		ps = append(ps, plant(t.id, t.v, fmt.Sprintf("TOKEN_%d=%s", len(ps), t.v)))
	}
	npmrc := g.S(alnum, 36)
	ps = append(ps,
		plant("npm-auth-token", npmrc, "//registry.npmjs.org/:_authToken="+npmrc),
		plant("slack-webhook", webhook, `SLACK_URL="https://`+webhook+`"`),
		plant("jwt", jwt, "Authorization: Bearer "+jwt),
		plant("private-key", pem, pem),
		plant("private-key", ssh, ssh),
		plant("private-key", pgp, pgp),
	)
	return ps
}
