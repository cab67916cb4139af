package layers_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stagescope/stagescope/layers"
	lt "github.com/stagescope/stagescope/layers/layerstest"
)

// TestReadFile reads files back from the layer that wrote them, in an
// image built here: a version later overwritten, one later deleted, a
// hard link, a file cut at the limit, and what is not there.
func TestReadFile(t *testing.T) {
	img := lt.Layers(t,
		[]lt.File{{Name: "app/.env", Body: "TOKEN=first\n"}, {Name: "etc/conf", Body: "v1"}, lt.Dir("d/"), {Name: "big", Body: strings.Repeat("x", 5000)}},
		[]lt.File{{Name: "etc/conf", Body: "v2"}, lt.Whiteout("app/.env"), lt.Hardlink("etc/conf-link", "etc/conf")},
	)
	tests := []struct {
		layer    int
		path     string
		limit    int64
		want     string
		wantSize int64
		wantErr  string
	}{
		{layer: 0, path: "app/.env", limit: 1 << 20, want: "TOKEN=first\n", wantSize: 12},
		{layer: 0, path: "etc/conf", limit: 1 << 20, want: "v1", wantSize: 2},
		{layer: 1, path: "etc/conf", limit: 1 << 20, want: "v2", wantSize: 2},
		{layer: 1, path: "etc/conf-link", limit: 1 << 20, want: "v2", wantSize: 2},
		{layer: 0, path: "big", limit: 100, want: strings.Repeat("x", 100), wantSize: 5000},
		{layer: 1, path: "app/.env", limit: 10, wantErr: "reading /app/.env from layer 1: no such file in the layer"},
		{layer: 0, path: "d", limit: 10, wantErr: "reading /d from layer 0: no such file in the layer (tar type '5'"},
		{layer: 1, path: "nope", limit: 10, wantErr: "reading /nope from layer 1: no such file in the layer"},
		{layer: 2, path: "etc/conf", limit: 10, wantErr: "no layer 2 (the image has 2)"},
	}
	for _, tt := range tests {
		got, size, err := layers.ReadFile(context.Background(), img, tt.layer, tt.path, tt.limit)
		if tt.wantErr != "" {
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Errorf("ReadFile(%d, %s) error = %v, want %q…", tt.layer, tt.path, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("ReadFile(%d, %s): %v", tt.layer, tt.path, err)
			continue
		}
		if string(got) != tt.want || size != tt.wantSize {
			t.Errorf("ReadFile(%d, %s) = %q (%d bytes), want %q (%d bytes)", tt.layer, tt.path, got, size, tt.want, tt.wantSize)
		}
	}
	if _, _, err := layers.ReadFile(context.Background(), img, 1, "nope", 10); !errors.Is(err, layers.ErrNoFile) {
		t.Errorf("error %v is not ErrNoFile", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := layers.ReadFile(ctx, img, 0, "big", 10); !errors.Is(err, context.Canceled) {
		t.Errorf("with a canceled context: %v, want context.Canceled", err)
	}
}
