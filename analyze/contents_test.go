package analyze

import (
	"context"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stagescope/stagescope/layers"
	"github.com/stagescope/stagescope/layers/layerstest"
)

func TestCaptureContents(t *testing.T) {
	tests := []struct {
		path string
		size int64
		want bool
	}{
		{"var/lib/dpkg/status", 2 << 20, true},
		{"var/lib/dpkg/status", CaptureLimit + 1, false},
		{"var/lib/dpkg/status-old", 100, false},
		{"var/lib/dpkg/info/libc6:amd64.list", 5000, true},
		{"var/lib/dpkg/info/make.list", 500, true},
		{"var/lib/dpkg/info/make.md5sums", 500, false},
		{"var/lib/dpkg/info/libc6:amd64.postinst", 500, false},
		{"var/lib/dpkg/status.d/libssl3", 500, true},
		{"var/lib/dpkg/status.d/libssl3.md5sums", 500, true},
		{"lib/apk/db/installed", 1 << 20, true},
		{"lib/apk/db/scripts.tar", 1 << 10, false},
		{"etc/os-release", 300, true},
		{"usr/lib/os-release", 300, true},
		{"etc/os-release", 64<<10 + 1, false},
		{"app/package.json", 900, true},
		{"package.json", 900, true},
		{"app/package.json", 1<<20 + 1, false},
		{"app/node_modules/express/package.json", 1200, true},
		{"app/node_modules/@types/node/package.json", 1200, true},
		{"app/node_modules/express/node_modules/debug/package.json", 1200, true},
		{"app/node_modules/typescript/lib/package.json", 100, false},
		{"app/node_modules/pino/test/fixtures/eval/node_modules/x/package.json", 100, false},
		{"app/package-lock.json", 180 << 10, true},
		{"app/npm-shrinkwrap.json", 180 << 10, true},
		{"app/package-lock.json", CaptureLimit + 1, false},
		{"app/node_modules/express/package-lock.json", 100, false},
		{"app/node_modules/.package-lock.json", 170 << 10, true},
		{"app/node_modules/x/node_modules/.package-lock.json", 100, false},
		{"app/.npmrc", 60, true},
		{"root/.npmrc", 60, true},
		{"app/node_modules/x/.npmrc", 60, false},
		{"app/src/index.ts", 100, false},
		{"usr/bin/node", 90 << 20, false},
	}
	for _, tt := range tests {
		if got := CaptureContents(tt.path, tt.size); got != tt.want {
			t.Errorf("CaptureContents(%q, %d) = %v, want %v", tt.path, tt.size, got, tt.want)
		}
	}
}

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
	li, err := layers.Read(context.Background(), img, layers.WithCapture(CaptureContents, CaptureLimit))
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
