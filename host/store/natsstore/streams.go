package natsstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/store"
)

// Streams is the streams capability on JetStream (plugin.StreamBackend):
// the durable stream S of plugin P is the JetStream stream
// genehost_st_<Name(P)>_<Name(S)> on the one subject
// genehost.st.<Name(P)>.<Name(S)>, its group G the durable pull consumer
// Name(G) of that stream (explicit acks, AckWait the attaching consumer's
// ack timeout), and topic T the core subject
// genehost.topic.<Name(P)>.<Name(T)>. Every host attaches its links to
// the same consumers, so the members of a group on any host share its
// messages and JetStream redelivers what is not acknowledged in time; a
// host subscribes once per topic and fans each message out to its own
// links (store.Topics).
//
// Each attached link keeps pull requests open on its group's consumer for
// the room it has (its prefetch less what it holds unacknowledged) and
// sends what they bring with Sink.Send (pull.go). Acks go to JetStream on
// the ack subject of the message the host holds for that sequence number.
type Streams struct {
	b      *Backend
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // pumps

	mu     sync.Mutex
	sets   map[string]*natsStreams
	closed bool
}

var _ plugin.StreamBackend = (*Streams)(nil)

// NewStreams returns the streams over b's connection; close it before b.
func NewStreams(b *Backend) *Streams {
	ctx, cancel := context.WithCancel(context.Background())
	return &Streams{b: b, ctx: ctx, cancel: cancel, sets: map[string]*natsStreams{}}
}

// Streams implements plugin.StreamBackend.
func (s *Streams) Streams(name string) (plugin.StreamStore, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, fmt.Errorf("natsstore: streams of %q: %w", name, store.ErrClosed)
	}
	ns := s.sets[name]
	if ns == nil {
		ns = &natsStreams{s: s, plugin: name, streams: map[string]jetstream.Stream{}, groups: map[string]*natsGroup{},
			topics: store.NewTopics(s.ctx), subs: map[string]*nats.Subscription{}}
		s.sets[name] = ns
	}
	return ns, nil
}

// Close stops every pump and topic subscription.
func (s *Streams) Close() error {
	s.mu.Lock()
	s.closed = true
	sets := s.sets
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	for _, ns := range sets {
		ns.topics.Wait()
		ns.mu.Lock()
		for _, sub := range ns.subs {
			_ = sub.Unsubscribe() // the connection may be gone already
		}
		ns.mu.Unlock()
	}
	return nil
}

// natsStreams is one plugin's streams and topics.
type natsStreams struct {
	s      *Streams
	plugin string

	mu      sync.Mutex
	streams map[string]jetstream.Stream // by stream name, once made
	groups  map[string]*natsGroup       // by stream + "\x00" + group
	topics  *store.Topics
	subs    map[string]*nats.Subscription // topic -> this host's subscription
}

// natsGroup is what this host holds of a consumer group: its members
// here and the messages they were sent and have not acknowledged.
type natsGroup struct {
	stream, name string
	next         string // the subject of its pull requests

	mu       sync.Mutex
	members  map[plugin.LinkID]*natsMember
	inflight map[uint64]natsFlight // by stream sequence
}

type natsFlight struct {
	m     *natsMember
	reply string    // the message's ack subject
	due   time.Time // its ack deadline: JetStream delivers it again after
}

func (ns *natsStreams) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(ns.s.ctx, 2*ns.s.b.cfg.Timeout)
}

func (ns *natsStreams) streamName(stream string) string {
	return "genehost_st_" + Name(ns.plugin) + "_" + Name(stream)
}

func (ns *natsStreams) subject(stream string) string {
	return "genehost.st." + Name(ns.plugin) + "." + Name(stream)
}

