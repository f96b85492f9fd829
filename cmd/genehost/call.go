package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/client"
	"github.com/genehost/genehost/proto"
)

func init() {
	commands["call"] = command{summary: "send one value on a send+recv link and print the reply", run: runCall}
}

func runCall(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &cli{name: "call", stdin: stdin, stdout: stdout, stderr: stderr}
	fs := c.newFlags("call [flags] [ADDR] IFACE [VALUE]", `
Open a send+recv data link on interface IFACE, send VALUE (one Gene value,
written as Gene text, or as JSON with --json; read from standard input when
omitted or "-"), print the first value that comes back, and close the link.
-v also prints on standard error how long connecting, opening the link and
the round trip took.

`+addrHelp+`
A VALUE that starts with "-" goes after "--".
`+metaHelp+tlsHelp+`

A reply that is the standard error reply, (error ^code C ^message M), is
printed on standard error and the exit status is 1.`, `
  genehost call - echo '(hello ^to "world")'
  genehost call unix:///tmp/g.sock kv '(set ^key "a" ^value 1)'
  genehost call 127.0.0.1:7470 kv '(get ^key "a")' --format json
  genehost call - kv --json '{"$node": {"$sym": "get"}, "$props": {"key": "a"}}'
  echo '[1 2 3]' | genehost call - echo
  GENEHOST_ADDR=- genehost call echo 42 -v
  genehost call - echo -- -42
  genehost call tls://gh.example:7443 kv '(get ^key "a")' --ca ca.pem --cert me.pem --key me.key
  genehost call - vault '(get ^key "a")' --token @$HOME/.config/genehost/vault.token`)
	timeout := fs.Duration("timeout", 10*time.Second, "give up (exit 3) when no reply arrived within this time; 0 waits forever")
	format := addFormatFlag(fs)
	asJSON := addJSONFlag(fs)
	verbose := fs.Bool("v", false, "print the time to connect, to open the link and of the round trip on standard error")
	cf := addClientFlags(fs)
	a, code, ok := cf.parse(c, fs, args, 1, 2, "[ADDR] IFACE [VALUE]")
	if !ok {
		return code
	}
	t, md, pos := a.target, a.meta, a.pos
	out, err := outputFormat(*format, *asJSON)
	if err != nil {
		return c.usageErr("%v", err)
	}
	in := syntax{json: *asJSON}
	var v gene.Value
	if len(pos) == 2 && pos[1] != "-" {
		v, err = in.one("VALUE", []byte(pos[1]))
	} else {
		v, err = c.readValue(in)
	}
	if err != nil {
		return c.usageErr("%v", err)
	}
	ctx, cancel := signalContext(*timeout)
	defer cancel()
	var timing *callTiming
	if *verbose {
		timing = &callTiming{}
	}
	reply, err := call(ctx, t, pos[0], v, md, timing)
	if err != nil {
		return c.fail(err)
	}
	if timing != nil {
		fmt.Fprintf(stderr, "genehost call: connected to %s in %s, opened a send+recv link on %s in %s, reply in %s (round trip)\n",
			t.addr, roundDuration(timing.connect), pos[0], roundDuration(timing.open), roundDuration(timing.rtt))
	}
	if isErrorReply(reply) {
		// The interface answered with its standard error reply: it goes
		// to standard error, and the exit status says the call failed.
		if err := (printer{w: stderr, format: out}).print(reply); err != nil {
			return c.fail(err)
		}
		return exitFailed
	}
	if err := (printer{w: stdout, format: out}).print(reply); err != nil {
		return c.fail(err)
	}
	return exitOK
}

// readValue reads the one value of standard input. On a terminal it says
// first that it waits for one.
func (c *cli) readValue(in syntax) (gene.Value, error) {
	if isTerminal(c.stdin) {
		fmt.Fprintf(c.stderr, "genehost %s: reading the value from standard input (end it with Ctrl-D; or give it as an argument)\n", c.name)
	}
	data, err := io.ReadAll(c.stdin)
	if err != nil {
		return gene.Value{}, fmt.Errorf("reading standard input: %w", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return gene.Value{}, errors.New("no VALUE: give it as an argument after IFACE, or on standard input")
	}
	return in.one("<stdin>", data)
}

// isTerminal reports whether r is a terminal: a character device other
// than /dev/null.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	if err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	null, err := os.Stat(os.DevNull)
	return err != nil || !os.SameFile(st, null)
}

// callTiming is what call -v prints.
type callTiming struct {
	connect, open, rtt time.Duration
}

// roundDuration rounds d for reading: three significant digits.
func roundDuration(d time.Duration) time.Duration {
	for r := time.Duration(1); r < time.Second; r *= 10 {
		if d < 1000*r {
			return d.Round(r)
		}
	}
	return d.Round(time.Millisecond)
}

// call sends v on a fresh send+recv link and returns the first value the
// host sends back; timing, when not nil, gets how long each step took.
func call(ctx context.Context, t target, iface string, v gene.Value, meta gene.Props, timing *callTiming) (gene.Value, error) {
	start := time.Now()
	conn, err := dial(ctx, t)
	if err != nil {
		return gene.Value{}, err
	}
	defer closeConn(conn)
	opened := time.Now()
	l, err := conn.Open(ctx, iface, proto.DirSendRecv, client.LinkOptions{Meta: meta})
	if err != nil {
		if code, ok := refusal(err); ok && code == proto.CodeWrongDirection {
			return gene.Value{}, wrongDirection(ctx, conn, iface, meta, err)
		}
		return gene.Value{}, err
	}
	sent := time.Now()
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
	if timing != nil {
		*timing = callTiming{connect: opened.Sub(start), open: sent.Sub(opened), rtt: time.Since(sent)}
	}
	// Close in order: the host ends its side once the handler is done.
	cctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	_ = l.Close(cctx)
	return reply, nil
}

// refusal returns the code of a refused link.
func refusal(err error) (proto.Code, bool) {
	var oe *client.OpenError
	if errors.As(err, &oe) {
		return oe.Code(), true
	}
	return 0, false
}

// wrongDirection explains a data link refused WRONG_DIRECTION: it asks
// the interface's direction and names the command that fits it.
func wrongDirection(ctx context.Context, conn *client.Conn, iface string, meta gene.Props, refused error) error {
	dir, err := interfaceDirection(ctx, conn, iface, meta)
	if err != nil {
		return refused
	}
	switch dir {
	case proto.DirSend:
		return fmt.Errorf("WRONG_DIRECTION: interface %q only sends (host to client), so it takes no request; 'genehost recv ADDR %s' prints what it sends", iface, iface)
	case proto.DirRecv:
		return fmt.Errorf("WRONG_DIRECTION: interface %q only receives (client to host) and sends no reply; 'genehost send ADDR %s' sends it values", iface, iface)
	case proto.DirSendRecv:
		return fmt.Errorf("WRONG_DIRECTION: interface %q is send+recv: 'genehost call ADDR %s VALUE' makes one request, 'genehost connect ADDR %s' a session", iface, iface, iface)
	}
	return refused
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
