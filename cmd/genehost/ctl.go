package main

import (
	"io"
	"time"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/client"
)

func init() {
	commands["ctl"] = command{summary: "run a control operation (ping, health, stats, reset...)", run: runCtl}
}

func runCtl(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &cli{name: "ctl", stdin: stdin, stdout: stdout, stderr: stderr}
	fs := c.newFlags("ctl [flags] ADDR IFACE OP [ARG]", `
Open a control link on interface IFACE (or "$sys", the daemon-wide
interface), run operation OP with the optional argument ARG (one Gene
value), and print the result as Gene text. An error reply is printed on
standard error as "OP: CODE: message" and exits 1.

Every interface has manifest, ping, health and stats; pause and resume
name a data link of the same connection, so they are for programs (the Go
client), not for this command. The operations an interface declares itself
(kv's count and reset, queue's reset...) are listed by
'genehost manifest ADDR IFACE'. $sys has interfaces, addresses, ping, health
and manifest.

`+addrHelp+"\n"+metaHelp, `
  genehost ctl - kv ping
  genehost ctl - kv stats --format pretty
  genehost ctl - kv reset
  genehost ctl - queue reset '{^topic "orders" ^consumer "c1" ^to 0}'
  genehost ctl - '$sys' interfaces
  genehost ctl - vault stats --token @vault.token`)
	timeout := fs.Duration("timeout", 10*time.Second, "give up (exit 3) after this long; 0: no limit")
	format := addFormatFlag(fs)
	meta := addMetaFlags(fs)
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if len(pos) < 3 || len(pos) > 4 {
		return c.usageErr("want ADDR IFACE OP [ARG], got %d arguments (quote ARG so it is one argument)", len(pos))
	}
	if err := checkFormat(*format); err != nil {
		return c.usageErr("%v", err)
	}
	arg := gene.Void()
	if len(pos) == 4 {
		var err error
		if arg, err = parseValue("ARG", pos[3]); err != nil {
			return c.usageErr("%v", err)
		}
	}
	md, err := meta.props(c)
	if err != nil {
		return c.usageErr("%v", err)
	}
	ctx, conn, done, err := connect(*timeout, pos[0])
	if err != nil {
		return c.fail(err)
	}
	defer done()
	ctl, err := conn.Control(ctx, pos[1], client.LinkOptions{Meta: md})
	if err != nil {
		return c.fail(err)
	}
	res, err := ctl.Call(ctx, pos[2], arg)
	if err != nil {
		return c.fail(err)
	}
	if err := (printer{w: stdout, format: *format}).print(res); err != nil {
		return c.fail(err)
	}
	return exitOK
}
