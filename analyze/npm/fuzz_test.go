package npm

import "testing"

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
		if got := NodePackages(files, nil); len(got) != 3 {
			t.Errorf("NodePackages found %d packages, want 3", len(got))
		}
	})
}
