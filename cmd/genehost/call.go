package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/proto"
)

func init() {
	commands["call"] = command{summary: "send one value on a send+recv link and print the reply", run: runCall}
}

func runCall(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &cli{name: "call", stdin: stdin, stdout: stdout, stderr: stderr}
	fs := c.newFlags("call [flags] ADDR IFACE [VALUE]", `
Open a send+recv data link on interface IFACE, send VALUE (one Gene value,
written as Gene text; read from standard input when omitted or "-"), print
the first value that comes back as Gene text, and close the link.

`+addrHelp+`
A VALUE that starts with "-" goes after "--".
`+metaHelp+`

A reply that is the standard error reply, (error ^code C ^message M), is
printed on standard error and the exit status is 1.`, `
  genehost call - echo '(hello ^to "world")'
  genehost call unix:///tmp/g.sock kv '(set ^key "a" ^value 1)'
  genehost call tcp://127.0.0.1:7470 kv '(get ^key "a")' --format json
  echo '[1 2 3]' | genehost call - echo
  genehost call - echo -- -42
  genehost call - vault '(get ^key "a")' --token @$HOME/.config/genehost/vault.token`)
	timeout := fs.Duration("timeout", 10*time.Second, "give up (exit 3) when no reply arrived within this time; 0 waits forever")
	format := addFormatFlag(fs)
	meta := addMetaFlags(fs)
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if len(pos) < 2 || len(pos) > 3 {
		return c.usageErr("want ADDR IFACE [VALUE], got %d arguments (quote VALUE so it is one argument)", len(pos))
	}
	if err := checkFormat(*format); err != nil {
		return c.usageErr("%v", err)
	}
	md, err := meta.props(c)
	if err != nil {
		return c.usageErr("%v", err)
	}
	var v gene.Value
	if len(pos) == 3 && pos[2] != "-" {
		v, err = parseValue("VALUE", pos[2])
	} else {
		var data []byte
		if data, err = io.ReadAll(stdin); err == nil {
			v, err = gene.ParseWith(data, gene.ReadOptions{Source: "<stdin>"})
		}
	}
	if err != nil {
		return c.usageErr("%v", err)
	}
	ctx, cancel := signalContext(*timeout)
	defer cancel()
	reply, err := call(ctx, pos[0], pos[1], v, md)
	if err != nil {
		return c.fail(err)
	}
	if isErrorReply(reply) {
		// The interface answered with its standard error reply: it goes
		// to standard error, and the exit status says the call failed.
		if err := (printer{w: stderr, format: *format}).print(reply); err != nil {
			return c.fail(err)
		}
		return exitFailed
	}
	if err := (printer{w: stdout, format: *format}).print(reply); err != nil {
		return c.fail(err)
	}
	return exitOK
}

// call sends v on a fresh send+recv link and returns the first value the
// host sends back.
func call(ctx context.Context, addr, iface string, v gene.Value, meta gene.Props) (gene.Value, error) {
	conn, l, _, err := openLink(ctx, addr, iface, proto.DirSendRecv, true, meta, nil)
	if err != nil {
		return gene.Value{}, err
	}
	defer closeConn(conn)
	if err := l.Send(ctx, v); err != nil {
		return gene.Value{}, fmt.Errorf("send: %w", err)
	}
	reply, err := l.Recv(ctx)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return gene.Value{}, fmt.Errorf("interface %q ended the link without a reply", iface)
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return gene.Value{}, fmt.Errorf("no reply from %q: %w", iface, err)
		}
		return gene.Value{}, fmt.Errorf("waiting for the reply: %w", err)
	}
	// Close in order: the host ends its side once the handler is done.
	cctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	_ = l.Close(cctx)
	return reply, nil
}

// isErrorReply reports whether v is the standard error reply of
// PROTOCOL.md, (error ^code C ^message M ...).
func isErrorReply(v gene.Value) bool {
	n := v.Node()
	if n == nil || !n.HasHead || !n.Head.IsSymbol("error") {
		return false
	}
	_, hasCode := n.Props.Get("code")
	return hasCode
}
