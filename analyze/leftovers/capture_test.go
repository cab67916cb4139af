package leftovers

import "testing"

func TestCapture(t *testing.T) {
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
		{"etc/ssl/private/site.key", 3000, true},
		{"etc/ssl/certs/site.pem", 64 << 10, true},
		{"etc/ssl/certs/bundle.pem", 64<<10 + 1, false},
		{"etc/ssl/private/site.key.bak", 3000, false},
	}
	for _, tt := range tests {
		if got := Capture(tt.path, tt.size); got != tt.want {
			t.Errorf("Capture(%q, %d) = %v, want %v", tt.path, tt.size, got, tt.want)
		}
	}
}
