// Package leakcheck is for tests: it records the goroutines and open file
// descriptors of the process before a scenario and, after it, waits a
// bounded time for both to return to that baseline, failing the test with
// the stacks of the extra goroutines and the targets of the extra
// descriptors when they do not.
//
// A goroutine is extra when it did not exist at the baseline (goroutine
// ids are never reused), so one goroutine ending cannot hide another that
// leaked. A descriptor is extra when its number was not open at the
// baseline or now names another file. Descriptors are read from
// /proc/self/fd; where that does not exist (not Linux) only goroutines are
// checked.
//
// The check sees the whole process, so it is only meaningful in tests
// that do not run in parallel with others (no t.Parallel in the package
// around it). The Go runtime's own lazily created descriptors (the
// netpoller's epoll instance and its wake-up eventfd) and goroutines
// (signal delivery) are ignored.
package leakcheck

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// DefaultTimeout is how long Check waits for the process to return to
// its baseline.
const DefaultTimeout = 5 * time.Second

// Baseline is the goroutines and descriptors at one moment.
type Baseline struct {
	goroutines map[int]bool
	fds        map[int]string // nil: descriptors not observable here
	timeout    time.Duration
	ignore     []string
}

// Option adjusts a Baseline.
type Option func(*Baseline)

// Timeout sets how long Check waits (default DefaultTimeout).
func Timeout(d time.Duration) Option { return func(b *Baseline) { b.timeout = d } }

// IgnoreStack ignores extra goroutines whose stack contains s (a
// function name such as "pkg.(*T).loop"), for goroutines a test knows to
// outlive it by design.
func IgnoreStack(s string) Option { return func(b *Baseline) { b.ignore = append(b.ignore, s) } }

// runtimeGoroutines are started lazily by the runtime or the standard
// library and live until the process exits.
var runtimeGoroutines = []string{
	"os/signal.signal_recv",
	"os/signal.loop",
	"runtime.ensureSigM",
}

// runtimeFDs are descriptors the runtime opens once, lazily.
var runtimeFDs = []string{"anon_inode:[eventpoll]", "anon_inode:[eventfd]"}

// Snapshot records the baseline now.
func Snapshot(opts ...Option) *Baseline {
	b := &Baseline{timeout: DefaultTimeout, goroutines: map[int]bool{}}
	for _, o := range opts {
		o(b)
	}
	for _, g := range goroutines() {
		b.goroutines[g.id] = true
	}
	b.fds = openFDs()
	return b
}

// Verify records the baseline now and checks it when tb's test ends
// (tb.Cleanup), so it covers everything the test and its other cleanups
// started (cleanups run last-registered first: call Verify before
// registering the cleanups that stop the scenario).
func Verify(tb testing.TB, opts ...Option) {
	b := Snapshot(opts...)
	tb.Cleanup(func() { b.Check(tb) })
}

// Main is for TestMain: it records the baseline, runs the package's
// tests and, when they passed, checks the baseline as Check does, so a
// goroutine or descriptor started by any test of the package and left
// behind fails the run. It prints what leaked on standard error and
// returns the exit code for os.Exit:
//
//	func TestMain(m *testing.M) { os.Exit(leakcheck.Main(m)) }
func Main(m *testing.M, opts ...Option) int {
	b := Snapshot(opts...)
	code := m.Run()
	if code != 0 {
		return code
	}
	if msg := b.wait(); msg != "" {
		fmt.Fprintln(os.Stderr, msg)
		return 1
	}
	return code
}

// Check waits up to the baseline's timeout for every extra goroutine to
// end and every extra descriptor to close, and fails tb (Errorf) with a
// dump of what remains.
func (b *Baseline) Check(tb testing.TB) {
	tb.Helper()
	if msg := b.wait(); msg != "" {
		tb.Errorf("%s", msg)
	}
}

// wait waits up to the baseline's timeout for the process to return to
// it and returns "" when it did, else a dump of what remains.
func (b *Baseline) wait() string {
	var gs []goroutine
	var fds []string
	deadline := time.Now().Add(b.timeout)
	for wait := time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		gs, fds = b.extra()
		if len(gs) == 0 && len(fds) == 0 {
			return ""
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(wait)
	}
	var msg strings.Builder
	fmt.Fprintf(&msg, "leakcheck: %d goroutines and %d file descriptors more than at the baseline, after waiting %v", len(gs), len(fds), b.timeout)
	for _, g := range gs {
		fmt.Fprintf(&msg, "\n\n%s", g.stack)
	}
	if len(fds) > 0 {
		msg.WriteString("\n\nopen file descriptors:")
		for _, f := range fds {
			msg.WriteString("\n  " + f)
		}
	}
	return msg.String()
}

// extra returns the goroutines and descriptors (as "fd N -> target") not
// in the baseline.
func (b *Baseline) extra() ([]goroutine, []string) {
	var gs []goroutine
	for _, g := range goroutines() {
		if !b.goroutines[g.id] && !containsAny(g.stack, runtimeGoroutines) && !containsAny(g.stack, b.ignore) {
			gs = append(gs, g)
		}
	}
	if b.fds == nil {
		return gs, nil
	}
	var fds []string
	now := openFDs()
	nums := make([]int, 0, len(now))
	for fd := range now {
		nums = append(nums, fd)
	}
	sort.Ints(nums)
	for _, fd := range nums {
		target := now[fd]
		if old, ok := b.fds[fd]; ok && old == target {
			continue
		}
		if containsAny(target, runtimeFDs) {
			continue
		}
		fds = append(fds, fmt.Sprintf("fd %d -> %s", fd, target))
	}
	return gs, fds
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

type goroutine struct {
	id    int
	stack string
}

// goroutines returns every goroutine with its stack, the caller's too
// (it exists at the baseline and at the check alike).
func goroutines() []goroutine {
	buf := make([]byte, 64<<10)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []goroutine
	for _, block := range bytes.Split(buf, []byte("\n\n")) {
		header, _, _ := bytes.Cut(block, []byte("\n"))
		rest, ok := bytes.CutPrefix(header, []byte("goroutine "))
		if !ok {
			continue
		}
		idText, _, _ := bytes.Cut(rest, []byte(" "))
		id, err := strconv.Atoi(string(idText))
		if err != nil {
			continue
		}
		out = append(out, goroutine{id: id, stack: string(block)})
	}
	return out
}

// openFDs maps each open descriptor to what it names; nil when
// /proc/self/fd cannot be read. The descriptor used to read the directory
// is gone by the time its link is read, so it is left out.
func openFDs() map[int]string {
	dir := "/proc/self/fd"
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	fds := make(map[int]string, len(entries))
	for _, e := range entries {
		fd, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		target, err := os.Readlink(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		fds[fd] = target
	}
	return fds
}
