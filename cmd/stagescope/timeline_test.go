package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestTimelineFileError: a STAGESCOPE_TIMELINE the browser cannot create
// is one error line and exit 2, before any terminal is opened or any
// layer read.
func TestTimelineFileError(t *testing.T) {
	t.Setenv("STAGESCOPE_TIMELINE", filepath.Join(t.TempDir(), "no-such-dir", "timeline"))
	_, _, code, err := run(t, "inspect", "-o", "tui", "--no-daemon", testImage)
	if code != exitError || err == nil || !strings.HasPrefix(err.Error(), "STAGESCOPE_TIMELINE: ") || strings.Contains(err.Error(), "\n") {
		t.Errorf("exit %d, error %v; want exit %d and one line naming STAGESCOPE_TIMELINE", code, err, exitError)
	}
}
