package plugin

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/proto"
)

// Streams is the capability a plugin is granted with ^grants {^streams
// true}: durable ordered logs (streams) with consumer groups, acks and
// redelivery, and non-durable topics, where the host does the fan-out. A
// plugin attaches one of its links to a stream's group (or to a topic),
// and from then on the host pushes each message to that link under the
// link's credit without calling the plugin: the message's value is
// encoded once and spliced into each delivery (on a topic every link gets
// the very same bytes). ABI.md, "Streams", is the reference for plugin
// authors.
//
// Every method is atomic with respect to every other caller of the same
// plugin's streams (instances, versions, worker processes).
type Streams interface {
	// Attach makes link a consumer of group on stream, creating the group
	// (at o.From) if it does not exist, and returns the group's
	// acknowledged position. Attaching again changes the options. The
	// host starts pushing once the callback that attached returns, so a
	// reply the plugin sends in it arrives first.
	Attach(link LinkID, stream, group string, o AttachOptions) (acked uint64, err error)
	// Subscribe attaches link to topic. A subscriber more than
	// TopicBacklog messages behind loses the oldest.
	Subscribe(link LinkID, topic string) error
	StreamOps
}

// StreamOps are the methods of Streams that name no link to attach, the
// same for a plugin (Streams) and for a backend (StreamStore).
type StreamOps interface {
	// Publish appends each entry's value (a Gene value in the binary
	// encoding, gene.AppendBinary) to its stream, all of them in one
	// durable commit, and returns their sequence numbers (from 1 per
	// stream). Attached groups are then pushed the new messages.
	Publish(entries []StreamEntry) ([]uint64, error)
	// Detach ends link's membership; its unacknowledged messages go to the
	// group's other consumers. It reports whether link was attached. A
	// link's attachments end by themselves when it closes.
	Detach(link LinkID, stream, group string) (bool, error)
	// Ack acknowledges message seq of stream for group: it is not
	// delivered to the group again. It fails with ErrNotDelivered for a
	// message the group was never sent.
	Ack(stream, group string, seq uint64) error
	// Reset moves group's position so that its next message is seq
	// (clamped to one past the last); messages in flight to the group are
	// forgotten. It returns the seq applied.
	Reset(stream, group string, seq uint64) (uint64, error)
	// Trim deletes stream's messages up to through, never past the lowest
	// acknowledged position of its groups, and returns the bound applied
	// and how many messages were deleted.
	Trim(stream string, through uint64) (applied, deleted uint64, err error)
	// Info lists every stream with its last sequence number and groups.
	Info() ([]StreamInfo, error)
	// PublishTopic sends value (binary Gene) to every link subscribed to
	// topic, on any host sharing the backend; nothing is stored. It
	// returns how many links of this host it was queued for.
	PublishTopic(topic string, value []byte) (int, error)
	// Unsubscribe detaches link from topic and reports whether it was
	// subscribed.
	Unsubscribe(link LinkID, topic string) (bool, error)
}

// StreamsHost is implemented by a Host that offers streams: Streams
// returns the plugin's streams, or an error matching ErrNotGranted.
type StreamsHost interface {
	Streams() (Streams, error)
}

// StreamEntry is one value to publish.
type StreamEntry struct {
	Stream string
	Value  []byte // binary Gene encoding of one value
}

// AttachOptions are a consumer's settings. Zero means the default.
type AttachOptions struct {
	// Prefetch bounds the consumer's unacknowledged messages (default
	// DefaultPrefetch).
	Prefetch int
	// AckTimeout is how long a message may stay unacknowledged before it
	// is delivered again (default DefaultAckTimeout).
	AckTimeout time.Duration
	// Latest makes a group that does not exist yet start after the last
	// message instead of at the first.
	Latest bool
}

// Stream defaults and bounds.
const (
	DefaultPrefetch   = 16
	MaxPrefetch       = 1024
	DefaultAckTimeout = 30 * time.Second
	TopicBacklog      = 4096
)

// WithDefaults fills zero fields and bounds Prefetch.
func (o AttachOptions) WithDefaults() AttachOptions {
	if o.Prefetch <= 0 {
		o.Prefetch = DefaultPrefetch
	}
	o.Prefetch = min(o.Prefetch, MaxPrefetch)
	if o.AckTimeout <= 0 {
		o.AckTimeout = DefaultAckTimeout
	}
	return o
}

// StreamInfo describes one stream.
type StreamInfo struct {
	Stream string
	Head   uint64 // the last sequence number (0: none yet)
	Groups []GroupInfo
}

// GroupInfo describes one consumer group.
type GroupInfo struct {
	Group     string
	Acked     uint64 // every seq <= Acked is acknowledged
	Consumers int    // links attached on this host
	Unacked   int    // messages delivered (or due again) and not acknowledged
}

// Stream errors.
var (
	ErrNotDelivered = errors.New("plugin: the message has not been delivered to the group")
	ErrStreamName   = errors.New("plugin: invalid stream, group or topic name")
)

