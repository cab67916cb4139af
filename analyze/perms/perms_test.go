package perms_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/analyze/perms"
	"github.com/stagescope/stagescope/layers"
	lt "github.com/stagescope/stagescope/layers/layerstest"
)

type row struct {
	Rule, Path string
	Layer      int
	Mode       uint32
	UID, GID   uint32
}

func check(t *testing.T, user string, steps ...lt.Step) []row {
	t.Helper()
	img := lt.Image(t, steps...)
	li, err := layers.Read(context.Background(), img, layers.WithCapture(perms.Capture, 1<<20))
	if err != nil {
		t.Fatal(err)
	}
	li.Config.User = user
	b := fstree.NewBuilder()
	owners := perms.NewOwners()
	files := map[string][]byte{}
	for i, l := range li.Layers {
		b.Add(l.Entries)
		owners.Add(i, l.Entries)
		for _, f := range l.Files {
			files[f.Path] = f.Data // the last version wins: what ships
		}
	}
	var rows []row
	for _, f := range perms.Check(li, b.Finish(), files, owners) {
		rows = append(rows, row{f.RuleID, f.Path, f.Layer, f.Mode, f.UID, f.GID})
	}
	return rows
}

func TestCheck(t *testing.T) {
	passwd := "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/app:/bin/sh\n"
	group := "root:x:0:\napp:x:1000:\n"
	base := lt.Step{CreatedBy: "base", Files: []lt.File{
		{Name: "etc/passwd", Body: passwd},
		{Name: "etc/group", Body: group},
		{Name: "usr/bin/passwd", Body: "x", Mode: 0o4755}, // the base's own: not reported
		{Name: "tmp", Type: '5', Mode: 0o1777},            // sticky: fine
	}}
	for _, tc := range []struct {
		name string
		user string
		step lt.Step
		want []row
	}{{
		name: "clean, non-root",
		user: "app",
		step: lt.Step{CreatedBy: "COPY", Files: []lt.File{{Name: "app/run", Body: "x", Mode: 0o755, UID: 1000, GID: 1000}}},
	}, {
		name: "root by default",
		step: lt.Step{CreatedBy: "COPY", Files: []lt.File{{Name: "app/run", Body: "x"}}},
		want: []row{{"perm-root-user", "", -1, 0, 0, 0}},
	}, {
		name: "setuid, world-writable, sudo, unknown owners",
		user: "1000:1000",
		step: lt.Step{CreatedBy: "RUN", Files: []lt.File{
			{Name: "usr/local/bin/helper", Body: "x", Mode: 0o4755},
			{Name: "usr/local/bin/grp", Body: "x", Mode: 0o2755},
			{Name: "app/data", Type: '5', Mode: 0o777},
			{Name: "app/log.txt", Body: "x", Mode: 0o666},
			{Name: "usr/bin/sudo", Body: "x", Mode: 0o4711},
			{Name: "srv/owned", Body: "x", UID: 4242, GID: 4343},
		}},
		want: []row{
			{"perm-setuid", "usr/bin/sudo", 1, 0o4711, 0, 0},
			{"perm-setuid", "usr/local/bin/grp", 1, 0o2755, 0, 0},
			{"perm-setuid", "usr/local/bin/helper", 1, 0o4755, 0, 0},
			{"perm-sudo", "usr/bin/sudo", 1, 0o4711, 0, 0},
			{"perm-unknown-owner", "srv/owned", 1, 0, 0, 4343},
			{"perm-unknown-owner", "srv/owned", 1, 0, 4242, 0},
			{"perm-world-writable", "app/data", 1, 0o777, 0, 0},
			{"perm-world-writable", "app/log.txt", 1, 0o666, 0, 0},
		},
	}, {
		name: "a setuid file deleted later is gone",
		user: "app",
		step: lt.Step{CreatedBy: "RUN", Files: []lt.File{{Name: "usr/bin/sudo", Body: "x", Mode: 0o4711}, lt.Whiteout("usr/bin/sudo")}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			steps := []lt.Step{base, tc.step}
			if tc.name == "a setuid file deleted later is gone" {
				steps = []lt.Step{base, {CreatedBy: "RUN", Files: tc.step.Files[:1]}, {CreatedBy: "RUN rm", Files: tc.step.Files[1:]}}
			}
			got := check(t, tc.user, steps...)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseIDs(t *testing.T) {
	got := perms.ParseIDs([]byte("# comment\nroot:x:0:0::/:/bin/sh\nbad line\nnobody:x:65534:65534::/:/bin/false\n"))
	if diff := cmp.Diff(map[uint32]bool{0: true, 65534: true}, got); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
}