// stream returns the JetStream stream of stream, made on first use.
func (ns *natsStreams) stream(stream string) (jetstream.Stream, error) {
	if err := plugin.CheckName("stream", stream); err != nil {
		return nil, err
	}
	ns.mu.Lock()
	st := ns.streams[stream]
	ns.mu.Unlock()
	if st != nil {
		return st, nil
	}
	ctx, cancel := ns.ctx()
	defer cancel()
	st, err := ns.s.b.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: ns.streamName(stream), Subjects: []string{ns.subject(stream)},
		Description: fmt.Sprintf("genehost: stream %q of plugin %q", stream, ns.plugin),
		Storage:     jetstream.FileStorage, Replicas: ns.s.b.cfg.Replicas,
		Metadata: map[string]string{"genehost-plugin": ns.plugin, "genehost-stream": stream},
	})
	if err != nil {
		return nil, fmt.Errorf("natsstore: stream %s: %w", ns.streamName(stream), err)
	}
	ns.mu.Lock()
	ns.streams[stream] = st
	ns.mu.Unlock()
	return st, nil
}

// Publish implements plugin.StreamStore: every entry is published
// asynchronously, then each acknowledgement awaited (stored by
// JetStream, on disk or by a majority of replicas). The acknowledgement
// names the stream that stored it; no expected-stream header is sent,
// which JetStream would store with every message and send with every
// delivery (a stream's subject is its own: JetStream refuses a second
// stream on it).
func (ns *natsStreams) Publish(entries []plugin.StreamEntry) ([]uint64, error) {
	wait, err := ns.StartPublish(entries)
	if err != nil {
		return nil, err
	}
	return wait()
}

var _ plugin.PublishStarter = (*natsStreams)(nil)

// StartPublish implements plugin.PublishStarter: the entries are sent to
// JetStream at once, in order (publishes of one link are started one
// call after the other), and wait collects their acknowledgements.
func (ns *natsStreams) StartPublish(entries []plugin.StreamEntry) (func() ([]uint64, error), error) {
	futures := make([]jetstream.PubAckFuture, len(entries))
	for i, e := range entries {
		if _, err := ns.stream(e.Stream); err != nil {
			return nil, err
		}
		f, err := ns.s.b.js.PublishAsync(ns.subject(e.Stream), e.Value)
		if err != nil {
			return nil, fmt.Errorf("natsstore: publish to %s: %w", e.Stream, err)
		}
		futures[i] = f
	}
	return func() ([]uint64, error) {
		seqs := make([]uint64, len(entries))
		timeout := time.NewTimer(2 * ns.s.b.cfg.Timeout)
		defer timeout.Stop()
		for i, f := range futures {
			select {
			case ack := <-f.Ok():
				if want := ns.streamName(entries[i].Stream); ack.Stream != want {
					return nil, fmt.Errorf("natsstore: publish to %s: stored by stream %s, not %s", entries[i].Stream, ack.Stream, want)
				}
				seqs[i] = ack.Sequence
			case err := <-f.Err():
				return nil, fmt.Errorf("natsstore: publish to %s: %w", entries[i].Stream, err)
			case <-timeout.C:
				return nil, fmt.Errorf("natsstore: publish to %s: no acknowledgement within %s", entries[i].Stream, 2*ns.s.b.cfg.Timeout)
			}
		}
		return seqs, nil
	}, nil
}

func groupKey(stream, group string) string { return stream + "\x00" + group }

// consumer returns group's durable consumer, made (at the first message,
// or after the last with o.Latest) if it does not exist; its AckWait is
// o.AckTimeout.
// group returns the consumer of stream's group (made when create is
// set) and its current state.
func (ns *natsStreams) group(stream, group string, o plugin.AttachOptions, create bool) (jetstream.Consumer, *jetstream.ConsumerInfo, error) {
	st, err := ns.stream(stream)
	if err != nil {
		return nil, nil, err
	}
	c, err := ns.consumer(st, stream, group, o, create)
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := ns.ctx()
	defer cancel()
	info, err := c.Info(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("natsstore: group %s of %s: %w", group, stream, err)
	}
	return c, info, nil
}

