package layers

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// CatalogOptions say which images Catalog lists.
type CatalogOptions struct {
	// AllTags lists every tag; otherwise each repository's newest.
	AllTags bool
}

// Catalog lists the images of a registry through its API (the catalog,
// then each repository's tags): target is REGISTRY or REGISTRY/PREFIX,
// which keeps the repositories at or under PREFIX. By default it returns
// each repository's newest tag: the one whose image config says it was
// created last (for an index, the image of the platform Load would pick);
// a tag without a created time is older than any with one, and of tags
// created at the same time the greatest name wins. References come out
// sorted.
func Catalog(ctx context.Context, target string, co CatalogOptions, opts ...LoadOption) ([]string, error) {
	o, err := makeLoadOptions(opts...)
	if err != nil {
		return nil, err
	}
	host, prefix, _ := strings.Cut(strings.TrimSuffix(target, "/"), "/")
	var nopts []name.Option
	if o.insecure {
		nopts = append(nopts, name.Insecure)
	}
	reg, err := name.NewRegistry(host, nopts...)
	if err != nil {
		return nil, fmt.Errorf("--catalog %q: %w", target, err)
	}
	ropts := o.remoteOptions(ctx)
	repos, err := remote.Catalog(ctx, reg, ropts...)
	if err != nil {
		return nil, fmt.Errorf("listing the catalog of %s: %s", reg, oneLineErr(err))
	}
	var refs []string
	for _, r := range repos {
		if prefix != "" && r != prefix && !strings.HasPrefix(r, prefix+"/") {
			continue
		}
		repo, err := name.NewRepository(reg.Name()+"/"+r, nopts...)
		if err != nil {
			return nil, fmt.Errorf("registry catalog lists %q: %w", r, err)
		}
		tags, err := remote.List(repo, ropts...)
		if err != nil {
			return nil, fmt.Errorf("listing the tags of %s: %s", repo, oneLineErr(err))
		}
		if len(tags) == 0 {
			continue
		}
		if co.AllTags {
			for _, t := range tags {
				refs = append(refs, repo.Tag(t).String())
			}
			continue
		}
		newest, err := newestTag(ctx, repo, tags, o)
		if err != nil {
			return nil, err
		}
		refs = append(refs, newest)
	}
	slices.Sort(refs)
	return refs, nil
}

// newestTag is the tag of repo whose image was created last (see Catalog).
func newestTag(ctx context.Context, repo name.Repository, tags []string, o *loadOptions) (string, error) {
	type dated struct {
		ref     string
		tag     string
		created time.Time
	}
	var all []dated
	for _, t := range tags {
		ref := repo.Tag(t).String()
		src, err := loadRemote(ctx, ref, o)
		if err != nil {
			return "", err
		}
		cfg, err := src.Image.ConfigFile()
		if err != nil {
			return "", fmt.Errorf("reading the config of %s: %w", ref, err)
		}
		all = append(all, dated{ref, t, cfg.Created.Time})
	}
	best := slices.MaxFunc(all, func(a, b dated) int {
		if c := a.created.Compare(b.created); c != 0 {
			return c
		}
		return cmp.Compare(a.tag, b.tag)
	})
	return best.ref, nil
}

func oneLineErr(err error) string { return oneLine(err.Error()) }
