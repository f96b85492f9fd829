package guest

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/genehost/genehost/abi"
	"github.com/genehost/genehost/gene"
)

// StreamAPI is the streams capability (ABI 1.3, ABI.md "Streams"):
// durable ordered logs of the plugin with consumer groups, acks,
// redelivery, positions and reset, where the host does the delivery. A
// plugin attaches one of its links to a stream's group, and from then on
// the host pushes each message to that link under its credit, as
//
//	(message ^topic STREAM ^group GROUP ^seq N ^value V ^attempt A)
//
// without calling the plugin. Every method fails with an error matching
// abi.ErrNotGranted unless the operator granted ^streams, abi.ErrBadName
// for a name outside 1 to 128 of A-Z a-z 0-9 _ . -, and abi.ErrBadValue
// for a value over the host's limits.
type StreamAPI struct{}

// Streams is the plugin's streams.
var Streams StreamAPI

// TopicAPI is the non-durable pub/sub of the streams capability: a
// message reaches the links subscribed when it is published, as
// (message ^topic TOPIC ^value V).
type TopicAPI struct{}

// Topics is the plugin's topics.
var Topics TopicAPI

// StreamEntry is one message of Streams.PublishBatch.
type StreamEntry struct {
	Stream string
	Value  gene.Value
}

// AttachOptions are a consumer's settings; zero fields take the host's
// defaults (prefetch 16, at most 1024; ack timeout 30 s).
type AttachOptions struct {
	// Prefetch bounds the link's unacknowledged messages.
	Prefetch int
	// AckTimeout is how long a message may stay unacknowledged before it
	// is delivered again.
	AckTimeout time.Duration
	// Latest makes a group that does not exist yet start after the last
	// message instead of at the first.
	Latest bool
}

// StreamInfo describes one stream (Streams.Info).
type StreamInfo struct {
	Stream string
	Head   uint64 // the last sequence number (0: none yet)
	Groups []GroupInfo
}

// GroupInfo describes one consumer group of a stream.
type GroupInfo struct {
	Group     string
	Acked     uint64 // every seq <= Acked is acknowledged
	Consumers int    // links attached on this host
	Unacked   int    // delivered (or due again) and not acknowledged
}

// stbuf holds gh_stream_publish_batch records and receives its seqs and
// gh_stream_info's value; reused.
var stbuf []byte

// status64 splits an i64 result: >= 0 a number, < 0 -status.
func status64(n int64) (uint64, error) {
	if n < 0 {
		return 0, hostErr(abi.Status(-n))
	}
	return uint64(n), nil
}

// Publish appends v to stream, durably, and returns its sequence number
// (from 1 per stream).
func (StreamAPI) Publish(stream string, v gene.Value) (uint64, error) {
	return status64(callStreamPublish(stream, encode(v)))
}

// PublishBatch appends every entry in one durable commit and returns
// their sequence numbers.
func (StreamAPI) PublishBatch(entries []StreamEntry) ([]uint64, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	recs := stbuf[:0]
	for _, e := range entries {
		outbuf = gene.AppendBinary(outbuf[:0], e.Value)
		recs = abi.AppendScanRecord(recs, []byte(e.Stream), outbuf)
	}
	stbuf = recs
	out := make([]byte, abi.PublishBatchOutSize(len(entries)))
	if err := hostErr(callStreamPublishBatch(recs, len(entries), out)); err != nil {
		return nil, err
	}
	seqs := make([]uint64, len(entries))
	for i := range seqs {
		seqs[i] = binary.LittleEndian.Uint64(out[8*i:])
	}
	return seqs, nil
}

// Attach makes l a consumer of group on stream (the group is made at the
// first attach) and returns the group's acknowledged position. The host
// starts pushing messages to l once the current callback returns, so a
// reply sent in it arrives first. Attaching again changes the options.
func (StreamAPI) Attach(l Link, stream, group string, o AttachOptions) (acked uint64, err error) {
	var flags int32
	if o.Latest {
		flags |= abi.AttachLatest
	}
	prefetch := int32(min(max(o.Prefetch, 0), 1<<31-1))
	return status64(callStreamAttach(l.id, stream, group, prefetch, int64(o.AckTimeout), flags))
}

