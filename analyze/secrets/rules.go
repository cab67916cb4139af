// Package secrets finds credentials by content: in every version of every
// text file of an image's layers (deleted and overwritten ones too, fed by
// layers.WithContentScan in the single read), in the blobs of a shipped
// .git, and in the image config (Env, Labels, Entrypoint, Cmd, history).
// A keyword prefilter (Aho-Corasick) finds where a secret may start; only
// there does the rule's anchored regexp run.
package secrets

import (
	"strings"
)

// Severity ranks a rule.
type Severity string

// The severities, most severe first.
const (
	Critical Severity = "critical"
	High     Severity = "high"
	Medium   Severity = "medium"
)

// Rule is one kind of secret.
type Rule struct {
	ID       string
	Severity Severity
	Why      string
	// Keywords are the literal strings that start the match (the
	// prefilter's patterns): the regexp runs anchored at each of them.
	Keywords []string
	// Pattern is the regular expression matched at a keyword's position
	// (compiled once, when the scan first needs it). Submatch 1, when
	// there is one, is the secret value; else the whole match is.
	Pattern string
	// Cont are the bytes besides letters and digits that may continue the
	// value: a value followed by one is part of a longer string, not a
	// secret of this kind.
	Cont string
	// AnyBefore lets the keyword follow a letter, digit or underscore (a
	// key name such as MY_AWS_SECRET_ACCESS_KEY); other keywords must
	// start a word.
	AnyBefore bool
	// Context, when set, are words (lowercase) one of which must appear
	// within contextRadius bytes of the match (before or after).
	Context []string
}

// contextRadius is how far from a match a rule's context word may be.
const contextRadius = 512

// maxMatch bounds the length of a match: the longest is a private-key
// block (an RSA-4096 PEM is about 3.3 KiB, a PGP block more).
const maxMatch = 16 << 10

