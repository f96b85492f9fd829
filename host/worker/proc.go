package worker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugin"
)

// proc is one worker process and the host's end of its pipe. It lives
// until the process exits; then every call on it fails with its
// *LostError.
type proc struct {
	cfg    *Config
	log    hclog.Logger
	name   string // the plugin, for errors
	cmd    *exec.Cmd
	c      *conn
	memMB  int // the plugin's memory ceiling
	asMB   int // RLIMIT_AS on top of the worker's start (0: none)
	cg     *cgroup
	tail   *tailWriter
	born   time.Time
	ctx    context.Context // ends when the process is gone: host calls stop
	cancel context.CancelFunc
	dead   chan struct{} // closed once the process is reaped and lost is set
	wg     sync.WaitGroup

	mu       sync.Mutex
	insts    map[uint64]*Instance
	nextInst uint64
	killed   string // why the host killed it; "" when it did not
	stopping bool   // the host is stopping it: its end is no failure
	lost     *LostError
}

// LostError says why a worker process is gone. It matches
// plugin.ErrInstanceLost, and plugin.ErrTimeout for the call whose
// deadline made the host kill the worker.
type LostError struct {
	Plugin  string
	PID     int
	Reason  string // "exited with status 2 (over its memory ceiling of 64 MiB): fatal error: ..."
	Timeout bool
}

func (e *LostError) Error() string {
	return fmt.Sprintf("worker: plugin %q: instance lost: worker process %d %s", e.Plugin, e.PID, e.Reason)
}

// Is matches plugin.ErrInstanceLost, and plugin.ErrTimeout when the
// worker was killed for the call's deadline.
func (e *LostError) Is(target error) bool {
	return target == plugin.ErrInstanceLost || (e.Timeout && target == plugin.ErrTimeout)
}

