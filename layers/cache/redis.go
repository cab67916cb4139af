package cache

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/stagescope/stagescope/internal/format"
)

// PasswordEnv is the environment variable that holds the Redis password,
// so that it stays out of command lines and CI logs.
const PasswordEnv = "STAGESCOPE_REDIS_PASSWORD"

// RedisTTL is how long a record lives in Redis after it was last written
// or read.
const RedisTTL = 30 * 24 * time.Hour

func init() {
	// go-redis logs failed dials on its own; the errors it returns say
	// the same, once, where stagescope can word them.
	redis.SetLogger(quiet{})
}

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

// Redis is a Store in a Redis database, shared by every machine that
// reaches it. Eviction is Redis's own (its maxmemory-policy) and the TTL.
type Redis struct {
	c *redis.Client
}

// OpenRedis connects to redis://[USER@]HOST:PORT/DB or rediss:// (TLS);
// the password comes from $STAGESCOPE_REDIS_PASSWORD unless the URL has
// one. It fails when the server does not answer.
func OpenRedis(ctx context.Context, rawURL string) (*Redis, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
		return nil, fmt.Errorf("--cache %q: want redis://HOST:PORT/DB or rediss://HOST:PORT/DB", redact(rawURL))
	}
	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("--cache %q: %w", redact(rawURL), err)
	}
	if pw := os.Getenv(PasswordEnv); pw != "" && opts.Password == "" {
		opts.Password = pw
	}
	opts.DisableIdentity = true // no CLIENT SETINFO: older servers and proxies refuse it
	c := redis.NewClient(opts)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := c.Ping(pctx).Err(); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("layer cache %s: %s", redact(rawURL), format.OneLine(err.Error()))
	}
	return &Redis{c: c}, nil
}

// redact hides a password in a URL.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// Get implements Store; a hit renews the record's TTL.
func (r *Redis) Get(ctx context.Context, key string) ([]byte, bool, error) {
	b, err := r.c.GetEx(ctx, key, RedisTTL).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("redis: %s", format.OneLine(err.Error()))
	}
	return b, true, nil
}

// Set implements Store.
func (r *Redis) Set(ctx context.Context, key string, val []byte) error {
	if err := r.c.Set(ctx, key, val, RedisTTL).Err(); err != nil {
		return fmt.Errorf("redis: %s", format.OneLine(err.Error()))
	}
	return nil
}

// Close closes the connections.
func (r *Redis) Close() error { return r.c.Close() }

// DeletePrefix removes every key that starts with prefix (SCAN, then DEL),
// for tests and for emptying a shared cache by hand.
func (r *Redis) DeletePrefix(ctx context.Context, prefix string) error {
	it := r.c.Scan(ctx, 0, prefix+"*", 500).Iterator()
	var keys []string
	for it.Next(ctx) {
		keys = append(keys, it.Val())
	}
	if err := it.Err(); err != nil {
		return fmt.Errorf("redis: %s", format.OneLine(err.Error()))
	}
	for len(keys) > 0 {
		n := min(len(keys), 500)
		if err := r.c.Del(ctx, keys[:n]...).Err(); err != nil {
			return fmt.Errorf("redis: %s", format.OneLine(err.Error()))
		}
		keys = keys[n:]
	}
	return nil
}