func (ns *natsStreams) consumer(st jetstream.Stream, stream, group string, o plugin.AttachOptions, create bool) (jetstream.Consumer, error) {
	ctx, cancel := ns.ctx()
	defer cancel()
	c, err := st.Consumer(ctx, Name(group))
	switch {
	case err == nil && (!create || c.CachedInfo().Config.AckWait == o.AckTimeout):
		return c, nil
	case err == nil:
		cfg := c.CachedInfo().Config
		cfg.AckWait = o.AckTimeout
		return st.UpdateConsumer(ctx, cfg)
	case !errors.Is(err, jetstream.ErrConsumerNotFound):
		return nil, fmt.Errorf("natsstore: group %s of %s: %w", group, stream, err)
	}
	dp := jetstream.DeliverAllPolicy
	if o.Latest {
		dp = jetstream.DeliverNewPolicy
	}
	c, err = st.CreateConsumer(ctx, ns.consumerConfig(stream, group, o.AckTimeout, dp, 0))
	if errors.Is(err, jetstream.ErrConsumerExists) {
		c, err = st.Consumer(ctx, Name(group))
	}
	if err != nil {
		return nil, fmt.Errorf("natsstore: group %s of %s: %w", group, stream, err)
	}
	return c, nil
}

func (ns *natsStreams) consumerConfig(stream, group string, ackWait time.Duration, dp jetstream.DeliverPolicy, start uint64) jetstream.ConsumerConfig {
	if ackWait <= 0 {
		ackWait = plugin.DefaultAckTimeout
	}
	return jetstream.ConsumerConfig{
		Durable: Name(group), Description: fmt.Sprintf("genehost: group %q of stream %q", group, stream),
		AckPolicy: jetstream.AckExplicitPolicy, AckWait: ackWait, DeliverPolicy: dp, OptStartSeq: start,
		MaxAckPending: 65536, Replicas: ns.s.b.cfg.Replicas,
		Metadata: map[string]string{"genehost-group": group},
	}
}

// Attach implements plugin.StreamStore.
func (ns *natsStreams) Attach(s plugin.Sink, stream, group string, o plugin.AttachOptions) (uint64, error) {
	if err := plugin.CheckName("group", group); err != nil {
		return 0, err
	}
	o = o.WithDefaults()
	_, info, err := ns.group(stream, group, o, true)
	if err != nil {
		return 0, err
	}
	ns.mu.Lock()
	g := ns.groups[groupKey(stream, group)]
	if g == nil {
		g = &natsGroup{stream: stream, name: group, next: "$JS.API.CONSUMER.MSG.NEXT." + ns.streamName(stream) + "." + Name(group),
			members: map[plugin.LinkID]*natsMember{}, inflight: map[uint64]natsFlight{}}
		ns.groups[groupKey(stream, group)] = g
	}
	ns.mu.Unlock()
	g.mu.Lock()
	if m := g.members[s.ID()]; m != nil {
		m.setOptions(o)
		g.mu.Unlock()
		return info.AckFloor.Stream, nil
	}
	m := ns.newMember(g, s, o)
	g.members[s.ID()] = m
	g.mu.Unlock()
	if err := m.start(); err != nil {
		g.mu.Lock()
		delete(g.members, s.ID())
		g.mu.Unlock()
		return 0, err
	}
	return info.AckFloor.Stream, nil
}

// Detach implements plugin.StreamStore.
func (ns *natsStreams) Detach(link plugin.LinkID, stream, group string) (bool, error) {
	g := ns.lookup(stream, group)
	if g == nil {
		return false, nil
	}
	g.mu.Lock()
	m := g.members[link]
	delete(g.members, link)
	g.mu.Unlock()
	if m == nil {
		return false, nil
	}
	m.end()
	return true, nil
}

// lookup returns what this host holds of stream's group, nil if nothing.
func (ns *natsStreams) lookup(stream, group string) *natsGroup {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	return ns.groups[groupKey(stream, group)]
}

