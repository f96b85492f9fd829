package worker

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugin"
)

// Environment of a worker process, set by the host (the worker gets no
// other variable of the host's environment, except Config.Env).
const (
	// EnvWorker is set in every worker process: IsWorker reports it.
	EnvWorker = "GENEHOST_WORKER"
	envFD     = "GENEHOST_WORKER_FD"        // the pipe's descriptor (3)
	envAS     = "GENEHOST_WORKER_AS_MIB"    // RLIMIT_AS in MiB on top of the address space at start (0: none)
	envHeap   = "GENEHOST_WORKER_HEAP_MIB"  // debug.SetMemoryLimit in MiB
	envStack  = "GENEHOST_WORKER_STACK_MIB" // debug.SetMaxStack in MiB
	envFrame  = "GENEHOST_WORKER_FRAME"     // the frame limit in bytes
)

// UnwindTimeout is how long a worker waits, when the host closes an
// instance whose callback was interrupted at its deadline, for the
// instance's code to stop. Code that does not (a JavaScript built-in such
// as a backtracking regular expression cannot be interrupted) makes the
// worker exit, so the host replaces it with a clean process.
const UnwindTimeout = time.Second

// ErrStuck is returned by Serve when an instance's code did not stop
// within UnwindTimeout of being interrupted: the process must exit.
var ErrStuck = errors.New("worker: plugin code did not stop after its deadline; exiting so the host replaces this worker")

// IsWorker reports whether this process was started by a host as a
// worker (EnvWorker is set). A test binary that the host starts as its
// worker (Config.Path set to os.Executable()) checks it in TestMain.
func IsWorker() bool { return os.Getenv(EnvWorker) != "" }

// Serve runs this process as a worker of the host that started it: it
// applies the memory limits the host asked for (RLIMIT_AS first of all,
// then the Go heap and stack limits), then serves the host's requests on
// the pipe until the host closes it or ctx ends. runtimes are the plugin
// runtimes by name ("js", "wasm"); the host names the one to use when it
// sends the source. The caller exits when Serve returns; a non-nil error
// (ErrStuck among others) should make the exit status non-zero.
func Serve(ctx context.Context, runtimes map[string]plugin.Runtime) error {
	if err := applyLimits(); err != nil {
		return err
	}
	fd, err := strconv.Atoi(os.Getenv(envFD))
	if err != nil || fd < 3 {
		return fmt.Errorf("worker: %s=%q: not started by a genehost host", envFD, os.Getenv(envFD))
	}
	f := os.NewFile(uintptr(fd), "genehost-pipe")
	nc, err := net.FileConn(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("worker: the pipe to the host: %w", err)
	}
	maxFrame := DefaultMaxFrameBytes
	if n, err := strconv.Atoi(os.Getenv(envFrame)); err == nil && n > 0 {
		maxFrame = n
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	s := &server{rts: runtimes, insts: map[uint64]*wInst{}, ctx: ctx, stop: cancel, work: make(chan func())}
	if os.Getenv("GOMAXPROCS") == "" {
		s.maxProcs = runtime.GOMAXPROCS(0)
		s.mu.Lock()
		s.fitProcs()
		s.mu.Unlock()
	}
	s.c = newConn(nc, maxFrame, unlimited, workerSpin)
	s.c.serve = s.serve
	s.c.broken = func(err error) {
		s.c.abort(err)
		cancel(nil) // the host went away: nothing is left to do
	}
	go s.c.readLoop()
	stopAfter := context.AfterFunc(ctx, func() { s.c.abort(errors.New("worker: stopping")) })
	defer stopAfter()
	<-ctx.Done()
	s.c.abort(errors.New("worker: stopping"))
	// Handlers end when their contexts do, except plugin code stuck in a
	// built-in: give them a moment, then leave them to the exit.
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(UnwindTimeout):
	}
	s.mu.Lock()
	mod := s.mod
	s.mu.Unlock()
	if mod != nil && context.Cause(ctx) != ErrStuck {
		cctx, ccancel := context.WithTimeout(context.Background(), UnwindTimeout)
		_ = mod.Close(cctx) // the process exits next
		ccancel()
	}
	if err := context.Cause(ctx); err != nil && err != context.Canceled {
		return err
	}
	return nil
}

// startVmKiB is the worker's address space (VmSize) when Serve began:
// the measured base its RLIMIT_AS is set on top of.
var startVmKiB uint64

