package plugintest

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/store"
	"github.com/genehost/genehost/host/store/natsstore"
	"github.com/genehost/genehost/host/store/natsstore/natstest"
)

// StreamsHost is a Host that also offers streams (plugin.StreamsHost):
// a streams backend of its own (embedded, over a database of its own, or
// on a JetStream server of the test's own), each attached link a sink
// that records into the Host as its sends do.
type StreamsHost struct {
	*Host
	b      plugin.StreamBackend
	grant  bool
	closed chan struct{}
}

var _ plugin.StreamsHost = (*StreamsHost)(nil)

// NewStreamsHost returns a StreamsHost with grants g (streams work only
// with g.Streams) on the embedded backend.
func NewStreamsHost(t testing.TB, g plugin.Grants) *StreamsHost {
	db, err := store.Open(filepath.Join(t.TempDir(), "streams.db"), store.Options{})
	require.NoError(t, err)
	b := store.NewStreams(db)
	return newStreamsHost(t, g, b, func() {
		b.Close()
		db.Close()
	})
}

// natsStreamsHost is NewStreamsHost on a JetStream server of the test's
// own (natstest), as serve --nats.
func natsStreamsHost(t testing.TB, g plugin.Grants) *StreamsHost {
	url := natstest.Start(t).URL()
	nb, err := natsstore.Open(context.Background(), natsstore.Config{Servers: []string{url}})
	require.NoError(t, err)
	b := natsstore.NewStreams(nb)
	return newStreamsHost(t, g, b, func() {
		b.Close()
		nb.Close()
	})
}

func newStreamsHost(t testing.TB, g plugin.Grants, b plugin.StreamBackend, closeBackend func()) *StreamsHost {
	h := &StreamsHost{Host: New(t, g), b: b, grant: g.Streams, closed: make(chan struct{})}
	t.Cleanup(func() {
		close(h.closed)
		closeBackend()
	})
	return h
}

// streamsHost returns a StreamsHost with grants g on the suite's backend.
func (s *suite) streamsHost(t testing.TB, g plugin.Grants) *StreamsHost {
	if s.backend == "nats" {
		return natsStreamsHost(t, g)
	}
	return NewStreamsHost(t, g)
}

// Streams implements plugin.StreamsHost.
func (h *StreamsHost) Streams() (plugin.Streams, error) {
	if !h.grant {
		return nil, fmt.Errorf("%w: streams", plugin.ErrNotGranted)
	}
	st, err := h.b.Streams("suite")
	if err != nil {
		return nil, err
	}
	return hostStreams{StreamStore: st, h: h}, nil
}

type hostStreams struct {
	plugin.StreamStore
	h *StreamsHost
}

func (s hostStreams) Attach(link plugin.LinkID, stream, group string, o plugin.AttachOptions) (uint64, error) {
	return s.StreamStore.Attach(hostSink{s.h, link}, stream, group, o)
}

func (s hostStreams) Subscribe(link plugin.LinkID, topic string) error {
	return s.StreamStore.Subscribe(hostSink{s.h, link}, topic)
}

// hostSink records deliveries as values sent on the link.
type hostSink struct {
	h  *StreamsHost
	id plugin.LinkID
}

func (k hostSink) ID() plugin.LinkID     { return k.id }
func (k hostSink) Done() <-chan struct{} { return k.h.closed }

func (k hostSink) Send(ctx context.Context, d *plugin.Delivery) error {
	v, err := d.Message()
	if err != nil {
		return err
	}
	return k.h.Host.Send(ctx, k.id, v)
}

func (k hostSink) TrySend(d *plugin.Delivery) error {
	v, err := d.Message()
	if err != nil {
		return err
	}
	return k.h.Host.TrySend(k.id, v)
}