// ValidName reports whether s may name a stream, group or topic: 1 to 128
// of A-Z a-z 0-9 _ . - (the queue plugin's names).
func ValidName(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// CheckName fails with an error matching ErrStreamName unless
// ValidName(s); what says which name it is ("stream", "group", "topic").
func CheckName(what, s string) error {
	if !ValidName(s) {
		return fmt.Errorf("%w: %s %q: want 1 to 128 of A-Z a-z 0-9 _ . -", ErrStreamName, what, s)
	}
	return nil
}

// CheckNames checks a stream's and a group's name.
func CheckNames(stream, group string) error {
	if err := CheckName("stream", stream); err != nil {
		return err
	}
	return CheckName("group", group)
}

// StreamBackend opens the streams of one plugin namespace; the host's
// storage backend implements it (host/store's embedded database, or
// NATS JetStream).
type StreamBackend interface {
	Streams(namespace string) (StreamStore, error)
}

// PublishStarter is implemented by a StreamStore whose publishes can be
// in flight together (NATS JetStream): StartPublish places entries after
// every publish started before it, as Publish would, and returns at once;
// wait returns their sequence numbers once they are durable, or the
// error. The host keeps a producer's publishes in flight across batches
// with it, answering them in order.
type PublishStarter interface {
	StartPublish(entries []StreamEntry) (wait func() ([]uint64, error), err error)
}

// StreamStore is Streams as a backend implements it: Attach and
// Subscribe take the Sink the host made of the link.
type StreamStore interface {
	Attach(s Sink, stream, group string, o AttachOptions) (acked uint64, err error)
	Subscribe(s Sink, topic string) error
	StreamOps
}

// Sink is an attached link as a backend sees it. Send blocks until the
// link has credit for d (or ctx ends, or the link closes); the backend
// runs one goroutine per attachment that calls it, so a link without
// credit holds back only itself. Done is closed when the link is gone:
// the backend then ends the attachment.
type Sink interface {
	ID() LinkID
	Send(ctx context.Context, d *Delivery) error
	// TrySend is Send without waiting: ErrNoCredit when the link has no
	// room for d now.
	TrySend(d *Delivery) error
	Done() <-chan struct{}
}

// Delivery is one message on its way to links. Value is the message's
// value in the binary encoding, as stored. Encoded builds the value sent,
//
//	(message ^topic T ^group G ^seq N ^value V ^attempt A)   a stream's
//	(message ^topic T ^value V)                               a topic's (Group "")
//
// once per encoding, splicing Value in without decoding it (binary); the
// links that share a Delivery (a topic's subscribers) share the bytes.
type Delivery struct {
	Topic, Group string
	Seq, Attempt uint64
	Value        []byte
	once         [2]sync.Once
	enc          [2][]byte
	err          [2]error
}

// Encoded returns the delivery's value in enc; the result must not be
// modified.
func (d *Delivery) Encoded(enc proto.Encoding) ([]byte, error) {
	i := 0
	if enc != proto.EncodingBinary {
		i = 1
	}
	d.once[i].Do(func() {
		if i == 0 {
			d.enc[0] = d.appendBinary(nil)
			return
		}
		v, err := d.Message()
		if err == nil {
			d.enc[1], err = proto.AppendValue(nil, enc, v)
		}
		d.err[1] = err
	})
	return d.enc[i], d.err[i]
}

// Message decodes the delivery into the Gene value it stands for.
func (d *Delivery) Message() (gene.Value, error) {
	val, _, err := gene.DecodeBinary(d.Value, gene.BinaryOptions{})
	if err != nil {
		return gene.Value{}, err
	}
	ps := gene.Props{{Key: "topic", Value: gene.String(d.Topic)}}
	if d.Group != "" {
		ps = append(ps, gene.Prop{Key: "group", Value: gene.String(d.Group)},
			gene.Prop{Key: "seq", Value: gene.Int(int64(d.Seq))})
	}
	ps = append(ps, gene.Prop{Key: "value", Value: val})
	if d.Group != "" {
		ps = append(ps, gene.Prop{Key: "attempt", Value: gene.Int(int64(d.Attempt))})
	}
	return gene.NodeValue(&gene.Node{Head: gene.Symbol("message"), HasHead: true, Props: ps}), nil
}

// appendBinary writes the node of Message in the binary encoding
// (gene/BINARY.md section 3) around the stored value bytes.
func (d *Delivery) appendBinary(b []byte) []byte {
	b = append(b, 0xCE, 0x03) // node: head, props
	b = gene.AppendBinary(b, gene.Symbol("message"))
	n := 2
	if d.Group != "" {
		n = 5
	}
	b = binary.AppendUvarint(b, uint64(n))
	b = appendProp(b, "topic", gene.String(d.Topic))
	if d.Group != "" {
		b = appendProp(b, "group", gene.String(d.Group))
		b = appendProp(b, "seq", gene.Int(int64(d.Seq)))
	}
	b = appendKey(b, "value")
	b = append(b, d.Value...)
	if d.Group != "" {
		b = appendProp(b, "attempt", gene.Int(int64(d.Attempt)))
	}
	return b
}

func appendKey(b []byte, k string) []byte {
	b = binary.AppendUvarint(b, uint64(len(k)))
	return append(b, k...)
}

func appendProp(b []byte, k string, v gene.Value) []byte {
	return gene.AppendBinary(appendKey(b, k), v)
}
