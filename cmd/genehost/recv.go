package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/genehost/genehost/proto"
)

func init() {
	commands["recv"] = command{summary: "print the values an interface sends, one per line", run: runRecv}
}

func runRecv(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &cli{name: "recv", stdin: stdin, stdout: stdout, stderr: stderr}
	fs := c.newFlags("recv [flags] ADDR IFACE", `
Open a "send" data link (host to client only) on interface IFACE and print
every value the host sends, one per line, until the host ends the link,
--count values have arrived, --timeout passes, or the process is
interrupted (SIGINT, SIGTERM: exit 0). --json prints each value as JSON
(the JSON view of gene/JSON.md).

`+addrHelp+"\n"+metaHelp+tlsHelp, `
  genehost recv - ticker --count 3
  genehost recv - ticker --json | jq .n
  genehost recv - queue --meta '{^topic "orders"}' --format json
  genehost recv tcp://127.0.0.1:7470 feed --timeout 30s`)
	lf := addLinkFlags(fs, linkFlagsSpec{
		timeoutHelp: "stop (exit 3) when fewer than --count values arrived within this time; 0: no limit",
		dirDefault:  "send",
		dirHelp:     `link direction, named from the host's side: "send" or "send+recv" (nothing is sent on it)`,
		countHelp:   "stop after this many values; 0: until the host ends the link",
		noAuto:      true,
		refuse:      proto.DirRecv,
		refuseErr:   `--dir: a "recv" link carries nothing to the client; use 'genehost send'`,
	})
	a, code, ok := lf.parse(c, fs, args)
	if !ok {
		return code
	}
	ctx, cancel := signalContext(a.timeout)
	defer cancel()
	conn, l, _, err := openLink(ctx, a.target, a.iface, a.dir, true, a.meta, nil)
	if err != nil {
		return c.fail(err)
	}
	defer closeConn(conn)
	max := a.count
	if max == 0 {
		max = -1
	}
	err = drain(ctx, l, printer{w: stdout, format: a.format}, max)
	l.Reset(proto.CodeCancelled, "recv done")
	switch {
	case err == nil:
	case errors.Is(err, context.Canceled):
		// Interrupted: what arrived was printed.
	case errors.Is(err, context.DeadlineExceeded):
		return c.fail(fmt.Errorf("timed out: %w", err))
	default:
		return c.fail(err)
	}
	return exitOK
}
