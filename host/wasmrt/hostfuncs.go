package wasmrt

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/genehost/genehost/abi"
	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugin"
)

// The host functions of ABI.md section 5, in wazero's stack-based form:
// parameters arrive in stack, results replace them. Each finds its
// instance through the call context, so one host module serves every
// instance of a plugin. None allocates on success except where the Host
// or the decoded value does.

func instantiateHostModule(ctx context.Context, wr wazero.Runtime) error {
	impls := map[string]func(in *instance, stack []uint64){
		abi.ImportResult:      (*instance).ghResult,
		abi.ImportError:       (*instance).ghError,
		abi.ImportSend:        func(in *instance, s []uint64) { in.ghSend(s, false) },
		abi.ImportTrySend:     func(in *instance, s []uint64) { in.ghSend(s, true) },
		abi.ImportCloseLink:   (*instance).ghCloseLink,
		abi.ImportResume:      (*instance).ghResume,
		abi.ImportLog:         (*instance).ghLog,
		abi.ImportKVGet:       (*instance).ghKVGet,
		abi.ImportKVPut:       (*instance).ghKVPut,
		abi.ImportKVDelete:    (*instance).ghKVDelete,
		abi.ImportKVScan:      (*instance).ghKVScan,
		abi.ImportKVCAS:       (*instance).ghKVCAS,
		abi.ImportKVIncr:      (*instance).ghKVIncr,
		abi.ImportTimerSet:    (*instance).ghTimerSet,
		abi.ImportTimerCancel: (*instance).ghTimerCancel,
		abi.ImportKVWatch:     (*instance).ghKVWatch,
		abi.ImportKVWatchNext: (*instance).ghKVWatchNext,
		abi.ImportKVUnwatch:   (*instance).ghKVUnwatch,
	}
	for name, f := range streamImports {
		impls[name] = f
	}
	b := wr.NewHostModuleBuilder(abi.HostModule)
	for _, f := range abi.Imports() {
		impl, ok := impls[f.Name]
		if !ok {
			return fmt.Errorf("no implementation of %s", f.Name)
		}
		failed := abi.Error
		if len(f.Results) > 0 && f.Results[0] == abi.I64 {
			failed = -abi.Error
		}
		fn := api.GoModuleFunc(func(ctx context.Context, _ api.Module, stack []uint64) {
			c, ok := ctx.(*callCtx)
			if !ok {
				// Not a call of ours (cannot happen through this package).
				if len(f.Results) > 0 {
					stack[0] = uint64(int64(failed))
				}
				return
			}
			impl(c.in, stack)
		})
		b = b.NewFunctionBuilder().WithGoModuleFunction(fn, valueTypes(f.Params), valueTypes(f.Results)).WithName(f.Name).Export(f.Name)
	}
	_, err := b.Instantiate(ctx)
	return err
}

func valueTypes(ts []abi.ValueType) []api.ValueType {
	out := make([]api.ValueType, len(ts))
	for i, t := range ts {
		out[i] = api.ValueType(t)
	}
	return out
}

func ret32(stack []uint64, st abi.Status) { stack[0] = uint64(uint32(int32(st))) }
func ret64(stack []uint64, n int64)       { stack[0] = uint64(n) }

// read32 is read for a host function whose result is an i32 status: when
// the range is outside guest memory it also sets the result to BadValue.
func (in *instance) read32(stack []uint64, fn string, ptr, n uint32) ([]byte, bool) {
	b, ok := in.read(fn, ptr, n)
	if !ok {
		ret32(stack, abi.BadValue)
	}
	return b, ok
}

// read64 is read for a host function whose result is an i64, negative
// for a status: when the range is outside guest memory it also sets the
// result to -BadValue.
func (in *instance) read64(stack []uint64, fn string, ptr, n uint32) ([]byte, bool) {
	b, ok := in.read(fn, ptr, n)
	if !ok {
		ret64(stack, -int64(abi.BadValue))
	}
	return b, ok
}

// read returns a view of guest memory, or records why it cannot.
func (in *instance) read(fn string, ptr, n uint32) ([]byte, bool) {
	b, ok := in.mem.Read(ptr, n)
	if !ok {
		in.lastErr = fmt.Sprintf("%s: range [%d, %d) is outside guest memory of %d bytes", fn, ptr, uint64(ptr)+uint64(n), in.mem.Size())
	}
	return b, ok
}

