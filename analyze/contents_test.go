package analyze

import (
	"context"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stagescope/stagescope/layers"
	"github.com/stagescope/stagescope/layers/layerstest"
)

func TestVisibleFiles(t *testing.T) {
	img := layerstest.Image(t,
		layerstest.Step{CreatedBy: "base", Files: []layerstest.File{
			layerstest.Dir("var/lib/dpkg/"),
			{Name: "var/lib/dpkg/status", Body: "Package: base-files\n"},
			{Name: "var/lib/dpkg/info/base-files.list", Body: "/.\n/etc\n"},
			{Name: "etc/os-release", Body: "ID=debian\n"},
			{Name: "app/package.json", Body: `{"name":"v1"}`},
			{Name: "app/node_modules/old/package.json", Body: `{"name":"old"}`},
			{Name: "app/node_modules/left/package.json", Body: `{"name":"left"}`},
			{Name: "srv/.npmrc", Body: "//registry.npmjs.org/:_authToken=x\n"},
			{Name: "app/README.md", Body: "not captured"},
		}},
		layerstest.Step{CreatedBy: "RUN apt-get install make", Files: []layerstest.File{
			{Name: "var/lib/dpkg/status", Body: "Package: base-files\n\nPackage: make\n"},
			{Name: "var/lib/dpkg/info/make.list", Body: "/.\n/usr/bin/make\n"},
		}},
		layerstest.Step{CreatedBy: "COPY . /app", Files: []layerstest.File{
			{Name: "app/package.json", Body: `{"name":"v2"}`},
			layerstest.Whiteout("app/node_modules/old"),
			layerstest.Whiteout("srv/.npmrc"),
			// overwritten by something not captured: a symlink
			layerstest.Symlink("etc/os-release", "../usr/lib/os-release"),
			{Name: "usr/lib/os-release", Body: "ID=debian\nVERSION_ID=12\n"},
		}},
		layerstest.Step{CreatedBy: "RUN rm -rf /var/lib/dpkg/info && mkdir it", Files: []layerstest.File{
			layerstest.Dir("var/lib/dpkg/info"),
			layerstest.Opaque("var/lib/dpkg/info"),
		}},
	)
	li, err := layers.Read(context.Background(), img, layers.WithCapture(Capture, CaptureLimit))
	if err != nil {
		t.Fatal(err)
	}
	var captured []string
	for _, l := range li.Layers {
		for _, f := range l.Files {
			captured = append(captured, f.Path)
		}
	}
	slices.Sort(captured)
	wantCaptured := []string{
		"app/node_modules/left/package.json", "app/node_modules/old/package.json",
		"app/package.json", "app/package.json",
		"etc/os-release", "srv/.npmrc", "usr/lib/os-release",
		"var/lib/dpkg/info/base-files.list", "var/lib/dpkg/info/make.list",
		"var/lib/dpkg/status", "var/lib/dpkg/status",
	}
	if diff := cmp.Diff(wantCaptured, captured); diff != "" {
		t.Errorf("captured (-want +got):\n%s", diff)
	}

	got := VisibleFiles(li, Run(li).Tree)
	want := map[string][]byte{
		"app/package.json":                   []byte(`{"name":"v2"}`),
		"app/node_modules/left/package.json": []byte(`{"name":"left"}`),
		"usr/lib/os-release":                 []byte("ID=debian\nVERSION_ID=12\n"),
		"var/lib/dpkg/status":                []byte("Package: base-files\n\nPackage: make\n"),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("VisibleFiles (-want +got):\n%s", diff)
	}
}
