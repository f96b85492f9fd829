package main

import (
	"context"
	"fmt"
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
	fs := c.newFlags("ctl [flags] [ADDR] IFACE OP [ARG]", `
Open a control link on interface IFACE (or "$sys", the daemon-wide
interface), run operation OP with the optional argument ARG (one Gene
value, or JSON with --json), and print the result as Gene text (JSON with
--json). An error reply is printed on standard error as "OP: CODE: message"
and exits 1.

ping prints "pong" and the round-trip time; --count N pings N times, one
line each, then min/avg/max like ping(8).

Every interface has manifest, ping, health and stats; pause and resume
name a data link of the same connection, so they are for programs (the Go
client), not for this command. The operations an interface declares itself
(kv's count and reset, queue's reset...) are listed, with their arguments,
by 'genehost manifest ADDR IFACE'. $sys has interfaces, addresses, ping,
health and manifest.

`+addrHelp+"\n"+metaHelp+tlsHelp, `
  genehost ctl - kv ping
  genehost ctl - kv ping --count 5
  genehost ctl - kv stats --format pretty
  genehost ctl - kv reset
  genehost ctl - queue reset '{^topic "orders" ^group "tour" ^seq 1}'
  genehost ctl - queue topics --json
  genehost ctl - '$sys' interfaces
  genehost ctl - vault stats --token @vault.token`)
	timeout := fs.Duration("timeout", 10*time.Second, "give up (exit 3) after this long; 0: no limit")
	format := addFormatFlag(fs)
	asJSON := addJSONFlag(fs)
	count := fs.Int("count", 1, "ping only: how many pings, one after the other")
	cf := addClientFlags(fs)
	a, code, ok := cf.parse(c, fs, args, 2, 3, "[ADDR] IFACE OP [ARG]")
	if !ok {
		return code
	}
	t, md, pos := a.target, a.meta, a.pos
	out, err := outputFormat(*format, *asJSON)
	if err != nil {
		return c.usageErr("%v", err)
	}
	if *count < 1 || (*count != 1 && pos[1] != "ping") {
		return c.usageErr("--count %d: ping only, at least 1", *count)
	}
	arg := gene.Void()
	if len(pos) == 3 {
		if arg, err = (syntax{json: *asJSON}).one("ARG", []byte(pos[2])); err != nil {
			return c.usageErr("%v", err)
		}
	}
	ctx, conn, done, err := connect(*timeout, t)
	if err != nil {
		return c.fail(err)
	}
	defer done()
	ctl, err := conn.Control(ctx, pos[0], client.LinkOptions{Meta: md})
	if err != nil {
		return c.fail(err)
	}
	if pos[1] == "ping" && len(pos) == 2 {
		return c.ping(ctx, ctl, *count)
	}
	res, err := ctl.Call(ctx, pos[1], arg)
	if err != nil {
		return c.fail(err)
	}
	if err := (printer{w: stdout, format: out}).print(res); err != nil {
		return c.fail(err)
	}
	return exitOK
}

// ping runs the ping operation count times and prints each round trip,
// and with more than one the minimum, average and maximum.
func (c *cli) ping(ctx context.Context, ctl *client.Control, count int) int {
	iface := ctl.Link().Interface()
	var sum, lo, hi time.Duration
	for i := range count {
		rtt, err := ctl.Ping(ctx)
		if err != nil {
			return c.fail(err)
		}
		fmt.Fprintf(c.stdout, "pong from %s: time=%s\n", iface, roundDuration(rtt))
		sum += rtt
		if i == 0 || rtt < lo {
			lo = rtt
		}
		hi = max(hi, rtt)
	}
	if count > 1 {
		fmt.Fprintf(c.stdout, "%d pings: min/avg/max = %s/%s/%s\n", count, roundDuration(lo), roundDuration(sum/time.Duration(count)), roundDuration(hi))
	}
	return exitOK
}
