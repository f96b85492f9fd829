package wasmrt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/genehost/genehost/abi"
	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugin"
)

// The streams and topics imports of ABI 1.3 (ABI.md, "Streams"): each
// reads its names (text) and values (binary Gene) from guest memory and
// calls the plugin's plugin.Streams, which the Host offers when the
// operator granted ^streams. Deliveries never pass through here: the host
// pushes them to the attached links itself.

// streamImports are the implementations of the ABI 1.3 imports, by name.
var streamImports = map[string]func(in *instance, stack []uint64){
	abi.ImportStreamPublish:      (*instance).ghStreamPublish,
	abi.ImportStreamPublishBatch: (*instance).ghStreamPublishBatch,
	abi.ImportStreamAttach:       (*instance).ghStreamAttach,
	abi.ImportStreamDetach:       (*instance).ghStreamDetach,
	abi.ImportStreamAck:          (*instance).ghStreamAck,
	abi.ImportStreamReset:        (*instance).ghStreamReset,
	abi.ImportStreamTrim:         (*instance).ghStreamTrim,
	abi.ImportStreamInfo:         (*instance).ghStreamInfo,
	abi.ImportTopicPublish:       (*instance).ghTopicPublish,
	abi.ImportTopicSubscribe:     (*instance).ghTopicSubscribe,
	abi.ImportTopicUnsubscribe:   (*instance).ghTopicUnsubscribe,
}

// streams returns the plugin's streams, or an error matching
// plugin.ErrNotGranted that says how to grant them.
func (in *instance) streams() (plugin.Streams, error) {
	sh, ok := in.host.(plugin.StreamsHost)
	if !ok {
		return nil, fmt.Errorf("%w: this host offers no streams", plugin.ErrNotGranted)
	}
	s, err := sh.Streams()
	if errors.Is(err, plugin.ErrNotGranted) {
		err = fmt.Errorf("streams are not granted to this plugin (grant them with ^grants {^streams true}): %w", err)
	}
	return s, err
}

// streamStatus is statusOf with the stream errors of ABI 1.3.
func streamStatus(err error) abi.Status {
	switch {
	case errors.Is(err, plugin.ErrNotDelivered):
		return abi.NotDelivered
	case errors.Is(err, plugin.ErrStreamName):
		return abi.BadName
	}
	return statusOf(err)
}

// streamFail records the message of a failed stream call and returns its
// status.
func (in *instance) streamFail(fn string, link plugin.LinkID, err error) abi.Status {
	in.fail(fn, link, err)
	return streamStatus(err)
}

// text reads a name from guest memory as a string (a copy).
func (in *instance) text(fn string, ptr, n uint32) (string, bool) {
	b, ok := in.read(fn, ptr, n)
	return string(b), ok
}

// names reads the stream and group names of a call whose first four
// parameters are their ranges.
func (in *instance) names(fn string, stack []uint64, at int) (stream, group string, ok bool) {
	if stream, ok = in.text(fn, uint32(stack[at]), uint32(stack[at+1])); ok {
		group, ok = in.text(fn, uint32(stack[at+2]), uint32(stack[at+3]))
	}
	return stream, group, ok
}

// publishedValue checks that b is exactly one value within the runtime's
// limits and returns a copy of it: a stream or topic keeps the bytes and
// splices them into every delivery.
func (in *instance) publishedValue(b []byte) ([]byte, error) {
	_, n, err := gene.DecodeBinary(b, in.m.rt.opts)
	if err == nil && n != len(b) {
		err = fmt.Errorf("%w: %d bytes after the value", gene.ErrBinary, len(b)-n)
	}
	return bytes.Clone(b), err
}

// streamCall64 runs a stream call whose i64 result is a non-negative
// count or position, or -status.
func (in *instance) streamCall64(stack []uint64, fn string, link plugin.LinkID, call func(plugin.Streams) (uint64, error)) {
	s, err := in.streams()
	var n uint64
	if err == nil {
		n, err = call(s)
	}
	if err == nil && n > 1<<63-1 {
		err = fmt.Errorf("result %d is outside 0..2^63-1", n)
	}
	if err != nil {
		ret64(stack, -int64(in.streamFail(fn, link, err)))
		return
	}
	ret64(stack, int64(n))
}

// streamCall32 runs a stream call whose i32 result is a status: found
// false is NOT_FOUND.
func (in *instance) streamCall32(stack []uint64, fn string, link plugin.LinkID, call func(plugin.Streams) (found bool, err error)) {
	s, err := in.streams()
	found := false
	if err == nil {
		found, err = call(s)
	}
	switch {
	case err != nil:
		ret32(stack, in.streamFail(fn, link, err))
	case !found:
		ret32(stack, abi.NotFound)
	default:
		ret32(stack, abi.OK)
	}
}

// ghStreamPublish is gh_stream_publish(stream, value) -> seq.
func (in *instance) ghStreamPublish(stack []uint64) {
	in.publishOne(stack, abi.ImportStreamPublish, "stream", func(s plugin.Streams, stream string, val []byte) (uint64, error) {
		seqs, err := s.Publish([]plugin.StreamEntry{{Stream: stream, Value: val}})
		if err != nil {
			return 0, err
		}
		return seqs[0], nil
	})
}

