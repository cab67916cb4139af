package layers

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// registryError is a registry's refusal, said in one line: what was asked,
// of which registry, and what to do about it. It wraps the transport error.
type registryError struct {
	msg string
	err error
}

func (e *registryError) Error() string { return e.msg }
func (e *registryError) Unwrap() error { return e.err }

// describeRegistryError turns an error of fetching ref into one line.
func describeRegistryError(ref name.Reference, err error) error {
	var te *transport.Error
	if !errors.As(err, &te) {
		return fmt.Errorf("fetching %s: %w", ref.Name(), err)
	}
	host := ref.Context().RegistryStr()
	status := fmt.Sprintf("%d %s", te.StatusCode, http.StatusText(te.StatusCode))
	var detail string
	if len(te.Errors) > 0 {
		d := te.Errors[0]
		detail = strings.TrimSpace(string(d.Code) + " " + oneLine(d.Message))
	}
	var msg string
	switch te.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		msg = fmt.Sprintf("fetching %s: registry %s refused access (%s); log in with `docker login %s` or check the credentials", ref.Name(), host, status, host)
	case http.StatusNotFound:
		msg = fmt.Sprintf("fetching %s: not found in registry %s (%s)", ref.Name(), host, status)
	default:
		msg = fmt.Sprintf("fetching %s: registry %s answered %s", ref.Name(), host, status)
	}
	if detail != "" {
		msg += ": " + detail
	}
	return &registryError{msg: msg, err: err}
}

// oneLine keeps the first line of s, at most 200 bytes of it.
func oneLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
