package pkgdb

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