var rules = []Rule{{
	ID: "aws-access-key-id", Severity: Critical,
	Why:      "an AWS access key ID; with its secret key it signs requests as an IAM user or role",
	Keywords: []string{"AKIA", "ASIA", "ABIA", "ACCA"},
	Pattern:  `^(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}`,
}, {
	ID: "aws-secret-access-key", Severity: Critical,
	Why:       "an AWS secret access key: it signs API requests as its IAM user",
	Keywords:  []string{"secret_access_key", "SECRET_ACCESS_KEY", "SecretAccessKey", "secretAccessKey", "aws_secret_key", "AWS_SECRET_KEY"},
	Pattern:   `^(?:secret_access_key|SECRET_ACCESS_KEY|SecretAccessKey|secretAccessKey|aws_secret_key|AWS_SECRET_KEY)["']?\s*[:=]\s*["']?([A-Za-z0-9/+]{40})`,
	Cont:      "/+=",
	AnyBefore: true,
}, {
	ID: "gcp-service-account", Severity: Critical,
	Why:      "a Google Cloud service-account key file: its private key acts as the service account",
	Keywords: []string{`"private_key_id"`},
	Pattern:  `^"private_key_id"\s*:\s*"([0-9a-f]{40})"`,
	Context:  []string{"service_account", "gserviceaccount.com"},
}, {
	ID: "azure-storage-key", Severity: Critical,
	Why:      "an Azure storage account key: full access to the account's blobs, queues and tables",
	Keywords: []string{"AccountKey="},
	Pattern:  `^AccountKey=([A-Za-z0-9+/]{86}==)`,
	Cont:     "+/=",
}, {
	ID: "github-pat", Severity: Critical,
	Why:      "a GitHub personal access token (classic): acts as its user on every repository it can reach",
	Keywords: []string{"ghp_"},
	Pattern:  `^ghp_[A-Za-z0-9]{36}`,
}, {
	ID: "github-fine-grained-pat", Severity: Critical,
	Why:      "a GitHub fine-grained personal access token",
	Keywords: []string{"github_pat_"},
	Pattern:  `^github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}`,
}, {
	ID: "github-oauth", Severity: Critical,
	Why:      "a GitHub OAuth access token",
	Keywords: []string{"gho_"},
	Pattern:  `^gho_[A-Za-z0-9]{36}`,
}, {
	ID: "github-app-token", Severity: Critical,
	Why:      "a GitHub App installation or user-to-server token (or a refresh token)",
	Keywords: []string{"ghs_", "ghu_", "ghr_"},
	Pattern:  `^gh[sur]_[A-Za-z0-9]{36,76}`,
}, {
	ID: "gitlab-token", Severity: Critical,
	Why:      "a GitLab personal, project, deploy or runner token",
	Keywords: []string{"glpat-", "gldt-", "glrt-", "glptt-"},
	Pattern:  `^(?:glpat-|gldt-|glrt-)[A-Za-z0-9_\-]{20,64}|^glptt-[0-9a-f]{40}`,
	Cont:     "_-",
}, {
	ID: "slack-token", Severity: High,
	Why:      "a Slack bot, user, app or configuration token",
	Keywords: []string{"xoxb-", "xoxp-", "xoxa-", "xoxe-", "xoxo-", "xoxr-", "xoxs-", "xapp-"},
	Pattern:  `^(?:xox[bpaeors]-[0-9]{8,14}-[0-9A-Za-z-]{10,120}|xapp-[0-9]-[A-Z0-9]{8,14}-[0-9]{8,14}-[0-9a-f]{20,80})`,
	Cont:     "-",
}, {
	ID: "slack-webhook", Severity: Medium,
	Why:      "a Slack incoming-webhook URL: anyone holding it posts to the channel",
	Keywords: []string{"hooks.slack.com/"},
	Pattern:  `^hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_\-]{30,120}`,
	Cont:     "+/_-",
}, {
	ID: "stripe-live-key", Severity: Critical,
	Why:      "a Stripe live secret or restricted key: charges and refunds real money",
	Keywords: []string{"sk_live_", "rk_live_"},
	Pattern:  `^[sr]k_live_[0-9A-Za-z]{24,99}`,
}, {
	ID: "npm-token", Severity: High,
	Why:      "an npm access token: publishes packages as its owner",
	Keywords: []string{"npm_"},
	Pattern:  `^npm_[A-Za-z0-9]{36}`,
}, {
	ID: "npm-auth-token", Severity: High,
	Why:      "an npm registry auth token in an .npmrc",
	Keywords: []string{":_authToken="},
	Pattern:  `^:_authToken=([A-Za-z0-9_\-]{30,})`,
	Cont:     "_-",
}, {
	ID: "pypi-token", Severity: High,
	Why:      "a PyPI API token: uploads releases as its owner",
	Keywords: []string{"pypi-AgEIcHlwaS5vcmc"},
	Pattern:  `^pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,300}`,
	Cont:     "_-",
}, {
	ID: "twilio-api-key", Severity: High,
	Why:      "a Twilio API key SID (its secret is usually beside it)",
	Keywords: []string{"SK"},
	Pattern:  `^SK[0-9a-f]{32}`,
}, {
	ID: "sendgrid-api-key", Severity: High,
	Why:      "a SendGrid API key: sends mail as the account",
	Keywords: []string{"SG."},
	Pattern:  `^SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}`,
	Cont:     "_-",
}, {
	ID: "private-key", Severity: Critical,
	Why:      "a private key block (PEM, OpenSSH or PGP): whoever holds the image holds the key",
	Keywords: []string{"-----BEGIN "},
	Pattern:  `^-----BEGIN[ A-Z0-9]{0,20}PRIVATE KEY(?: BLOCK)?-----[^-]{64,}-----END[ A-Z0-9]{0,20}PRIVATE KEY(?: BLOCK)?-----`,
	Cont:     "-",
}, {
	ID: "jwt", Severity: Medium,
	Why:      "a JSON Web Token next to a word that says it is a credential",
	Keywords: []string{"eyJ"},
	Pattern:  `^eyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{16,}`,
	Cont:     "_-.",
	Context:  []string{"bearer", "token", "jwt", "authorization", "auth", "secret", "password", "apikey", "api_key", "session"},
}}

// Rules returns the rule table, in a stable order.
func Rules() []Rule { return rules }

// Fix is what to do about a secret found by content, whatever its rule.
const Fix = "rotate the credential, then keep it out of the image: .dockerignore, and RUN --mount=type=secret for build-time secrets"

// RuleByID returns the rule with the given ID.
func RuleByID(id string) (Rule, bool) {
	for _, r := range rules {
		if r.ID == id {
			return r, true
		}
	}
	return Rule{}, false
}

// examples are values published in vendors' documentation: they look real
// and are not secrets.
var examples = []string{
	"AKIAIOSFODNN7EXAMPLE",
	"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	"AKIAI44QH8DHBEXAMPLE",
	"je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
}

// placeholderWords mark a value someone is meant to replace.
var placeholderWords = []string{"example", "placeholder", "your_", "your-", "yourtoken", "changeme", "dummy", "redacted", "sample", "xxxxxx", "******", "<", "${", "{{", "..."}

// Placeholder tells a documented example or a placeholder from a secret:
// a known example value, a value with a placeholder word, or one of too
// few distinct characters to be random (aaaa…, 0000…, 1234…).
func Placeholder(v string) bool {
	for _, e := range examples {
		if strings.Contains(v, e) {
			return true
		}
	}
	lv := strings.ToLower(v)
	for _, w := range placeholderWords {
		if strings.Contains(lv, w) {
			return true
		}
	}
	var seen [256]bool
	distinct := 0
	for i := 0; i < len(v); i++ {
		if !seen[v[i]] {
			seen[v[i]] = true
			distinct++
		}
	}
	return distinct < 10
}
