package wasmrt

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"

	"github.com/genehost/genehost/abi"
	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugin"
)

// instance is a plugin.Instance: one guest instance at a time, replaced
// after a trap, exit or deadline. Only its owner calls it (the plugin
// call discipline); host functions run on the owner's goroutine too,
// inside a call.
type instance struct {
	m    *Module
	host plugin.Host
	ctx  callCtx

	// The current guest; wm is nil after a failure discarded it.
	wm                                                api.Module
	mem                                               api.Memory
	fBuffer, fOpen, fValues, fControl, fClose, fTimer api.Function
	// The exchange buffer the guest last gave (ABI.md section 4).
	bufPtr, bufCap uint32

	enc   []byte         // encode buffer, reused
	batch deliveredBatch // during Receive: the values in enc (reuse.go)
	stack [3]uint64      // params and results of CallWithStack, reused

	// State of the current call, reset by call.
	callback    string
	link        plugin.LinkID
	result      []byte // the last gh_result
	hasResult   bool
	ended       error  // the caller's context ended during the call (callCtx.end)
	lastErr     string // message of the last failed host call (gh_error)
	abuse       string // a misused host function: fails the callback
	stderrFirst string // first stderr line, for exits

	stdout, stderr *lineWriter

	store      plugin.Store // loaded on first use
	storeErr   error
	storeReady bool
	scratch    []byte // gh_kv_scan records
	// watched are the changes of each store watch fetched from the host
	// and not yet handed to the guest (gh_kv_watch_next), by watch id.
	watched map[uint64]*watchBuf

	closed bool
}

var _ plugin.Instance = (*instance)(nil)

func newInstance(m *Module, h plugin.Host) *instance {
	in := &instance{m: m, host: h}
	in.ctx.in = in
	in.stdout = &lineWriter{in: in, level: "info"}
	in.stderr = &lineWriter{in: in, level: "warn", isStderr: true}
	return in
}

// start instantiates a fresh guest and runs its _initialize.
func (in *instance) start(ctx context.Context) error {
	if in.m.isClosed() {
		return &CallError{Plugin: in.m.name, Callback: "Instantiate", Kind: ErrClosed, Msg: "the module is closed"}
	}
	cfg := in.m.config.WithStdout(in.stdout).WithStderr(in.stderr)
	in.reset("Instantiate", 0)
	bound := max(in.m.limits.CallTimeout, MinInitTimeout)
	in.ctx.begin(ctx, bound, true)
	wm, err := in.m.wr.InstantiateModule(&in.ctx, in.m.compiled, cfg)
	cut, _ := in.ctx.end()
	if err == nil && cut != nil {
		// _initialize returned as the bound passed; wazero may be closing
		// the module, so it cannot be trusted.
		err = cut
	}
	if err != nil {
		if wm != nil {
			wm.Close(context.WithoutCancel(ctx))
		}
		if cut != nil && errors.Is(cut, context.DeadlineExceeded) {
			return in.errorf(plugin.ErrTimeout, err, "instantiation exceeded its deadline (%v: the larger of CallTimeout and %v)", bound, MinInitTimeout)
		}
		return in.failure(err, cut)
	}
	in.wm, in.mem = wm, wm.Memory()
	in.fBuffer = wm.ExportedFunction(abi.ExportBuffer)
	in.fOpen = wm.ExportedFunction(abi.ExportOnOpen)
	in.fValues = wm.ExportedFunction(abi.ExportOnValues)
	in.fControl = wm.ExportedFunction(abi.ExportOnControl)
	in.fClose = wm.ExportedFunction(abi.ExportOnClose)
	in.fTimer = wm.ExportedFunction(abi.ExportOnTimer)
	in.bufPtr, in.bufCap = 0, 0
	return nil
}

// ensure makes sure a guest is running, starting a fresh one after a
// failure discarded the last.
func (in *instance) ensure(ctx context.Context, cb string, link plugin.LinkID) error {
	if in.closed || in.m.isClosed() {
		return &CallError{Plugin: in.m.name, Callback: cb, Link: link, Kind: ErrClosed, Msg: "the instance is closed"}
	}
	if in.wm != nil {
		return nil
	}
	if err := in.start(ctx); err != nil {
		var ce *CallError
		if errors.As(err, &ce) {
			ce.Callback, ce.Link = cb, link
			ce.Msg = "starting a fresh instance: " + ce.Msg
		}
		return err
	}
	return nil
}

// discard closes the current guest; the next callback starts a new one.
func (in *instance) discard(ctx context.Context) {
	in.stdout.flush()
	in.stderr.flush()
	if in.wm != nil {
		in.wm.Close(context.WithoutCancel(ctx))
	}
	in.wm, in.mem = nil, nil
	in.bufPtr, in.bufCap = 0, 0
}

func (in *instance) reset(cb string, link plugin.LinkID) {
	in.callback, in.link = cb, link
	in.result = in.result[:0]
	in.hasResult = false
	in.ended = nil
	in.lastErr = ""
	in.abuse = ""
	in.stderrFirst = ""
}