// applyLimits sets the memory ceilings the host put in the environment:
// RLIMIT_AS to the address space mapped now (the Go runtime reserves
// about a gigabyte it never touches; the race detector terabytes) plus
// the MiB the host allows on top, then the Go heap and stack limits.
func applyLimits() error {
	startVmKiB = procStatus()["VmSize"]
	if mib, _ := strconv.ParseUint(os.Getenv(envAS), 10, 32); mib > 0 {
		if startVmKiB == 0 {
			return errors.New("worker: cannot read VmSize from /proc/self/status to set RLIMIT_AS on top of it")
		}
		limit := startVmKiB<<10 + mib<<20
		if err := setAddressSpaceLimit(limit); err != nil {
			return fmt.Errorf("worker: set RLIMIT_AS to %d MiB: %w", limit>>20, err)
		}
	}
	if mib, _ := strconv.Atoi(os.Getenv(envHeap)); mib > 0 {
		debug.SetMemoryLimit(int64(mib) << 20)
	}
	if mib, _ := strconv.Atoi(os.Getenv(envStack)); mib > 0 {
		debug.SetMaxStack(mib << 20)
	}
	return nil
}

// server is the worker's side of the pipe: the compiled module and its
// instances by the ids the host gave them.
type server struct {
	c    *conn
	rts  map[string]plugin.Runtime
	ctx  context.Context // ends when the host goes away
	stop context.CancelCauseFunc
	wg   sync.WaitGroup // request handlers
	work chan func()    // requests for idle handler goroutines (run); unbuffered

	maxProcs int // GOMAXPROCS as the process started; 0: the operator set it, leave it

	mu    sync.Mutex
	mod   plugin.Module
	insts map[uint64]*wInst
	procs int // GOMAXPROCS as fitProcs last set it
}

// fitProcs sets GOMAXPROCS to the number of instances, at least 1 and at
// most what the process started with. One instance's callbacks run one
// at a time, so a second P gains it nothing and costs every callback:
// each hand-off between its goroutines (the pipe's reader, the
// runtime's event loop) may wake another thread, which on a busy
// machine waits to be scheduled (BENCHMARKS.md, "Plugins in worker
// processes"); more instances get more Ps to run in parallel. A
// GOMAXPROCS the operator gave the worker (Config.Env) is left alone.
// s.mu is held.
func (s *server) fitProcs() {
	if s.maxProcs == 0 {
		return
	}
	if n := min(max(len(s.insts), 1), s.maxProcs); n != s.procs {
		runtime.GOMAXPROCS(n)
		s.procs = n
	}
}

// wInst is one instance in the worker.
type wInst struct {
	in       plugin.Instance
	h        *wHost
	timedOut atomic.Bool // a callback hit its deadline: Close must see it stop
}

// serve dispatches a request from the host to a goroutine of its own
// (instances run concurrently; the host never sends one instance two
// callbacks at once).
func (s *server) serve(f *frame) {
	if f.kind != kindRequest {
		return // the host sends no notifications
	}
	d := &dec{b: f.body, limits: unlimited}
	ctx, cancel := context.WithCancel(s.ctx)
	s.c.serving(f.id, cancel)
	s.run(func() {
		defer cancel()
		e := s.c.msg()
		err := s.handle(ctx, f.op, d, e)
		s.c.reply(f.id, e, err)
	})
}

// handlerIdle is how long a handler goroutine waits for the next request
// after serving one before it ends.
const handlerIdle = time.Second

// run runs f on an idle handler goroutine, or on a new one. A goroutine
// that served a request waits handlerIdle for the next: plugin code
// (goja most of all) runs deep, and a fresh goroutine's stack would be
// grown and copied again, step by step, on every callback, which cost
// more than the callback itself (runtime.newstack, pcvalue and
// adjustframe led the worker's profile of a JavaScript echo). Handler
// goroutines end when the server's context does (s.wg waits for them).
func (s *server) run(f func()) {
	select {
	case s.work <- f:
		return
	default:
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
		t := time.NewTimer(handlerIdle)
		defer t.Stop()
		for {
			select {
			case f := <-s.work:
				f()
				t.Reset(handlerIdle)
			case <-t.C:
				return
			case <-s.ctx.Done():
				return
			}
		}
	}()
}