// Detach ends l's membership of group (its unacknowledged messages go to
// the group's other links) and reports whether l was attached. A link's
// attachments also end when it closes.
func (StreamAPI) Detach(l Link, stream, group string) (bool, error) {
	return found(callStreamDetach(l.id, stream, group))
}

// Ack acknowledges message seq of stream for group. It fails with an
// error matching abi.ErrNotDelivered for a message the group was never
// sent.
func (StreamAPI) Ack(stream, group string, seq uint64) error {
	return hostErr(callStreamAck(stream, group, seq))
}

// Reset moves group so that its next message is seq (clamped to what is
// kept and to one past the last); what was in flight is forgotten. It
// returns the seq applied.
func (StreamAPI) Reset(stream, group string, seq uint64) (uint64, error) {
	return status64(callStreamReset(stream, group, seq))
}

// Trim deletes stream's messages up to through, but never one a group has
// not acknowledged, and returns the bound applied and how many were
// deleted.
func (StreamAPI) Trim(stream string, through uint64) (applied, deleted uint64, err error) {
	var out [abi.TrimOutSize]byte
	if err := hostErr(callStreamTrim(stream, through, out[:])); err != nil {
		return 0, 0, err
	}
	return binary.LittleEndian.Uint64(out[:8]), binary.LittleEndian.Uint64(out[8:]), nil
}

// Info lists every stream of the plugin with its groups; Consumers counts
// this host's links.
func (StreamAPI) Info() ([]StreamInfo, error) {
	if cap(stbuf) < 256 {
		stbuf = make([]byte, 256)
	}
	for {
		n := callStreamInfo(stbuf[:cap(stbuf)])
		if n < 0 {
			return nil, hostErr(abi.Status(-n))
		}
		if n <= int64(cap(stbuf)) {
			v, _, err := gene.DecodeBinary(stbuf[:n], decodeOptions)
			if err != nil {
				return nil, fmt.Errorf("guest: stream info: %w", err)
			}
			return streamInfos(v)
		}
		stbuf = make([]byte, n)
	}
}

// streamInfos reads gh_stream_info's value: [{^stream ^head ^groups
// [{^group ^acked ^consumers ^unacked}]}].
func streamInfos(v gene.Value) ([]StreamInfo, error) {
	bad := func() ([]StreamInfo, error) {
		return nil, fmt.Errorf("guest: stream info: unexpected %s", gene.Format(v))
	}
	if v.Kind() != gene.KindList {
		return bad()
	}
	out := make([]StreamInfo, 0, v.Len())
	for _, s := range v.List() {
		name, _ := s.Get("stream")
		head, _ := s.Get("head")
		groups, _ := s.Get("groups")
		si := StreamInfo{Stream: name.Str(), Head: uintOf(head)}
		for _, g := range groups.List() {
			gn, _ := g.Get("group")
			acked, _ := g.Get("acked")
			cons, _ := g.Get("consumers")
			un, _ := g.Get("unacked")
			si.Groups = append(si.Groups, GroupInfo{Group: gn.Str(), Acked: uintOf(acked), Consumers: int(uintOf(cons)), Unacked: int(uintOf(un))})
		}
		out = append(out, si)
	}
	return out, nil
}

func uintOf(v gene.Value) uint64 {
	n, _ := v.AsInt()
	return uint64(max(n, 0))
}

// found turns OK into true and NOT_FOUND into false.
func found(st abi.Status) (bool, error) {
	switch st {
	case abi.OK:
		return true, nil
	case abi.NotFound:
		return false, nil
	}
	return false, hostErr(st)
}

// Publish sends v to the links subscribed to topic (on every host sharing
// the backend) and returns how many links of this host it went to.
// Nothing is kept.
func (TopicAPI) Publish(topic string, v gene.Value) (int, error) {
	n, err := status64(callTopicPublish(topic, encode(v)))
	return int(n), err
}

// Subscribe adds l to topic's subscribers. A subscriber more than 4096
// messages behind loses the oldest.
func (TopicAPI) Subscribe(l Link, topic string) error {
	return hostErr(callTopicSubscribe(l.id, topic))
}

// Unsubscribe removes l from topic's subscribers and reports whether it
// was one.
func (TopicAPI) Unsubscribe(l Link, topic string) (bool, error) {
	return found(callTopicUnsubscribe(l.id, topic))
}
