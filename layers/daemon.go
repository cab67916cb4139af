package layers

import (
	"context"
	"errors"
	"fmt"
)

var errNotInDaemon = errors.New("image not in local engine")

// loadDaemon reads an image from a local Docker or Podman engine.
func loadDaemon(ctx context.Context, ref string, o *loadOptions, probing bool) (*Source, error) {
	if probing {
		return nil, errNotInDaemon
	}
	return nil, fmt.Errorf("docker-daemon:%s: engine source not available yet", ref)
}