func (s *server) inst(id uint64) (*wInst, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	x := s.insts[id]
	if x == nil {
		return nil, fmt.Errorf("worker: no instance %d", id)
	}
	return x, nil
}

// handle serves one request, writing its answer's body into e.
func (s *server) handle(ctx context.Context, op byte, d *dec, e *enc) error {
	switch op {
	case opCompile:
		name := d.str()
		src := d.source()
		if d.err != nil {
			return d.err
		}
		rt := s.rts[name]
		if rt == nil {
			return fmt.Errorf("worker: this worker has no %q runtime", name)
		}
		mod, err := rt.Compile(ctx, src)
		if err != nil {
			return err
		}
		s.mu.Lock()
		old := s.mod
		s.mod = mod
		s.mu.Unlock()
		if old != nil {
			_ = old.Close(ctx) // the host compiles once per worker; a second compile replaces the first
		}
		return nil
	case opPing:
		return nil
	case opStatus:
		st := procStatus()
		st["VmStart"] = startVmKiB
		for _, k := range statusKeys {
			e.uvarint(st[k])
		}
		return nil
	}

	id := d.uvarint()
	cctx, ccancel := d.context(ctx)
	defer ccancel()
	if op == opInstantiate {
		if d.err != nil {
			return d.err
		}
		s.mu.Lock()
		mod := s.mod
		s.mu.Unlock()
		if mod == nil {
			return errors.New("worker: instantiate before compile")
		}
		h := &wHost{s: s, id: id}
		in, err := mod.Instantiate(cctx, h)
		if err != nil {
			return err
		}
		s.mu.Lock()
		s.insts[id] = &wInst{in: in, h: h}
		s.fitProcs()
		s.mu.Unlock()
		return nil
	}
	x, err := s.inst(id)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil && errors.Is(err, plugin.ErrTimeout) {
			x.timedOut.Store(true)
		}
	}()
	if op != opClose {
		x.h.setRooms(d)
	}
	switch op {
	case opOpen:
		info := d.linkInfo()
		if d.err != nil {
			return d.err
		}
		err = x.in.Open(cctx, info)
	case opReceive:
		link := plugin.LinkID(d.uvarint())
		n := d.uvarint()
		if d.err == nil && n > uint64(len(d.b)) {
			d.fail("more values than bytes")
		}
		var vs []gene.Value
		if d.err == nil {
			vs = make([]gene.Value, 0, n)
			for i := uint64(0); i < n && d.err == nil; i++ {
				vs = append(vs, d.value())
			}
		}
		if d.err != nil {
			return d.err
		}
		var flow plugin.Flow
		flow, err = x.in.Receive(cctx, link, vs)
		e.u8(byte(flow))
	case opControl:
		link := plugin.LinkID(d.uvarint())
		name := d.str()
		arg := d.value()
		if d.err != nil {
			return d.err
		}
		var res gene.Value
		res, err = x.in.Control(cctx, link, name, arg)
		if err == nil {
			e.value(res)
		}
	case opClosed:
		link := plugin.LinkID(d.uvarint())
		var cause error
		if d.bool() {
			cause = d.remoteErr()
		}
		if d.err != nil {
			return d.err
		}
		x.in.Closed(cctx, link, cause)
	case opTimer:
		tid := d.uvarint()
		if d.err != nil {
			return d.err
		}
		x.in.Timer(cctx, tid)
	case opClose:
		s.mu.Lock()
		delete(s.insts, id)
		s.fitProcs()
		s.mu.Unlock()
		if x.timedOut.Load() {
			var cancel context.CancelFunc
			cctx, cancel = context.WithTimeout(context.WithoutCancel(cctx), UnwindTimeout)
			defer cancel()
		}
		if err = x.in.Close(cctx); err != nil && x.timedOut.Load() {
			s.stop(ErrStuck)
			return fmt.Errorf("%w: %w", ErrStuck, err)
		}
	default:
		return fmt.Errorf("worker: unknown request %d", op)
	}
	return err
}

// procStatus reads the memory lines of /proc/self/status, in KiB.
func procStatus() map[string]uint64 {
	st := map[string]uint64{}
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return st
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || !strings.HasPrefix(k, "Vm") {
			continue
		}
		n, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		st[k] = n
	}
	return st
}

