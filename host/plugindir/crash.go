package plugindir

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/genehost/genehost/host/plugin"
)

// Fault policy defaults (Options.CrashLimit, Options.CrashWindow).
const (
	DefaultCrashLimit  = 5
	DefaultCrashWindow = 30 * time.Second
	// backoffMin and backoffMax bound the wait before an instance is made
	// again: backoffMin doubled per crash (or failed instantiation) in the
	// window. A crash backs off only the rebuilding of the instance that
	// crashed, at most crashBackoffMax; instantiation failures back off
	// every instantiation of the version, at most backoffMax.
	backoffMin      = 10 * time.Millisecond
	crashBackoffMax = time.Second
	backoffMax      = 5 * time.Second
)

// broken reports whether a failed callback left its instance unusable (a
// crash: a trap, a deadline, a lost worker, anything the runtime did not
// mark as the handler's own error). A handler's own error (plugin.ErrHandler:
// a thrown exception, an error returned by a guest) is an answer on its
// link, not a crash.
func broken(err error) bool {
	return err != nil && (!errors.Is(err, plugin.ErrHandler) ||
		errors.Is(err, plugin.ErrTimeout) || errors.Is(err, plugin.ErrInstanceLost))
}

// counts what one plugin version's instances did wrong: crashes (which
// replace an instance) and failed instantiations (which, CrashLimit in a
// row, mark the version failed). Clients can cause crashes (a value that
// traps a guest, a request that runs past its deadline), so crashes never
// make a version failed; only a module that cannot be instantiated does.
// It is safe for concurrent use.
type faults struct {
	limit  int
	window time.Duration

	mu            sync.Mutex
	crashes       []time.Time // crashes within the window, oldest first; guarded by mu
	total         int         // every crash since load; guarded by mu
	last          string      // the last crash's error; guarded by mu
	handlerErrors int         // handler errors since load; guarded by mu
	instFails     int         // failed instantiations in a row; guarded by mu
	instLast      time.Time   // when the last one failed; guarded by mu
	instErr       string      // its error; guarded by mu
}

// crash notes a crash at now.
func (f *faults) crash(now time.Time, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.prune(now)
	f.crashes = append(f.crashes, now)
	f.total++
	f.last = err.Error()
}

// handlerError counts a handler's own error.
func (f *faults) handlerError() {
	f.mu.Lock()
	f.handlerErrors++
	f.mu.Unlock()
}

// instantiated notes the outcome of an instantiation and reports whether
// it is the failure that makes the version failed. Only failures of the
// module itself count: a lost worker, a deadline (the machine may be
// loaded by a client) or a cancelled context do not.
func (f *faults) instantiated(now time.Time, err error) (failedNow bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err == nil {
		f.instFails = 0
		f.instErr = ""
		return false
	}
	if errors.Is(err, plugin.ErrInstanceLost) || errors.Is(err, plugin.ErrTimeout) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrClosed) {
		return false
	}
	if now.Sub(f.instLast) >= f.window {
		f.instFails = 0
	}
	f.instFails++
	f.instLast = now
	f.instErr = err.Error()
	return f.instFails == f.limit
}

func (f *faults) prune(now time.Time) {
	i := 0
	for i < len(f.crashes) && now.Sub(f.crashes[i]) >= f.window {
		i++
	}
	f.crashes = f.crashes[i:]
}

// faultState is a snapshot of faults.
type faultState struct {
	failed        bool   // CrashLimit instantiations failed in a row, the last within the window
	why           string // the last failed instantiation's error, when failed
	recent, total int    // crashes within the window, since load
	last          string // the last crash's error
	handlerErrors int
}

func (f *faults) state(now time.Time) faultState {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.prune(now)
	s := faultState{recent: len(f.crashes), total: f.total, last: f.last, handlerErrors: f.handlerErrors}
	if f.instFails >= f.limit && now.Sub(f.instLast) < f.window {
		s.failed, s.why = true, f.instErr
	}
	return s
}

// instantiateWait is how long to wait, from now, before instantiating
// again after failed instantiations: backoffMin doubled for each failure
// in a row after the first, at most backoffMax.
func (f *faults) instantiateWait(now time.Time) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.instFails == 0 || now.Sub(f.instLast) >= f.window {
		return 0
	}
	return max(0, f.instLast.Add(backoff(f.instFails, backoffMax)).Sub(now))
}

// rebuildWait is how long a pool waits, from now, before rebuilding an
// instance that crashed: backoffMin doubled for each crash in the window
// after the first, at most crashBackoffMax.
func (f *faults) rebuildWait(now time.Time) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.prune(now)
	n := len(f.crashes)
	if n == 0 {
		return 0
	}
	return max(0, f.crashes[n-1].Add(backoff(n, crashBackoffMax)).Sub(now))
}

func backoff(n int, ceiling time.Duration) time.Duration {
	d := backoffMin
	for i := 1; i < n && d < ceiling; i++ {
		d *= 2
	}
	return min(d, ceiling)
}
