package secretstest

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Planted is one secret of the planted image: where it is, and what a
// scan must report for it.
type Planted struct {
	RuleID     string
	Where      string // image path (no leading "/") or config:…
	Layer      int    // -1: the config outside history
	StillShips bool
	Value      string // the fake secret; never written to a report
	Note       string
}

// ErrNoGit is returned when the git program, which builds the shipped
// repository, is missing.
var ErrNoGit = errors.New("git is not installed: the planted image's .git cannot be built")

// PlantedImage builds the planted-secrets image from fresh fake values: a
// secret of every rule in files of several layers (some deleted or
// overwritten later), in a shipped .git (loose objects, a pack, a delta),
// and in the config (Env, Labels, Cmd, history). It also plants documented
// example values, which are not secrets. work is a scratch directory.
func PlantedImage(seed uint64, work string) (v1.Image, []Planted, error) {
	g := New(seed)
	byRule := map[string][]Plant{}
	for _, p := range g.All() {
		byRule[p.RuleID] = append(byRule[p.RuleID], p)
	}
	one := func(id string) Plant { return byRule[id][0] }
	var planted []Planted
	plant := func(p Plant, where string, layer int, ships bool, note string) {
		planted = append(planted, Planted{RuleID: p.RuleID, Where: where, Layer: layer, StillShips: ships, Value: p.Value, Note: note})
	}

	// Layer 0: the application, with an AWS key pair in its settings and
	// a service-account key file that layer 2 deletes.
	aws, awsSecret, gcp := one("aws-access-key-id"), one("aws-secret-access-key"), one("gcp-service-account")
	config := "import os\n\nDEBUG = False\n# AWS docs example, not a secret: AKIAIOSFODNN7EXAMPLE\n" + aws.Text + "\n" + awsSecret.Text + "\n"
	plant(aws, "app/config.py", 0, true, "settings module")
	plant(awsSecret, "app/config.py", 0, true, "settings module")
	plant(gcp, "app/credentials.json", 0, false, "deleted in layer 2")
	plant(byRule["private-key"][0], "app/credentials.json", 0, false, "the key inside the service-account file")
	var ci strings.Builder
	ci.WriteString("#!/bin/sh\n# deploy settings\n")
	for _, id := range []string{"github-oauth", "github-app-token", "slack-token", "npm-token"} {
		p := byRule[id][len(byRule[id])-1]
		ci.WriteString("export " + p.Text + "\n")
		plant(p, "app/ci/deploy.sh", 0, true, "exported by a CI script")
	}
	jwt := one("jwt")
	plant(jwt, "app/static/api.js", 0, true, "a bearer token in front-end code")
	layer0 := []file{
		{name: "app/config.py", body: config},
		{name: "app/credentials.json", body: gcp.Text + "\n"},
		{name: "app/static/api.js", body: "fetch('/api', {headers: {" + strings.Replace(jwt.Text, "Authorization: ", "Authorization: '", 1) + "'}})\n"},
		{name: "app/README.md", body: "Set aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY and GITHUB_TOKEN=ghp_your_token_here.\n"},
		{name: "app/ci/deploy.sh", body: ci.String(), mode: 0o755},
		{name: "app/blob.bin", body: "\x00\x01binary " + g.S(alnum, 20) + "\n"},
	}

	// Layer 1: a build step that leaves credentials behind, and a shipped
	// .git whose history holds removed secrets.
	npmrc, rsa, ssh, pgp := one("npm-auth-token"), byRule["private-key"][1], byRule["private-key"][2], byRule["private-key"][3]
	plant(npmrc, "root/.npmrc", 1, false, "overwritten in layer 2")
	plant(rsa, "etc/ssl/private/server.key", 1, true, "PEM key")
	plant(ssh, "home/app/.ssh/id_ed25519", 1, false, "deleted in layer 2")
	plant(pgp, "root/signing.asc", 1, true, "PGP key block")
	layer1 := []file{
		{name: "root/.npmrc", body: npmrc.Text + "\n"},
		{name: "etc/ssl/private/server.key", body: rsa.Text + "\n", mode: 0o600},
		{name: "home/app/.ssh/id_ed25519", body: ssh.Text + "\n", mode: 0o600},
		{name: "root/signing.asc", body: pgp.Text + "\n"},
	}
	gitFiles, gitPlants, err := buildRepo(g, work, byRule)
	if err != nil {
		return nil, nil, err
	}
	for _, gp := range gitPlants {
		plant(gp.p, gp.where, 1, true, gp.note)
	}
	layer1 = append(layer1, gitFiles...)

	// Layer 2: cleans up, too late.
	layer2 := []file{
		{name: "app/.wh.credentials.json"},
		{name: "home/app/.ssh/.wh.id_ed25519"},
		{name: "root/.npmrc", body: "registry=https://registry.npmjs.org/\n"},
	}

	// The config: a RUN with a token, an ENV in history, Env, Labels, Cmd.
	fg, slackHook, gitlab, twilio, pypi, azure := one("github-fine-grained-pat"), one("slack-webhook"), one("gitlab-token"), one("twilio-api-key"), one("pypi-token"), one("azure-storage-key")
	run1 := `/bin/sh -c curl -fsSL -H "Authorization: token ` + fg.Value + `" https://api.github.com/repos/acme/app/tarball | tar -xz`
	envHist := "/bin/sh -c #(nop)  ENV SLACK_URL=https://" + slackHook.Value
	plant(fg, "config:history/1", 1, true, "a literal in a RUN line")
	plant(slackHook, "config:history/2", -1, true, "an ENV instruction (empty layer)")
	plant(slackHook, "config:Env/SLACK_URL", -1, true, "")
	plant(gitlab, "config:Env/GITLAB_TOKEN", -1, true, "")
	plant(twilio, "config:Env/TWILIO_KEY", -1, true, "")
	plant(pypi, "config:Labels/org.example.pypi", -1, true, "")
	plant(azure, "config:Cmd", -1, true, "a connection string argument")

	img := empty.Image
	for _, st := range []struct {
		files     []file
		createdBy string
		empty     bool
	}{
		{files: layer0, createdBy: "/bin/sh -c #(nop) COPY dir:0123 in /app"},
		{files: layer1, createdBy: run1},
		{createdBy: envHist, empty: true},
		{files: layer2, createdBy: "/bin/sh -c rm -f /app/credentials.json /home/app/.ssh/id_ed25519 && echo registry=https://registry.npmjs.org/ > /root/.npmrc"},
	} {
		if st.empty {
			cfg, err := img.ConfigFile()
			if err != nil {
				return nil, nil, err
			}
			cfg = cfg.DeepCopy()
			cfg.History = append(cfg.History, v1.History{CreatedBy: st.createdBy, EmptyLayer: true})
			if img, err = mutate.ConfigFile(img, cfg); err != nil {
				return nil, nil, err
			}
			continue
		}
		l, err := layer(st.files)
		if err != nil {
			return nil, nil, err
		}
		if img, err = mutate.Append(img, mutate.Addendum{Layer: l, History: v1.History{CreatedBy: st.createdBy}}); err != nil {
			return nil, nil, err
		}
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", "amd64"
	cfg.Config.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "SLACK_URL=https://" + slackHook.Value, "GITLAB_TOKEN=" + gitlab.Value, "TWILIO_KEY=" + twilio.Value}
	cfg.Config.Labels = map[string]string{"org.example.pypi": pypi.Value, "org.opencontainers.image.title": "planted"}
	cfg.Config.Entrypoint = []string{"/app/run"}
	cfg.Config.Cmd = []string{"--storage", strings.TrimSpace(azure.Text)}
	if img, err = mutate.ConfigFile(img, cfg); err != nil {
		return nil, nil, err
	}
	sort.SliceStable(planted, func(i, j int) bool { return planted[i].Where < planted[j].Where })
	return img, planted, nil
}

