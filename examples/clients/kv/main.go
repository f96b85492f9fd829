// Command kv is a small command-line client of the kv plugin, genehost's
// durable key-value store:
//
//	kv set KEY VALUE     store VALUE (Gene text: 42, "text", {^a 1}, ...)
//	kv get KEY           print the value, or exit 1 when there is none
//	kv del KEY           delete the key
//	kv scan [PREFIX]     print "KEY VALUE" for every key under PREFIX
//	kv watch [PREFIX]    print every change under PREFIX until interrupted
//
// set, get, del and scan are requests (client.Link.Request): the client
// adds ^id and the reply carries it back. watch shows the other half of a
// send+recv link: after (watch ^prefix P) the host pushes (changed ...) and
// (deleted ...) on the same link whenever any client changes a key, and
// client.Link.Handle receives them.
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

const usage = `Usage: kv [-addr ADDR] COMMAND ARGS

Commands:
  set KEY VALUE    store VALUE, written as Gene text, under KEY
  get KEY          print the value under KEY (exit 1 when there is none)
  del KEY          delete KEY
  scan [PREFIX]    print every key under PREFIX with its value, in key order
  watch [PREFIX]   print every change under PREFIX until Ctrl-C

Flags:
`

// errUsage marks a bad command line (exit 2).
var errUsage = errors.New("bad usage")

// errNotFound is a get of a key that does not exist (exit 1, nothing on
// standard output).
var errNotFound = errors.New("not found")

func main() {
	address := flag.String("addr", addr.Default, addr.Usage)
	timeout := flag.Duration("timeout", 5*time.Second, "how long to wait for each reply")
	flag.Usage = func() {
		fmt.Fprint(flag.CommandLine.Output(), usage)
		flag.PrintDefaults()
	}
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, addr.Resolve(*address), *timeout, flag.Args())
	switch {
	case errors.Is(err, errUsage):
		fmt.Fprintln(os.Stderr, "kv:", err)
		flag.Usage()
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "kv:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, address string, timeout time.Duration, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: no command", errUsage)
	}
	cmd, args := args[0], args[1:]
	want := map[string][2]int{"set": {2, 2}, "get": {1, 1}, "del": {1, 1}, "scan": {0, 1}, "watch": {0, 1}}
	n, ok := want[cmd]
	if !ok {
		return fmt.Errorf("%w: unknown command %q", errUsage, cmd)
	}
	if len(args) < n[0] || len(args) > n[1] {
		return fmt.Errorf("%w: %s takes %d to %d arguments, got %d", errUsage, cmd, n[0], n[1], len(args))
	}
	var value gene.Value
	if cmd == "set" {
		v, err := gene.Parse([]byte(args[1]))
		if err != nil {
			return fmt.Errorf("%w: VALUE %q is not Gene text: %v", errUsage, args[1], err)
		}
		value = v
	}

	c, err := client.Dial(ctx, address, client.Config{})
	if err != nil {
		return err
	}
	defer c.Close()
	l, err := c.Open(ctx, "kv", proto.DirSendRecv, client.LinkOptions{})
	if err != nil {
		return err
	}
	s := &session{l: l, timeout: timeout}
	defer s.close()

	switch cmd {
	case "set":
		if _, err := s.request(ctx, "set", "key", gene.String(args[0]), "value", value); err != nil {
			return err
		}
		fmt.Printf("set %s\n", args[0])
	case "get":
		r, err := s.request(ctx, "get", "key", gene.String(args[0]))
		if err != nil {
			return err
		}
		if r.Node().Head.IsSymbol("not-found") {
			return fmt.Errorf("%q: %w", args[0], errNotFound)
		}
		v, _ := r.Get("value")
		fmt.Println(gene.Format(v))
	case "del":
		r, err := s.request(ctx, "del", "key", gene.String(args[0]))
		if err != nil {
			return err
		}
		if existed, _ := r.Get("existed"); existed.Kind() == gene.KindBool {
			if b, _ := existed.AsBool(); !b {
				fmt.Printf("%s did not exist\n", args[0])
				break
			}
		}
		fmt.Printf("deleted %s\n", args[0])
	case "scan":
		return s.scan(ctx, optional(args))
	case "watch":
		return s.watch(ctx, optional(args))
	}
	return nil
}

func optional(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return args[0]
}

// session is one link to kv.
type session struct {
	l       *client.Link
	timeout time.Duration
}

// request sends (head ^k1 v1 ^k2 v2 ...) and returns the reply, or the
// (error ^code C ^message M) the plugin answered as a Go error.
func (s *session) request(ctx context.Context, head string, props ...any) (gene.Value, error) {
	n := &gene.Node{Head: gene.Symbol(head), HasHead: true}
	for i := 0; i+1 < len(props); i += 2 {
		n.Props.Set(props[i].(string), props[i+1].(gene.Value))
	}
	rctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	r, err := s.l.Request(rctx, gene.NodeValue(n))
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

// close ends the link in order, the client's direction and then the
// host's, so the host sees a link that was done rather than one cut short.
func (s *session) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	return s.l.Close(ctx)
}

// scan prints every entry under prefix, a page at a time: a page with
// ^more true is followed by the same scan ^after its ^next key.
func (s *session) scan(ctx context.Context, prefix string) error {
	after := ""
	for {
		props := []any{"prefix", gene.String(prefix)}
		if after != "" {
			props = append(props, "after", gene.String(after))
		}
		r, err := s.request(ctx, "scan", props...)
		if err != nil {
			return err
		}
		entries, _ := r.Get("entries")
		for _, e := range entries.List() {
			k, _ := e.Get("key")
			v, _ := e.Get("value")
			fmt.Printf("%s %s\n", k.Str(), gene.Format(v))
		}
		more, _ := r.Get("more")
		if b, _ := more.AsBool(); !b {
			return nil
		}
		next, _ := r.Get("next")
		after = next.Str()
	}
}

// watch asks for the changes under prefix and prints each push as Gene
// text until ctx ends (Ctrl-C) or the link is lost.
func (s *session) watch(ctx context.Context, prefix string) error {
	lost := make(chan error, 1)
	// Handle runs on one goroutine the client owns, in order; returning
	// hands the value's credit back to the host. The replies to our own
	// requests go to Request, everything else comes here.
	s.l.Handle(func(v gene.Value) {
		fmt.Println(gene.Format(v))
	}, func(err error) {
		lost <- err
	})
	if _, err := s.request(ctx, "watch", "prefix", gene.String(prefix)); err != nil {
		return err
	}
	fmt.Printf("watching %q (Ctrl-C to stop)\n", prefix)
	select {
	case <-ctx.Done():
		_, err := s.request(context.Background(), "unwatch", "prefix", gene.String(prefix))
		return err
	case err := <-lost:
		if err == nil {
			err = errors.New("the host closed the link")
		}
		return fmt.Errorf("watch: %w", err)
	}
}