// call runs fn with in.stack as its parameters; results are left in
// in.stack. A trap, exit or deadline discards the guest. ctx ending
// does not stop the guest (see callCtx); it makes blocking host calls
// give up, and is remembered in in.ended.
func (in *instance) call(ctx context.Context, cb string, link plugin.LinkID, fn api.Function) error {
	in.reset(cb, link)
	in.ctx.begin(ctx, in.m.limits.CallTimeout, false)
	err := fn.CallWithStack(&in.ctx, in.stack[:])
	cut, ended := in.ctx.end()
	if err == nil && cut != nil {
		// The guest returned, but only as its deadline passed: typically
		// gh_send gave up waiting for credit at the deadline and the
		// guest returned its own error before wazero stopped it. Report
		// the deadline whoever won that race, as a guest stopped a moment
		// earlier would have; wazero may be closing the guest, so it is
		// discarded.
		msg := "returned only after its deadline"
		if st := abi.Status(int32(uint32(in.stack[0]))); st == abi.Error && in.hasResult && fn != in.fBuffer {
			msg += ", with ERROR: " + string(in.result)
		}
		in.discard(ctx)
		return in.errorf(plugin.ErrTimeout, nil, "exceeded its deadline (CallTimeout %v): the guest %s; the instance was discarded", in.m.limits.CallTimeout, msg)
	}
	if err != nil {
		in.discard(ctx)
		return in.failure(err, cut)
	}
	in.ended = ended
	if in.abuse != "" {
		return in.errorf(ErrProtocol, nil, "%s", in.abuse)
	}
	return nil
}

func (in *instance) errorf(kind, cause error, format string, args ...any) *CallError {
	return &CallError{Plugin: in.m.name, Callback: in.callback, Link: in.link, Kind: kind, Msg: fmt.Sprintf(format, args...), Cause: cause}
}

// failure describes a call that did not return normally. cut is why the
// call's context ended early, if it did.
func (in *instance) failure(err, cut error) error {
	var exit *sys.ExitError
	switch {
	case cut != nil && errors.Is(cut, context.DeadlineExceeded):
		return in.errorf(plugin.ErrTimeout, err, "exceeded its deadline (CallTimeout %v); the instance was discarded", in.m.limits.CallTimeout)
	case cut != nil:
		return in.errorf(cut, err, "interrupted: %v; the instance was discarded", cut)
	}
	// A Go guest's panic or fatal error prints to stderr and then traps
	// (unreachable) or exits; the first stderr line says why.
	msg, _, _ := strings.Cut(err.Error(), "\n")
	if errors.As(err, &exit) {
		msg = fmt.Sprintf("guest exited with code %d", exit.ExitCode())
	}
	if in.stderrFirst != "" {
		msg += " (stderr: " + in.stderrFirst + ")"
	}
	return in.errorf(ErrTrap, err, "%s; the instance was discarded", msg)
}

// deliver writes data into the guest's exchange buffer, asking for a
// bigger one first when it does not fit.
func (in *instance) deliver(ctx context.Context, cb string, link plugin.LinkID, data []byte) error {
	if uint64(len(data)) > uint64(in.bufCap) {
		size := abi.BufferSize(len(data))
		if size > 1<<31 {
			in.reset(cb, link)
			return in.errorf(ErrProtocol, nil, "input of %d bytes is too large for a guest", len(data))
		}
		in.stack[0] = uint64(size)
		if err := in.call(ctx, cb, link, in.fBuffer); err != nil {
			return err
		}
		ptr := uint32(in.stack[0])
		if ptr == 0 {
			return in.errorf(ErrProtocol, nil, "%s(%d) returned 0: the guest could not provide %d bytes", abi.ExportBuffer, size, size)
		}
		if uint64(ptr)+uint64(size) > uint64(in.mem.Size()) {
			return in.errorf(ErrProtocol, nil, "%s(%d) returned [%d, %d), outside guest memory of %d bytes", abi.ExportBuffer, size, ptr, uint64(ptr)+uint64(size), in.mem.Size())
		}
		in.bufPtr, in.bufCap = ptr, uint32(size)
	}
	if len(data) > 0 && !in.mem.Write(in.bufPtr, data) {
		return in.errorf(ErrProtocol, nil, "exchange buffer [%d, %d) is outside guest memory", in.bufPtr, in.bufPtr+uint32(len(data)))
	}
	return nil
}

// status reads the status a callback returned and turns ERROR and codes
// the callback may not return into errors.
func (in *instance) status(allowPause bool) (abi.Status, error) {
	st := abi.Status(int32(uint32(in.stack[0])))
	switch {
	case st == abi.OK, st == abi.Pause && allowPause:
		return st, nil
	case st == abi.Error:
		msg := "guest returned ERROR without a message"
		if in.hasResult {
			msg = string(in.result)
		}
		if in.ended != nil {
			// Most likely because a host call gave up as the caller went
			// away: the error matches the caller's (context.Canceled).
			return st, in.errorf(ErrGuest, in.ended, "%s (the caller's context ended during the call: %v)", msg, in.ended)
		}
		return st, in.errorf(ErrGuest, nil, "%s", msg)
	}
	return st, in.errorf(ErrProtocol, nil, "guest returned status %v, which %s may not return", st, in.callbackExport())
}