// Ack implements plugin.StreamStore: through the message this host holds
// for seq, or, when it holds none, a check of the group's acknowledged
// floor (an ack of a message acknowledged already is no error).
func (ns *natsStreams) Ack(stream, group string, seq uint64) error {
	if err := plugin.CheckNames(stream, group); err != nil {
		return err
	}
	if g := ns.lookup(stream, group); g != nil {
		g.mu.Lock()
		f, ok := g.inflight[seq]
		delete(g.inflight, seq)
		g.mu.Unlock()
		if ok {
			f.m.unacked.Add(-1)
			err := ns.s.b.nc.Publish(f.reply, ackBody)
			f.m.pull()
			if err != nil {
				return fmt.Errorf("natsstore: ack %s/%s %d: %w", stream, group, seq, err)
			}
			return nil
		}
	}
	_, info, err := ns.group(stream, group, plugin.AttachOptions{}, false)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		return fmt.Errorf("%w: %s/%s: message %d has not been delivered", plugin.ErrNotDelivered, stream, group, seq)
	}
	if err != nil {
		return fmt.Errorf("natsstore: ack %s/%s %d: %w", stream, group, seq, err)
	}
	if seq > info.AckFloor.Stream {
		return fmt.Errorf("%w: %s/%s: message %d has not been delivered", plugin.ErrNotDelivered, stream, group, seq)
	}
	return nil
}

// Reset implements plugin.StreamStore: the group's consumer is made again
// at seq (JetStream cannot move a consumer); the pull requests of every
// host's members end with the old one and are made again to the new one,
// what was in flight is forgotten.
func (ns *natsStreams) Reset(stream, group string, seq uint64) (uint64, error) {
	if err := plugin.CheckName("group", group); err != nil {
		return 0, err
	}
	st, err := ns.stream(stream)
	if err != nil {
		return 0, err
	}
	ctx, cancel := ns.ctx()
	defer cancel()
	info, err := st.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("natsstore: reset %s/%s: %w", stream, group, err)
	}
	seq = max(min(seq, info.State.LastSeq+1), info.State.FirstSeq, 1)
	ackWait := plugin.DefaultAckTimeout
	if c, err := st.Consumer(ctx, Name(group)); err == nil {
		ackWait = c.CachedInfo().Config.AckWait
		if err := st.DeleteConsumer(ctx, Name(group)); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
			return 0, fmt.Errorf("natsstore: reset %s/%s: %w", stream, group, err)
		}
	}
	if _, err := st.CreateConsumer(ctx, ns.consumerConfig(stream, group, ackWait, jetstream.DeliverByStartSequencePolicy, seq)); err != nil {
		return 0, fmt.Errorf("natsstore: reset %s/%s: %w", stream, group, err)
	}
	if g := ns.lookup(stream, group); g != nil {
		g.mu.Lock()
		for s, f := range g.inflight {
			f.m.unacked.Add(-1)
			delete(g.inflight, s)
		}
		members := make([]*natsMember, 0, len(g.members))
		for _, m := range g.members {
			members = append(members, m)
		}
		g.mu.Unlock()
		for _, m := range members {
			m.pull()
		}
	}
	return seq, nil
}

// Trim implements plugin.StreamStore: a purge below through+1, bounded by
// every group's acknowledged floor.
func (ns *natsStreams) Trim(stream string, through uint64) (uint64, uint64, error) {
	st, err := ns.stream(stream)
	if err != nil {
		return 0, 0, err
	}
	ctx, cancel := ns.ctx()
	defer cancel()
	info, err := st.Info(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("natsstore: trim %s: %w", stream, err)
	}
	through = min(through, info.State.LastSeq)
	cl := st.ListConsumers(ctx)
	for ci := range cl.Info() {
		through = min(through, ci.AckFloor.Stream)
	}
	if err := cl.Err(); err != nil {
		return 0, 0, fmt.Errorf("natsstore: trim %s: %w", stream, err)
	}
	if through < info.State.FirstSeq {
		return through, 0, nil
	}
	if err := st.Purge(ctx, jetstream.WithPurgeSequence(through+1)); err != nil {
		return 0, 0, fmt.Errorf("natsstore: trim %s: %w", stream, err)
	}
	after, err := st.Info(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("natsstore: trim %s: %w", stream, err)
	}
	return through, info.State.Msgs - after.State.Msgs, nil
}