// fail records the message of a failed host call and returns its status.
func (in *instance) fail(fn string, link plugin.LinkID, err error) abi.Status {
	if link != 0 {
		in.lastErr = fmt.Sprintf("%s: link %d: %v", fn, link, err)
	} else {
		in.lastErr = fmt.Sprintf("%s: %v", fn, err)
	}
	return statusOf(err)
}

// statusOf maps a Host error to the ABI's status table.
func statusOf(err error) abi.Status {
	switch {
	case err == nil:
		return abi.OK
	case errors.Is(err, plugin.ErrNoCredit):
		return abi.NoCredit
	case errors.Is(err, plugin.ErrLinkClosed):
		return abi.LinkClosed
	case errors.Is(err, plugin.ErrDirection):
		return abi.Direction
	case errors.Is(err, plugin.ErrNotGranted):
		return abi.NotGranted
	case errors.Is(err, plugin.ErrNotFound):
		return abi.NotFound
	case errors.Is(err, plugin.ErrTimeout), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return abi.Timeout
	case errors.Is(err, gene.ErrBinary), errors.Is(err, gene.ErrLimit), errors.Is(err, plugin.ErrNotInteger):
		return abi.BadValue
	}
	return abi.Error
}

func (in *instance) ghResult(stack []uint64) {
	b, ok := in.mem.Read(uint32(stack[0]), uint32(stack[1]))
	if !ok {
		in.abuse = fmt.Sprintf("%s: range [%d, %d) is outside guest memory of %d bytes", abi.ImportResult, uint32(stack[0]), uint64(uint32(stack[0]))+uint64(uint32(stack[1])), in.mem.Size())
		return
	}
	in.result = append(in.result[:0], b...)
	in.hasResult = true
}

func (in *instance) ghError(stack []uint64) {
	ptr, n := uint32(stack[0]), uint32(stack[1])
	msg := in.lastErr
	if uint64(len(msg)) < uint64(n) {
		n = uint32(len(msg))
	}
	if n > 0 {
		b, ok := in.mem.Read(ptr, n)
		if !ok {
			in.abuse = fmt.Sprintf("%s: range [%d, %d) is outside guest memory of %d bytes", abi.ImportError, ptr, uint64(ptr)+uint64(n), in.mem.Size())
			ret32(stack, 0)
			return
		}
		copy(b, msg)
	}
	stack[0] = uint64(uint32(len(msg)))
}

func (in *instance) ghSend(stack []uint64, try bool) {
	fn := abi.ImportSend
	if try {
		fn = abi.ImportTrySend
	}
	link := plugin.LinkID(stack[0])
	b, ok := in.read32(stack, fn, uint32(stack[1]), uint32(stack[2]))
	if !ok {
		return
	}
	v, err := in.sentValue(b)
	if err != nil {
		ret32(stack, in.fail(fn, link, err))
		return
	}
	if try {
		err = in.host.TrySend(link, v)
	} else {
		err = in.host.Send(in.ctx.host(), link, v)
	}
	ret32(stack, in.fail0(fn, link, err))
}

// sentValue decodes the value a guest sends, or passes on the delivered
// value it is the encoding of (reuse.go).
func (in *instance) sentValue(b []byte) (gene.Value, error) {
	if v, ok := in.deliveredValue(b); ok {
		return v, nil
	}
	v, n, err := gene.DecodeBinary(b, in.m.rt.opts)
	if err == nil && n != len(b) {
		err = fmt.Errorf("%w: %d bytes after the value", gene.ErrBinary, len(b)-n)
	}
	return v, err
}

// fail0 is fail for an error that may be nil.
func (in *instance) fail0(fn string, link plugin.LinkID, err error) abi.Status {
	if err == nil {
		return abi.OK
	}
	return in.fail(fn, link, err)
}

func (in *instance) ghCloseLink(stack []uint64) {
	link := plugin.LinkID(stack[0])
	b, ok := in.read32(stack, abi.ImportCloseLink, uint32(stack[1]), uint32(stack[2]))
	if !ok {
		return
	}
	ret32(stack, in.fail0(abi.ImportCloseLink, link, in.host.CloseLink(link, string(b))))
}

