package worker

import (
	"io"
	"runtime"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Spin budgets of the two ends' readers (see spinReader). The host's
// caller reading its own reply spins for about one callback of a small
// plugin; the worker spins, after each frame, for about the time a
// client takes to send the next request of a round-trip loop.
const (
	hostSpin   = 100 * time.Microsecond
	workerSpin = 100 * time.Microsecond
)

// spinReader reads a socket by trying non-blocking reads for up to spin
// before it lets Go's poller park the goroutine until the socket is
// readable. Parking costs a thread wake-up when the bytes come, on this
// machine's kind (a virtual machine) tens of microseconds, more than a
// plugin's callback takes; a reader that expects bytes within spin keeps
// its CPU instead, yielding it to any other goroutine that can run
// between tries. It costs at most spin of one CPU per read that finds
// nothing, so an idle pipe costs nothing after that.
type spinReader struct {
	rc   syscall.RawConn
	spin time.Duration
}

// newSpinReader returns r itself unless it is a socket and spin > 0.
func newSpinReader(r io.Reader, spin time.Duration) io.Reader {
	sc, ok := r.(syscall.Conn)
	if !ok || spin <= 0 {
		return r
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return r
	}
	return &spinReader{rc: rc, spin: spin}
}

func (s *spinReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	var (
		n     int
		rerr  error
		start time.Time
	)
	err := s.rc.Read(func(fd uintptr) bool {
		for {
			n, rerr = unix.Read(int(fd), p)
			switch {
			case rerr == unix.EINTR:
				continue
			case rerr != unix.EAGAIN:
				return true
			case start.IsZero():
				start = time.Now()
			case time.Since(start) > s.spin:
				return false // park until readable, then read once more
			}
			// Let the goroutines this reader made runnable (a worker's
			// handler on its one P) run between tries.
			runtime.Gosched()
		}
	})
	if err != nil {
		return 0, err
	}
	if rerr != nil {
		return 0, rerr
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}
