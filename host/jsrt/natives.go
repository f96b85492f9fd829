package jsrt

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/dop251/goja"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugin"
)

// natives returns the host functions the prelude wraps (Link methods,
// genehost.kv, timers). They run on the loop goroutine inside a callback.
func (in *instance) natives() *goja.Object {
	o := in.vm.NewObject()
	for name, f := range map[string]func(goja.FunctionCall) goja.Value{
		"send":        in.nativeSend,
		"sendWait":    in.nativeSendWait,
		"closeLink":   in.nativeCloseLink,
		"resume":      in.nativeResume,
		"equal":       in.nativeEqual,
		"kvGet":       in.nativeKVGet,
		"kvPut":       in.nativeKVPut,
		"kvDelete":    in.nativeKVDelete,
		"kvScan":      in.nativeKVScan,
		"kvBatch":     in.nativeKVBatch,
		"kvCAS":       in.nativeKVCAS,
		"kvIncr":      in.nativeKVIncr,
		"kvWatch":     in.nativeKVWatch,
		"kvUnwatch":   in.nativeKVUnwatch,
		"setTimer":    in.nativeSetTimer,
		"cancelTimer": in.nativeCancelTimer,
	} {
		o.Set(name, f)
	}
	in.streamNatives(o)
	return o
}

// ctx is the deadline of the callback in progress.
func (in *instance) ctx() context.Context {
	if in.cur.ctx == nil {
		parent := in.cur.parent
		if parent == nil {
			parent = context.Background()
		}
		in.cur.ctx, in.cur.cancel = context.WithDeadlineCause(parent, in.cur.deadline, plugin.ErrTimeout)
	}
	return in.cur.ctx
}

// throw raises a HostError (or NoCreditError) in JavaScript for a failed
// host call.
func (in *instance) throw(what string, err error) {
	msg := what + ": " + err.Error()
	var obj *goja.Object
	if errors.Is(err, plugin.ErrNoCredit) {
		obj, _ = in.vm.New(in.c.noCreditCtor, in.vm.ToValue(msg))
	} else {
		code := "host"
		switch {
		case errors.Is(err, plugin.ErrLinkClosed):
			code = "link-closed"
		case errors.Is(err, plugin.ErrDirection):
			code = "direction"
		case errors.Is(err, plugin.ErrNotGranted):
			code = "not-granted"
		case errors.Is(err, plugin.ErrNotInteger):
			code = "not-integer"
		case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
			code = "timeout"
		}
		obj, _ = in.vm.New(in.c.hostErrorCtor, in.vm.ToValue(code), in.vm.ToValue(msg))
	}
	if obj == nil {
		panic(in.vm.NewGoError(errors.New(msg)))
	}
	panic(obj)
}

// gene converts a handler's argument, throwing a TypeError that names the
// call and the place in the value when it has no Gene form.
func (in *instance) gene(what string, v goja.Value) gene.Value {
	g, err := in.c.fromJS(v)
	if err != nil {
		panic(in.vm.NewTypeError(what + ": " + err.Error()))
	}
	return g
}

func linkID(v goja.Value) plugin.LinkID { return plugin.LinkID(v.ToInteger()) }

func (in *instance) nativeSend(call goja.FunctionCall) goja.Value {
	g := in.gene("link.send", call.Argument(1))
	if err := in.host.TrySend(linkID(call.Argument(0)), g); err != nil {
		in.throw("link.send", err)
	}
	return in.vm.ToValue(true)
}

func (in *instance) nativeSendWait(call goja.FunctionCall) goja.Value {
	g := in.gene("link.sendAsync", call.Argument(1))
	if err := in.host.Send(in.ctx(), linkID(call.Argument(0)), g); err != nil {
		in.throw("link.sendAsync", err)
	}
	return goja.Undefined()
}

func (in *instance) nativeCloseLink(call goja.FunctionCall) goja.Value {
	if err := in.host.CloseLink(linkID(call.Argument(0)), call.Argument(1).String()); err != nil {
		in.throw("link.close", err)
	}
	return goja.Undefined()
}

func (in *instance) nativeResume(call goja.FunctionCall) goja.Value {
	in.host.Resume(linkID(call.Argument(0)))
	return goja.Undefined()
}

func (in *instance) nativeEqual(call goja.FunctionCall) goja.Value {
	a := in.gene("gene.equal", call.Argument(0))
	b := in.gene("gene.equal", call.Argument(1))
	return in.vm.ToValue(gene.Equal(a, b))
}

