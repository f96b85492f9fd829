package store

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/genehost/genehost/host/plugin"
)

// Topics is the fan-out of non-durable topics to the links of this host:
// a publish hands one Delivery to every subscriber, sent at once where
// the link has credit and nothing of it waits, otherwise queued for the
// subscriber's pump, which sends in order as credit comes. A subscriber
// more than plugin.TopicBacklog behind loses the oldest. The embedded
// backend publishes into it directly; the NATS backend from the topic's
// core subject, one subscription per host.
type Topics struct {
	ctx context.Context // done: pumps stop
	wg  sync.WaitGroup  // pumps

	mu   sync.Mutex
	subs map[string]map[plugin.LinkID]*topicSub
}

// NewTopics returns an empty fan-out whose pumps stop when ctx is done;
// Wait waits for them.
func NewTopics(ctx context.Context) *Topics {
	return &Topics{ctx: ctx, subs: map[string]map[plugin.LinkID]*topicSub{}}
}

// Wait waits until every pump has stopped (after ctx is done).
func (t *Topics) Wait() { t.wg.Wait() }

// topicSub is one link subscribed to a topic.
type topicSub struct {
	sink    plugin.Sink
	backlog []*plugin.Delivery
	pumping bool // a pump owns backlog
	gone    bool
}

// Publish sends value (binary Gene) to every subscriber of topic and
// returns how many there were.
func (t *Topics) Publish(topic string, value []byte) int {
	d := &plugin.Delivery{Topic: topic, Value: value}
	t.mu.Lock()
	defer t.mu.Unlock()
	subs := t.subs[topic]
	for id, s := range subs {
		if s.pumping {
			s.queue(d)
			continue
		}
		err := s.sink.TrySend(d)
		switch {
		case err == nil:
		case errors.Is(err, plugin.ErrNoCredit):
			s.queue(d)
			s.pumping = true
			t.wg.Add(1)
			go t.pump(topic, s)
		default: // the link is gone
			s.gone = true
			delete(subs, id)
		}
	}
	return len(subs)
}

// queue appends d to the backlog, dropping the oldest past
// plugin.TopicBacklog. t.mu is held.
func (s *topicSub) queue(d *plugin.Delivery) {
	if len(s.backlog) >= plugin.TopicBacklog {
		s.backlog[0] = nil
		s.backlog = s.backlog[1:]
	}
	s.backlog = append(s.backlog, d)
}

// pump sends s's backlog, waiting for credit, until it is empty.
func (t *Topics) pump(topic string, s *topicSub) {
	defer t.wg.Done()
	for {
		t.mu.Lock()
		if len(s.backlog) == 0 || s.gone {
			s.pumping = false
			s.backlog = nil
			t.mu.Unlock()
			return
		}
		d := s.backlog[0]
		s.backlog[0] = nil
		s.backlog = s.backlog[1:]
		t.mu.Unlock()
		if err := s.sink.Send(t.ctx, d); err != nil {
			t.mu.Lock()
			s.gone, s.pumping, s.backlog = true, false, nil
			if t.subs[topic][s.sink.ID()] == s {
				delete(t.subs[topic], s.sink.ID())
			}
			t.mu.Unlock()
			return
		}
	}
}

// Subscribe adds sink to topic's subscribers. The subscription ends when
// the link goes (found by the next publish, or the next Subscribe) or with
// Unsubscribe.
func (t *Topics) Subscribe(sink plugin.Sink, topic string) error {
	if err := plugin.CheckName("topic", topic); err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ctx.Err() != nil {
		return fmt.Errorf("subscribe %s: %w", topic, ErrClosed)
	}
	subs := t.subs[topic]
	if subs == nil {
		subs = map[plugin.LinkID]*topicSub{}
		t.subs[topic] = subs
	}
	if subs[sink.ID()] == nil {
		subs[sink.ID()] = &topicSub{sink: sink}
	}
	// Subscriptions of links that went away are dropped here too, so a
	// topic nobody publishes to does not keep them.
	for id, s := range subs {
		select {
		case <-s.sink.Done():
			s.gone = true
			delete(subs, id)
		default:
		}
	}
	return nil
}

// Unsubscribe removes link from topic's subscribers and reports whether
// it was one.
func (t *Topics) Unsubscribe(link plugin.LinkID, topic string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.subs[topic][link]
	if s == nil {
		return false
	}
	s.gone = true
	delete(t.subs[topic], link)
	if len(t.subs[topic]) == 0 {
		delete(t.subs, topic)
	}
	return true
}

// Count returns how many links subscribe to topic.
func (t *Topics) Count(topic string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.subs[topic])
}

// PublishTopic implements plugin.StreamStore.
func (ss *streamSet) PublishTopic(topic string, value []byte) (int, error) {
	if err := plugin.CheckName("topic", topic); err != nil {
		return 0, err
	}
	return ss.topics.Publish(topic, value), nil
}

// Subscribe implements plugin.StreamStore.
func (ss *streamSet) Subscribe(sink plugin.Sink, topic string) error {
	return ss.topics.Subscribe(sink, topic)
}

// Unsubscribe implements plugin.StreamStore.
func (ss *streamSet) Unsubscribe(link plugin.LinkID, topic string) (bool, error) {
	return ss.topics.Unsubscribe(link, topic), nil
}