// publishOne serves the imports (name, value) -> i64: it reads the name
// and the value, checks the value and calls publish with a copy.
func (in *instance) publishOne(stack []uint64, fn, what string, publish func(s plugin.Streams, name string, val []byte) (uint64, error)) {
	name, ok := in.text(fn, uint32(stack[0]), uint32(stack[1]))
	if !ok {
		ret64(stack, -int64(abi.BadValue))
		return
	}
	b, ok := in.read64(stack, fn, uint32(stack[2]), uint32(stack[3]))
	if !ok {
		return
	}
	in.streamCall64(stack, fn, 0, func(s plugin.Streams) (uint64, error) {
		val, err := in.publishedValue(b)
		if err != nil {
			return 0, fmt.Errorf("%s %q: %w", what, name, err)
		}
		return publish(s, name, val)
	})
}

// ghStreamPublishBatch is gh_stream_publish_batch: count records (stream,
// value) in one durable commit, their seqs written as u64 LE to optr.
func (in *instance) ghStreamPublishBatch(stack []uint64) {
	const fn = abi.ImportStreamPublishBatch
	recs, ok := in.read32(stack, fn, uint32(stack[0]), uint32(stack[1]))
	if !ok {
		return
	}
	count, optr := int(uint32(stack[2])), uint32(stack[3])
	if count == 0 || uint64(count)*8 > uint64(len(recs)) {
		in.fail(fn, 0, fmt.Errorf("%d entries in %d bytes of records", count, len(recs)))
		ret32(stack, abi.BadValue)
		return
	}
	// Check the output before publishing, so a bad pointer never leaves
	// messages the guest cannot see.
	if _, ok := in.read32(stack, fn, optr, uint32(abi.PublishBatchOutSize(count))); !ok {
		return
	}
	entries := make([]plugin.StreamEntry, count)
	rest := recs
	for i := range entries {
		k, v, r, err := abi.NextScanRecord(rest)
		if err == nil {
			entries[i].Value, err = in.publishedValue(v)
		}
		if err != nil {
			in.fail(fn, 0, fmt.Errorf("entry %d: %w", i, err))
			ret32(stack, abi.BadValue)
			return
		}
		entries[i].Stream, rest = string(k), r
	}
	if len(rest) > 0 {
		in.fail(fn, 0, fmt.Errorf("%d bytes after %d entries", len(rest), count))
		ret32(stack, abi.BadValue)
		return
	}
	s, err := in.streams()
	var seqs []uint64
	if err == nil {
		seqs, err = s.Publish(entries)
	}
	if err != nil {
		ret32(stack, in.streamFail(fn, 0, err))
		return
	}
	in.scratch = in.scratch[:0]
	for _, q := range seqs {
		in.scratch = binary.LittleEndian.AppendUint64(in.scratch, q)
	}
	in.mem.Write(optr, in.scratch) // in range: checked above
	ret32(stack, abi.OK)
}

// ghStreamAttach is gh_stream_attach(link, stream, group, prefetch,
// ack timeout ns, flags) -> the group's acknowledged position.
func (in *instance) ghStreamAttach(stack []uint64) {
	const fn = abi.ImportStreamAttach
	link := plugin.LinkID(stack[0])
	stream, group, ok := in.names(fn, stack, 1)
	if !ok {
		ret64(stack, -int64(abi.BadValue))
		return
	}
	flags := int32(uint32(stack[7]))
	if unknown := flags &^ abi.AttachLatest; unknown != 0 {
		in.lastErr = fmt.Sprintf("%s: unknown flags %#x", fn, unknown)
		ret64(stack, -int64(abi.BadValue))
		return
	}
	o := plugin.AttachOptions{
		Prefetch:   int(int32(uint32(stack[5]))),
		AckTimeout: time.Duration(int64(stack[6])),
		Latest:     flags&abi.AttachLatest != 0,
	}
	in.streamCall64(stack, fn, link, func(s plugin.Streams) (uint64, error) {
		return s.Attach(link, stream, group, o)
	})
}

// ghStreamDetach is gh_stream_detach(link, stream, group): OK, or
// NOT_FOUND when the link was not attached.
func (in *instance) ghStreamDetach(stack []uint64) {
	const fn = abi.ImportStreamDetach
	link := plugin.LinkID(stack[0])
	stream, group, ok := in.names(fn, stack, 1)
	if !ok {
		ret32(stack, abi.BadValue)
		return
	}
	in.streamCall32(stack, fn, link, func(s plugin.Streams) (bool, error) { return s.Detach(link, stream, group) })
}

// ghStreamAck is gh_stream_ack(stream, group, seq).
func (in *instance) ghStreamAck(stack []uint64) {
	const fn = abi.ImportStreamAck
	stream, group, ok := in.names(fn, stack, 0)
	if !ok {
		ret32(stack, abi.BadValue)
		return
	}
	in.streamCall32(stack, fn, 0, func(s plugin.Streams) (bool, error) { return true, s.Ack(stream, group, stack[4]) })
}

