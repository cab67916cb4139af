package layers_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/stagescope/stagescope/layers"
	lt "github.com/stagescope/stagescope/layers/layerstest"
)

// created is a one-layer image with this created time (zero: none).
func created(t *testing.T, body string, at time.Time) v1.Image {
	t.Helper()
	img := lt.Image(t, lt.Step{CreatedBy: "ADD " + body, Files: []lt.File{{Name: "f", Body: body}}})
	img, err := mutate.CreatedAt(img, v1.Time{Time: at})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// fillRegistry pushes tags whose names and created times disagree, so that
// "newest" by name and by time differ.
func fillRegistry(t *testing.T, host string) {
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	push(t, host+"/team/app:1.10", created(t, "a110", day))
	push(t, host+"/team/app:1.9", created(t, "a19", day.Add(48*time.Hour))) // newest
	push(t, host+"/team/app:latest", created(t, "a19", day.Add(48*time.Hour)))
	push(t, host+"/team/db:b", created(t, "db", day))
	push(t, host+"/team/db:a", created(t, "db", day)) // same time: the greater name wins
	push(t, host+"/other/x:1", created(t, "x", time.Time{}))
	push(t, host+"/teammate/y:1", created(t, "y", day)) // not under team/
}

func catalogCases(host string) []struct {
	target string
	co     layers.CatalogOptions
	want   []string
} {
	return []struct {
		target string
		co     layers.CatalogOptions
		want   []string
	}{
		{host, layers.CatalogOptions{}, []string{host + "/other/x:1", host + "/team/app:latest", host + "/team/db:b", host + "/teammate/y:1"}},
		{host + "/team", layers.CatalogOptions{}, []string{host + "/team/app:latest", host + "/team/db:b"}},
		{host + "/team/", layers.CatalogOptions{AllTags: true}, []string{host + "/team/app:1.10", host + "/team/app:1.9", host + "/team/app:latest", host + "/team/db:a", host + "/team/db:b"}},
		{host + "/team/db", layers.CatalogOptions{AllTags: true}, []string{host + "/team/db:a", host + "/team/db:b"}},
		{host + "/nothing", layers.CatalogOptions{}, nil},
	}
}

func TestCatalog(t *testing.T) {
	noDocker(t)
	host := startRegistry(t, nil)
	fillRegistry(t, host)
	for _, tc := range catalogCases(host) {
		got, err := layers.Catalog(context.Background(), tc.target, tc.co, layers.WithInsecure())
		if err != nil {
			t.Fatalf("Catalog(%q): %v", tc.target, err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("Catalog(%q, %+v) (-want +got):\n%s", tc.target, tc.co, diff)
		}
	}
}

// TestCatalogDockerRegistry runs the same cases against Debian's
// docker-registry (distribution) that .ci/run starts.
func TestCatalogDockerRegistry(t *testing.T) {
	host := os.Getenv("STAGESCOPE_TEST_REGISTRY")
	if host == "" {
		t.Skip("skipping: STAGESCOPE_TEST_REGISTRY (a docker-registry's host:port, set by .ci/run) is unset")
	}
	noDocker(t)
	// A repository namespace of this test's own: the registry is shared.
	ns := host + "/catalog-" + strings.ToLower(t.Name())
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	push(t, ns+"/app:old", created(t, "old", day))
	push(t, ns+"/app:new", created(t, "new", day.Add(time.Hour)))
	push(t, ns+"/app:zzz", created(t, "old", day))
	got, err := layers.Catalog(context.Background(), ns, layers.CatalogOptions{}, layers.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{ns + "/app:new"}, got); diff != "" {
		t.Errorf("newest (-want +got):\n%s", diff)
	}
}

func TestCatalogErrors(t *testing.T) {
	noDocker(t)
	for _, target := range []string{"127.0.0.1:1", "bad host!/x"} {
		if _, err := layers.Catalog(context.Background(), target, layers.CatalogOptions{}, layers.WithInsecure()); err == nil {
			t.Errorf("Catalog(%q): no error", target)
		}
	}
}