// wHost is the plugin.Host of an instance in the worker: every call is a
// request to the host, which serves it with the instance's real Host.
type wHost struct {
	s  *server
	id uint64

	// rooms is what the host said, with the callback running, that the
	// links it names can take without waiting, less what the instance sent
	// since: a send within it is shipped one-way (opHostShip), any other
	// is a request. A link absent has no room known.
	rmu   sync.Mutex
	rooms map[plugin.LinkID]plugin.Room

	storeOnce sync.Once
	store     plugin.Store
	storeErr  error

	streamsOnce sync.Once
	streams     plugin.Streams
	streamsErr  error
}

var _ plugin.Host = (*wHost)(nil)

func (h *wHost) msg() *enc {
	e := h.s.c.msg()
	e.uvarint(h.id)
	return e
}

// call makes a request that does not take a context of its own.
func (h *wHost) call(op byte, e *enc) (*dec, error) {
	return h.s.c.call(h.s.ctx, op, e, 0, nil)
}

// setRooms replaces the rooms with those a callback request carries.
func (h *wHost) setRooms(d *dec) {
	n := d.uvarint()
	if d.err == nil && n > maxRooms {
		d.fail("too many rooms")
	}
	h.rmu.Lock()
	defer h.rmu.Unlock()
	clear(h.rooms)
	for i := uint64(0); i < n && d.err == nil; i++ {
		link, r := plugin.LinkID(d.uvarint()), d.room()
		if d.err == nil {
			if h.rooms == nil {
				h.rooms = make(map[plugin.LinkID]plugin.Room, n)
			}
			h.rooms[link] = r
		}
	}
}

// take reserves room for one value of size bytes on link, reporting
// whether there was.
func (h *wHost) take(link plugin.LinkID, size int) bool {
	h.rmu.Lock()
	defer h.rmu.Unlock()
	r, ok := h.rooms[link]
	n := uint64(size)
	if !ok || r.Values == 0 || n > r.Bytes || n > r.MaxValue {
		return false
	}
	r.Values--
	r.Bytes -= n
	h.rooms[link] = r
	return true
}

// learn keeps the room the host's answer to a send carries.
func (h *wHost) learn(link plugin.LinkID, r *dec, err error) {
	var room plugin.Room
	ok := err == nil && r.bool()
	if ok {
		room = r.room()
		ok = r.err == nil
	}
	h.rmu.Lock()
	defer h.rmu.Unlock()
	if !ok {
		delete(h.rooms, link)
		return
	}
	if h.rooms == nil {
		h.rooms = map[plugin.LinkID]plugin.Room{}
	}
	h.rooms[link] = room
}

// sendMsg starts a send of v on link: the body of a shipped send and of
// a try-send, and the start of a send's; ship reports whether the room
// known takes it.
func (h *wHost) sendMsg(link plugin.LinkID, v gene.Value) (e *enc, ship bool) {
	e = h.msg()
	e.uvarint(uint64(link))
	at := len(e.b)
	e.value(v)
	return e, h.take(link, len(e.b)-at)
}

// Send ships v one-way when the room known takes it (the host applies
// shipped sends in order before the callback's answer, and waits for
// credit itself should it find less room than it said); otherwise it
// asks the host, which waits for credit.
func (h *wHost) Send(ctx context.Context, link plugin.LinkID, v gene.Value) error {
	e, ship := h.sendMsg(link, v)
	if ship {
		return h.s.c.ship(opHostShip, e)
	}
	e.deadline(ctx)
	r, err := h.s.c.call(ctx, opHostSend, e, 0, nil)
	h.learn(link, r, err)
	return err
}

// TrySend ships v one-way when the room known takes it, and otherwise
// asks the host, whose answer (ErrNoCredit among others) is the one a
// plugin in the host gets.
func (h *wHost) TrySend(link plugin.LinkID, v gene.Value) error {
	e, ship := h.sendMsg(link, v)
	if ship {
		return h.s.c.ship(opHostShip, e)
	}
	r, err := h.call(opHostTrySend, e)
	h.learn(link, r, err)
	return err
}

func (h *wHost) CloseLink(link plugin.LinkID, reason string) error {
	h.rmu.Lock()
	delete(h.rooms, link)
	h.rmu.Unlock()
	e := h.msg()
	e.uvarint(uint64(link))
	e.str(reason)
	_, err := h.call(opHostClose, e)
	return err
}

func (h *wHost) Resume(link plugin.LinkID) {
	e := h.msg()
	e.uvarint(uint64(link))
	_ = h.s.c.notify(opHostResume, e) // a broken pipe ends the worker
}

