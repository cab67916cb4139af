package analyze

import "testing"

// The parsers read bytes from untrusted images: whatever they hold, they
// must not panic.

func FuzzParseDpkg(f *testing.F) {
	f.Add([]byte(dpkgStatus), []byte("/.\n/usr/bin/make\n"))
	f.Add([]byte("Package: a\nStatus: install ok installed\n \n\tx\n#c\n:\n"), []byte("\x00/"))
	f.Fuzz(func(t *testing.T, status, list []byte) {
		files := map[string][]byte{
			"var/lib/dpkg/info/make.list":     list,
			"var/lib/dpkg/status.d/make":      status,
			"var/lib/dpkg/status.d/x.md5sums": list,
		}
		for _, p := range ParseDpkg(status, files) {
			if p.Name == "" {
				t.Errorf("package without a name: %+v", p)
			}
		}
	})
}

func FuzzParseApk(f *testing.F) {
	f.Add([]byte(apkInstalled))
	f.Add([]byte("P:\nF:../..\nR:../x\n\nR:y\n"))
	f.Fuzz(func(t *testing.T, db []byte) {
		for _, p := range ParseApk(db) {
			if p.Name == "" {
				t.Errorf("package without a name: %+v", p)
			}
		}
	})
}

func FuzzNodePackages(f *testing.F) {
	f.Add([]byte(appManifest), []byte(hiddenLockfile), []byte(`{"lockfileVersion":1,"dependencies":{"a":{"dependencies":{"b":{}}}}}`))
	f.Add([]byte(`{"dependencies":[1]}`), []byte(`{"packages":{"":{},"node_modules/../../x":{"dev":true}}}`), []byte("null"))
	f.Fuzz(func(t *testing.T, manifest, hidden, lock []byte) {
		files := map[string][]byte{
			"app/package.json":                               manifest,
			"app/node_modules/.package-lock.json":            hidden,
			"app/package-lock.json":                          lock,
			"app/node_modules/a/package.json":                manifest,
			"app/node_modules/a/node_modules/b/package.json": lock,
			"app/node_modules/@s/c/package.json":             hidden,
		}
		if got := NodePackages(files); len(got) != 3 {
			t.Errorf("NodePackages found %d packages, want 3", len(got))
		}
	})
}
