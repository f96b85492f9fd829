package plugindir

import (
	"sync"
	"time"
)

// Crash policy defaults (Options.CrashLimit, Options.CrashWindow).
const (
	DefaultCrashLimit  = 5
	DefaultCrashWindow = 30 * time.Second
	// backoffMin and backoffMax bound the wait before an instance is
	// rebuilt after a crash: backoffMin doubled per crash in the window.
	backoffMin = 10 * time.Millisecond
	backoffMax = 5 * time.Second
)

// crashes counts one plugin version's crashes in a sliding window. It is
// safe for concurrent use.
type crashes struct {
	limit  int
	window time.Duration

	mu    sync.Mutex
	times []time.Time // crashes within the window, oldest first; guarded by mu
	total int         // every crash since load; guarded by mu
	last  string      // the last crash's error; guarded by mu
}

// record notes a crash at now and reports whether it is the one that
// makes the version failed.
func (c *crashes) record(now time.Time, err error) (failedNow bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.prune(now)
	c.times = append(c.times, now)
	c.total++
	c.last = err.Error()
	return len(c.times) == c.limit
}

func (c *crashes) prune(now time.Time) {
	i := 0
	for i < len(c.times) && now.Sub(c.times[i]) >= c.window {
		i++
	}
	c.times = c.times[i:]
}

// state reports whether the version is failed (limit crashes within the
// window), the crashes in the window, the total and the last error.
func (c *crashes) state(now time.Time) (failed bool, recent, total int, last string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.prune(now)
	return len(c.times) >= c.limit, len(c.times), c.total, c.last
}

// wait is how long to wait, from now, before building an instance again:
// backoffMin doubled for each crash in the window after the first,
// counted from the last crash, at most backoffMax.
func (c *crashes) wait(now time.Time) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.prune(now)
	n := len(c.times)
	if n == 0 {
		return 0
	}
	d := backoffMin
	for i := 1; i < n && d < backoffMax; i++ {
		d *= 2
	}
	d = min(d, backoffMax)
	return max(0, c.times[n-1].Add(d).Sub(now))
}