// ghStreamReset is gh_stream_reset(stream, group, seq) -> the seq applied.
func (in *instance) ghStreamReset(stack []uint64) {
	const fn = abi.ImportStreamReset
	stream, group, ok := in.names(fn, stack, 0)
	if !ok {
		ret64(stack, -int64(abi.BadValue))
		return
	}
	seq := stack[4]
	in.streamCall64(stack, fn, 0, func(s plugin.Streams) (uint64, error) { return s.Reset(stream, group, seq) })
}

// ghStreamTrim is gh_stream_trim(stream, through, optr): the bound applied
// and the count deleted go to [optr, +16) as two u64 LE.
func (in *instance) ghStreamTrim(stack []uint64) {
	const fn = abi.ImportStreamTrim
	stream, ok := in.text(fn, uint32(stack[0]), uint32(stack[1]))
	if !ok {
		ret32(stack, abi.BadValue)
		return
	}
	through, optr := stack[2], uint32(stack[3])
	if _, ok := in.read32(stack, fn, optr, abi.TrimOutSize); !ok {
		return
	}
	s, err := in.streams()
	var applied, deleted uint64
	if err == nil {
		applied, deleted, err = s.Trim(stream, through)
	}
	if err != nil {
		ret32(stack, in.streamFail(fn, 0, err))
		return
	}
	in.mem.WriteUint64Le(optr, applied) // in range: checked above
	in.mem.WriteUint64Le(optr+8, deleted)
	ret32(stack, abi.OK)
}

// ghStreamInfo is gh_stream_info(optr, ocap) -> n: the streams as one
// value, [{^stream S ^head N ^groups [{^group G ^acked N ^consumers N
// ^unacked N}]}], copied when n <= ocap.
func (in *instance) ghStreamInfo(stack []uint64) {
	const fn = abi.ImportStreamInfo
	optr, ocap := uint32(stack[0]), uint32(stack[1])
	if _, ok := in.read64(stack, fn, optr, ocap); !ok {
		return
	}
	s, err := in.streams()
	var infos []plugin.StreamInfo
	if err == nil {
		infos, err = s.Info()
	}
	if err != nil {
		ret64(stack, -int64(in.streamFail(fn, 0, err)))
		return
	}
	in.scratch = gene.AppendBinary(in.scratch[:0], streamInfoValue(infos))
	if uint64(len(in.scratch)) <= uint64(ocap) {
		in.mem.Write(optr, in.scratch) // in range: checked above
	}
	ret64(stack, int64(len(in.scratch)))
}

// streamInfoValue is what gh_stream_info writes for infos.
func streamInfoValue(infos []plugin.StreamInfo) gene.Value {
	out := make([]gene.Value, len(infos))
	for i, si := range infos {
		gs := make([]gene.Value, len(si.Groups))
		for j, g := range si.Groups {
			gs[j] = gene.PropMap(
				gene.Prop{Key: "group", Value: gene.String(g.Group)},
				gene.Prop{Key: "acked", Value: gene.Int(int64(g.Acked))},
				gene.Prop{Key: "consumers", Value: gene.Int(int64(g.Consumers))},
				gene.Prop{Key: "unacked", Value: gene.Int(int64(g.Unacked))},
			)
		}
		out[i] = gene.PropMap(
			gene.Prop{Key: "stream", Value: gene.String(si.Stream)},
			gene.Prop{Key: "head", Value: gene.Int(int64(si.Head))},
			gene.Prop{Key: "groups", Value: gene.List(gs...)},
		)
	}
	return gene.List(out...)
}

// ghTopicPublish is gh_topic_publish(topic, value) -> how many links of
// this host it went to.
func (in *instance) ghTopicPublish(stack []uint64) {
	in.publishOne(stack, abi.ImportTopicPublish, "topic", func(s plugin.Streams, topic string, val []byte) (uint64, error) {
		n, err := s.PublishTopic(topic, val)
		return uint64(n), err
	})
}

// ghTopicSubscribe is gh_topic_subscribe(link, topic).
func (in *instance) ghTopicSubscribe(stack []uint64) {
	const fn = abi.ImportTopicSubscribe
	link := plugin.LinkID(stack[0])
	topic, ok := in.text(fn, uint32(stack[1]), uint32(stack[2]))
	if !ok {
		ret32(stack, abi.BadValue)
		return
	}
	in.streamCall32(stack, fn, link, func(s plugin.Streams) (bool, error) { return true, s.Subscribe(link, topic) })
}

// ghTopicUnsubscribe is gh_topic_unsubscribe(link, topic): OK, or
// NOT_FOUND when the link was not subscribed.
func (in *instance) ghTopicUnsubscribe(stack []uint64) {
	const fn = abi.ImportTopicUnsubscribe
	link := plugin.LinkID(stack[0])
	topic, ok := in.text(fn, uint32(stack[1]), uint32(stack[2]))
	if !ok {
		ret32(stack, abi.BadValue)
		return
	}
	in.streamCall32(stack, fn, link, func(s plugin.Streams) (bool, error) { return s.Unsubscribe(link, topic) })
}
