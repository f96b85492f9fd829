// Command queue publishes to and consumes from the queue plugin,
// genehost's durable message queue:
//
//	queue publish TOPIC VALUE     publish VALUE (Gene text) to TOPIC
//	queue consume TOPIC GROUP     print TOPIC's messages for GROUP, acking each
//
// consume subscribes GROUP to TOPIC and prints every message the host
// pushes, "#SEQ VALUE", acknowledging each once printed, until Ctrl-C or,
// with -count N, after N messages. A group that is new starts at the
// topic's first message; a group that exists continues after the last
// message it acknowledged. A message that is not acknowledged (the
// consumer died first) is delivered again, to any member of the group,
// and printed with its attempt number.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/genehost/genehost/examples/clients/internal/addr"
	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/client"
	"github.com/genehost/genehost/proto"
)

const usage = `Usage: queue [flags] COMMAND ARGS

Commands:
  publish TOPIC VALUE   publish VALUE, written as Gene text, to TOPIC
  consume TOPIC GROUP   print TOPIC's messages for consumer group GROUP, acking each

Flags:
`

var errUsage = errors.New("bad usage")

func main() {
	address := flag.String("addr", addr.Default, addr.Usage)
	timeout := flag.Duration("timeout", 5*time.Second, "how long to wait for each reply")
	count := flag.Int("count", 0, "consume: stop after this many messages (0: until Ctrl-C)")
	flag.Usage = func() {
		fmt.Fprint(flag.CommandLine.Output(), usage)
		flag.PrintDefaults()
	}
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, addr.Resolve(*address), *timeout, *count, flag.Args())
	switch {
	case errors.Is(err, errUsage):
		fmt.Fprintln(os.Stderr, "queue:", err)
		flag.Usage()
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "queue:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, address string, timeout time.Duration, count int, args []string) error {
	if len(args) != 3 || (args[0] != "publish" && args[0] != "consume") {
		return fmt.Errorf("%w: want publish TOPIC VALUE or consume TOPIC GROUP", errUsage)
	}
	var value gene.Value
	if args[0] == "publish" {
		v, err := gene.Parse([]byte(args[2]))
		if err != nil {
			return fmt.Errorf("%w: VALUE %q is not Gene text: %v", errUsage, args[2], err)
		}
		value = v
	}

	c, err := client.Dial(ctx, address, client.Config{})
	if err != nil {
		return err
	}
	defer c.Close()
	l, err := c.Open(ctx, "queue", proto.DirSendRecv, client.LinkOptions{})
	if err != nil {
		return err
	}
	q := &queue{l: l, timeout: timeout}
	defer q.close()
	if args[0] == "publish" {
		r, err := q.request(ctx, "publish", "topic", gene.String(args[1]), "value", value)
		if err != nil {
			return err
		}
		seq, _ := r.Get("seq")
		fmt.Printf("published #%s to %s\n", gene.Format(seq), args[1])
		return nil
	}
	return q.consume(ctx, args[1], args[2], count)
}

// queue is one link to the queue plugin.
type queue struct {
	l       *client.Link
	timeout time.Duration
}

// request sends (head ^k1 v1 ...) and returns the reply; an
// (error ^code C ^message M) reply is returned as an error.
func (q *queue) request(ctx context.Context, head string, props ...any) (gene.Value, error) {
	n := &gene.Node{Head: gene.Symbol(head), HasHead: true}
	for i := 0; i+1 < len(props); i += 2 {
		n.Props.Set(props[i].(string), props[i+1].(gene.Value))
	}
	rctx, cancel := context.WithTimeout(ctx, q.timeout)
	defer cancel()
	r, err := q.l.Request(rctx, gene.NodeValue(n))
	if err != nil {
		return gene.Value{}, fmt.Errorf("%s: %w", head, err)
	}
	if rn := r.Node(); rn != nil && rn.Head.IsSymbol("error") {
		code, _ := r.Get("code")
		msg, _ := r.Get("message")
		return gene.Value{}, fmt.Errorf("%s: %s: %s", head, code.Str(), msg.Str())
	}
	return r, nil
}

// consume subscribes and prints and acknowledges messages until ctx ends
// or count messages were handled (count > 0).
func (q *queue) consume(ctx context.Context, topic, group string, count int) error {
	// Messages are pushed on the link; the replies to our requests go to
	// Request. The handler only queues a message: acking it is a request,
	// whose reply the handler's goroutine would have to deliver. The host
	// sends at most ^prefetch (default 16) unacknowledged messages, so
	// this buffer never fills.
	msgs := make(chan gene.Value, 256)
	lost := make(chan error, 1)
	q.l.Handle(func(v gene.Value) {
		if v.Node() != nil && v.Node().Head.IsSymbol("message") {
			msgs <- v
		}
	}, func(err error) { lost <- err })

	r, err := q.request(ctx, "subscribe", "topic", gene.String(topic), "group", gene.String(group))
	if err != nil {
		return err
	}
	acked, _ := r.Get("acked")
	fmt.Printf("consuming %s as %s from #%d (Ctrl-C to stop)\n", topic, group, mustInt(acked)+1)

	for done := 0; count == 0 || done < count; done++ {
		var m gene.Value
		select {
		case m = <-msgs:
		case err := <-lost:
			if err == nil {
				err = errors.New("the host closed the link")
			}
			return fmt.Errorf("consume: %w", err)
		case <-ctx.Done():
			return q.leave(topic, group)
		}
		seq, _ := m.Get("seq")
		v, _ := m.Get("value")
		line := fmt.Sprintf("#%d %s", mustInt(seq), gene.Format(v))
		if attempt, _ := m.Get("attempt"); mustInt(attempt) > 1 {
			line += fmt.Sprintf(" (attempt %d)", mustInt(attempt))
		}
		fmt.Println(line)
		// A message printed is acknowledged even when Ctrl-C comes
		// meanwhile: the ack does not end with ctx.
		if _, err := q.request(context.WithoutCancel(ctx), "ack", "topic", gene.String(topic), "group", gene.String(group), "seq", seq); err != nil {
			return err
		}
	}
	return q.leave(topic, group)
}

// leave leaves the group in order, also after Ctrl-C: the messages pushed
// but not printed go back to the group for its other members.
func (q *queue) leave(topic, group string) error {
	_, err := q.request(context.Background(), "unsubscribe", "topic", gene.String(topic), "group", gene.String(group))
	return err
}

// close ends the link in order, the client's direction and then the
// host's, so the host sees a link that was done rather than one cut short.
func (q *queue) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), q.timeout)
	defer cancel()
	return q.l.Close(ctx)
}

func mustInt(v gene.Value) int64 {
	n, _ := v.AsInt()
	return n
}
