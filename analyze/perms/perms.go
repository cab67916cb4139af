// Package perms checks what dockle checks about permissions and users: files
// that are setuid or setgid, world-writable files and directories, owners
// with no entry in the image's passwd or group, an image that runs as root,
// and sudo. It reads the merged tree (modes per version) and the uid/gid of
// every entry, seen while the layers are merged (Owners).
package perms

import (
	"bufio"
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/layers"
)

// The paths this analyzer reads: the image's user and group databases.
const (
	PasswdPath = "etc/passwd"
	GroupPath  = "etc/group"
	// fileLimit caps them.
	fileLimit = 1 << 20
)

// Capture is the layers.WithCapture predicate of the files perms reads.
func Capture(p string, size int64) bool {
	return (p == PasswdPath || p == GroupPath) && size <= fileLimit
}

// Finding is one permission or user problem.
type Finding struct {
	RuleID   string
	Severity string
	Path     string // "" for the whole image (root user)
	Layer    int    // the layer of the version that has the problem; -1: the config
	Mode     uint32 // permission bits with setuid, setgid and sticky
	UID, GID uint32
	Count    int  // for owner findings: entries with that owner
	Group    bool // for owner findings: the unknown id is GID, not UID
	Why      string
}

// checks are the rules, by ID: the severity and why of each finding.
var checks = []struct{ ID, Severity, Why string }{
	{"perm-setuid", "high", "a setuid or setgid executable added by a layer of this build runs with its owner's rights whoever starts it"},
	{"perm-world-writable", "medium", "any user in the container can change a world-writable file, or replace what a world-writable directory without the sticky bit holds"},
	{"perm-unknown-owner", "low", "files owned by a uid or gid that the image's passwd or group does not name: a user added later with that id owns them"},
	{"perm-root-user", "medium", "the image runs as root (no USER): a process that breaks out of the application has root in the container"},
	{"perm-sudo", "medium", "sudo in a container lets a process that gains a shell become root"},
}

func rule(id string) (sev, why string) {
	for _, r := range checks {
		if r.ID == id {
			return r.Severity, r.Why
		}
	}
	return "", ""
}

// Owners records the owners of every entry as layers are merged.
type Owners struct {
	uids, gids map[uint32]*owner
}

type owner struct {
	path  string // the first path seen with this owner
	layer int
	count int
}

// NewOwners returns an empty record.
func NewOwners() *Owners {
	return &Owners{uids: map[uint32]*owner{}, gids: map[uint32]*owner{}}
}

// Add records the owners of one layer's entries.
func (o *Owners) Add(layer int, es []layers.Entry) {
	for i := range es {
		e := &es[i]
		if e.Whiteout != layers.NoWhiteout {
			continue
		}
		for _, m := range []struct {
			ids map[uint32]*owner
			id  uint32
		}{{o.uids, e.UID}, {o.gids, e.GID}} {
			w := m.ids[m.id]
			if w == nil {
				w = &owner{path: e.Path, layer: layer}
				m.ids[m.id] = w
			}
			w.count++
		}
	}
}

// Check finds the problems of the merged tree t of img. files are the
// visible contents of PasswdPath and GroupPath (when captured); owners the
// record made while merging (nil skips the owner check).
func Check(img *layers.Image, t *fstree.Tree, files map[string][]byte, owners *Owners) []Finding {
	var out []Finding
	add := func(id, p string, layer int, mode, uid, gid uint32) {
		sev, why := rule(id)
		out = append(out, Finding{RuleID: id, Severity: sev, Path: p, Layer: layer, Mode: mode, UID: uid, GID: gid, Why: why})
	}
	t.Walk(func(n *fstree.Node) bool {
		if !n.Visible() {
			return false
		}
		v := n.Last()
		// The path is made only for a finding: making it for every node
		// costs the square of a deep path's depth.
		switch v.Type {
		case layers.TypeRegular:
			// Layer 0 is the base image, whose setuid tools (passwd,
			// su, mount) are its distribution's choice.
			if v.Mode&0o6000 != 0 && v.Layer > 0 {
				add("perm-setuid", n.Path(), int(v.Layer), v.Mode, 0, 0)
			}
			if v.Mode&0o002 != 0 {
				add("perm-world-writable", n.Path(), int(v.Layer), v.Mode, 0, 0)
			}
		case layers.TypeDir:
			if v.Mode&0o002 != 0 && v.Mode&0o1000 == 0 {
				add("perm-world-writable", n.Path(), int(v.Layer), v.Mode, 0, 0)
			}
		}
		if n.Name == "sudo" && v.Type != layers.TypeDir {
			if p := n.Path(); p == "usr/bin/sudo" || p == "bin/sudo" || p == "usr/sbin/sudo" {
				add("perm-sudo", p, int(v.Layer), v.Mode, 0, 0)
			}
		}
		return true
	})
	if u := strings.TrimSpace(img.Config.User); u == "" || u == "root" || u == "0" || strings.HasPrefix(u, "0:") || strings.HasPrefix(u, "root:") {
		add("perm-root-user", "", -1, 0, 0, 0)
	}
	if owners != nil {
		out = append(out, unknownOwners(owners.uids, files[PasswdPath], true)...)
		out = append(out, unknownOwners(owners.gids, files[GroupPath], false)...)
	}
	slices.SortStableFunc(out, func(a, b Finding) int {
		return cmp.Or(strings.Compare(a.RuleID, b.RuleID), strings.Compare(a.Path, b.Path), cmp.Compare(a.UID, b.UID), cmp.Compare(a.GID, b.GID))
	})
	return out
}

// unknownOwners reports the ids that db (passwd or group) does not name.
// Without db there is nothing to compare with: nothing is reported.
func unknownOwners(ids map[uint32]*owner, db []byte, user bool) []Finding {
	if db == nil {
		return nil
	}
	known := ParseIDs(db)
	var out []Finding
	for id, w := range ids {
		if known[id] {
			continue
		}
		sev, why := rule("perm-unknown-owner")
		f := Finding{RuleID: "perm-unknown-owner", Severity: sev, Path: w.path, Layer: w.layer, Count: w.count}
		if user {
			f.UID = id
			f.Why = fmt.Sprintf("uid %d: %s", id, why)
		} else {
			f.GID, f.Group = id, true
			f.Why = fmt.Sprintf("gid %d: %s", id, why)
		}
		out = append(out, f)
	}
	return out
}

// ParseIDs returns the numeric ids (third field) of a passwd or group file.
func ParseIDs(db []byte) map[uint32]bool {
	ids := map[uint32]bool{}
	sc := bufio.NewScanner(bytes.NewReader(db))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		fs := strings.Split(line, ":")
		if len(fs) < 3 {
			continue
		}
		if id, err := strconv.ParseUint(fs[2], 10, 32); err == nil {
			ids[uint32(id)] = true
		}
	}
	return ids
}
