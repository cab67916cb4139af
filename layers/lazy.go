package layers

import (
	"bytes"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// lazyImage is the v1.Image of a stream source (an engine's image, a
// compressed docker save). Source.Read never uses it: it reads the stream
// once. It is there for callers that want a v1.Image all the same, and is
// built on first use because building it reads the whole stream to reach
// manifest.json; each layer it opens then re-reads the stream.
type lazyImage struct {
	open func() (v1.Image, error)
	// rawConfig, when set, is the config, served without building the
	// image.
	rawConfig []byte
	once      sync.Once
	img       v1.Image
	err       error
}

var _ v1.Image = (*lazyImage)(nil)

func (l *lazyImage) get() (v1.Image, error) {
	l.once.Do(func() { l.img, l.err = l.open() })
	return l.img, l.err
}

func (l *lazyImage) Layers() ([]v1.Layer, error) {
	img, err := l.get()
	if err != nil {
		return nil, err
	}
	return img.Layers()
}

func (l *lazyImage) MediaType() (types.MediaType, error) {
	img, err := l.get()
	if err != nil {
		return "", err
	}
	return img.MediaType()
}

func (l *lazyImage) Size() (int64, error) {
	img, err := l.get()
	if err != nil {
		return 0, err
	}
	return img.Size()
}

func (l *lazyImage) ConfigName() (v1.Hash, error) {
	img, err := l.get()
	if err != nil {
		return v1.Hash{}, err
	}
	return img.ConfigName()
}

func (l *lazyImage) ConfigFile() (*v1.ConfigFile, error) {
	if l.rawConfig != nil {
		return v1.ParseConfigFile(bytes.NewReader(l.rawConfig))
	}
	img, err := l.get()
	if err != nil {
		return nil, err
	}
	return img.ConfigFile()
}

func (l *lazyImage) RawConfigFile() ([]byte, error) {
	if l.rawConfig != nil {
		return l.rawConfig, nil
	}
	img, err := l.get()
	if err != nil {
		return nil, err
	}
	return img.RawConfigFile()
}

func (l *lazyImage) Digest() (v1.Hash, error) {
	img, err := l.get()
	if err != nil {
		return v1.Hash{}, err
	}
	return img.Digest()
}

func (l *lazyImage) Manifest() (*v1.Manifest, error) {
	img, err := l.get()
	if err != nil {
		return nil, err
	}
	return img.Manifest()
}

func (l *lazyImage) RawManifest() ([]byte, error) {
	img, err := l.get()
	if err != nil {
		return nil, err
	}
	return img.RawManifest()
}

func (l *lazyImage) LayerByDigest(h v1.Hash) (v1.Layer, error) {
	img, err := l.get()
	if err != nil {
		return nil, err
	}
	return img.LayerByDigest(h)
}

func (l *lazyImage) LayerByDiffID(h v1.Hash) (v1.Layer, error) {
	img, err := l.get()
	if err != nil {
		return nil, err
	}
	return img.LayerByDiffID(h)
}
