package layerstest

import (
	"archive/tar"
	"bytes"
	"fmt"
)

// The hostile inputs of round two (issue 20): names that carry terminal
// escape sequences, header sizes that lie, sparse and deep-path bombs.

// Escape sequences and a newline that would inject a line of its own. The
// corpus runner checks that no output line starts with "FAKE" or
// "stagescope: FAKE".
const (
	oscTitle = "\x1b]0;pwned\x07"
	csiClear = "\x1b[2J"
	fakeLine = "\nstagescope: FAKE line"
)

// InjectedName is the file name of inject-names.tar that holds an OSC
// sequence, as its JSON report must keep it.
const InjectedName = oscTitle + "evil"

// InjectedPlatform is inject-names.tar's platform, as its JSON report must
// keep it.
const InjectedPlatform = "linux/amd64" + csiClear + "/v8" + fakeLine

// injectNames is an image of two layers whose file names, history and
// platform hold escape sequences and newlines: the second layer
// overwrites one file (a wasted row) and deletes a .env (a secret that
// still ships).
func injectNames() []byte {
	dir := "app" + csiClear
	l0 := tarOf(
		member{InjectedName, []byte("osc\n")},
		member{"x" + fakeLine, []byte("newline\n")},
		member{"w/" + csiClear + "clear", bytes.Repeat([]byte("w"), 100)},
		member{dir + "/.env", []byte("PIN=4821\n")},
	)
	l1 := tarOf(
		member{"w/" + csiClear + "clear", bytes.Repeat([]byte("v"), 50)},
		member{dir + "/.wh..env", nil},
	)
	return buildImage([][]byte{l0, l1}, nil, func(c map[string]any) map[string]any {
		c["architecture"] = "amd64" + csiClear
		c["variant"] = "v8" + fakeLine
		c["history"] = []map[string]any{
			{"created_by": "RUN " + oscTitle + "make" + fakeLine},
			{"created_by": "COPY " + csiClear + " . /"},
		}
		return c
	})
}

// buildImage writes a classic `docker save` archive of the layers
// (layer0.tar, layer1.tar, …), then lets the case spoil its manifest or
// config.
func buildImage(ls [][]byte, editManifest func(map[string]any), editConfig func(map[string]any) map[string]any) []byte {
	var diffIDs, names []string
	var ms []member
	var history []map[string]any
	for i, l := range ls {
		diffIDs = append(diffIDs, sha(uncompressed(l)))
		name := fmt.Sprintf("layer%d.tar", i)
		names = append(names, name)
		ms = append(ms, member{name, l})
		history = append(history, map[string]any{"created_by": fmt.Sprintf("COPY %d /", i)})
	}
	cfg := map[string]any{
		"architecture": "amd64",
		"os":           "linux",
		"config":       map[string]any{},
		"rootfs":       map[string]any{"type": "layers", "diff_ids": diffIDs},
		"history":      history,
	}
	if editConfig != nil {
		cfg = editConfig(cfg)
	}
	m := map[string]any{"Config": "config.json", "RepoTags": []string{"bad/case:latest"}, "Layers": names}
	if editManifest != nil {
		editManifest(m)
	}
	ms = append(ms, member{"config.json", jsonBytes(cfg)}, member{"manifest.json", jsonBytes([]any{m})})
	return tarOf(ms...)
}

// injectTags is an archive of two images whose tags hold escapes:
// inspecting it without naming one lists them in the error.
func injectTags() []byte {
	layer := layerTar()
	img := buildImage([][]byte{layer}, nil, nil)
	// Reuse the members of the one-image archive; write a manifest naming
	// the same config twice under two hostile tags.
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	tr := tar.NewReader(bytes.NewReader(img))
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		if h.Name == "manifest.json" {
			continue
		}
		var b bytes.Buffer
		_, err = b.ReadFrom(tr)
		must(err)
		must(tw.WriteHeader(h))
		_, err = tw.Write(b.Bytes())
		must(err)
	}
	m := jsonBytes([]any{
		map[string]any{"Config": "config.json", "RepoTags": []string{"a" + oscTitle + ":1"}, "Layers": []string{"layer0.tar"}},
		map[string]any{"Config": "config.json", "RepoTags": []string{"b" + fakeLine + ":2"}, "Layers": []string{"layer0.tar"}},
	})
	must(tw.WriteHeader(&tar.Header{Name: "manifest.json", Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(m)), ModTime: epoch}))
	_, err := tw.Write(m)
	must(err)
	must(tw.Close())
	return out.Bytes()
}
