package main

import (
	"strings"
	"testing"
)

// TestImplicitInspect: `stagescope IMAGE [flags]` is `stagescope inspect
// IMAGE [flags]`, as `dive IMAGE` is; with no argument the root shows its
// help and succeeds.
func TestImplicitInspect(t *testing.T) {
	want, _, code, err := run(t, "inspect", "-o", "json", testImage)
	if code != exitOK {
		t.Fatalf("inspect: exit %d, %v", code, err)
	}
	got, _, code, err := run(t, testImage, "-o", "json")
	if code != exitOK {
		t.Fatalf("stagescope IMAGE: exit %d, %v", code, err)
	}
	if got != want {
		t.Errorf("stagescope IMAGE -o json differs from stagescope inspect -o json IMAGE")
	}
	// A gate flag given to the root gates as it does under inspect.
	_, _, code, _ = run(t, testImage, "-o", "text", "--highest-leftover-bytes", "1")
	if code != exitGate {
		t.Errorf("stagescope IMAGE --highest-leftover-bytes 1: exit %d, want %d", code, exitGate)
	}
	out, _, code, err := run(t, []string{}...) // not nil: cobra would take the test binary's own arguments
	if code != exitOK || !strings.Contains(out, "Available Commands:") || !strings.Contains(out, "stagescope myapp:latest") {
		t.Errorf("stagescope alone: exit %d, %v; want its help:\n%s", code, err, out)
	}
}

// TestOutputWidth: text is cut to a terminal's width, else to COLUMNS, and
// never when piped without them; --width overrides all of it.
func TestOutputWidth(t *testing.T) {
	for _, tt := range []struct {
		tty       bool
		termWidth int
		columns   string
		want      int
	}{
		{true, 132, "", 132},
		{true, 132, "80", 132},
		{true, 0, "", 100},
		{true, 0, "90", 90},
		{false, 0, "", 0},
		{false, 0, "120", 120},
		{false, 0, "junk", 0},
		{false, 0, "-5", 0},
	} {
		if got := outputWidth(tt.tty, tt.termWidth, tt.columns); got != tt.want {
			t.Errorf("outputWidth(%v, %d, %q) = %d, want %d", tt.tty, tt.termWidth, tt.columns, got, tt.want)
		}
	}

	// testdata/leftovers.tar's layer 4 was made by a 190-character RUN.
	const long = "cp node_modules/ms/index.js /root/.cache/build/ms.js && cp config.prod.json config.json"
	for _, tt := range []struct {
		args     []string
		wantFull bool
	}{
		{[]string{"--width", "0"}, true},
		{[]string{"--width", "100"}, false},
		{nil, false}, // run's streams say 100 columns
	} {
		out, _, code, err := run(t, append([]string{"inspect", "-o", "text", testImage}, tt.args...)...)
		if code != exitOK {
			t.Fatalf("%v: exit %d, %v", tt.args, code, err)
		}
		if got := strings.Contains(out, long); got != tt.wantFull {
			t.Errorf("%v: whole command in the output = %v, want %v", tt.args, got, tt.wantFull)
		}
	}
	if _, _, code, err := run(t, "inspect", "--width", "-3", testImage); code != exitError || err == nil || err.Error() != "--width must not be negative, got -3" {
		t.Errorf("--width -3: exit %d, %v", code, err)
	}
}
