package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// output is one -o value: a format, written to stdout or, with =FILE, to
// a file.
type output struct {
	Format string
	File   string // "" is stdout
}

// fileFormats are the formats -o FORMAT=FILE can write: every report but
// the browser.
var fileFormats = []string{"text", "json", "sarif", "cyclonedx"}

// parseOutputs reads the -o values of one run: at most one goes to stdout
// (a bare FORMAT, or FORMAT=-), the others each to a file of its own. A
// file's directory must exist; the file is written only once the image is
// analysed (see writeOutputFiles), so a run that fails before leaves the
// disk as it was. It returns the stdout format ("" for none) and the files.
func parseOutputs(values []string) (string, []output, error) {
	var stdout string
	var files []output
	for _, v := range values {
		f, file, hasFile := strings.Cut(v, "=")
		f = strings.TrimSpace(f)
		if !hasFile || file == "-" {
			if !slices.Contains(outputFormats, f) {
				return "", nil, fmt.Errorf("unknown output format %q (want one of %s, or FORMAT=FILE)", f, strings.Join(outputFormats, ", "))
			}
			if stdout != "" {
				return "", nil, fmt.Errorf("-o %s and -o %s both write to stdout: give one a file, e.g. -o %s=report.%s", stdout, f, f, fileExt(f))
			}
			stdout = f
			continue
		}
		if !slices.Contains(fileFormats, f) {
			return "", nil, fmt.Errorf("-o %s: a file takes one of %s", v, strings.Join(fileFormats, ", "))
		}
		if file == "" {
			return "", nil, fmt.Errorf("-o %s: no file name after =", v)
		}
		if err := checkOutputFile(file); err != nil {
			return "", nil, fmt.Errorf("-o %s: %w", v, err)
		}
		for _, o := range files {
			if filepath.Clean(o.File) == filepath.Clean(file) {
				return "", nil, fmt.Errorf("-o %s=%s and -o %s: one file for two outputs", o.Format, o.File, v)
			}
		}
		files = append(files, output{Format: f, File: file})
	}
	if len(values) == 0 {
		stdout = "auto"
	}
	if stdout == "tui" && len(files) > 0 {
		return "", nil, errors.New("-o tui is the interactive browser: it does not mix with -o FORMAT=FILE (run the browser and the reports apart)")
	}
	return stdout, files, nil
}

// fileExt is the usual extension of a format's file, for messages.
func fileExt(format string) string {
	switch format {
	case "text":
		return "txt"
	case "cyclonedx":
		return "cdx.json"
	case "auto", "tui":
		return "txt"
	}
	return format
}

// checkOutputFile tells, before anything is read, whether file can be
// written: its directory exists and it is not a directory itself.
func checkOutputFile(file string) error {
	if fi, err := os.Stat(file); err == nil && fi.IsDir() {
		return fmt.Errorf("%s is a directory", file)
	}
	dir := filepath.Dir(file)
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("directory %s does not exist", dir)
	case err != nil:
		return fmt.Errorf("directory %s: %w", dir, unwrapPathError(err))
	case !fi.IsDir():
		return fmt.Errorf("%s is not a directory", dir)
	}
	return nil
}

// writeOutputFiles writes every file output with render, atomically: each
// goes to a temporary file beside its target first, and only once all are
// written are they renamed into place. On an error no target is touched
// (unless a rename itself fails, which leaves the earlier ones written).
func writeOutputFiles(files []output, render func(w io.Writer, format string) error) error {
	temps := make([]string, 0, len(files))
	defer func() {
		for _, t := range temps {
			_ = os.Remove(t) // gone already once renamed
		}
	}()
	for _, o := range files {
		tmp, err := writeTemp(o, render)
		if err != nil {
			return err
		}
		temps = append(temps, tmp)
	}
	for i, o := range files {
		if err := os.Rename(temps[i], o.File); err != nil {
			return fmt.Errorf("writing %s: %w", o.File, err)
		}
	}
	return nil
}

// writeTemp renders one output into a new temporary file in its target's
// directory, with the target's mode when it exists (else 0644).
func writeTemp(o output, render func(w io.Writer, format string) error) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(o.File), "."+filepath.Base(o.File)+".*.tmp")
	if err != nil {
		return "", fmt.Errorf("writing %s: %w", o.File, unwrapPathError(err))
	}
	mode := fs.FileMode(0o644)
	if fi, err := os.Stat(o.File); err == nil {
		mode = fi.Mode().Perm()
	}
	err = render(f, o.Format)
	if err == nil {
		err = f.Chmod(mode)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return "", fmt.Errorf("writing %s: %w", o.File, err)
	}
	return f.Name(), nil
}