// Key-value store. Keys are strings (stored as UTF-8) or Uint8Arrays;
// values are any Gene value, stored as a binary Gene document so they
// read back exactly and the format is versioned on disk.

func (in *instance) store(what string) plugin.Store {
	s, err := in.host.Store()
	if err != nil {
		if errors.Is(err, plugin.ErrNotGranted) {
			err = fmt.Errorf("the key-value store is not granted to this plugin (grant kv in its config): %w", err)
		}
		in.throw(what, err)
	}
	return s
}

func (in *instance) key(what string, v goja.Value) []byte {
	if goja.IsString(v) {
		return []byte(v.String())
	}
	if o, ok := v.(*goja.Object); ok && o.Prototype() == in.c.uint8Proto {
		var b []byte
		if in.vm.ExportTo(o, &b) == nil {
			return append([]byte(nil), b...)
		}
	}
	panic(in.vm.NewTypeError(what + ": a key must be a string or a Uint8Array, got " + typeName(v)))
}

func (in *instance) decodeStored(what string, b []byte) goja.Value {
	g, _, err := gene.DecodeBinaryDoc(b, gene.BinaryOptions{})
	if err != nil {
		in.throw(what, err)
	}
	return in.c.toJS(g)
}

func (in *instance) nativeKVGet(call goja.FunctionCall) goja.Value {
	s := in.store("genehost.kv.get")
	b, err := s.Get(in.key("genehost.kv.get", call.Argument(0)))
	if errors.Is(err, plugin.ErrNotFound) {
		return goja.Undefined()
	}
	if err != nil {
		in.throw("genehost.kv.get", err)
	}
	return in.decodeStored("genehost.kv.get", b)
}

func (in *instance) nativeKVPut(call goja.FunctionCall) goja.Value {
	s := in.store("genehost.kv.put")
	k := in.key("genehost.kv.put", call.Argument(0))
	g := in.gene("genehost.kv.put", call.Argument(1))
	if err := s.Put(k, gene.AppendBinaryDoc(nil, g)); err != nil {
		in.throw("genehost.kv.put", err)
	}
	return goja.Undefined()
}

func (in *instance) nativeKVDelete(call goja.FunctionCall) goja.Value {
	s := in.store("genehost.kv.delete")
	ok, err := s.Delete(in.key("genehost.kv.delete", call.Argument(0)))
	if err != nil {
		in.throw("genehost.kv.delete", err)
	}
	return in.vm.ToValue(ok)
}

// nativeKVBatch takes [['put', key, value] | ['delete', key], ...] and
// applies every operation in one store transaction: one durable commit
// for all of them, or none applied when any fails. It returns one boolean
// per operation: true for a put, whether the key was present for a delete.
func (in *instance) nativeKVBatch(call goja.FunctionCall) goja.Value {
	const what = "genehost.kv.batch"
	s := in.store(what)
	arr, ok := call.Argument(0).(*goja.Object)
	if !ok || arr.ClassName() != "Array" {
		panic(in.vm.NewTypeError(what + ": want an array of operations, got " + typeName(call.Argument(0))))
	}
	n := int(arr.Get("length").ToInteger())
	ops := make([]plugin.StoreOp, n)
	for i := range ops {
		at := fmt.Sprintf("%s: operation %d", what, i)
		o, ok := arr.Get(strconv.Itoa(i)).(*goja.Object)
		if !ok || o.ClassName() != "Array" {
			panic(in.vm.NewTypeError(at + ": want ['put', key, value] or ['delete', key]"))
		}
		switch kind := o.Get("0"); {
		case kind != nil && kind.String() == "put" && o.Get("length").ToInteger() == 3:
			ops[i] = plugin.StoreOp{Key: in.key(at, o.Get("1")), Value: gene.AppendBinaryDoc(nil, in.gene(at, o.Get("2")))}
		case kind != nil && kind.String() == "delete" && o.Get("length").ToInteger() == 2:
			ops[i] = plugin.StoreOp{Key: in.key(at, o.Get("1")), Delete: true}
		default:
			panic(in.vm.NewTypeError(at + ": want ['put', key, value] or ['delete', key]"))
		}
	}
	res, err := s.Batch(ops)
	done := make([]any, len(res))
	for i, r := range res {
		done[i] = r
	}
	if err != nil {
		in.throw(what, err)
	}
	return in.vm.NewArray(done...)
}

