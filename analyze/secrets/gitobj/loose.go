package gitobj

import (
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Loose returns the writer of a loose object's file: at Close it inflates
// what was written (at most MaxObject compressed bytes are kept) and hands
// the object to fn, or reports why it could not to warn. Once ctx has
// ended, Close does nothing.
func Loose(ctx context.Context, id string, fn func(Object), warn func(string)) io.WriteCloser {
	return &loose{ctx: ctx, id: id, fn: fn, warn: warn, buf: limitedBuffer{max: MaxObject}}
}

type loose struct {
	ctx  context.Context
	id   string
	fn   func(Object)
	warn func(string)
	buf  limitedBuffer
	over bool
}

func (l *loose) Write(p []byte) (int, error) {
	if _, err := l.buf.Write(p); err != nil {
		l.over = true
		l.warn(fmt.Sprintf("loose object %s: %v, not searched", l.id, err))
		return 0, err
	}
	return len(p), nil
}

func (l *loose) Close() error {
	if l.over || l.ctx.Err() != nil {
		return nil
	}
	obj, err := inflateLoose(l.buf.b)
	if err != nil {
		l.warn(fmt.Sprintf("loose object %s: %v", l.id, err))
		return nil
	}
	obj.ID = l.id
	l.fn(obj)
	return nil
}

// inflateLoose decodes a loose object: zlib of "TYPE SIZE\0DATA".
func inflateLoose(b []byte) (Object, error) {
	zr, err := zlib.NewReader(bytes.NewReader(b))
	if err != nil {
		return Object{}, fmt.Errorf("zlib: %w", err)
	}
	out := limitedBuffer{max: MaxObject + 64}
	if _, err := io.Copy(&out, zr); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return Object{}, fmt.Errorf("truncated zlib stream: %w", err)
		}
		return Object{}, fmt.Errorf("inflating: %w", err)
	}
	hdr, data, ok := bytes.Cut(out.b, []byte{0})
	if !ok {
		return Object{}, errors.New("no object header")
	}
	typ, size, ok := bytes.Cut(hdr, []byte{' '})
	n, err := strconv.Atoi(string(size))
	if !ok || err != nil || n != len(data) {
		return Object{}, fmt.Errorf("bad object header %q", hdr)
	}
	switch string(typ) {
	case "commit", "tree", "blob", "tag":
	default:
		return Object{}, fmt.Errorf("unknown object type %q", typ)
	}
	return Object{Type: string(typ), Data: data}, nil
}
