package client

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Backoff sets the delays between reconnection attempts to one endpoint:
// exponential growth with full jitter. Attempt n (counting from 0) waits
// a uniformly random time in [0, min(Max, Base·2ⁿ)), so clients that lost
// the same host do not come back in step.
type Backoff struct {
	// Base is the ceiling of the first delay. Default 100ms.
	Base time.Duration
	// Max caps the ceiling. Default 10s.
	Max time.Duration
}

const (
	defaultBackoffBase = 100 * time.Millisecond
	defaultBackoffMax  = 10 * time.Second
)

// withDefaults fills the zero fields.
func (b Backoff) withDefaults() Backoff {
	if b.Base == 0 {
		b.Base = defaultBackoffBase
	}
	if b.Max == 0 {
		b.Max = defaultBackoffMax
	}
	return b
}

// Validate reports settings that cannot work (negative durations, Max
// below Base), after defaults.
func (b Backoff) Validate() error {
	b = b.withDefaults()
	if b.Base < 0 || b.Max < 0 {
		return fmt.Errorf("client: backoff: negative duration (base %v, max %v)", b.Base, b.Max)
	}
	if b.Max < b.Base {
		return fmt.Errorf("client: backoff: max %v is below base %v", b.Max, b.Base)
	}
	return nil
}

// Ceiling returns the upper bound of the delay before attempt n:
// min(Max, Base·2ⁿ).
func (b Backoff) Ceiling(n int) time.Duration {
	b = b.withDefaults()
	c := b.Base
	for i := 0; i < n && c < b.Max; i++ {
		c *= 2
	}
	return min(c, b.Max)
}

// Delay returns a random delay before attempt n, uniform in
// [0, Ceiling(n)) (full jitter).
func (b Backoff) Delay(n int) time.Duration {
	c := b.Ceiling(n)
	if c <= 0 {
		return 0
	}
	return rand.N(c)
}
