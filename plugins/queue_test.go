package plugins_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugin"
)

func queueRig(t *testing.T) (*rig, *db) {
	p, m := compile(t, "queue")
	d := newDB(t)
	r := newRig(t, p, m, d)
	r.open(1) // producer
	r.open(2) // consumer
	return r, d
}

// publishN publishes {^n from} .. {^n to} on link, in batches of at most
// 64 values as the host would deliver them (a link's default window).
func publishN(r *rig, link plugin.LinkID, topic string, from, to int) {
	for from <= to {
		var b strings.Builder
		for i := 0; i < 64 && from <= to; i++ {
			fmt.Fprintf(&b, "(publish ^topic %q ^value {^n %d})\n", topic, from)
			from++
		}
		r.send(link, b.String())
	}
}

func msg(topic, group string, seq, n, attempt int) string {
	return fmt.Sprintf("(message ^topic %q ^group %q ^seq %d ^value {^n %d} ^attempt %d)", topic, group, seq, n, attempt)
}

// The queue's deliveries come from the host's streams (on a pump of
// their own), so a test waits for them; a reply to the request that
// caused them still comes first (the rig holds the host's first delivery
// until its call into the plugin returns).

func TestQueuePublishSubscribeAck(t *testing.T) {
	r, _ := queueRig(t)
	r.send(1, `(publish ^topic "orders" ^value {^n 1} ^id "p1") (publish ^topic "orders" ^value {^n 2})`)
	requireValues(t, `(published ^topic "orders" ^seq 1 ^id "p1") (published ^topic "orders" ^seq 2)`, r.sent(1))

	r.send(2, `(subscribe ^topic "orders" ^group "billing" ^id 1)`)
	requireValues(t, `(subscribed ^topic "orders" ^group "billing" ^acked 0 ^id 1)`+msg("orders", "billing", 1, 1, 1)+msg("orders", "billing", 2, 2, 1), r.waitSent(2, 3))

	// A message published while subscribed is pushed at once.
	publishN(r, 1, "orders", 3, 3)
	requireValues(t, msg("orders", "billing", 3, 3, 1), r.waitSent(2, 4)[3:])

	r.send(2, `(ack ^topic "orders" ^group "billing" ^seq 2) (ack ^topic "orders" ^group "billing" ^seq 1)
		(ack ^topic "orders" ^group "billing" ^seq 1) (ack ^topic "orders" ^group "billing" ^seq 9 ^id "x")
		(ack ^topic "orders" ^group "billing" ^seq 3 ^quiet true) (ack ^topic "orders" ^group "billing" ^seq 8 ^quiet true)`)
	// Quiet acks are not answered, not even the one that fails.
	requireValues(t, `(acked ^topic "orders" ^group "billing" ^seq 2) (acked ^topic "orders" ^group "billing" ^seq 1)
		(acked ^topic "orders" ^group "billing" ^seq 1)
		(error ^code "not-delivered" ^message "orders/billing: message 9 has not been delivered" ^id "x")`, r.sent(2)[4:])
	topics, err := r.control(0, "topics", "")
	require.NoError(t, err)
	requireValues(t, `[{^topic "orders" ^head 3 ^groups [{^group "billing" ^acked 3 ^consumers 1 ^unacked 0}]}]`, []gene.Value{topics})
}

func TestQueueGroups(t *testing.T) {
	r, _ := queueRig(t)
	r.open(3)
	r.open(4)
	// Two members of one group share its messages; another group gets
	// them all.
	r.send(2, `(subscribe ^topic "t" ^group "shared" ^prefetch 1)`)
	r.send(3, `(subscribe ^topic "t" ^group "shared" ^prefetch 1)`)
	r.send(4, `(subscribe ^topic "t" ^group "all")`)
	publishN(r, 1, "t", 1, 4)
	requireValues(t, `(subscribed ^topic "t" ^group "all" ^acked 0)`+msg("t", "all", 1, 1, 1)+msg("t", "all", 2, 2, 1)+
		msg("t", "all", 3, 3, 1)+msg("t", "all", 4, 4, 1), r.waitSent(4, 5))
	a, b := r.waitSent(2, 2)[1], r.waitSent(3, 2)[1]
	require.ElementsMatch(t, []string{msg("t", "shared", 1, 1, 1), msg("t", "shared", 2, 2, 1)}, []string{gene.Format(a), gene.Format(b)},
		"each member got one of the first two, its prefetch")

	// An ack frees a slot: the next message goes to that member.
	seq, _ := b.Get("seq")
	r.send(3, fmt.Sprintf(`(ack ^topic "t" ^group "shared" ^seq %s)`, gene.Format(seq)))
	// The plugin answers an ack in a batch of its own only here (the host
	// answers such a batch first), so the message it made room for may
	// come before the reply.
	require.ElementsMatch(t, []string{fmt.Sprintf(`(acked ^topic "t" ^group "shared" ^seq %s)`, gene.Format(seq)), msg("t", "shared", 3, 3, 1)},
		formats(r.waitSent(3, 4)[2:]))
	require.Len(t, r.sent(2), 2)
}

