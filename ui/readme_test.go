package ui

import (
	"context"
	"testing"

	"github.com/gdamore/tcell/v2"

	"github.com/stagescope/stagescope/analyze"
	"github.com/stagescope/stagescope/internal/readme"
)

// TestReadmeScreenshot: README's picture of the browser is the browser's
// real render of testdata/leftovers.tar at 110×38: the tree showing only
// files with wasted bytes (w) and, in the Findings pane, the .env that
// layer 5 deleted too late; -update rewrites it.
func TestReadmeScreenshot(t *testing.T) {
	a, _, err := analyze.Load(context.Background(), "../testdata/leftovers.tar")
	if err != nil {
		t.Fatal(err)
	}
	b := browserNamed(t, "testdata/leftovers.tar", a) // named as README's command names it
	press(b, tcell.KeyTab, 'w', tcell.KeyTab, tcell.KeyTab, 'j')
	if f := b.findings.m.finding(b.findings.sel); f == nil || f.Path != "app/.env" || f.RuleID != "secret.dotenv" {
		t.Fatalf("the Findings pane has %+v selected, want the secret.dotenv finding of app/.env", f)
	}
	readme.Sync(t, "../README.md", "browser", screenText(t, b.pages, 110, 38), *update)
}
