package ui

import (
	"fmt"

	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/layers"
)

// lsMode formats a version's type and permission bits as ls -l does:
// "drwxr-xr-x", "-rwsr-xr-x" for a setuid binary, "drwxrwxrwt" for /tmp.
func lsMode(v *fstree.Version) string {
	b := []byte("----------")
	switch v.Type {
	case layers.TypeDir:
		b[0] = 'd'
	case layers.TypeSymlink:
		b[0] = 'l'
	case layers.TypeHardlink:
		b[0] = 'h'
	case layers.TypeRegular:
	default:
		b[0] = '?'
	}
	const rwx = "rwxrwxrwx"
	for i := 0; i < 9; i++ {
		if v.Mode&(1<<(8-i)) != 0 {
			b[1+i] = rwx[i]
		}
	}
	special := func(bit uint32, at int, set, unset byte) {
		if v.Mode&bit == 0 {
			return
		}
		if b[at] == 'x' {
			b[at] = set
		} else {
			b[at] = unset
		}
	}
	special(0o4000, 3, 's', 'S')
	special(0o2000, 6, 's', 'S')
	special(0o1000, 9, 't', 'T')
	return string(b)
}

// specialBits names the setuid, setgid and sticky bits a mode has.
func specialBits(mode uint32) string {
	var out string
	for _, b := range []struct {
		bit  uint32
		name string
	}{{0o4000, "setuid"}, {0o2000, "setgid"}, {0o1000, "sticky"}} {
		if mode&b.bit != 0 {
			if out != "" {
				out += ", "
			}
			out += b.name
		}
	}
	return out
}

// owner formats a version's numeric owner as uid:gid.
func owner(v *fstree.Version) string {
	uid, gid := v.Owner()
	return fmt.Sprintf("%d:%d", uid, gid)
}

// attrLine is a version's attributes for Details: mode in ls and octal
// form, owner, and what special bits it has.
func attrLine(v *fstree.Version) string {
	s := fmt.Sprintf("%s (%04o) · owner %s", lsMode(v), v.Mode&0o7777, owner(v))
	if sp := specialBits(v.Mode); sp != "" {
		s += " · " + sp
	}
	return s
}
