package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/client"
	"github.com/genehost/genehost/proto"
)

// genehostFanOutTrials is scenario 4 on the shipped queue plugin, whose
// delivery the host does (the streams capability): one publisher and
// cfg.subs consumers, each on its own transport. "genehost fan-out
// durable": each consumer in its own group (so every consumer gets every
// message) acknowledging every message it gets with a quiet ack (no
// reply, as JetStream's Ack; the peer's AckSync would wait for one); the
// queue is durable (every publish is committed before it is answered) and
// at-least-once; 16 publishes in flight, as the peer's
// PublishAsyncMaxPending.
// "genehost fan-out topic": each consumer listens to a topic and the
// publisher broadcasts to it; nothing is kept, as with NATS core. Its
// publisher keeps 256 broadcasts in flight: the NATS peer publishes 256
// at a time without waiting for anything (core NATS has no reply to a
// publish), where each broadcast is answered here. With
// natsURL the host keeps the queue on that NATS JetStream server (serve
// --nats), and the trials are named "genehost" + tag + " fan-out ...".
func genehostFanOutTrials(ctx context.Context, b *bench, tag, natsURL string) ([]trial, []func(), error) {
	p, err := startPluginsOn(ctx, b, "fanout"+strings.ReplaceAll(tag, " ", ""), natsURL, false, "queue")
	if err != nil {
		return nil, nil, err
	}
	pub, cleanup, err := connect(ctx, p)
	if err != nil {
		return nil, cleanup, err
	}
	subs := make([]*client.Conn, b.cfg.subs)
	for i := range subs {
		if subs[i], err = p.dial(ctx); err != nil {
			return nil, cleanup, err
		}
		cleanup = append(cleanup, func() { subs[i].Close() })
	}
	var topics atomic.Int64
	return []trial{{"genehost" + tag + " fan-out durable", func(ctx context.Context) (float64, error) {
		return warmThen(b.cfg.dur, func(d time.Duration) (float64, error) {
			return queueFanOutRun(ctx, pub, subs, fmt.Sprintf("bench-%d", topics.Add(1)), d)
		})
	}}, {"genehost" + tag + " fan-out topic", func(ctx context.Context) (float64, error) {
		return warmThen(b.cfg.dur, func(d time.Duration) (float64, error) {
			return topicFanOutRun(ctx, pub, subs, fmt.Sprintf("news-%d", topics.Add(1)), d)
		})
	}}}, cleanup, nil
}

// queueSub is one consumer of a fan-out run.
type queueSub struct {
	link *client.Link
	got  atomic.Int64
	last atomic.Int64 // wall clock (ns) of its latest message
	acks chan int64
	err  atomic.Value
}

// fanOutWindow is how many messages the slowest consumer of the queue may
// lag behind the publisher.
const fanOutWindow = 64

func queueFanOutRun(ctx context.Context, pub *client.Conn, conns []*client.Conn, topic string, d time.Duration) (float64, error) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup // the ack senders, stopped by cancel
	defer func() {
		cancel()
		wg.Wait()
	}()
	subs := make([]*queueSub, len(conns))
	for i, c := range conns {
		l, err := c.Open(ctx, "queue", proto.DirSendRecv, client.LinkOptions{})
		if err != nil {
			return 0, err
		}
		s := &queueSub{link: l, acks: make(chan int64, 1024)}
		subs[i] = s
		defer l.Close(context.Background())
		group := fmt.Sprintf("g%d", i)
		l.Handle(func(v gene.Value) {
			n := v.Node()
			if n == nil || !n.HasHead || !n.Head.IsSymbol("message") {
				return
			}
			sv, _ := n.Props.Get("seq")
			seq, ok := sv.AsInt()
			if !ok {
				s.err.CompareAndSwap(nil, fmt.Errorf("a message without an integer ^seq: %s", gene.Format(sv)))
				return
			}
			s.got.Add(1)
			s.last.Store(time.Now().UnixNano())
			s.acks <- seq
		}, nil)
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case seq := <-s.acks:
					ack := gene.NodeValue(&gene.Node{Head: gene.Symbol("ack"), HasHead: true, Props: gene.Props{
						{Key: "topic", Value: gene.String(topic)}, {Key: "group", Value: gene.String(group)},
						{Key: "seq", Value: gene.Int(seq)}, {Key: "quiet", Value: gene.Bool(true)}}})
					if err := l.Send(ctx, ack); err != nil && ctx.Err() == nil {
						s.err.CompareAndSwap(nil, err)
						return
					}
				}
			}
		})
		r, err := l.Request(ctx, gene.MustParse(fmt.Sprintf(`(subscribe ^topic %q ^group %q ^prefetch 256)`, topic, group)))
		if err != nil {
			return 0, fmt.Errorf("subscribe: %w", err)
		}
		if n := r.Node(); n == nil || n.Head.String() != "subscribed" {
			return 0, fmt.Errorf("subscribe answered %s", gene.Format(r))
		}
	}
	return fanOutPublish(ctx, pub, subs, fmt.Sprintf(`(publish ^topic %q)`, topic), "published", 16, fanOutWindow, d)
}

