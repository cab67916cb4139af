package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stagescope/stagescope/analyze/analyzetest"
	"github.com/stagescope/stagescope/layers/layerstest"
)

// TestImplicitInspect: `stagescope IMAGE [flags]` is `stagescope inspect
// IMAGE [flags]`, as `dive IMAGE` is; with no argument the root shows its
// help and succeeds.
func TestImplicitInspect(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
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

// runIn is run with standard input (not a terminal) reading in.
func runIn(t *testing.T, in io.Reader, args ...string) (string, string, int, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := newRootCmd(&streams{In: in, Out: &out, ErrOut: &errOut, Width: 100})
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	code := exitOK
	var g *gateError
	switch {
	case err == nil:
	case errors.As(err, &g):
		code = exitGate
	default:
		code = exitError
	}
	return out.String(), errOut.String(), code, err
}

// TestStdin: "-" reads a docker save stream from a pipe, plain or
// compressed, in one pass: the report is the file's, but for the name.
// Anything else on the pipe is one clear error.
func TestStdin(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(testImage)
	if err != nil {
		t.Fatal(err)
	}
	want, _, code, err := run(t, "inspect", "-o", "json", testImage)
	if code != exitOK {
		t.Fatalf("inspect file: exit %d, %v", code, err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	norm := func(s string) string {
		return strings.ReplaceAll(s, `"reference": "`+testImage+`"`, `"reference": "-"`)
	}
	for name, in := range map[string][]byte{"plain": data, "gzip": gz.Bytes()} {
		got, stderr, code, err := runIn(t, bytes.NewReader(in), "inspect", "-o", "json", "-")
		if code != exitOK {
			t.Fatalf("%s on stdin: exit %d, %v %s", name, code, err, stderr)
		}
		analyzetest.ValidateReport(t, []byte(got))
		var gr, wr map[string]any
		if err := json.Unmarshal([]byte(got), &gr); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(norm(want)), &wr); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"summary", "leftovers", "findings", "layers"} {
			if diff := cmp.Diff(wr[k], gr[k]); diff != "" {
				t.Errorf("%s on stdin: %s differs from the file's (-file +stdin):\n%s", name, k, diff)
			}
		}
	}
	_, _, code, err = runIn(t, strings.NewReader("hello\n"), "inspect", "-o", "text", "-")
	if code != exitError || err == nil || !strings.Contains(err.Error(), "is not a container image") {
		t.Errorf("text on stdin: exit %d, %v; want one clear error", code, err)
	}
}

// TestStdinErrors: what cannot be read from a pipe is one line that names
// "-" once (never "-: -: …"), and an OCI archive, which a pipe cannot
// carry through stagescope's one-pass reader, says what to do instead.
func TestStdinErrors(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(testImage)
	if err != nil {
		t.Fatal(err)
	}
	oci := layerstest.TarDir(t, layerstest.OCILayout(t, layerstest.Layers(t, []layerstest.File{{Name: "a", Body: "a"}})))
	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"truncated docker save", data[:2_000_000], "-: reading tar header after 1 members: unexpected EOF"},
		{"OCI archive", oci, "- is an OCI archive: only a docker save archive can be read in one pass (from a pipe, or through gzip or zstd); write it to a plain .tar file and open that"},
		{"not a tar", []byte("hello\n"), "- is not a container image: not a tar archive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, code, err := runIn(t, bytes.NewReader(tc.in), "inspect", "-o", "text", "-")
			if code != exitError || err == nil {
				t.Fatalf("exit %d, %v; want an error", code, err)
			}
			if got := errorLine(err); !strings.HasPrefix(got, tc.want) || strings.Contains(got, "-: -") {
				t.Errorf("error %q, want it to start %q and name - once", got, tc.want)
			}
			_, _, _, err = runIn(t, bytes.NewReader(tc.in), "diff", testImage, "-")
			if err == nil || !strings.HasPrefix(err.Error(), "image B: "+tc.want) {
				t.Errorf("diff: error %v, want it to start %q", err, "image B: "+tc.want)
			}
		})
	}
}
