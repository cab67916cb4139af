package report

import (
	"fmt"

	"github.com/stagescope/stagescope/analyze/perms"
)

// PermissionJSON is one permission or user finding.
type PermissionJSON struct {
	RuleID   string `json:"ruleId"`
	Category string `json:"category"` // always "permission"
	Severity string `json:"severity"`
	Path     string `json:"path,omitempty"`
	Layer    *int   `json:"layer,omitempty"`
	Mode     string `json:"mode,omitempty"` // octal, e.g. "4755"
	UID      *int64 `json:"uid,omitempty"`
	GID      *int64 `json:"gid,omitempty"`
	Entries  int    `json:"entries,omitempty"`
	Why      string `json:"why"`
}

// PermissionsJSON converts permission findings to their wire form, in
// their order.
func PermissionsJSON(fs []perms.Finding) []PermissionJSON {
	out := make([]PermissionJSON, 0, len(fs))
	for _, f := range fs {
		j := PermissionJSON{RuleID: f.RuleID, Category: "permission", Severity: f.Severity, Path: permPath(f.Path), Entries: f.Count, Why: f.Why}
		if f.Layer >= 0 {
			l := f.Layer
			j.Layer = &l
		}
		switch f.RuleID {
		case "perm-setuid", "perm-world-writable", "perm-sudo":
			j.Mode = fmt.Sprintf("%04o", f.Mode)
		case "perm-unknown-owner":
			if f.Group {
				id := int64(f.GID)
				j.GID = &id
			} else {
				id := int64(f.UID)
				j.UID = &id
			}
		}
		out = append(out, j)
	}
	return out
}

// permPath is a permission finding's path on the wire ("" for an
// image-wide finding).
func permPath(p string) string {
	if p == "" {
		return ""
	}
	return JSONPath(p)
}
