package jsrt

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/dop251/goja"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugin"
)

// streamNatives adds the host functions behind genehost.streams and
// genehost.topics (prelude.js) to o.
func (in *instance) streamNatives(o *goja.Object) {
	for name, f := range map[string]func(goja.FunctionCall) goja.Value{
		"streamPublish":      in.nativeStreamPublish,
		"streamPublishBatch": in.nativeStreamPublishBatch,
		"streamAttach":       in.nativeStreamAttach,
		"streamDetach":       in.nativeStreamDetach,
		"streamAck":          in.nativeStreamAck,
		"streamReset":        in.nativeStreamReset,
		"streamTrim":         in.nativeStreamTrim,
		"streamInfo":         in.nativeStreamInfo,
		"topicPublish":       in.nativeTopicPublish,
		"topicSubscribe":     in.nativeTopicSubscribe,
		"topicUnsubscribe":   in.nativeTopicUnsubscribe,
	} {
		o.Set(name, f)
	}
}

// streams returns the plugin's streams or throws HostError "not-granted".
func (in *instance) streams(what string) plugin.Streams {
	sh, ok := in.host.(plugin.StreamsHost)
	var s plugin.Streams
	err := fmt.Errorf("%w: this host offers no streams", plugin.ErrNotGranted)
	if ok {
		s, err = sh.Streams()
	}
	if err != nil {
		if errors.Is(err, plugin.ErrNotGranted) {
			err = fmt.Errorf("streams are not granted to this plugin (grant streams in its config): %w", err)
		}
		in.throw(what, err)
	}
	return s
}

// throwStream raises a HostError for a failed stream call: code
// "not-delivered" (an ack of a message the group was not sent),
// "bad-name" (a stream, group or topic name), or as in.throw.
func (in *instance) throwStream(what string, err error) {
	code := ""
	switch {
	case errors.Is(err, plugin.ErrNotDelivered):
		code = "not-delivered"
	case errors.Is(err, plugin.ErrStreamName):
		code = "bad-name"
	default:
		in.throw(what, err)
	}
	obj, _ := in.vm.New(in.c.hostErrorCtor, in.vm.ToValue(code), in.vm.ToValue(what+": "+err.Error()))
	panic(obj)
}

func (in *instance) name(what string, v goja.Value) string {
	if !goja.IsString(v) {
		panic(in.vm.NewTypeError(what + ": a name must be a string, got " + typeName(v)))
	}
	return v.String()
}

func (in *instance) seq(what string, v goja.Value) uint64 {
	n, ok := in.gene(what, v).AsInt()
	if !ok || n < 0 {
		panic(in.vm.NewTypeError(what + ": a sequence number must be a non-negative integer, got " + typeName(v)))
	}
	return uint64(n)
}

func (in *instance) nativeStreamPublish(call goja.FunctionCall) goja.Value {
	const what = "genehost.streams.publish"
	s := in.streams(what)
	e := plugin.StreamEntry{Stream: in.name(what, call.Argument(0)), Value: gene.AppendBinary(nil, in.gene(what, call.Argument(1)))}
	seqs, err := s.Publish([]plugin.StreamEntry{e})
	if err != nil {
		in.throwStream(what, err)
	}
	return in.vm.ToValue(seqs[0])
}

// nativeStreamPublishBatch takes [[stream, value], ...] and publishes
// them in one commit, returning their sequence numbers.
func (in *instance) nativeStreamPublishBatch(call goja.FunctionCall) goja.Value {
	const what = "genehost.streams.publishBatch"
	s := in.streams(what)
	arr, ok := call.Argument(0).(*goja.Object)
	if !ok || arr.ClassName() != "Array" {
		panic(in.vm.NewTypeError(what + ": want an array of [stream, value], got " + typeName(call.Argument(0))))
	}
	entries := make([]plugin.StreamEntry, arr.Get("length").ToInteger())
	for i := range entries {
		at := fmt.Sprintf("%s: entry %d", what, i)
		o, ok := arr.Get(strconv.Itoa(i)).(*goja.Object)
		if !ok || o.ClassName() != "Array" || o.Get("length").ToInteger() != 2 {
			panic(in.vm.NewTypeError(at + ": want [stream, value]"))
		}
		entries[i] = plugin.StreamEntry{Stream: in.name(at, o.Get("0")), Value: gene.AppendBinary(nil, in.gene(at, o.Get("1")))}
	}
	seqs, err := s.Publish(entries)
	if err != nil {
		in.throwStream(what, err)
	}
	out := make([]any, len(seqs))
	for i, q := range seqs {
		out[i] = q
	}
	return in.vm.NewArray(out...)
}