// nativeKVCAS takes (key, expected, next) and sets key to next if it
// holds expected, atomically across every instance and version of the
// plugin. undefined stands for "absent": an undefined expected matches
// only an absent key, an undefined next deletes it. Values are compared
// as their binary Gene document encodings, byte for byte: what put would
// store. It returns whether it applied.
func (in *instance) nativeKVCAS(call goja.FunctionCall) goja.Value {
	const what = "genehost.kv.cas"
	s := in.store(what)
	k := in.key(what, call.Argument(0))
	var expect, next []byte
	if v := call.Argument(1); !goja.IsUndefined(v) {
		expect = gene.AppendBinaryDoc(nil, in.gene(what+" expected", v))
	}
	if v := call.Argument(2); !goja.IsUndefined(v) {
		next = gene.AppendBinaryDoc(nil, in.gene(what+" next", v))
	}
	swapped, _, err := s.CompareAndSwap(k, expect, next)
	if err != nil {
		in.throw(what, err)
	}
	return in.vm.ToValue(swapped)
}

// nativeKVIncr takes (key, by) and adds by (an integer, number or bigint,
// default 1) to the integer stored under key, absent counting as 0. It
// returns the new value: a number, or a bigint beyond 2^53-1, as kv.get
// would read it. A stored value that is not an integer, or a sum past
// the int64 range, throws HostError "not-integer" and changes nothing.
func (in *instance) nativeKVIncr(call goja.FunctionCall) goja.Value {
	const what = "genehost.kv.incr"
	s := in.store(what)
	k := in.key(what, call.Argument(0))
	by := int64(1)
	if v := call.Argument(1); !goja.IsUndefined(v) {
		g := in.gene(what+" by", v)
		n, ok := g.AsInt()
		if !ok {
			got := typeName(v)
			if k := g.Kind(); k == gene.KindInt || k == gene.KindFloat {
				got += " " + v.String()
			}
			panic(in.vm.NewTypeError(what + ": by must be an integer within the 64-bit range, got " + got))
		}
		by = n
	}
	n, err := s.Incr(k, by)
	if err != nil {
		in.throw(what, err)
	}
	return in.c.toJS(gene.Int(n))
}

// nativeKVScan takes {prefix, after, limit} and returns [[key, value], ...]
// in key order, keys as strings.
func (in *instance) nativeKVScan(call goja.FunctionCall) goja.Value {
	const what = "genehost.kv.scan"
	s := in.store(what)
	opts, _ := call.Argument(0).(*goja.Object)
	var prefix, after []byte
	limit := 0
	if opts != nil {
		if v := opts.Get("prefix"); v != nil && !goja.IsUndefined(v) {
			prefix = in.key(what+" prefix", v)
		}
		if v := opts.Get("after"); v != nil && !goja.IsUndefined(v) {
			after = in.key(what+" after", v)
		}
		if v := opts.Get("limit"); v != nil && !goja.IsUndefined(v) {
			limit = int(v.ToInteger())
		}
	}
	var pairs []any
	var decodeErr error
	err := s.Scan(prefix, after, limit, func(k, v []byte) bool {
		g, _, err := gene.DecodeBinaryDoc(v, gene.BinaryOptions{})
		if err != nil {
			decodeErr = err
			return false
		}
		pairs = append(pairs, in.vm.NewArray(string(k), in.c.toJS(g)))
		return true
	})
	if err == nil {
		err = decodeErr
	}
	if err != nil {
		in.throw(what, err)
	}
	return in.vm.NewArray(pairs...)
}

// nativeSetTimer asks the host for a timer; the delay is in milliseconds.
func (in *instance) nativeSetTimer(call goja.FunctionCall) goja.Value {
	ms := call.Argument(0).ToFloat()
	if math.IsNaN(ms) || ms < 0 {
		ms = 0
	}
	d := time.Duration(math.Min(ms, float64(math.MaxInt64/int64(time.Millisecond))) * float64(time.Millisecond))
	id, err := in.host.SetTimer(d)
	if err != nil {
		if errors.Is(err, plugin.ErrNotGranted) {
			err = fmt.Errorf("timers are not granted to this plugin (grant timers in its config): %w", err)
		}
		in.throw("setTimeout", err)
	}
	return in.vm.ToValue(id)
}

func (in *instance) nativeCancelTimer(call goja.FunctionCall) goja.Value {
	in.host.CancelTimer(uint64(call.Argument(0).ToInteger()))
	return goja.Undefined()
}
