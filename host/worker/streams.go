package worker

import (
	"fmt"
	"time"

	"github.com/genehost/genehost/host/plugin"
)

// The streams capability across the pipe: an instance in a worker calls
// plugin.Streams on its wHost, each call a request the host serves with
// the instance's real Host (which must be a plugin.StreamsHost). Only
// the calls cross: the deliveries go from the host's backend to the
// client links directly, never through the worker.
const (
	opStreams       byte = 40 // instance -> nothing (fails with ErrNotGranted)
	opStPublish     byte = 41 // instance, n, (stream, value)*n -> n, seq*n
	opStAttach      byte = 42 // instance, link, stream, group, prefetch, ack timeout ns, latest -> acked
	opStDetach      byte = 43 // instance, link, stream, group -> bool
	opStAck         byte = 44 // instance, stream, group, seq -> nothing
	opStReset       byte = 45 // instance, stream, group, seq -> seq
	opStTrim        byte = 46 // instance, stream, through -> applied, deleted
	opStInfo        byte = 47 // instance -> n, (stream, head, m, (group, acked, consumers, unacked)*m)*n
	opTopicPublish  byte = 48 // instance, topic, value -> receivers
	opTopicSubscr   byte = 49 // instance, link, topic -> nothing
	opTopicUnsubscr byte = 50 // instance, link, topic -> bool
)

func isStreamOp(op byte) bool { return op >= opStreams && op <= opTopicUnsubscr }

var _ plugin.StreamsHost = (*wHost)(nil)

// Streams asks the host whether streams are granted (once).
func (h *wHost) Streams() (plugin.Streams, error) {
	h.streamsOnce.Do(func() {
		if _, err := h.call(opStreams, h.msg()); err != nil {
			h.streamsErr = err
			return
		}
		h.streams = &wStreams{h: h}
	})
	return h.streams, h.streamsErr
}

// wStreams is plugin.Streams over requests to the host.
type wStreams struct{ h *wHost }

var _ plugin.Streams = (*wStreams)(nil)

func (s *wStreams) Publish(entries []plugin.StreamEntry) ([]uint64, error) {
	e := s.h.msg()
	e.uvarint(uint64(len(entries)))
	for _, x := range entries {
		e.str(x.Stream)
		e.bytes(x.Value)
	}
	r, err := s.h.call(opStPublish, e)
	if err != nil {
		return nil, err
	}
	n := r.uvarint()
	if r.err == nil && n != uint64(len(entries)) {
		r.fail("publish: a sequence number per entry")
	}
	seqs := make([]uint64, len(entries))
	for i := range seqs {
		seqs[i] = r.uvarint()
	}
	return seqs, r.err
}

func (s *wStreams) Attach(link plugin.LinkID, stream, group string, o plugin.AttachOptions) (uint64, error) {
	e := s.h.msg()
	e.uvarint(uint64(link))
	e.str(stream)
	e.str(group)
	e.varint(int64(o.Prefetch))
	e.varint(int64(o.AckTimeout))
	e.bool(o.Latest)
	r, err := s.h.call(opStAttach, e)
	if err != nil {
		return 0, err
	}
	acked := r.uvarint()
	return acked, r.err
}

func (s *wStreams) linkCall(op byte, link plugin.LinkID, names ...string) (*dec, error) {
	e := s.h.msg()
	e.uvarint(uint64(link))
	for _, n := range names {
		e.str(n)
	}
	return s.h.call(op, e)
}

func (s *wStreams) Detach(link plugin.LinkID, stream, group string) (bool, error) {
	r, err := s.linkCall(opStDetach, link, stream, group)
	if err != nil {
		return false, err
	}
	ok := r.bool()
	return ok, r.err
}

func (s *wStreams) seqCall(op byte, stream, group string, seq uint64) (*dec, error) {
	e := s.h.msg()
	e.str(stream)
	e.str(group)
	e.uvarint(seq)
	return s.h.call(op, e)
}

func (s *wStreams) Ack(stream, group string, seq uint64) error {
	_, err := s.seqCall(opStAck, stream, group, seq)
	return err
}

func (s *wStreams) Reset(stream, group string, seq uint64) (uint64, error) {
	r, err := s.seqCall(opStReset, stream, group, seq)
	if err != nil {
		return 0, err
	}
	seq = r.uvarint()
	return seq, r.err
}

func (s *wStreams) Trim(stream string, through uint64) (uint64, uint64, error) {
	e := s.h.msg()
	e.str(stream)
	e.uvarint(through)
	r, err := s.h.call(opStTrim, e)
	if err != nil {
		return 0, 0, err
	}
	applied, deleted := r.uvarint(), r.uvarint()
	return applied, deleted, r.err
}