func (in *instance) ghResume(stack []uint64) { in.host.Resume(plugin.LinkID(stack[0])) }

func (in *instance) ghLog(stack []uint64) {
	level, link := int32(uint32(stack[0])), plugin.LinkID(stack[1])
	b, ok := in.mem.Read(uint32(stack[2]), uint32(stack[3]))
	if !ok {
		in.abuse = fmt.Sprintf("%s: range [%d, %d) is outside guest memory of %d bytes", abi.ImportLog, uint32(stack[2]), uint64(uint32(stack[2]))+uint64(uint32(stack[3])), in.mem.Size())
		return
	}
	in.host.Log(abi.LevelName(level), link, string(b))
}

// kv returns the plugin's store, asking the Host once per instance.
func (in *instance) kv() (plugin.Store, error) {
	if !in.storeReady {
		in.store, in.storeErr = in.host.Store()
		in.storeReady = true
	}
	return in.store, in.storeErr
}

func (in *instance) ghKVGet(stack []uint64) {
	const fn = abi.ImportKVGet
	key, ok := in.read64(stack, fn, uint32(stack[0]), uint32(stack[1]))
	if !ok {
		return
	}
	vptr, vcap := uint32(stack[2]), uint32(stack[3])
	st, err := in.kv()
	if err != nil {
		ret64(stack, -int64(in.fail(fn, 0, err)))
		return
	}
	val, err := st.Get(key)
	if err != nil {
		ret64(stack, -int64(in.fail(fn, 0, err)))
		return
	}
	if uint64(len(val)) <= uint64(vcap) && len(val) > 0 {
		if !in.mem.Write(vptr, val) {
			in.lastErr = fmt.Sprintf("%s: range [%d, %d) is outside guest memory of %d bytes", fn, vptr, uint64(vptr)+uint64(len(val)), in.mem.Size())
			ret64(stack, -int64(abi.BadValue))
			return
		}
	}
	ret64(stack, int64(len(val)))
}

func (in *instance) ghKVPut(stack []uint64) {
	const fn = abi.ImportKVPut
	key, ok := in.read32(stack, fn, uint32(stack[0]), uint32(stack[1]))
	if !ok {
		return
	}
	val, ok := in.read32(stack, fn, uint32(stack[2]), uint32(stack[3]))
	if !ok {
		return
	}
	st, err := in.kv()
	if err == nil {
		err = st.Put(key, val)
	}
	ret32(stack, in.fail0(fn, 0, err))
}

func (in *instance) ghKVDelete(stack []uint64) {
	const fn = abi.ImportKVDelete
	key, ok := in.read32(stack, fn, uint32(stack[0]), uint32(stack[1]))
	if !ok {
		return
	}
	st, err := in.kv()
	if err != nil {
		ret32(stack, in.fail(fn, 0, err))
		return
	}
	found, err := st.Delete(key)
	switch {
	case err != nil:
		ret32(stack, in.fail(fn, 0, err))
	case !found:
		ret32(stack, abi.NotFound)
	default:
		ret32(stack, abi.OK)
	}
}

func (in *instance) ghKVScan(stack []uint64) {
	const fn = abi.ImportKVScan
	prefix, ok := in.read64(stack, fn, uint32(stack[0]), uint32(stack[1]))
	if !ok {
		return
	}
	after, ok := in.read64(stack, fn, uint32(stack[2]), uint32(stack[3]))
	if !ok {
		return
	}
	if len(after) == 0 {
		after = nil
	}
	limit := int(uint32(stack[4]))
	optr, ocap := uint32(stack[5]), uint32(stack[6])
	if _, ok := in.read64(stack, fn, optr, ocap); !ok {
		return
	}
	st, err := in.kv()
	if err != nil {
		ret64(stack, -int64(in.fail(fn, 0, err)))
		return
	}
	in.scratch = in.scratch[:0]
	short := false
	err = st.Scan(prefix, after, limit, func(k, v []byte) bool {
		if uint64(len(in.scratch)+abi.ScanRecordSize(k, v)) > uint64(ocap) {
			short = len(in.scratch) == 0
			return false
		}
		in.scratch = abi.AppendScanRecord(in.scratch, k, v)
		return true
	})
	switch {
	case err != nil:
		ret64(stack, -int64(in.fail(fn, 0, err)))
	case short:
		in.lastErr = fmt.Sprintf("%s: the next record needs more than the %d bytes offered", fn, ocap)
		ret64(stack, -int64(abi.ShortBuffer))
	default:
		in.mem.Write(optr, in.scratch) // in range: checked above
		ret64(stack, int64(len(in.scratch)))
	}
}

