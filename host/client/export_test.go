package client

import (
	"context"
	"time"
)

// WithBackoffWait returns cfg with wait as the clock of its backoff: the
// pool calls it instead of sleeping before each reconnection attempt, with
// the attempt (counting from 0) and the delay Backoff drew for it.
func WithBackoffWait(cfg PoolConfig, wait func(ctx context.Context, attempt int, d time.Duration) bool) PoolConfig {
	cfg.wait = wait
	return cfg
}