// startProc starts a worker process for the plugin name with a memory
// ceiling of memMB on top of the base.
func startProc(cfg *Config, log hclog.Logger, name string, memMB int) (*proc, error) {
	fds, err := socketpair()
	if err != nil {
		return nil, fmt.Errorf("worker: plugin %q: socketpair: %w", name, err)
	}
	hostEnd := os.NewFile(uintptr(fds[0]), "genehost-worker-pipe")
	childEnd := os.NewFile(uintptr(fds[1]), "genehost-worker-pipe")
	defer childEnd.Close()
	nc, err := net.FileConn(hostEnd)
	hostEnd.Close()
	if err != nil {
		return nil, fmt.Errorf("worker: plugin %q: the pipe: %w", name, err)
	}

	p := &proc{
		cfg: cfg, name: name, memMB: memMB,
		tail:  &tailWriter{max: 4096},
		dead:  make(chan struct{}),
		insts: map[uint64]*Instance{},
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	env := []string{
		EnvWorker + "=1",
		envFD + "=3",
		envHeap + "=" + strconv.Itoa(memMB+heapSlackMB),
		envStack + "=" + strconv.Itoa(stackMB(memMB)),
		envFrame + "=" + strconv.Itoa(cfg.MaxFrameBytes),
		"GOTRACEBACK=none", // a fatal error says what it was, not every goroutine
	}
	if !cfg.NoMemoryLimit {
		p.asMB = cfg.OverheadMB + memMB
		env = append(env, envAS+"="+strconv.Itoa(p.asMB))
	}
	env = append(env, cfg.Env...)
	cmd := exec.Command(cfg.Path, cfg.Args...)
	cmd.Env = env
	cmd.Dir = "/"
	cmd.ExtraFiles = []*os.File{childEnd}
	cmd.Stderr = p.tail
	cmd.SysProcAttr = sysProcAttr()
	if !cfg.NoMemoryLimit && !cfg.NoCgroup {
		cg, err := newCgroup(memMB + heapSlackMB + cgroupSlackMB)
		if err != nil {
			log.Debug("no cgroup for the worker; RLIMIT_AS and the Go heap limit still bound it", "error", err)
		} else {
			p.cg = cg
			cg.attach(cmd.SysProcAttr)
		}
	}
	if err := cmd.Start(); err != nil {
		nc.Close()
		p.cancel()
		if p.cg != nil {
			p.cg.remove()
		}
		return nil, fmt.Errorf("worker: plugin %q: start %s: %w", name, cfg.Path, err)
	}
	p.cmd = cmd
	p.born = time.Now()
	p.log = log.With("worker-pid", cmd.Process.Pid)
	p.c = newConn(nc, cfg.MaxFrameBytes, gene.Limits{}, hostSpin) // the worker is not trusted: default limits
	p.c.serve = p.serve
	p.c.broken = p.broken
	p.c.selfRead = true // a callback's caller reads its own reply
	p.wg.Add(2)
	go func() {
		defer p.wg.Done()
		p.c.readLoop()
	}()
	go func() {
		defer p.wg.Done()
		p.wait()
	}()
	p.log.Debug("worker started", "memory-mb", memMB, "rlimit-as-mb", p.asMB, "cgroup", p.cg != nil)
	return p, nil
}

// stackMB is a worker's goroutine stack limit: deep recursion in plugin
// code (JSON.parse of deeply nested input) ends the worker at this depth
// rather than growing a stack toward Go's default of 1 GiB.
func stackMB(memMB int) int { return max(8, memMB/4) }

// Go heap headroom over the plugin's budget (the runtime's own, goja's
// and wazero's structures), and what a cgroup allows beyond both (the
// binary's mapped text, thread stacks).
const (
	heapSlackMB   = 32
	cgroupSlackMB = 64
)

// broken runs on the reader when the pipe fails: a live worker is
// killed (it is useless without its pipe), and the conn ends once the
// process is reaped.
func (p *proc) broken(err error) {
	p.mu.Lock()
	stopping := p.stopping
	p.mu.Unlock()
	if !stopping {
		p.kill("", fmt.Sprintf("lost its pipe (%v)", err))
	}
	<-p.dead
}

// wait reaps the process, records why it ended, and fails every call.
func (p *proc) wait() {
	err := p.cmd.Wait()
	p.mu.Lock()
	le := &LostError{Plugin: p.name, PID: p.cmd.Process.Pid, Reason: p.reason(err)}
	p.lost = le
	stopping := p.stopping
	p.mu.Unlock()
	// dead closes before any caller learns of the end, so a caller that
	// failed with le never finds the process alive afterwards.
	close(p.dead)
	p.cancel()
	p.c.abort(le)
	if p.cg != nil {
		p.cg.remove()
	}
	if stopping {
		p.log.Debug("worker stopped", "status", err)
	} else {
		p.log.Warn("worker process ended", "reason", le.Reason)
	}
}

// reason describes how the process ended. p.mu is held.
func (p *proc) reason(err error) string {
	var b strings.Builder
	switch {
	case p.killed != "":
		b.WriteString("was killed by the host: " + p.killed)
	case p.stopping:
		b.WriteString("was stopped by the host")
	case err == nil:
		b.WriteString("exited")
	default:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				fmt.Fprintf(&b, "was killed by signal %s", ws.Signal())
			} else {
				fmt.Fprintf(&b, "exited with status %d", ee.ExitCode())
			}
		} else {
			fmt.Fprintf(&b, "ended: %v", err)
		}
	}
	tail := p.tail.String()
	switch {
	case p.killed != "" || p.stopping:
	case p.overMemory(tail):
		fmt.Fprintf(&b, " (over its memory ceiling of %d MiB)", p.memMB)
	case strings.Contains(tail, "fatal error: stack overflow"):
		fmt.Fprintf(&b, " (over its stack limit of %d MiB)", stackMB(p.memMB))
	}
	if tail != "" {
		b.WriteString("; stderr: ")
		b.WriteString(tail)
	}
	return b.String()
}

// overMemory guesses whether the process died of its memory ceiling:
// the Go runtime's words for a failed allocation, or the cgroup's OOM
// killer.
func (p *proc) overMemory(stderr string) bool {
	for _, s := range []string{"out of memory", "cannot allocate memory"} {
		if strings.Contains(stderr, s) {
			return true
		}
	}
	return p.cg != nil && p.cg.oomKilled()
}