// nativeStreamAttach takes (link id, stream, group, {prefetch,
// ackTimeoutMs, from}) and returns the group's acknowledged position.
func (in *instance) nativeStreamAttach(call goja.FunctionCall) goja.Value {
	const what = "genehost.streams.attach"
	s := in.streams(what)
	stream, group := in.name(what, call.Argument(1)), in.name(what, call.Argument(2))
	var o plugin.AttachOptions
	if opts, ok := call.Argument(3).(*goja.Object); ok {
		if v := opts.Get("prefetch"); v != nil && !goja.IsUndefined(v) {
			o.Prefetch = int(v.ToInteger())
		}
		if v := opts.Get("ackTimeoutMs"); v != nil && !goja.IsUndefined(v) {
			o.AckTimeout = time.Duration(v.ToInteger()) * time.Millisecond
		}
		if v := opts.Get("from"); v != nil && !goja.IsUndefined(v) {
			switch v.String() {
			case "latest":
				o.Latest = true
			case "earliest":
			default:
				panic(in.vm.NewTypeError(what + `: from must be "earliest" or "latest"`))
			}
		}
	}
	acked, err := s.Attach(linkID(call.Argument(0)), stream, group, o)
	if err != nil {
		in.throwStream(what, err)
	}
	return in.vm.ToValue(acked)
}

func (in *instance) nativeStreamDetach(call goja.FunctionCall) goja.Value {
	const what = "genehost.streams.detach"
	s := in.streams(what)
	ok, err := s.Detach(linkID(call.Argument(0)), in.name(what, call.Argument(1)), in.name(what, call.Argument(2)))
	if err != nil {
		in.throwStream(what, err)
	}
	return in.vm.ToValue(ok)
}

func (in *instance) nativeStreamAck(call goja.FunctionCall) goja.Value {
	const what = "genehost.streams.ack"
	s := in.streams(what)
	if err := s.Ack(in.name(what, call.Argument(0)), in.name(what, call.Argument(1)), in.seq(what, call.Argument(2))); err != nil {
		in.throwStream(what, err)
	}
	return goja.Undefined()
}

func (in *instance) nativeStreamReset(call goja.FunctionCall) goja.Value {
	const what = "genehost.streams.reset"
	s := in.streams(what)
	seq, err := s.Reset(in.name(what, call.Argument(0)), in.name(what, call.Argument(1)), in.seq(what, call.Argument(2)))
	if err != nil {
		in.throwStream(what, err)
	}
	return in.vm.ToValue(seq)
}

func (in *instance) nativeStreamTrim(call goja.FunctionCall) goja.Value {
	const what = "genehost.streams.trim"
	s := in.streams(what)
	through, deleted, err := s.Trim(in.name(what, call.Argument(0)), in.seq(what, call.Argument(1)))
	if err != nil {
		in.throwStream(what, err)
	}
	o := in.vm.NewObject()
	o.Set("through", through)
	o.Set("deleted", deleted)
	return o
}

// nativeStreamInfo returns [{stream, head, groups: [{group, acked,
// consumers, unacked}]}].
func (in *instance) nativeStreamInfo(call goja.FunctionCall) goja.Value {
	const what = "genehost.streams.info"
	s := in.streams(what)
	infos, err := s.Info()
	if err != nil {
		in.throwStream(what, err)
	}
	out := make([]any, len(infos))
	for i, si := range infos {
		gs := make([]any, len(si.Groups))
		for j, g := range si.Groups {
			o := in.vm.NewObject()
			o.Set("group", g.Group)
			o.Set("acked", g.Acked)
			o.Set("consumers", g.Consumers)
			o.Set("unacked", g.Unacked)
			gs[j] = o
		}
		o := in.vm.NewObject()
		o.Set("stream", si.Stream)
		o.Set("head", si.Head)
		o.Set("groups", in.vm.NewArray(gs...))
		out[i] = o
	}
	return in.vm.NewArray(out...)
}

func (in *instance) nativeTopicPublish(call goja.FunctionCall) goja.Value {
	const what = "genehost.topics.publish"
	s := in.streams(what)
	n, err := s.PublishTopic(in.name(what, call.Argument(0)), gene.AppendBinary(nil, in.gene(what, call.Argument(1))))
	if err != nil {
		in.throwStream(what, err)
	}
	return in.vm.ToValue(n)
}

func (in *instance) nativeTopicSubscribe(call goja.FunctionCall) goja.Value {
	const what = "genehost.topics.subscribe"
	s := in.streams(what)
	if err := s.Subscribe(linkID(call.Argument(0)), in.name(what, call.Argument(1))); err != nil {
		in.throwStream(what, err)
	}
	return goja.Undefined()
}

func (in *instance) nativeTopicUnsubscribe(call goja.FunctionCall) goja.Value {
	const what = "genehost.topics.unsubscribe"
	s := in.streams(what)
	ok, err := s.Unsubscribe(linkID(call.Argument(0)), in.name(what, call.Argument(1)))
	if err != nil {
		in.throwStream(what, err)
	}
	return in.vm.ToValue(ok)
}