func (in *instance) callbackExport() string {
	switch in.callback {
	case "Open":
		return abi.ExportOnOpen
	case "Receive":
		return abi.ExportOnValues
	case "Control":
		return abi.ExportOnControl
	case "Closed":
		return abi.ExportOnClose
	case "Timer":
		return abi.ExportOnTimer
	}
	return in.callback
}

// Open tells the guest about a new link.
func (in *instance) Open(ctx context.Context, li plugin.LinkInfo) error {
	const cb = "Open"
	if err := in.ensure(ctx, cb, li.ID); err != nil {
		return err
	}
	in.enc = abi.AppendLinkInfo(in.enc[:0], abi.LinkInfo{
		ID: uint64(li.ID), Interface: li.Interface, Direction: li.Direction.String(), Peer: li.Peer, Meta: li.Meta,
	})
	if err := in.deliver(ctx, cb, li.ID, in.enc); err != nil {
		return err
	}
	in.stack[0], in.stack[1] = uint64(li.ID), uint64(len(in.enc))
	if err := in.call(ctx, cb, li.ID, in.fOpen); err != nil {
		return err
	}
	_, err := in.status(false)
	return err
}

// Receive delivers a batch of values in one call.
func (in *instance) Receive(ctx context.Context, link plugin.LinkID, values []gene.Value) (plugin.Flow, error) {
	const cb = "Receive"
	if len(values) == 0 {
		return plugin.Continue, nil
	}
	if err := in.ensure(ctx, cb, link); err != nil {
		return plugin.Continue, err
	}
	in.enc, in.batch.ends = abi.AppendBatchEnds(in.enc[:0], in.batch.ends[:0], values)
	if err := in.deliver(ctx, cb, link, in.enc); err != nil {
		return plugin.Continue, err
	}
	in.stack[0], in.stack[1], in.stack[2] = uint64(link), uint64(len(values)), uint64(len(in.enc))
	in.batch.vals, in.batch.next = values, 0
	err := in.call(ctx, cb, link, in.fValues)
	in.batch.vals = nil // the caller owns values once Receive returns
	if err != nil {
		return plugin.Continue, err
	}
	st, err := in.status(true)
	if st == abi.Pause && err == nil {
		return plugin.Pause, nil
	}
	return plugin.Continue, err
}

// Control runs a control operation and decodes its result.
func (in *instance) Control(ctx context.Context, link plugin.LinkID, op string, arg gene.Value) (gene.Value, error) {
	const cb = "Control"
	if err := in.ensure(ctx, cb, link); err != nil {
		return gene.Value{}, err
	}
	in.enc = abi.AppendControl(in.enc[:0], op, arg)
	if err := in.deliver(ctx, cb, link, in.enc); err != nil {
		return gene.Value{}, err
	}
	in.stack[0], in.stack[1] = uint64(link), uint64(len(in.enc))
	if err := in.call(ctx, cb, link, in.fControl); err != nil {
		return gene.Value{}, err
	}
	if _, err := in.status(false); err != nil {
		return gene.Value{}, err
	}
	if !in.hasResult {
		return gene.Nil(), nil
	}
	v, n, err := gene.DecodeBinary(in.result, in.m.rt.opts)
	if err != nil {
		return gene.Value{}, in.errorf(ErrProtocol, err, "control result: %v", err)
	}
	if n != len(in.result) {
		return gene.Value{}, in.errorf(ErrProtocol, nil, "control result: %d bytes after the value", len(in.result)-n)
	}
	return v, nil
}

// Closed tells the guest a link closed. Failures are logged: a close
// cannot fail. A discarded guest is not restarted for it: a fresh one
// never saw the link.
func (in *instance) Closed(ctx context.Context, link plugin.LinkID, cause error) {
	const cb = "Closed"
	if in.wm == nil || in.closed {
		return
	}
	in.enc = in.enc[:0]
	if cause != nil {
		in.enc = append(in.enc, cause.Error()...)
	}
	err := in.deliver(ctx, cb, link, in.enc)
	if err == nil {
		in.stack[0], in.stack[1] = uint64(link), uint64(len(in.enc))
		err = in.call(ctx, cb, link, in.fClose)
	}
	if err == nil {
		_, err = in.status(false)
	}
	if err != nil {
		in.host.Log("error", link, err.Error())
	}
}

// Timer tells the guest a timer fired. Failures are logged.
func (in *instance) Timer(ctx context.Context, id uint64) {
	const cb = "Timer"
	err := in.ensure(ctx, cb, 0)
	if err == nil {
		in.stack[0] = id
		err = in.call(ctx, cb, 0, in.fTimer)
	}
	if err == nil {
		_, err = in.status(false)
	}
	if err != nil {
		in.host.Log("error", 0, err.Error())
	}
}

// Close frees the guest. It is idempotent.
func (in *instance) Close(ctx context.Context) error {
	if in.closed {
		return nil
	}
	in.closed = true
	in.discard(ctx)
	if in.ctx.timer != nil {
		in.ctx.timer.Stop()
	}
	return nil
}
