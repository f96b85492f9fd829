//go:build !wasip1

package guest_test

import (
	"errors"
	"testing"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/sdk/wasm/guest"
)

// consumer attaches its link to orders/g with prefetch 1 on (sub), acks
// (ack N), publishes (pub V) and subscribes to news on (listen).
type consumer struct{ guest.Base }

func (consumer) Values(l guest.Link, vs []gene.Value) (guest.Flow, error) {
	for _, v := range vs {
		n := v.Node()
		var err error
		switch n.Head.Str() {
		case "sub":
			_, err = guest.Streams.Attach(l, "orders", "g", guest.AttachOptions{Prefetch: 1})
			if err == nil {
				err = l.Send(gene.Symbol("subscribed"))
			}
		case "ack":
			seq, _ := n.Body[0].AsInt()
			err = guest.Streams.Ack("orders", "g", uint64(seq))
		case "pub":
			_, err = guest.Streams.PublishBatch([]guest.StreamEntry{{Stream: "orders", Value: n.Body[0]}})
		case "listen":
			err = guest.Topics.Subscribe(l, "news")
		case "shout":
			_, err = guest.Topics.Publish("news", n.Body[0])
		}
		if err != nil {
			return guest.Continue, err
		}
	}
	return guest.Continue, nil
}

// TestTestHostStreams: the test host keeps streams with the host's
// semantics: deliveries follow the callback that attached (after its
// reply), respect prefetch, resume on ack, go to another member when a
// link closes, and topics reach their subscribers.
func TestTestHostStreams(t *testing.T) {
	guest.Register(consumer{})
	t.Cleanup(func() { guest.Register(nil) })
	h := guest.NewTestHost(guest.TestGrants{Streams: true})
	a, _ := h.Open("send+recv")
	b, _ := h.Open("send+recv")
	send := func(l guest.Link, text string) {
		t.Helper()
		if _, err := h.Send(l, gene.MustParse(text)); err != nil {
			t.Fatal(err)
		}
	}
	sent := func(l guest.Link) string { return gene.Format(gene.List(h.Sent(l)...)) }
	send(a, `(pub {^n 1})`)
	send(a, `(pub {^n 2})`)
	send(a, `(sub)`)
	if got := sent(a); got != `[subscribed (message ^topic "orders" ^group "g" ^seq 1 ^value {^n 1} ^attempt 1)]` {
		t.Errorf("after attaching: %s", got)
	}
	send(b, `(sub)`)
	if got := sent(b); got != `[subscribed (message ^topic "orders" ^group "g" ^seq 2 ^value {^n 2} ^attempt 1)]` {
		t.Errorf("the second member: %s", got)
	}
	send(a, `(ack 1)`)
	send(a, `(pub {^n 3})`)
	if got := sent(a); got != `[(message ^topic "orders" ^group "g" ^seq 3 ^value {^n 3} ^attempt 1)]` {
		t.Errorf("after the ack: %s", got)
	}
	h.Close(b, "")
	if got := sent(a); got != `[]` {
		t.Errorf("a is full (prefetch 1), b's message waits: %s", got)
	}
	send(a, `(ack 3)`)
	if got := sent(a); got != `[(message ^topic "orders" ^group "g" ^seq 2 ^value {^n 2} ^attempt 2)]` {
		t.Errorf("b's message again: %s", got)
	}
	_, err := h.Send(a, gene.MustParse(`(ack 7)`))
	if !errors.Is(err, guest.ErrNotDelivered) {
		t.Errorf("ack of an undelivered message: %v", err)
	}
	infos, err := guest.Streams.Info()
	if err != nil || len(infos) != 1 || infos[0].Head != 3 || len(infos[0].Groups) != 1 || infos[0].Groups[0].Acked != 1 || infos[0].Groups[0].Unacked != 1 {
		t.Errorf("info: %+v, %v", infos, err)
	}
	send(a, `(listen)`)
	send(a, `(shout "hi")`)
	if got := sent(a); got != `[(message ^topic "news" ^value "hi")]` {
		t.Errorf("topic: %s", got)
	}

	h = guest.NewTestHost(guest.TestGrants{})
	a, _ = h.Open("send+recv")
	if _, err := h.Send(a, gene.MustParse(`(sub)`)); !errors.Is(err, guest.ErrNotGranted) {
		t.Errorf("without the grant: %v", err)
	}
}