// kill ends the process with SIGKILL, recording why (why == "": the
// reason is what the process's end says; then note is logged only).
func (p *proc) kill(why, note string) {
	p.mu.Lock()
	if p.lost == nil && p.killed == "" && why != "" {
		p.killed = why
	}
	p.mu.Unlock()
	if note != "" {
		p.log.Debug("killing the worker", "why", note)
	}
	_ = p.cmd.Process.Kill() // already gone: nothing to do
}

// stop ends the worker: its pipe is closed, which makes it exit; it is
// killed if it has not within a second. stop returns once it is reaped
// and every goroutine of p has ended.
func (p *proc) stop() {
	p.mu.Lock()
	p.stopping = p.lost == nil
	p.mu.Unlock()
	p.c.abort(errors.New("worker: stopped"))
	t := time.NewTimer(time.Second)
	select {
	case <-p.dead:
	case <-t.C:
		p.kill("it did not exit within 1s of its pipe closing", "")
		<-p.dead
	}
	t.Stop()
	p.wg.Wait()
}

// alive reports whether the process has not ended.
func (p *proc) alive() bool {
	select {
	case <-p.dead:
		return false
	default:
		return true
	}
}

// lostErr returns why the process ended (nil while it runs); with
// timeout, a copy that also matches plugin.ErrTimeout.
func (p *proc) lostErr(timeout bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.lost == nil {
		return nil
	}
	if timeout {
		le := *p.lost
		le.Timeout = true
		return &le
	}
	return p.lost
}

func (p *proc) addInst(x *Instance) uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.nextInst++
	p.insts[p.nextInst] = x
	return p.nextInst
}

func (p *proc) removeInst(id uint64) {
	p.mu.Lock()
	delete(p.insts, id)
	p.mu.Unlock()
}

func (p *proc) inst(id uint64) *Instance {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.insts[id]
}

// statusKeys are the memory figures of a worker (KiB): those of
// /proc/self/status, and VmStart, its VmSize when Serve began.
var statusKeys = []string{"VmSize", "VmRSS", "VmPeak", "VmHWM", "VmStart"}

// status asks the worker for its memory figures.
func (p *proc) status(ctx context.Context) (map[string]uint64, error) {
	d, err := p.c.call(ctx, opStatus, p.c.msg(), 0, nil)
	if err != nil {
		return nil, err
	}
	st := map[string]uint64{}
	for _, k := range statusKeys {
		st[k] = d.uvarint()
	}
	return st, d.err
}

// tailWriter keeps what a worker wrote to stderr before the first
// goroutine dump (a Go fatal error prints its reason, then every
// goroutine's stack, even with GOTRACEBACK=none), at most its last max
// bytes.
type tailWriter struct {
	mu     sync.Mutex
	max    int
	buf    []byte
	line   []byte // the line being written
	dumped bool   // a goroutine dump began: the rest is stacks
}

func (w *tailWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(b)
	for len(b) > 0 && !w.dumped {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			w.line = append(w.line, b...)
			if len(w.line) > w.max {
				w.line = w.line[len(w.line)-w.max:]
			}
			break
		}
		w.line = append(w.line, b[:i]...)
		b = b[i+1:]
		l := bytes.TrimSpace(w.line)
		w.line = w.line[:0]
		if bytes.HasPrefix(l, []byte("goroutine ")) || bytes.HasPrefix(l, []byte("runtime stack:")) {
			w.dumped = true
			break
		}
		if len(l) == 0 {
			continue
		}
		if len(w.buf) > 0 {
			w.buf = append(w.buf, " | "...)
		}
		w.buf = append(w.buf, l...)
		if over := len(w.buf) - w.max; over > 0 {
			w.buf = append(w.buf[:0], w.buf[over:]...)
		}
	}
	return n, nil
}

// String returns the lines kept, joined by " | ".
func (w *tailWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := string(w.buf)
	if l := bytes.TrimSpace(w.line); !w.dumped && len(l) > 0 {
		if s != "" {
			s += " | "
		}
		s += string(l)
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
