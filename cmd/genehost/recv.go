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
interrupted (SIGINT, SIGTERM: exit 0).

`+addrHelp+"\n"+metaHelp, `
  genehost recv - ticker --count 3
  genehost recv - queue --meta '{^topic "orders"}' --format json
  genehost recv tcp://127.0.0.1:7470 feed --timeout 30s`)
	timeout := fs.Duration("timeout", 0, "stop (exit 3) when fewer than --count values arrived within this time; 0: no limit")
	count := fs.Int("count", 0, "stop after this many values; 0: until the host ends the link")
	format := addFormatFlag(fs)
	meta := addMetaFlags(fs)
	dirFlag := fs.String("dir", "send", `link direction, named from the host's side: "send" or "send+recv" (nothing is sent on it)`)
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 2 {
		return c.usageErr("want ADDR IFACE, got %d arguments", len(pos))
	}
	if err := checkFormat(*format); err != nil {
		return c.usageErr("%v", err)
	}
	if *count < 0 {
		return c.usageErr("--count %d: must not be negative", *count)
	}
	dir, err := proto.ParseDirection(*dirFlag)
	if err == nil && dir == proto.DirRecv {
		err = errors.New(`a "recv" link carries nothing to the client; use 'genehost send'`)
	}
	if err != nil {
		return c.usageErr("--dir: %v", err)
	}
	md, err := meta.props(c)
	if err != nil {
		return c.usageErr("%v", err)
	}
	ctx, cancel := signalContext(*timeout)
	defer cancel()
	conn, l, _, err := openLink(ctx, pos[0], pos[1], dir, true, md, nil)
	if err != nil {
		return c.fail(err)
	}
	defer closeConn(conn)
	max := *count
	if max == 0 {
		max = -1
	}
	err = drain(ctx, l, printer{w: stdout, format: *format}, max)
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