// topicFanOutWindow is how many broadcasts the slowest listener may lag
// behind the publisher: within the host's backlog per listener
// (plugin.TopicBacklog), so that nothing is dropped.
const topicFanOutWindow = 1024

func topicFanOutRun(ctx context.Context, pub *client.Conn, conns []*client.Conn, topic string, d time.Duration) (float64, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	subs := make([]*queueSub, len(conns))
	for i, c := range conns {
		l, err := c.Open(ctx, "queue", proto.DirSendRecv, client.LinkOptions{})
		if err != nil {
			return 0, err
		}
		s := &queueSub{link: l}
		subs[i] = s
		defer l.Close(context.Background())
		l.Handle(func(v gene.Value) {
			if n := v.Node(); n == nil || !n.HasHead || !n.Head.IsSymbol("message") {
				return
			}
			s.got.Add(1)
			s.last.Store(time.Now().UnixNano())
		}, nil)
		r, err := l.Request(ctx, gene.MustParse(fmt.Sprintf(`(listen ^topic %q)`, topic)))
		if err != nil {
			return 0, fmt.Errorf("listen: %w", err)
		}
		if n := r.Node(); n == nil || n.Head.String() != "listening" {
			return 0, fmt.Errorf("listen answered %s", gene.Format(r))
		}
	}
	return fanOutPublish(ctx, pub, subs, fmt.Sprintf(`(broadcast ^topic %q)`, topic), "broadcasted", 256, topicFanOutWindow, d)
}

// fanOutPublish publishes request (with the payload as ^value) for d,
// inflight requests at a time, each answered with reply, the slowest
// consumer at most window messages behind; then it waits until every
// consumer got every message and returns deliveries per second.
func fanOutPublish(ctx context.Context, pub *client.Conn, subs []*queueSub, request, reply string, inflight int, window int64, d time.Duration) (float64, error) {
	pl, err := pub.Open(ctx, "queue", proto.DirSendRecv, client.LinkOptions{})
	if err != nil {
		return 0, err
	}
	defer pl.Close(context.Background())
	msg := gene.MustParse(request)
	msg.Node().Props.Set("value", payload)
	reqs := make([]gene.Value, inflight)
	for i := range reqs {
		reqs[i] = withID(msg, i)
	}
	slowest := func() int64 {
		low := subs[0].got.Load()
		for _, s := range subs[1:] {
			low = min(low, s.got.Load())
		}
		return low
	}
	// As for NATS, the slowest consumer may lag at most window messages,
	// so a run ends with a bounded drain. Publishers that find the window
	// full wait for one goroutine that polls it every 100 µs, as the
	// peers' one publishing goroutine does, rather than each polling.
	var ahead atomic.Int64
	room := func() bool { return ahead.Load()-slowest() < window }
	var mu sync.Mutex
	opened := sync.NewCond(&mu)
	pollCtx, stopPoll := context.WithCancel(ctx)
	var poller sync.WaitGroup
	poller.Go(func() {
		for pollCtx.Err() == nil {
			if room() {
				mu.Lock()
				opened.Broadcast()
				mu.Unlock()
			}
			time.Sleep(100 * time.Microsecond)
		}
		mu.Lock()
		opened.Broadcast()
		mu.Unlock()
	})
	defer func() {
		stopPoll()
		poller.Wait()
	}()
	start := time.Now()
	published, _, err := loopFor(ctx, d, inflight, func(w int) error {
		if !room() {
			mu.Lock()
			for !room() && pollCtx.Err() == nil {
				opened.Wait()
			}
			mu.Unlock()
			if err := pollCtx.Err(); err != nil {
				return err
			}
		}
		ahead.Add(1)
		r, err := pl.Request(ctx, reqs[w])
		if err != nil {
			return err
		}
		if n := r.Node(); n == nil || !n.Head.IsSymbol(reply) {
			return fmt.Errorf("%s answered %s", request, gene.Format(r))
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("publish: %w", err)
	}
	for deadline := time.Now().Add(60 * time.Second); ; {
		done := true
		for i, s := range subs {
			if err, ok := s.err.Load().(error); ok {
				return 0, fmt.Errorf("consumer %d: %w", i, err)
			}
			if s.got.Load() < int64(published) {
				done = false
			}
		}
		if done {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return 0, fmt.Errorf("consumers did not get all %d messages within 60s (the slowest got %d)", published, slowest())
		}
		time.Sleep(time.Millisecond)
	}
	var last int64
	for _, s := range subs {
		last = max(last, s.last.Load())
	}
	return float64(published) * float64(len(subs)) / time.Duration(last-start.UnixNano()).Seconds(), nil
}