func TestQueueRedeliveryAfterTimeout(t *testing.T) {
	r, _ := queueRig(t)
	publishN(r, 1, "t", 1, 2)
	r.send(2, `(subscribe ^topic "t" ^group "g" ^prefetch 1 ^ack-timeout-ms 30)`)
	requireValues(t, `(subscribed ^topic "t" ^group "g" ^acked 0)`+msg("t", "g", 1, 1, 1), r.waitSent(2, 2))
	requireValues(t, msg("t", "g", 1, 1, 2)+msg("t", "g", 1, 1, 3), r.waitSent(2, 4)[2:4], "not acknowledged in time: delivered again")

	n := len(r.sent(2))
	r.send(2, `(ack ^topic "t" ^group "g" ^seq 1)`)
	// The reply and message 2 (which the ack made room for), in either
	// order (see TestQueueGroups); a redelivery of 1 taken just before the
	// ack may still land.
	require.Eventually(t, func() bool {
		fs := formats(r.sent(2)[n:])
		return slices.Contains(fs, `(acked ^topic "t" ^group "g" ^seq 1)`) && slices.Contains(fs, msg("t", "g", 2, 2, 1))
	}, 10*time.Second, time.Millisecond)
	r.send(2, `(ack ^topic "t" ^group "g" ^seq 2)`)
	n = len(r.sent(2))
	time.Sleep(100 * time.Millisecond) // three ack timeouts: nothing may come
	require.Len(t, r.sent(2), n, "acknowledged messages are not delivered again")
}

func TestQueueRedeliveryWhenConsumerLeaves(t *testing.T) {
	r, _ := queueRig(t)
	r.open(3)
	publishN(r, 1, "t", 1, 1)
	r.send(2, `(subscribe ^topic "t" ^group "g")`)
	requireValues(t, msg("t", "g", 1, 1, 1), r.waitSent(2, 2)[1:])
	r.send(3, `(subscribe ^topic "t" ^group "g")`)
	r.close(2)
	requireValues(t, `(subscribed ^topic "t" ^group "g" ^acked 0)`+msg("t", "g", 1, 1, 2), r.waitSent(3, 2))

	r.send(3, `(unsubscribe ^topic "t" ^group "g") (unsubscribe ^topic "t" ^group "g")`)
	requireValues(t, `(unsubscribed ^topic "t" ^group "g" ^existed true) (unsubscribed ^topic "t" ^group "g" ^existed false)`, r.sent(3)[2:])
	topics, err := r.control(0, "topics", "")
	require.NoError(t, err)
	requireValues(t, `[{^topic "t" ^head 1 ^groups [{^group "g" ^acked 0 ^consumers 0 ^unacked 1}]}]`, []gene.Value{topics})
}