func (h *wHost) Log(level string, link plugin.LinkID, msg string) {
	e := h.msg()
	e.str(level)
	e.uvarint(uint64(link))
	e.str(msg)
	_ = h.s.c.notify(opHostLog, e)
}

func (h *wHost) SetTimer(d time.Duration) (uint64, error) {
	e := h.msg()
	e.varint(int64(d))
	r, err := h.call(opHostSetTmr, e)
	if err != nil {
		return 0, err
	}
	id := r.uvarint()
	return id, r.err
}

func (h *wHost) CancelTimer(id uint64) {
	e := h.msg()
	e.uvarint(id)
	_ = h.s.c.notify(opHostCnclTmr, e)
}

// Store asks the host once whether the store is granted.
func (h *wHost) Store() (plugin.Store, error) {
	h.storeOnce.Do(func() {
		if _, err := h.call(opHostStore, h.msg()); err != nil {
			h.storeErr = err
			return
		}
		h.store = &wStore{h: h}
	})
	return h.store, h.storeErr
}

// wStore is plugin.Store over requests to the host.
type wStore struct{ h *wHost }

var _ plugin.Store = (*wStore)(nil)

func (s *wStore) Get(key []byte) ([]byte, error) {
	e := s.h.msg()
	e.bytes(key)
	r, err := s.h.call(opKVGet, e)
	if err != nil {
		return nil, err
	}
	v := r.bytes()
	return v, r.err
}

func (s *wStore) Put(key, val []byte) error {
	e := s.h.msg()
	e.bytes(key)
	e.bytes(val)
	_, err := s.h.call(opKVPut, e)
	return err
}

func (s *wStore) Delete(key []byte) (bool, error) {
	e := s.h.msg()
	e.bytes(key)
	r, err := s.h.call(opKVDelete, e)
	if err != nil {
		return false, err
	}
	ok := r.bool()
	return ok, r.err
}

// Scan asks the host for at most scanChunkBytes of entries at a time,
// resuming after the last key it got.
func (s *wStore) Scan(prefix, after []byte, limit int, fn func(k, v []byte) bool) error {
	seen := 0
	for {
		e := s.h.msg()
		e.bytes(prefix)
		e.optBytes(after)
		want := 0
		if limit > 0 {
			want = limit - seen
		}
		e.varint(int64(want))
		r, err := s.h.call(opKVScan, e)
		if err != nil {
			return err
		}
		n := r.uvarint()
		for i := uint64(0); i < n && r.err == nil; i++ {
			k, v := r.bytes(), r.bytes()
			if r.err != nil {
				break
			}
			seen++
			after = k
			if !fn(k, v) {
				return nil
			}
		}
		more := r.bool()
		if r.err != nil {
			return r.err
		}
		if !more || n == 0 || (limit > 0 && seen >= limit) {
			return nil
		}
	}
}

func (s *wStore) Reset() error {
	_, err := s.h.call(opKVReset, s.h.msg())
	return err
}

func (s *wStore) Batch(ops []plugin.StoreOp) ([]bool, error) {
	e := s.h.msg()
	e.uvarint(uint64(len(ops)))
	for _, op := range ops {
		e.bool(op.Delete)
		e.bytes(op.Key)
		e.bytes(op.Value)
	}
	r, err := s.h.call(opKVBatch, e)
	if err != nil {
		return nil, err
	}
	n := r.uvarint()
	if r.err == nil && n > uint64(len(r.b)) {
		r.fail("more results than bytes")
	}
	if r.err != nil {
		return nil, r.err
	}
	out := make([]bool, n)
	for i := range out {
		out[i] = r.bool()
	}
	return out, r.err
}

func (s *wStore) CompareAndSwap(key, expect, next []byte) (bool, []byte, error) {
	e := s.h.msg()
	e.bytes(key)
	e.optBytes(expect)
	e.optBytes(next)
	r, err := s.h.call(opKVCAS, e)
	if err != nil {
		return false, nil, err
	}
	swapped := r.bool()
	cur := r.optBytes()
	return swapped, cur, r.err
}

func (s *wStore) Incr(key []byte, by int64) (int64, error) {
	e := s.h.msg()
	e.bytes(key)
	e.varint(by)
	r, err := s.h.call(opKVIncr, e)
	if err != nil {
		return 0, err
	}
	n := r.varint()
	return n, r.err
}