type file struct {
	name string
	body string
	mode int64
}

func layer(files []file) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		mode := f.mode
		if mode == 0 {
			mode = 0o644
		}
		h := &tar.Header{Name: f.name, Typeflag: tar.TypeReg, Mode: mode, Size: int64(len(f.body)), ModTime: time.Unix(1700000000, 0)}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := io.WriteString(tw, f.body); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
}

type gitPlant struct {
	p     Plant
	where string
	note  string
}

// buildRepo makes a real repository with git: a token committed and then
// removed (packed by gc), a large file whose older version held a key (a
// delta in the pack), and a token committed after gc (a loose object).
// It returns the files of its .git as /app/.git.
func buildRepo(g *Gen, work string, byRule map[string][]Plant) ([]file, []gitPlant, error) {
	if _, err := exec.LookPath("git"); err != nil {
		return nil, nil, ErrNoGit
	}
	dir := filepath.Join(work, "repo")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, err
	}
	run := func(args ...string) error {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t",
			"GIT_COMMITTER_EMAIL=t@example.com", "GIT_AUTHOR_DATE=2024-01-01T00:00:00Z", "GIT_COMMITTER_DATE=2024-01-01T00:00:00Z",
			"GIT_CONFIG_NOSYSTEM=1", "HOME="+work)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	write := func(name, body string) error { return os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644) }
	stripe, sendgrid, ghp := byRule["stripe-live-key"][0], byRule["sendgrid-api-key"][0], byRule["github-pat"][0]
	var big strings.Builder
	for i := range 400 {
		fmt.Fprintf(&big, "line %d of the settings that change little between versions\n", i)
	}
	steps := []func() error{
		func() error { return run("init", "-q", "-b", "main") },
		func() error { return write("settings.py", big.String()+sendgrid.Text+"\n") },
		func() error { return write("deploy.sh", "#!/bin/sh\n"+stripe.Text+"\n") },
		func() error { return run("add", ".") },
		func() error { return run("commit", "-q", "-m", "first") },
		func() error { return write("settings.py", big.String()+"SENDGRID_KEY = os.environ['SENDGRID_KEY']\n") },
		func() error { return write("deploy.sh", "#!/bin/sh\nSTRIPE_KEY=\"$STRIPE_KEY\"\n") },
		func() error { return run("commit", "-q", "-am", "secrets out of the code") },
		func() error { return run("gc", "-q", "--aggressive") },
		func() error { return write("notes.txt", ghp.Text+"\n") },
		func() error { return run("add", "notes.txt") },
		func() error { return run("commit", "-q", "-m", "notes") },
		func() error { return run("rm", "-q", "notes.txt") },
		func() error { return run("commit", "-q", "-m", "no notes") },
	}
	for _, s := range steps {
		if err := s(); err != nil {
			return nil, nil, err
		}
	}
	var files []file
	var plants []gitPlant
	err := filepath.WalkDir(filepath.Join(dir, ".git"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		name := "app/" + filepath.ToSlash(rel)
		files = append(files, file{name: name, body: string(b)})
		switch {
		case strings.HasSuffix(name, ".pack"):
			plants = append(plants, gitPlant{stripe, name, "removed from the work tree, packed by gc"},
				gitPlant{sendgrid, name, "in the older version of a file, stored as a delta"})
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })
	// The token committed after gc is in a loose blob.
	for _, f := range files {
		if strings.Contains(f.name, "/objects/") && !strings.Contains(f.name, "/pack/") && !strings.Contains(f.name, "/info/") {
			if ok, _ := looseHolds(f.body, ghp.Value); ok {
				plants = append(plants, gitPlant{ghp, f.name, "committed after gc and removed: a loose object"})
			}
		}
	}
	return files, plants, nil
}
