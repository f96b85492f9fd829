package guest_test

import (
	"errors"
	"testing"
	"time"

	"github.com/genehost/genehost/abi"
	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/sdk/wasm/guest"
)

// counter echoes values, counts them in the store, and answers a timer.
type counter struct {
	guest.Base
	link guest.Link
}

func (c *counter) Open(l guest.Link) error { c.link = l; return nil }

func (c *counter) Values(l guest.Link, vs []gene.Value) (guest.Flow, error) {
	for _, v := range vs {
		if _, err := guest.KV.Incr([]byte("n"), 1); err != nil {
			return guest.Continue, err
		}
		if err := l.Send(v); err != nil {
			return guest.Continue, err
		}
	}
	if _, err := guest.SetTimer(time.Second); err != nil {
		return guest.Continue, err
	}
	return guest.Continue, nil
}

func (c *counter) Control(_ guest.Link, op string, _ gene.Value) (gene.Value, error) {
	n, err := guest.KV.Int([]byte("n"))
	return gene.Int(n), err
}

func (c *counter) Timer(uint64) { c.link.Send(gene.Symbol("tick")) }

func TestTestHost(t *testing.T) {
	guest.Register(&counter{})
	h := guest.NewTestHost(guest.TestGrants{KV: true, Timers: true})
	l, err := h.Open("send+recv")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Send(l, gene.Int(1), gene.String("x")); err != nil {
		t.Fatal(err)
	}
	if got := gene.Format(gene.List(h.Sent(l)...)); got != `[1 "x"]` {
		t.Errorf("sent %s", got)
	}
	if n := h.Advance(500 * time.Millisecond); n != 0 {
		t.Errorf("%d timers fired before their time", n)
	}
	if n := h.Advance(time.Second); n != 1 {
		t.Errorf("%d timers fired, want 1", n)
	}
	if got := gene.Format(gene.List(h.Sent(l)...)); got != `[tick]` {
		t.Errorf("sent %s after the timer", got)
	}
	v, err := h.Control(guest.Link{}, "count", gene.Nil())
	if err != nil || gene.Format(v) != "2" {
		t.Errorf("count = %s, %v", gene.Format(v), err)
	}

	h = guest.NewTestHost(guest.TestGrants{})
	l, _ = h.Open("send+recv")
	_, err = h.Send(l, gene.Int(1))
	if !errors.Is(err, abi.ErrNotGranted) {
		t.Errorf("without the kv grant: %v", err)
	}
}

// router takes values undecoded: it decodes only the node heads it routes
// on, sends ordinary values back as their bytes and answers a (swap a b)
// with b's bytes.
type router struct{ guest.Base }

func (router) Received(l guest.Link, r *guest.Received) (guest.Flow, error) {
	for i := range r.Len() {
		if r.Bytes(i)[0] != 0xCE { // not a node: pass it on undecoded
			if err := l.SendEncoded(r.Bytes(i)); err != nil {
				return guest.Continue, err
			}
			continue
		}
		v, err := r.Value(i)
		if err != nil {
			return guest.Continue, err
		}
		if n := v.Node(); n.Head.Str() == "swap" && len(n.Body) == 2 {
			err = l.SendEncoded(gene.AppendBinary(nil, n.Body[1]))
		} else {
			err = l.Send(v) // a decoded received value goes as its bytes
		}
		if err != nil {
			return guest.Continue, err
		}
	}
	return guest.Continue, nil
}

func TestTestHostReceivedHandler(t *testing.T) {
	guest.Register(router{})
	t.Cleanup(func() { guest.Register(nil) })
	h := guest.NewTestHost(guest.TestGrants{})
	l, err := h.Open("send+recv")
	if err != nil {
		t.Fatal(err)
	}
	in := []gene.Value{gene.Int(1), gene.MustParse(`(swap "a" [b 2])`), gene.MustParse(`{^k #[1 2]}`), gene.MustParse(`(other ^id 3)`)}
	if _, err := h.Send(l, in...); err != nil {
		t.Fatal(err)
	}
	if got := gene.Format(gene.List(h.Sent(l)...)); got != `[1 [b 2] {^k #[1 2]} (other ^id 3)]` {
		t.Errorf("sent %s", got)
	}
	if err := l.SendEncoded([]byte{0xC0, 0xC0}); !errors.Is(err, abi.ErrBadValue) {
		t.Errorf("two values as one: %v", err)
	}
}
