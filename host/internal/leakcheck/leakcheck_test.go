package leakcheck

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// recorder is a testing.TB that records failures instead of failing the
// real test.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	failed []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = append(r.failed, fmt.Sprintf(format, args...))
}

func (r *recorder) failures() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.failed...)
}

// blockedWorker stands for a goroutine someone forgot to stop.
func blockedWorker(stop <-chan struct{}) { <-stop }

func TestCleanScenarioPasses(t *testing.T) {
	rec := &recorder{TB: t}
	b := Snapshot()

	// A goroutine that is stopped, a file that is closed, a listener and
	// a connection that are closed.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); blockedWorker(stop) }()
	f, err := os.Create(filepath.Join(t.TempDir(), "x"))
	require.NoError(t, err)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	c, err := net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	s, err := l.Accept()
	require.NoError(t, err)
	close(stop)
	wg.Wait()
	require.NoError(t, f.Close())
	c.Close()
	s.Close()
	l.Close()

	b.Check(rec)
	require.Empty(t, rec.failures())
}

func TestLeakedGoroutineFails(t *testing.T) {
	rec := &recorder{TB: t}
	b := Snapshot(Timeout(200 * time.Millisecond))
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { defer close(done); blockedWorker(stop) }()

	b.Check(rec)
	fails := rec.failures()
	require.Len(t, fails, 1)
	require.Contains(t, fails[0], "1 goroutines and 0 file descriptors more than at the baseline")
	require.Contains(t, fails[0], "leakcheck.blockedWorker", "the dump names the leaked goroutine's function")
	require.Contains(t, fails[0], "[chan receive]")

	close(stop)
	<-done
}

func TestLeakedFileFails(t *testing.T) {
	rec := &recorder{TB: t}
	path := filepath.Join(t.TempDir(), "leaked.txt")
	b := Snapshot(Timeout(200 * time.Millisecond))
	f, err := os.Create(path)
	require.NoError(t, err)

	b.Check(rec)
	fails := rec.failures()
	if runtime.GOOS != "linux" {
		require.Empty(t, fails, "descriptors are only observed on Linux")
		f.Close()
		return
	}
	require.Len(t, fails, 1)
	require.Contains(t, fails[0], "0 goroutines and 1 file descriptors more")
	require.Contains(t, fails[0], fmt.Sprintf("fd %d -> %s", f.Fd(), path))
	require.NoError(t, f.Close())

	// Once closed, the same baseline is met again.
	rec2 := &recorder{TB: t}
	b.Check(rec2)
	require.Empty(t, rec2.failures())
}

func TestLateExitWithinTimeoutPasses(t *testing.T) {
	rec := &recorder{TB: t}
	b := Snapshot(Timeout(5 * time.Second))
	path := filepath.Join(t.TempDir(), "late.txt")
	f, err := os.Create(path)
	require.NoError(t, err)
	go func() {
		time.Sleep(100 * time.Millisecond)
		f.Close()
	}()
	start := time.Now()
	b.Check(rec)
	require.Empty(t, rec.failures())
	require.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond, "Check waited for the goroutine and the file")
}

func TestGoroutineReplacedStillFails(t *testing.T) {
	// One baseline goroutine ending does not hide a new one.
	stopOld := make(chan struct{})
	oldDone := make(chan struct{})
	go func() { defer close(oldDone); blockedWorker(stopOld) }()
	time.Sleep(time.Millisecond)
	b := Snapshot(Timeout(200 * time.Millisecond))
	close(stopOld)
	<-oldDone
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { defer close(done); blockedWorker(stop) }()

	rec := &recorder{TB: t}
	b.Check(rec)
	require.Len(t, rec.failures(), 1)
	close(stop)
	<-done
}

func TestIgnoreStack(t *testing.T) {
	b := Snapshot(Timeout(100*time.Millisecond), IgnoreStack("leakcheck.blockedWorker"))
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { defer close(done); blockedWorker(stop) }()
	rec := &recorder{TB: t}
	b.Check(rec)
	require.Empty(t, rec.failures())
	close(stop)
	<-done
}

func TestVerify(t *testing.T) {
	var rec *recorder
	t.Run("leaks", func(t *testing.T) {
		rec = &recorder{TB: t}
		stop := make(chan struct{})
		t.Cleanup(func() { close(stop) }) // registered first, so it runs after Verify's check
		Verify(rec, Timeout(100*time.Millisecond))
		go blockedWorker(stop)
	})
	require.Len(t, rec.failures(), 1)
	require.True(t, strings.Contains(rec.failures()[0], "blockedWorker"))
}
