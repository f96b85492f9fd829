package store

import (
	"errors"
	"fmt"

	"github.com/genehost/genehost/host/plugin"
)

// topicSub is one link subscribed to a topic. A publish sends to it at
// once when nothing of it waits and the link has credit; otherwise the
// delivery joins backlog, which its pump (started on the first wait)
// sends in order as credit comes.
type topicSub struct {
	sink    plugin.Sink
	backlog []*plugin.Delivery
	pumping bool // a pump owns backlog
	gone    bool
}

// PublishTopic implements plugin.StreamStore: one Delivery for every
// subscriber, so each gets the same encoded bytes.
func (ss *streamSet) PublishTopic(topic string, value []byte) (int, error) {
	if err := checkName("topic", topic); err != nil {
		return 0, err
	}
	d := &plugin.Delivery{Topic: topic, Value: value}
	ss.tmu.Lock()
	defer ss.tmu.Unlock()
	subs := ss.topics[topic]
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
			ss.wg.Add(1)
			go ss.topicPump(topic, s)
		default: // the link is gone
			s.gone = true
			delete(subs, id)
		}
	}
	return len(subs), nil
}

// queue appends d to the backlog, dropping the oldest past
// plugin.TopicBacklog. ss.tmu is held.
func (s *topicSub) queue(d *plugin.Delivery) {
	if len(s.backlog) >= plugin.TopicBacklog {
		s.backlog[0] = nil
		s.backlog = s.backlog[1:]
	}
	s.backlog = append(s.backlog, d)
}

// topicPump sends s's backlog, waiting for credit, until it is empty.
func (ss *streamSet) topicPump(topic string, s *topicSub) {
	defer ss.wg.Done()
	for {
		ss.tmu.Lock()
		if len(s.backlog) == 0 || s.gone {
			s.pumping = false
			s.backlog = nil
			ss.tmu.Unlock()
			return
		}
		d := s.backlog[0]
		s.backlog[0] = nil
		s.backlog = s.backlog[1:]
		ss.tmu.Unlock()
		if err := s.sink.Send(ss.ctx, d); err != nil {
			ss.tmu.Lock()
			s.gone, s.pumping, s.backlog = true, false, nil
			if ss.topics[topic][s.sink.ID()] == s {
				delete(ss.topics[topic], s.sink.ID())
			}
			ss.tmu.Unlock()
			return
		}
	}
}

// Subscribe implements plugin.StreamStore. The subscription ends when the
// link goes (found by the next publish) or with Unsubscribe.
func (ss *streamSet) Subscribe(sink plugin.Sink, topic string) error {
	if err := checkName("topic", topic); err != nil {
		return err
	}
	ss.tmu.Lock()
	defer ss.tmu.Unlock()
	if ss.ctx.Err() != nil {
		return fmt.Errorf("subscribe %s: %w", topic, ErrClosed)
	}
	subs := ss.topics[topic]
	if subs == nil {
		subs = map[plugin.LinkID]*topicSub{}
		ss.topics[topic] = subs
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

// Unsubscribe implements plugin.StreamStore.
func (ss *streamSet) Unsubscribe(link plugin.LinkID, topic string) (bool, error) {
	ss.tmu.Lock()
	defer ss.tmu.Unlock()
	s := ss.topics[topic][link]
	if s == nil {
		return false, nil
	}
	s.gone = true
	delete(ss.topics[topic], link)
	if len(ss.topics[topic]) == 0 {
		delete(ss.topics, topic)
	}
	return true, nil
}
