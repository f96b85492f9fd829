package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/client"
	"github.com/genehost/genehost/proto"
)

func init() {
	commands["connect"] = command{summary: "interactive session: type values, see what arrives", run: runConnect}
}

func runConnect(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &cli{name: "connect", stdin: stdin, stdout: stdout, stderr: stderr}
	fs := c.newFlags("connect [flags] ADDR IFACE", `
Open a data link on interface IFACE and run both ways at once: every Gene
value typed on standard input is sent as soon as its line is complete, and
every value the host sends is printed on standard output as it arrives, one
per line. A line that is not valid Gene text is reported on standard error
and skipped; the session goes on. It works with pipes as well as a terminal.
With --json, values are typed and printed as JSON (gene/JSON.md).

The session ends when the host ends the link, or after the end of the input
(Ctrl-D) once the host has ended its side, or on SIGINT/SIGTERM. With
--count N it ends once N values have arrived, and the end of the input does
not end the link: the way to subscribe from a script and wait for messages.
Input that ends inside a value is reported once (with its line and column)
and the exit status is then 2, after the session ends as at any end of
input.

The link's direction follows the interface (its manifest): "send+recv" both
ways, "send" only prints, "recv" only sends. --dir overrides it.

`+addrHelp+"\n"+metaHelp+tlsHelp, `
  genehost connect - echo
  genehost connect - echo --json   # then type: {"a": [1, 2]}
  genehost connect - kv        # then type: (watch ^prefix "user/")
  printf '(get ^key "a")\n' | genehost connect tcp://127.0.0.1:7470 kv
  echo '(subscribe ^topic "t" ^group "g")' | genehost connect - queue --count 3`)
	lf := addLinkFlags(fs, linkFlagsSpec{
		timeoutHelp: "end the session (exit 3) after this long; 0: no limit",
		dirDefault:  "auto",
		dirHelp:     `link direction, named from the host's side: "send", "recv", "send+recv" or "auto"`,
		countHelp:   "end the session after this many received values (0: no limit); the end of the input then does not end the link",
	})
	a, code, ok := lf.parse(c, fs, args)
	if !ok {
		return code
	}
	ctx, cancel := signalContext(a.timeout)
	defer cancel()
	conn, l, dir, err := openLink(ctx, a.target, a.iface, a.dir, a.fixed, a.meta, nil)
	if err != nil {
		return c.fail(err)
	}
	defer closeConn(conn)
	p := printer{w: stdout, format: a.format}

	max := a.count
	if max == 0 {
		max = -1
	}
	recvDone := make(chan error, 1)
	if dir.Sends(proto.SideHost) {
		go func() { recvDone <- drain(ctx, l, p, max) }()
	} else {
		go func() {
			<-l.Done()
			recvDone <- nil
		}()
	}
	type sent struct {
		cut bool // the input ended inside a value
		err error
	}
	sendDone := make(chan sent, 1)
	if dir.Sends(proto.SideClient) {
		go func() {
			cut, err := c.sendLines(ctx, l, newValueReader(stdin, "<stdin>", a.input))
			sendDone <- sent{cut, err}
		}()
	}
	cut := false

	var result error
	for result == nil {
		select {
		case s := <-sendDone:
			if s.err != nil {
				result = s.err
				break
			}
			cut = s.cut
			sendDone = nil
			if a.count > 0 {
				continue // wait for the values
			}
			if err := l.CloseSend(ctx); err != nil && !errors.Is(err, client.ErrLinkClosed) {
				result = err
			}
			continue
		case err := <-recvDone:
			if err == nil && a.count == 0 {
				err = l.Err()
			}
			if err == nil {
				if a.count > 0 {
					cctx, cancel := context.WithTimeout(ctx, time.Second)
					_ = l.Close(cctx)
					cancel()
				}
				if cut {
					return exitUsage
				}
				return exitOK
			}
			result = err
		}
	}
	l.Reset(proto.CodeCancelled, "session ended")
	if errors.Is(result, context.Canceled) {
		return exitOK // interrupted by the user
	}
	return c.fail(result)
}

// sendLines sends what vr yields; syntax errors are reported and skipped.
// It reports whether the input ended inside a value (reported too).
func (c *cli) sendLines(ctx context.Context, l *client.Link, vr *valueReader) (cut bool, err error) {
	vr.resync = true
	for {
		v, err := vr.Next()
		if errors.Is(err, io.EOF) {
			return cut, nil
		}
		if errors.Is(err, gene.ErrSyntax) || errors.Is(err, gene.ErrLimit) {
			if errors.Is(err, gene.ErrIncomplete) {
				cut = true
				fmt.Fprintf(c.stderr, "genehost connect: not sent: the input ended inside a value: %v\n", err)
			} else {
				fmt.Fprintf(c.stderr, "genehost connect: not sent: %v\n", err)
			}
			continue
		}
		if err != nil {
			return cut, err
		}
		if err := l.Send(ctx, v); err != nil {
			return cut, err
		}
	}
}
