// Command echo talks to the echo plugin: it sends every line of standard
// input as (line ^text "...") and prints what comes back, one reply per
// line, as Gene text.
//
//	printf 'hello\nworld\n' | go run ./examples/clients/echo
//	(line ^text "hello" ^id 1)
//	(line ^text "world" ^id 2)
//
// Each line is a request (client.Link.Request): the client adds ^id, echo
// sends the value back unchanged, and the reply is matched on that ^id.
package main

import (
	"bufio"
	"context"
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

func main() {
	address := flag.String("addr", addr.Default, addr.Usage)
	iface := flag.String("iface", "echo", "interface to talk to")
	timeout := flag.Duration("timeout", 5*time.Second, "how long to wait for each reply")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, addr.Resolve(*address), *iface, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "echo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, address, iface string, timeout time.Duration) error {
	c, err := client.Dial(ctx, address, client.Config{})
	if err != nil {
		return err
	}
	defer c.Close()
	l, err := c.Open(ctx, iface, proto.DirSendRecv, client.LinkOptions{})
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		req := gene.NodeValue(&gene.Node{
			Head: gene.Symbol("line"), HasHead: true,
			Props: gene.Props{{Key: "text", Value: gene.String(sc.Text())}},
		})
		rctx, cancel := context.WithTimeout(ctx, timeout)
		reply, err := l.Request(rctx, req)
		cancel()
		if err != nil {
			return fmt.Errorf("line %q: %w", sc.Text(), err)
		}
		fmt.Println(gene.Format(reply))
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading standard input: %w", err)
	}
	// End our side and wait for the host to end its own: every reply has
	// been read by then.
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return l.Close(cctx)
}