// Info implements plugin.StreamStore: the plugin's streams found in
// JetStream (any host may have made them), with their consumers.
func (ns *natsStreams) Info() ([]plugin.StreamInfo, error) {
	ctx, cancel := ns.ctx()
	defer cancel()
	prefix := "genehost_st_" + Name(ns.plugin) + "_"
	ls := ns.s.b.js.ListStreams(ctx, jetstream.WithStreamListSubject("genehost.st."+Name(ns.plugin)+".*"))
	var out []plugin.StreamInfo
	for si := range ls.Info() {
		name := si.Config.Metadata["genehost-stream"]
		if !strings.HasPrefix(si.Config.Name, prefix) || name == "" {
			continue
		}
		info := plugin.StreamInfo{Stream: name, Head: si.State.LastSeq}
		st, err := ns.stream(name)
		if err != nil {
			return nil, err
		}
		cl := st.ListConsumers(ctx)
		for ci := range cl.Info() {
			gname := ci.Config.Metadata["genehost-group"]
			gi := plugin.GroupInfo{Group: gname, Acked: ci.AckFloor.Stream, Unacked: ci.NumAckPending + int(ci.NumRedelivered)}
			if g := ns.lookup(name, gname); g != nil {
				g.mu.Lock()
				gi.Consumers = len(g.members)
				g.mu.Unlock()
			}
			info.Groups = append(info.Groups, gi)
		}
		if err := cl.Err(); err != nil {
			return nil, fmt.Errorf("natsstore: streams: %w", err)
		}
		out = append(out, info)
	}
	if err := ls.Err(); err != nil {
		return nil, fmt.Errorf("natsstore: streams: %w", err)
	}
	sortInfo(out)
	return out, nil
}

func sortInfo(out []plugin.StreamInfo) {
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Stream < out[j-1].Stream; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	for _, si := range out {
		gs := si.Groups
		for i := 1; i < len(gs); i++ {
			for j := i; j > 0 && gs[j].Group < gs[j-1].Group; j-- {
				gs[j], gs[j-1] = gs[j-1], gs[j]
			}
		}
	}
}

func (ns *natsStreams) topicSubject(topic string) string {
	return "genehost.topic." + Name(ns.plugin) + "." + Name(topic)
}

// PublishTopic implements plugin.StreamStore: a core NATS publish, which
// every host subscribed to the topic fans out to its links. It returns
// the subscribers on this host.
func (ns *natsStreams) PublishTopic(topic string, value []byte) (int, error) {
	if err := plugin.CheckName("topic", topic); err != nil {
		return 0, err
	}
	if err := ns.s.b.nc.Publish(ns.topicSubject(topic), value); err != nil {
		return 0, fmt.Errorf("natsstore: publish to topic %s: %w", topic, err)
	}
	ns.mu.Lock()
	_, here := ns.subs[topic]
	ns.mu.Unlock()
	if !here {
		return 0, nil
	}
	return ns.topics.Count(topic), nil
}

// Subscribe implements plugin.StreamStore: the host's subscription to the
// topic's subject is made with its first local subscriber.
func (ns *natsStreams) Subscribe(s plugin.Sink, topic string) error {
	if err := ns.topics.Subscribe(s, topic); err != nil {
		return err
	}
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if ns.subs[topic] != nil {
		return nil
	}
	sub, err := ns.s.b.nc.Subscribe(ns.topicSubject(topic), func(m *nats.Msg) {
		ns.topics.Publish(topic, m.Data)
	})
	if err != nil {
		ns.topics.Unsubscribe(s.ID(), topic)
		return fmt.Errorf("natsstore: subscribe to topic %s: %w", topic, err)
	}
	_ = sub.SetPendingLimits(-1, -1) // a slow link loses the oldest in Topics, not here
	ns.subs[topic] = sub
	return nil
}

// Unsubscribe implements plugin.StreamStore.
func (ns *natsStreams) Unsubscribe(link plugin.LinkID, topic string) (bool, error) {
	return ns.topics.Unsubscribe(link, topic), nil
}