func TestQueueReset(t *testing.T) {
	r, _ := queueRig(t)
	publishN(r, 1, "t", 1, 3)
	r.send(2, `(subscribe ^topic "t" ^group "g")`)
	r.waitSent(2, 4)
	r.send(2, `(ack ^topic "t" ^group "g" ^seq 1) (ack ^topic "t" ^group "g" ^seq 2) (ack ^topic "t" ^group "g" ^seq 3)`)
	require.Len(t, r.sent(2), 7)

	// Back to 2: messages 2 and 3 come again, as first deliveries.
	res, err := r.control(0, "reset", `{^topic "t" ^group "g" ^seq 2}`)
	require.NoError(t, err)
	requireValues(t, `{^topic "t" ^group "g" ^seq 2}`, []gene.Value{res})
	requireValues(t, msg("t", "g", 2, 2, 1)+msg("t", "g", 3, 3, 1), r.waitSent(2, 9)[7:])

	// Past the end: only new messages.
	res, err = r.control(0, "reset", `{^topic "t" ^group "g" ^seq 100}`)
	require.NoError(t, err)
	requireValues(t, `{^topic "t" ^group "g" ^seq 4}`, []gene.Value{res})
	r.send(2, `(ack ^topic "t" ^group "g" ^seq 3)`) // delivered before the reset: already behind the position
	publishN(r, 1, "t", 4, 4)
	requireValues(t, `(acked ^topic "t" ^group "g" ^seq 3)`+msg("t", "g", 4, 4, 1), r.waitSent(2, 11)[9:])

	// The host checks arguments against the manifest; the plugin too.
	r.h.links.gate.Lock()
	_, err = r.in.Control(t.Context(), 0, "reset", gene.MustParse(`{^topic "t" ^group "g"}`))
	r.h.links.gate.Unlock()
	require.ErrorContains(t, err, "bad-request: reset needs ^seq")
}

func TestQueueDurable(t *testing.T) {
	p, m := compile(t, "queue")
	d := newDB(t)
	a := newRig(t, p, m, d)
	a.open(1)
	publishN(a, 1, "t", 1, 3)
	a.send(1, `(subscribe ^topic "t" ^group "g")`)
	a.waitSent(1, 4+1)
	a.send(1, `(ack ^topic "t" ^group "g" ^seq 1) (ack ^topic "t" ^group "g" ^seq 3)`)
	a.close(1)
	require.NoError(t, a.in.Close(t.Context()))

	d.reopen() // a restart: the positions that moved are written on the way down
	_, m2 := compile(t, "queue")
	b := newRig(t, p, m2, d)
	b.open(5)
	// 1 was acked in order; 3 out of order, which only memory knew: it is
	// delivered again (at least once).
	b.send(5, `(subscribe ^topic "t" ^group "g") (publish ^topic "t" ^value {^n 4})`)
	requireValues(t, `(subscribed ^topic "t" ^group "g" ^acked 1) (published ^topic "t" ^seq 4)`+msg("t", "g", 2, 2, 1)+msg("t", "g", 3, 3, 1)+
		msg("t", "g", 4, 4, 1), b.waitSent(5, 5))

	// Numbering goes on where it stopped.
	publishN(b, 5, "u", 1, 40)
	b.close(5)
	require.NoError(t, b.in.Close(t.Context()))
	d.reopen()
	_, m3 := compile(t, "queue")
	c := newRig(t, p, m3, d)
	c.open(9)
	c.send(9, `(publish ^topic "u" ^value 41) (publish ^topic "t" ^value 5)`)
	requireValues(t, `(published ^topic "u" ^seq 41) (published ^topic "t" ^seq 5)`, c.sent(9))
	topics, err := c.control(0, "topics", "")
	require.NoError(t, err)
	requireValues(t, `[{^topic "t" ^head 5 ^groups [{^group "g" ^acked 1 ^consumers 0 ^unacked 0}]} {^topic "u" ^head 41 ^groups []}]`, []gene.Value{topics})
}

func TestQueueSlowConsumer(t *testing.T) {
	r, _ := queueRig(t)
	r.send(2, `(subscribe ^topic "t" ^group "g" ^prefetch 256)`)
	r.h.SetCredit(2, 2)
	const n = 500
	publishN(r, 1, "t", 1, n)
	require.Len(t, r.sent(1), n, "producers are not held back by a slow consumer")
	require.Len(t, r.waitSent(2, 3), 3, "the consumer got what its credit allowed")

	// Credit back: delivery resumes from the log, up to the prefetch.
	r.h.SetCredit(2, -1)
	got := r.waitSent(2, 1+256)
	time.Sleep(20 * time.Millisecond)
	require.Len(t, r.sent(2), 1+256, "at most prefetch unacknowledged")
	for i, v := range got[1:] {
		seq, _ := v.Get("seq")
		require.Equal(t, fmt.Sprint(i+1), gene.Format(seq))
	}
	for i := 1; i <= 256; i += 64 {
		var b strings.Builder
		for j := i; j < i+64; j++ {
			fmt.Fprintf(&b, "(ack ^topic \"t\" ^group \"g\" ^seq %d)\n", j)
		}
		r.send(2, b.String())
	}
	got = r.waitSent(2, 1+256+256+(n-256))
	var seqs []string
	for _, v := range got {
		if v.Node().Head.IsSymbol("message") {
			seq, _ := v.Get("seq")
			seqs = append(seqs, gene.Format(seq))
		}
	}
	require.Len(t, seqs, n)
	require.Equal(t, fmt.Sprint(n), seqs[n-1], "every message arrives, in order")
}