// RunStreamsPluginSuite checks a runtime's streams API (genehost.streams
// and genehost.topics in JavaScript) against the fixture "streams":
// (publish ^stream S ^value V) sends (published SEQ); (publish-batch
// ^entries [{^stream S ^value V} ...]) sends (published SEQ...); (attach
// ^stream S ^group G ^prefetch N ^ack-timeout-ms M) sends (attached
// ACKED) and makes the link a consumer; (detach ^stream S ^group G) sends
// (detached B); (ack ^stream S ^group G ^seq N) sends (acked N); (info)
// sends (info [{^stream ^head ^groups [...]}]); (broadcast ^topic T
// ^value V) sends (sent N); (listen ^topic T) sends (listening). A failed
// call is answered (error CODE MESSAGE), CODE the HostError's code.
//
// It runs on both backends, embedded and NATS JetStream: the same plugin
// code, unchanged.
func RunStreamsPluginSuite(t *testing.T, rt plugin.Runtime, fixture func(t *testing.T, name string, limits plugin.Limits, grants plugin.Grants) *plugin.Source) {
	for _, b := range []string{"embedded", "nats"} {
		s := &suite{backend: b, rt: rt, fixture: fixture}
		t.Run(b, s.streams)
	}
}

func (s *suite) streams(t *testing.T) {
	g := plugin.Grants{Streams: true}
	req := func(text string) gene.Value { return gene.MustParse(text) }
	t.Run("streams", func(t *testing.T) {
		m := s.module(t, "streams", plugin.Limits{}, g)
		h := s.streamsHost(t, g)
		in := instance(t, m, h)
		open(t, in, 1)
		open(t, in, 2)
		deliver(t, in, 1, req(`(publish ^stream "orders" ^value {^n 1})`),
			req(`(publish-batch ^entries [{^stream "orders" ^value {^n 2}} {^stream "other" ^value 0}])`))
		requireSent(t, h.Host, 1, req(`(published 1)`), req(`(published 2 1)`))
		deliver(t, in, 2, req(`(attach ^stream "orders" ^group "g" ^prefetch 1 ^ack-timeout-ms 60000)`))
		h.WaitSent(t, 2, `(attached 0)`, StreamMessage("orders", "g", 1, 1))
		require.Len(t, h.Sent(2), 2, "prefetch 1: one message until it is acknowledged")
		deliver(t, in, 2, req(`(ack ^stream "orders" ^group "g" ^seq 1)`), req(`(ack ^stream "orders" ^group "g" ^seq 7)`))
		h.WaitSent(t, 2, `(acked 1)`, StreamMessage("orders", "g", 2, 1))
		// The message names the call as the runtime does
		// (genehost.streams.ack, gh_stream_ack), then the store's error.
		require.True(t, slices.ContainsFunc(h.Sent(2), func(v gene.Value) bool {
			f := gene.Format(v)
			return strings.HasPrefix(f, `(error "not-delivered" "`) && strings.HasSuffix(f, `ack: plugin: the message has not been delivered to the group: orders/g: message 7 has not been delivered")`)
		}), "link 2: want a not-delivered error, got %v", h.Sent(2))
		deliver(t, in, 2, req(`(detach ^stream "orders" ^group "g")`), req(`(info)`))
		h.WaitSent(t, 2, `(detached true)`,
			`(info [{^stream "orders" ^head 2 ^groups [{^group "g" ^acked 1 ^consumers 0 ^unacked 1}]} {^stream "other" ^head 1 ^groups []}])`)

		deliver(t, in, 2, req(`(listen ^topic "news")`))
		h.WaitSent(t, 2, `(listening)`)
		deliver(t, in, 1, req(`(broadcast ^topic "news" ^value "hi")`), req(`(publish ^stream "bad name" ^value 1)`))
		h.WaitSent(t, 1, `(sent 1)`)
		h.WaitSent(t, 2, `(message ^topic "news" ^value "hi")`)
		last := h.Sent(1)[len(h.Sent(1))-1]
		require.Contains(t, gene.Format(last), `(error "bad-name"`)
	})
	t.Run("not granted", func(t *testing.T) {
		m := s.module(t, "streams", plugin.Limits{}, plugin.Grants{})
		h := s.streamsHost(t, plugin.Grants{})
		in := instance(t, m, h)
		open(t, in, 1)
		deliver(t, in, 1, req(`(publish ^stream "s" ^value 1)`))
		got := h.Sent(1)
		require.Len(t, got, 1)
		require.Contains(t, gene.Format(got[0]), `(error "not-granted"`)
	})
}