func (s *wStreams) Info() ([]plugin.StreamInfo, error) {
	r, err := s.h.call(opStInfo, s.h.msg())
	if err != nil {
		return nil, err
	}
	n := r.uvarint()
	if r.err == nil && n > uint64(len(r.b)) {
		r.fail("more streams than bytes")
	}
	out := make([]plugin.StreamInfo, 0, n)
	for i := uint64(0); i < n && r.err == nil; i++ {
		si := plugin.StreamInfo{Stream: r.str(), Head: r.uvarint()}
		m := r.uvarint()
		if r.err == nil && m > uint64(len(r.b)) {
			r.fail("more groups than bytes")
		}
		for j := uint64(0); j < m && r.err == nil; j++ {
			si.Groups = append(si.Groups, plugin.GroupInfo{Group: r.str(), Acked: r.uvarint(), Consumers: int(r.uvarint()), Unacked: int(r.uvarint())})
		}
		out = append(out, si)
	}
	return out, r.err
}

func (s *wStreams) PublishTopic(topic string, value []byte) (int, error) {
	e := s.h.msg()
	e.str(topic)
	e.bytes(value)
	r, err := s.h.call(opTopicPublish, e)
	if err != nil {
		return 0, err
	}
	n := r.uvarint()
	return int(n), r.err
}

func (s *wStreams) Subscribe(link plugin.LinkID, topic string) error {
	_, err := s.linkCall(opTopicSubscr, link, topic)
	return err
}

func (s *wStreams) Unsubscribe(link plugin.LinkID, topic string) (bool, error) {
	r, err := s.linkCall(opTopicUnsubscr, link, topic)
	if err != nil {
		return false, err
	}
	ok := r.bool()
	return ok, r.err
}

// streamCall serves one plugin.Streams request of the worker (host side).
func (x *Instance) streamCall(op byte, d *dec, e *enc) error {
	sh, ok := x.h.(plugin.StreamsHost)
	if !ok {
		return fmt.Errorf("%w: this host offers no streams", plugin.ErrNotGranted)
	}
	s, err := sh.Streams()
	if err != nil {
		return err
	}
	switch op {
	case opStreams:
		return nil
	case opStPublish:
		n := d.uvarint()
		if d.err == nil && n > uint64(len(d.b)) {
			d.fail("more entries than bytes")
		}
		if d.err != nil {
			return d.err
		}
		entries := make([]plugin.StreamEntry, n)
		for i := range entries {
			entries[i] = plugin.StreamEntry{Stream: d.str(), Value: d.bytes()}
		}
		if d.err != nil {
			return d.err
		}
		seqs, err := s.Publish(entries)
		if err != nil {
			return err
		}
		e.uvarint(uint64(len(seqs)))
		for _, q := range seqs {
			e.uvarint(q)
		}
		return nil
	case opStAttach:
		link, stream, group := plugin.LinkID(d.uvarint()), d.str(), d.str()
		o := plugin.AttachOptions{Prefetch: int(d.varint()), AckTimeout: time.Duration(d.varint()), Latest: d.bool()}
		if d.err != nil {
			return d.err
		}
		acked, err := s.Attach(link, stream, group, o)
		e.uvarint(acked)
		return err
	case opStDetach:
		link, stream, group := plugin.LinkID(d.uvarint()), d.str(), d.str()
		if d.err != nil {
			return d.err
		}
		ok, err := s.Detach(link, stream, group)
		e.bool(ok)
		return err
	case opStAck, opStReset:
		stream, group, seq := d.str(), d.str(), d.uvarint()
		if d.err != nil {
			return d.err
		}
		if op == opStAck {
			return s.Ack(stream, group, seq)
		}
		seq, err := s.Reset(stream, group, seq)
		e.uvarint(seq)
		return err
	case opStTrim:
		stream, through := d.str(), d.uvarint()
		if d.err != nil {
			return d.err
		}
		applied, deleted, err := s.Trim(stream, through)
		e.uvarint(applied)
		e.uvarint(deleted)
		return err
	case opStInfo:
		infos, err := s.Info()
		if err != nil {
			return err
		}
		e.uvarint(uint64(len(infos)))
		for _, si := range infos {
			e.str(si.Stream)
			e.uvarint(si.Head)
			e.uvarint(uint64(len(si.Groups)))
			for _, g := range si.Groups {
				e.str(g.Group)
				e.uvarint(g.Acked)
				e.uvarint(uint64(g.Consumers))
				e.uvarint(uint64(g.Unacked))
			}
		}
		return nil
	case opTopicPublish:
		topic, value := d.str(), d.bytes()
		if d.err != nil {
			return d.err
		}
		n, err := s.PublishTopic(topic, value)
		e.uvarint(uint64(n))
		return err
	case opTopicSubscr:
		link, topic := plugin.LinkID(d.uvarint()), d.str()
		if d.err != nil {
			return d.err
		}
		return s.Subscribe(link, topic)
	case opTopicUnsubscr:
		link, topic := plugin.LinkID(d.uvarint()), d.str()
		if d.err != nil {
			return d.err
		}
		ok, err := s.Unsubscribe(link, topic)
		e.bool(ok)
		return err
	}
	return fmt.Errorf("worker: unknown stream call %d", op)
}