// ghKVCAS is gh_kv_cas: compare-and-swap of one key, atomic with every
// other store call of the plugin. The key, expected and next values are
// views of guest memory; the store copies what it keeps.
func (in *instance) ghKVCAS(stack []uint64) {
	const fn = abi.ImportKVCAS
	flags := int32(uint32(stack[6]))
	if unknown := flags &^ (abi.CASExpect | abi.CASPut); unknown != 0 {
		in.lastErr = fmt.Sprintf("%s: unknown flags %#x", fn, unknown)
		ret64(stack, -int64(abi.BadValue))
		return
	}
	key, ok := in.read64(stack, fn, uint32(stack[0]), uint32(stack[1]))
	if !ok {
		return
	}
	var expect, next []byte
	if flags&abi.CASExpect != 0 {
		if expect, ok = in.read64(stack, fn, uint32(stack[2]), uint32(stack[3])); !ok {
			return
		}
		if expect == nil {
			expect = []byte{} // present and empty, not absent
		}
	}
	if flags&abi.CASPut != 0 {
		if next, ok = in.read64(stack, fn, uint32(stack[4]), uint32(stack[5])); !ok {
			return
		}
		if next == nil {
			next = []byte{}
		}
	}
	cptr, ccap := uint32(stack[7]), uint32(stack[8])
	if _, ok := in.read64(stack, fn, cptr, ccap); !ok {
		return
	}
	st, err := in.kv()
	if err != nil {
		ret64(stack, -int64(in.fail(fn, 0, err)))
		return
	}
	swapped, cur, err := st.CompareAndSwap(key, expect, next)
	switch {
	case err != nil:
		ret64(stack, -int64(in.fail(fn, 0, err)))
	case swapped:
		ret64(stack, 0)
	case cur == nil:
		ret64(stack, -int64(abi.NotFound))
	default:
		if uint64(len(cur)) <= uint64(ccap) {
			in.mem.Write(cptr, cur) // in range: checked above
		}
		ret64(stack, int64(len(cur))+1)
	}
}

// ghKVIncr is gh_kv_incr: adds to the integer stored under a key (a
// binary Gene document) and writes the new value to the guest, as a
// little-endian int64.
func (in *instance) ghKVIncr(stack []uint64) {
	const fn = abi.ImportKVIncr
	key, ok := in.read32(stack, fn, uint32(stack[0]), uint32(stack[1]))
	if !ok {
		return
	}
	by := int64(stack[2])
	out := uint32(stack[3])
	// Check the output before changing anything, so a bad pointer never
	// leaves an increment the guest cannot see.
	if _, ok := in.read32(stack, fn, out, abi.IncrOutSize); !ok {
		return
	}
	st, err := in.kv()
	if err != nil {
		ret32(stack, in.fail(fn, 0, err))
		return
	}
	n, err := st.Incr(key, by)
	if err != nil {
		ret32(stack, in.fail(fn, 0, err))
		return
	}
	in.mem.WriteUint64Le(out, uint64(n)) // in range: checked above
	ret32(stack, abi.OK)
}

func (in *instance) ghTimerSet(stack []uint64) {
	const fn = abi.ImportTimerSet
	d := time.Duration(int64(stack[0]))
	if d < 0 {
		ret64(stack, -int64(in.fail(fn, 0, fmt.Errorf("negative delay %v", d))))
		return
	}
	id, err := in.host.SetTimer(d)
	switch {
	case err != nil:
		ret64(stack, -int64(in.fail(fn, 0, err)))
	case id == 0 || id > 1<<63-1:
		ret64(stack, -int64(in.fail(fn, 0, fmt.Errorf("host returned timer id %d, outside 1..2^63-1", id))))
	default:
		ret64(stack, int64(id))
	}
}

func (in *instance) ghTimerCancel(stack []uint64) { in.host.CancelTimer(stack[0]) }
