package layers

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// The engine source talks to the Docker Engine API, which Docker and Podman
// both serve, over the socket DOCKER_HOST names. It needs three calls (ping,
// image inspect, image save), so it is a small HTTP client rather than the
// Docker SDK and its dependency tree. The image is read from one streamed
// save, in a single pass, by Source.Read.

var errNotInDaemon = errors.New("image not in local engine")

// probeTimeout bounds how long Load waits for a local engine when a
// reference has no transport prefix, before it asks the registry.
const probeTimeout = 2 * time.Second

// engine is a Docker Engine API client.
type engine struct {
	host   string // as the user would write it: unix:///var/run/docker.sock
	base   string // URL prefix of the API
	client *http.Client
}

// defaultSockets are where engines listen when DOCKER_HOST is unset.
func defaultSockets() []string {
	s := []string{"/var/run/docker.sock"}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		s = append(s, filepath.Join(d, "podman", "podman.sock"), filepath.Join(d, "docker.sock"))
	}
	return append(s, "/run/podman/podman.sock")
}

// engineFromEnv finds the engine DOCKER_HOST names or, without it, the one
// of the current Docker context (DOCKER_CONTEXT, else the config's
// currentContext), else the first default socket that exists. It returns
// errNoEngine when there is none.
func engineFromEnv() (*engine, error) {
	host := os.Getenv("DOCKER_HOST")
	if host == "" {
		var err error
		if host, err = contextHost(); err != nil {
			return nil, err
		}
	}
	if host == "" {
		for _, s := range defaultSockets() {
			if fi, err := os.Stat(s); err == nil && fi.Mode()&os.ModeSocket != 0 {
				host = "unix://" + s
				break
			}
		}
		if host == "" {
			return nil, errNoEngine
		}
	}
	return newEngine(host)
}

var errNoEngine = errors.New("no local engine socket found (set DOCKER_HOST)")

// dockerConfigDir is where the docker CLI keeps config.json and contexts.
func dockerConfigDir() string {
	if d := os.Getenv("DOCKER_CONFIG"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".docker")
}

// contextHost is the engine endpoint of the current docker context, as
// `docker context use` records it; "" for the default context.
func contextHost() (string, error) {
	dir := dockerConfigDir()
	if dir == "" {
		return "", nil
	}
	name := os.Getenv("DOCKER_CONTEXT")
	if name == "" {
		b, err := os.ReadFile(filepath.Join(dir, "config.json"))
		if err != nil {
			return "", nil
		}
		var cfg struct{ CurrentContext string }
		if err := json.Unmarshal(b, &cfg); err != nil {
			return "", fmt.Errorf("%s: %w", filepath.Join(dir, "config.json"), err)
		}
		name = cfg.CurrentContext
	}
	if name == "" || name == "default" {
		return "", nil
	}
	meta := filepath.Join(dir, "contexts", "meta", fmt.Sprintf("%x", sha256.Sum256([]byte(name))), "meta.json")
	b, err := os.ReadFile(meta)
	if err != nil {
		return "", fmt.Errorf("docker context %q: %w", name, unwrapPathError(err))
	}
	var m struct {
		Endpoints map[string]struct{ Host string }
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return "", fmt.Errorf("docker context %q: %s: %w", name, meta, err)
	}
	host := m.Endpoints["docker"].Host
	if host == "" {
		return "", fmt.Errorf("docker context %q has no docker endpoint", name)
	}
	return host, nil
}

func newEngine(host string) (*engine, error) {
	u, err := url.Parse(host)
	if err != nil {
		return nil, fmt.Errorf("DOCKER_HOST %q: %w", host, err)
	}
	tr := &http.Transport{DisableCompression: true}
	e := &engine{host: host, client: &http.Client{Transport: tr}}
	switch u.Scheme {
	case "unix":
		sock := u.Path
		if sock == "" {
			return nil, fmt.Errorf("DOCKER_HOST %q names no socket path", host)
		}
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		}
		e.base = "http://engine"
	case "tcp", "http", "https":
		scheme := "http"
		if u.Scheme == "https" || os.Getenv("DOCKER_TLS_VERIFY") != "" {
			cfg, err := engineTLS()
			if err != nil {
				return nil, err
			}
			tr.TLSClientConfig = cfg
			scheme = "https"
		}
		e.base = scheme + "://" + u.Host
	default:
		return nil, fmt.Errorf("DOCKER_HOST %q: unsupported scheme %q (use unix:// or tcp://)", host, u.Scheme)
	}
	return e, nil
}

