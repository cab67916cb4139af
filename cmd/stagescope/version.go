package main

import (
	"fmt"
	"io"
	"regexp"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"
)

// The release sets these with -ldflags "-X main.version=… -X main.commit=…
// -X main.date=…" (see .goreleaser.yaml). A build without them (go install,
// go build) fills them in from the build information Go records.
var (
	version = "dev"
	commit  = ""
	date    = ""
)

// binary describes this build of stagescope.
var binary = readBuild(version, commit, date, runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH)

func init() {
	// The reports name the tool's version; keep it the resolved one.
	version = binary.Version
}

// build is what `stagescope version` prints.
type build struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Date      string `json:"date"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

func readBuild(version, commit, date, goVersion, platform string) build {
	bi, _ := debug.ReadBuildInfo()
	return resolveBuild(build{Version: version, Commit: commit, Date: date, GoVersion: goVersion, Platform: platform}, bi)
}

// pseudoVersion matches the tail of a Go module pseudo-version
// (v0.0.0-20261204101500-0123456789ab, v1.2.4-0.20261204101500-…,
// v1.2.3-rc.1.0.20261204101500-…): the commit time and 12 digits of its hash.
var pseudoVersion = regexp.MustCompile(`[.-](\d{14})-([0-9a-f]{12})$`)

// resolveBuild fills in what the linker flags left unset from the build
// information bi (nil when there is none): the module version of a
// `go install …@version` build (a pseudo-version also names its commit and
// its time), else the VCS stamp of a build in a checkout ("dev-" and 12 digits
// of the revision, "-dirty" when the tree had changes). What nothing names is
// "unknown".
func resolveBuild(b build, bi *debug.BuildInfo) build {
	if bi != nil {
		var rev, vcsTime string
		var dirty bool
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				vcsTime = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		mv := bi.Main.Version
		if mv == "(devel)" {
			mv = ""
		}
		if m := pseudoVersion.FindStringSubmatch(mv); m != nil {
			if rev == "" {
				rev = m[2]
			}
			if t, err := time.Parse("20060102150405", m[1]); err == nil && vcsTime == "" {
				vcsTime = t.UTC().Format(time.RFC3339)
			}
		}
		if b.Version == "dev" {
			switch {
			case mv != "":
				b.Version = mv
			case rev != "":
				b.Version = "dev-" + rev[:min(12, len(rev))]
				if dirty {
					b.Version += "-dirty"
				}
			}
		}
		if b.Commit == "" {
			b.Commit = rev
		}
		if b.Date == "" {
			b.Date = vcsTime
		}
	}
	if b.Commit == "" {
		b.Commit = "unknown"
	}
	if b.Date == "" {
		b.Date = "unknown"
	}
	return b
}

func newVersionCmd(s *streams) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print stagescope's version, commit, build date and Go version",
		Args:  cobra.NoArgs,
		Example: `  stagescope version
  stagescope version -o json`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return writeVersion(s.Out, output, binary)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func writeVersion(w io.Writer, output string, b build) error {
	switch output {
	case "json":
		return writeJSON(w, b)
	case "text":
		_, err := fmt.Fprintf(w, "stagescope %s\ncommit:   %s\ndate:     %s\ngo:       %s\nplatform: %s\n",
			b.Version, b.Commit, b.Date, b.GoVersion, b.Platform)
		return err
	default:
		return fmt.Errorf("unknown output format %q (want text or json)", output)
	}
}
