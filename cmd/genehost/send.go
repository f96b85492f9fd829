package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/genehost/genehost/host/client"
	"github.com/genehost/genehost/proto"
)

func init() {
	commands["send"] = command{summary: "send the Gene values read from standard input", run: runSend}
}

func runSend(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &cli{name: "send", stdin: stdin, stdout: stdout, stderr: stderr}
	fs := c.newFlags("send [flags] ADDR IFACE", `
Read Gene values from standard input and send each one on a data link of
interface IFACE as soon as it is complete (a value may span lines, a line
may hold several). At the end of the input the link is closed in order and
"sent N values" is written to standard error.

The link is a "recv" link (client to host only) when the interface is
"recv", and a "send+recv" link when the interface is "send+recv": then the
values the host sends back are printed on standard output, one per line,
until the host ends the link. --dir chooses the link direction instead.

With --json the input is JSON documents (one per line, or back to back) in
the JSON view of gene/JSON.md, and the replies are printed as JSON.

`+addrHelp+"\n"+metaHelp+tlsHelp, `
  printf '(set ^key "a" ^value 1)\n(set ^key "b" ^value 2)\n' | genehost send - kv
  echo '[1, {"a": 2}]' | genehost send - echo --json
  genehost send - queue --meta '{^topic "orders"}' < orders.gene
  tail -f events.gene | genehost send tcp://127.0.0.1:7470 sink`)
	lf := addLinkFlags(fs, linkFlagsSpec{
		timeoutHelp: "give up (exit 3) after this long in total; 0: no limit",
		dirDefault:  "auto",
		dirHelp:     `link direction, named from the host's side: "recv", "send+recv", or "auto" (from the interface's manifest)`,
		refuse:      proto.DirSend,
		refuseErr:   `--dir send: a "send" link carries nothing from the client; use 'genehost recv'`,
	})
	a, code, ok := lf.parse(c, fs, args)
	if !ok {
		return code
	}
	ctx, cancel := signalContext(a.timeout)
	defer cancel()
	conn, l, dir, err := openLink(ctx, a.target, a.iface, a.dir, a.fixed, a.meta, func(d proto.Direction) error {
		if d == proto.DirSend {
			return fmt.Errorf(`interface %q only sends (it is a feed); use 'genehost recv'`, a.iface)
		}
		return nil
	})
	if err != nil {
		return c.fail(err)
	}
	defer closeConn(conn)
	p := printer{w: stdout, format: a.format}
	recvDone := make(chan error, 1)
	if dir == proto.DirSendRecv {
		go func() { recvDone <- drain(ctx, l, p, -1) }()
	} else {
		recvDone <- nil
	}
	n, err := sendAll(ctx, l, a.input.reader(stdin, "<stdin>"))
	fmt.Fprintf(stderr, "sent %d values\n", n)
	if err != nil {
		l.Reset(proto.CodeCancelled, "input failed")
		return c.fail(err)
	}
	if err := l.CloseSend(ctx); err != nil {
		return c.fail(fmt.Errorf("closing the link: %w", err))
	}
	if err := <-recvDone; err != nil {
		return c.fail(err)
	}
	if dir == proto.DirRecv {
		// The host ends a recv link once it has consumed every value.
		select {
		case <-l.Done():
		case <-ctx.Done():
			return c.fail(fmt.Errorf("waiting for the host to take the last values: %w", ctx.Err()))
		}
		if err := l.Err(); err != nil {
			return c.fail(err)
		}
	}
	return exitOK
}

// sendAll sends every value src yields; it returns how many were sent.
func sendAll(ctx context.Context, l *client.Link, src valueSource) (int, error) {
	n := 0
	for {
		v, err := src.Next()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		if err := l.Send(ctx, v); err != nil {
			return n, fmt.Errorf("sending value %d: %w", n+1, err)
		}
		n++
	}
}

// drain prints the values received on l until the host ends its
// direction, max values have been printed (max < 0: no limit), or ctx
// ends.
func drain(ctx context.Context, l *client.Link, p printer, max int) error {
	for n := 0; max < 0 || n < max; n++ {
		v, err := l.Recv(ctx)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := p.print(v); err != nil {
			return err
		}
	}
	return nil
}