func TestQueueRepliesWaitForCredit(t *testing.T) {
	r, _ := queueRig(t)
	r.h.SetCredit(1, 1)
	flow := r.send(1, `(publish ^topic "t" ^value 1) (publish ^topic "t" ^value 2) (publish ^topic "t" ^value 3)`)
	require.Equal(t, plugin.Pause, flow)
	require.Len(t, r.sent(1), 1)
	r.h.SetCredit(1, -1)
	got := r.waitSent(1, 3)
	requireValues(t, `(published ^topic "t" ^seq 1) (published ^topic "t" ^seq 2) (published ^topic "t" ^seq 3)`, got)
	require.Eventually(t, func() bool {
		r.fireTimers(5 * time.Millisecond)
		return len(r.h.Resumed()) == 1
	}, 5*time.Second, time.Millisecond)
}

func TestQueueTrim(t *testing.T) {
	r, _ := queueRig(t)
	publishN(r, 1, "t", 1, 5)
	r.send(2, `(subscribe ^topic "t" ^group "g" ^prefetch 2)`)
	r.waitSent(2, 3)
	r.send(2, `(ack ^topic "t" ^group "g" ^seq 1) (ack ^topic "t" ^group "g" ^seq 2)`)
	res, err := r.control(0, "trim", `{^topic "t" ^through 4}`)
	require.NoError(t, err)
	requireValues(t, `{^topic "t" ^through 2 ^deleted 2}`, []gene.Value{res})

	// A new group starts at the first message still in the log.
	r.open(3)
	r.send(3, `(subscribe ^topic "t" ^group "late" ^prefetch 1)`)
	requireValues(t, `(subscribed ^topic "t" ^group "late" ^acked 2)`+msg("t", "late", 3, 3, 1), r.waitSent(3, 2))
}

func TestQueueTopics(t *testing.T) {
	r, _ := queueRig(t)
	r.open(3)
	r.send(2, `(listen ^topic "news" ^id 1)`)
	r.send(3, `(listen ^topic "news")`)
	r.send(1, `(broadcast ^topic "news" ^value {^n 1})`)
	requireValues(t, `(broadcasted ^topic "news" ^receivers 2)`, r.sent(1))
	for _, l := range []plugin.LinkID{2, 3} {
		require.Equal(t, `(message ^topic "news" ^value {^n 1})`, gene.Format(r.waitSent(l, 2)[1]))
	}
	r.send(3, `(unlisten ^topic "news") (unlisten ^topic "news")`)
	requireValues(t, `(unlistened ^topic "news" ^existed true) (unlistened ^topic "news" ^existed false)`, r.sent(3)[2:])
	r.send(1, `(broadcast ^topic "news" ^value 2)`)
	requireValues(t, `(broadcasted ^topic "news" ^receivers 1)`, r.sent(1)[1:])
	require.Equal(t, `(message ^topic "news" ^value 2)`, gene.Format(r.waitSent(2, 3)[2]))
	topics, err := r.control(0, "topics", "")
	require.NoError(t, err)
	requireValues(t, `[]`, []gene.Value{topics}, "nothing is kept")
}

func formats(vs []gene.Value) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = gene.Format(v)
	}
	return out
}

func TestQueueBadRequests(t *testing.T) {
	r, _ := queueRig(t)
	for _, text := range []string{`(frob ^id 1)`, `42`, `(publish ^topic "a b" ^value 1)`, `(publish ^topic "t")`, `(ack ^topic "t" ^group "g")`} {
		_, err := r.sendRaw(1, gene.MustParse(text))
		require.NoError(t, err, "a bad request is answered, not a failed callback: %s", text)
	}
	got := r.sent(1)
	require.Len(t, got, 5)
	for i, v := range got {
		code, _ := v.Get("code")
		require.Equal(t, "bad-request", code.Str(), "reply %d: %s", i, gene.Format(v))
	}
	id, _ := got[0].Get("id")
	require.Equal(t, "1", gene.Format(id))
}