// engineTLS is the client TLS of DOCKER_TLS_VERIFY: ca.pem, cert.pem and
// key.pem in DOCKER_CERT_PATH (default ~/.docker).
func engineTLS() (*tls.Config, error) {
	dir := os.Getenv("DOCKER_CERT_PATH")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, fmt.Errorf("DOCKER_TLS_VERIFY: %w", err)
		}
		dir = filepath.Join(home, ".docker")
	}
	ca, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
	if err != nil {
		return nil, fmt.Errorf("DOCKER_TLS_VERIFY: %w", unwrapPathError(err))
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, fmt.Errorf("DOCKER_TLS_VERIFY: no certificate in %s", filepath.Join(dir, "ca.pem"))
	}
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"))
	if err != nil {
		return nil, fmt.Errorf("DOCKER_TLS_VERIFY: %w", err)
	}
	return &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// engineImage is the part of the image inspect answer stagescope uses.
type engineImage struct {
	ID           string `json:"Id"`
	RepoTags     []string
	RepoDigests  []string
	Os           string
	Architecture string
	Variant      string
	RootFS       struct {
		Layers []string
	}
}

// errEngineNotFound is a 404 from the engine.
var errEngineNotFound = errors.New("not found")

func (e *engine) get(ctx context.Context, path string, query url.Values) (*http.Response, error) {
	u := e.base + (&url.URL{Path: path}).EscapedPath()
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := e.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("engine at %s: %w", e.host, err)
	}
	if resp.StatusCode == http.StatusOK {
		return resp, nil
	}
	defer resp.Body.Close()
	var msg struct{ Message string }
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if json.Unmarshal(b, &msg) != nil || msg.Message == "" {
		msg.Message = strings.TrimSpace(string(b))
	}
	if resp.StatusCode == http.StatusNotFound {
		return nil, fmt.Errorf("%w: %s", errEngineNotFound, msg.Message)
	}
	return nil, fmt.Errorf("engine at %s: %s: %s", e.host, resp.Status, msg.Message)
}

func (e *engine) ping(ctx context.Context) error {
	resp, err := e.get(ctx, "/_ping", nil)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<10))
	return resp.Body.Close()
}

func (e *engine) inspect(ctx context.Context, ref string) (*engineImage, error) {
	resp, err := e.get(ctx, "/images/"+ref+"/json", nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var img engineImage
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxMetadata)).Decode(&img); err != nil {
		return nil, fmt.Errorf("engine at %s: image inspect: %w", e.host, err)
	}
	return &img, nil
}

// save streams the docker save archive of one image.
func (e *engine) save(ctx context.Context, id string) (io.ReadCloser, error) {
	resp, err := e.get(ctx, "/images/get", url.Values{"names": {id}})
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// loadDaemon finds an image in a local Docker or Podman engine. When probing
// (a reference without a transport prefix), any failure to find the engine or
// the image returns errNotInDaemon within probeTimeout, so that Load asks the
// registry instead, quietly.
func loadDaemon(ctx context.Context, ref string, o *loadOptions, probing bool) (*Source, error) {
	e, err := engineFromEnv()
	if err != nil {
		if probing {
			return nil, errNotInDaemon
		}
		return nil, fmt.Errorf("docker-daemon:%s: %w", ref, err)
	}
	ictx := ctx
	if probing {
		var cancel context.CancelFunc
		ictx, cancel = context.WithTimeout(ctx, probeTimeout)
		defer cancel()
		if err := e.ping(ictx); err != nil {
			return nil, errNotInDaemon
		}
	}
	info, err := e.inspect(ictx, ref)
	if err != nil {
		if probing {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, errNotInDaemon
		}
		if errors.Is(err, errEngineNotFound) {
			return nil, fmt.Errorf("docker-daemon:%s: no such image in the engine at %s", ref, e.host)
		}
		return nil, fmt.Errorf("docker-daemon:%s: %w", ref, err)
	}
	if o.platform != nil {
		have := v1.Platform{OS: info.Os, Architecture: info.Architecture, Variant: info.Variant}
		if !satisfies(have, *o.platform) {
			return nil, fmt.Errorf("docker-daemon:%s: the engine's image is %s, not %s", ref, have.String(), o.platform.String())
		}
	}
	// Save by ID, so that the stream holds exactly the image inspected.
	open := func(ctx context.Context) (io.ReadCloser, error) {
		rc, err := e.save(ctx, info.ID)
		if err != nil {
			return nil, fmt.Errorf("docker-daemon:%s: image save: %w", ref, err)
		}
		return rc, nil
	}
	src := &Source{
		Image:     &lazyImage{open: func() (v1.Image, error) { return tarball.Image(streamOpener(open), nil) }},
		Reference: ref,
		Kind:      KindDaemon,
		stream:    open,
		layers:    len(info.RootFS.Layers),
		id:        identity{repoTags: info.RepoTags, repoDigests: info.RepoDigests},
	}
	if len(info.RootFS.Layers) > 0 {
		// The save stream names its layers only at its end: the diff
		// ID tells which member holds layer 0 (see layerZero).
		src.zero.diffID = info.RootFS.Layers[0]
	}
	return src, nil
}

// streamOpener adapts a stream to a tarball.Opener: every call saves the
// image again.
func streamOpener(open func(context.Context) (io.ReadCloser, error)) tarball.Opener {
	return func() (io.ReadCloser, error) { return open(context.Background()) }
}
