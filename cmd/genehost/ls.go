package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host"
	"github.com/genehost/genehost/host/client"
)

func init() {
	commands["ls"] = command{summary: "list the interfaces a host serves, and its addresses", run: runLs}
}

func runLs(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &cli{name: "ls", stdin: stdin, stdout: stdout, stderr: stderr}
	fs := c.newFlags("ls [flags] [ADDR]", `
Ask the host's $sys interface for the interfaces it serves and print them
as a table: name, version, direction, health and description. An interface
that is not serving (a plugin that failed to load or keeps failing, a host
draining) is then given with its reason, on a line "NAME: HEALTH: REASON"
(for a plugin that failed to load: the file, line and error). The
addresses the host listens on come last.

--format json prints one JSON document instead, for scripts:
{"interfaces": [{"name": ..., "version": ..., "direction": ..., "health":
..., "description": ..., "reason": ...}, ...], "addresses": [...]}
(--format gene: the same as a Gene prop map).

An interface 'genehost serve --token' protects is listed only when the
command passes its token (--token), and $sys then lists the interfaces
that token opens besides those that need none.

`+addrHelp+"\n"+metaHelp+tlsHelp, `
  genehost ls -
  genehost ls tcp://127.0.0.1:7470
  genehost ls - --format json | jq -r '.interfaces[].name'
  GENEHOST_ADDR=127.0.0.1:7470 genehost ls
  genehost ls - --token env:VAULT_TOKEN`)
	timeout := fs.Duration("timeout", 10*time.Second, "give up (exit 3) after this long; 0: no limit")
	format := fs.String("format", "text", "text (a table), json or gene")
	cf := addClientFlags(fs)
	a, code, ok := cf.parse(c, fs, args, 0, 0, "[ADDR]")
	if !ok {
		return code
	}
	switch *format {
	case "text", "json", "gene":
	default:
		return c.usageErr("--format %q: want text, json or gene", *format)
	}
	ctx, conn, done, err := connect(*timeout, a.target)
	if err != nil {
		return c.fail(err)
	}
	defer done()
	ctl, err := conn.Control(ctx, host.SysInterface, client.LinkOptions{Meta: a.meta})
	if err != nil {
		return c.fail(err)
	}
	ifaces, err := ctl.Call(ctx, "interfaces", gene.Void())
	if err != nil {
		return c.fail(err)
	}
	addrs, err := ctl.Call(ctx, "addresses", gene.Void())
	if err != nil {
		return c.fail(err)
	}
	if *format != "text" {
		all := gene.PropMap(gene.Prop{Key: "interfaces", Value: ifaces}, gene.Prop{Key: "addresses", Value: addrs})
		if err := (printer{w: stdout, format: *format}).print(all); err != nil {
			return c.fail(err)
		}
		return exitOK
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSION\tDIRECTION\tHEALTH\tDESCRIPTION")
	field := func(v gene.Value, k string) string {
		if f, ok := v.Get(k); ok && f.Str() != "" {
			return f.Str()
		}
		return "-"
	}
	var reasons []string
	for _, i := range ifaces.List() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", field(i, "name"), field(i, "version"), field(i, "direction"), field(i, "health"), firstLine(field(i, "description"), 60))
		if r, ok := i.Get("reason"); ok && r.Str() != "" {
			reasons = append(reasons, fmt.Sprintf("%s: %s: %s", field(i, "name"), field(i, "health"), r.Str()))
		}
	}
	if err := tw.Flush(); err != nil {
		return c.fail(err)
	}
	if len(reasons) > 0 {
		fmt.Fprintln(stdout)
		for _, r := range reasons {
			fmt.Fprintln(stdout, r)
		}
	}
	fmt.Fprintln(stdout)
	for _, a := range addrs.List() {
		fmt.Fprintf(stdout, "listening on %s\n", a.Str())
	}
	return exitOK
}

// firstLine is the first line of s, cut to max characters.
func firstLine(s string, max int) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if r := []rune(s); len(r) > max {
		s = string(r[:max-3]) + "..."
	}
	return s
}
