package main

import (
	"encoding/json"
	"io"
	"time"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host"
	"github.com/genehost/genehost/host/client"
)

func init() {
	commands["manifest"] = command{summary: "print an interface's manifest (Gene, JSON or AsyncAPI 3)", run: runManifest}
}

func runManifest(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &cli{name: "manifest", stdin: stdin, stdout: stdout, stderr: stderr}
	fs := c.newFlags("manifest [flags] [ADDR] IFACE", `
Fetch the manifest of interface IFACE over its control sub-interface and
print it: its purpose, direction, the messages each way with their schemas
and examples, its control operations, flow settings, hash and addresses.

--format gene   indented Gene text (the default)
--format json   the JSON view of the same value (gene/JSON.md)
--format asyncapi
                an AsyncAPI 3.0 document: a channel for data links and one
                for control links; an operation per request with its
                replies (AsyncAPI reply objects), per value the host pushes,
                and per control operation; payloads as plain JSON Schema of
                the JSON view (the Gene schema in x-gene-schema); the
                direction and flow settings under x-genehost.

`+addrHelp+"\n"+metaHelp+tlsHelp, `
  genehost manifest - kv
  genehost manifest - echo --format json
  genehost manifest tcp://127.0.0.1:7470 kv --format asyncapi > kv.asyncapi.json
  GENEHOST_TOKEN=... genehost manifest - vault --token env:GENEHOST_TOKEN`)
	timeout := fs.Duration("timeout", 10*time.Second, "give up (exit 3) after this long; 0: no limit")
	format := fs.String("format", "gene", "gene, json or asyncapi")
	cf := addClientFlags(fs)
	a, code, ok := cf.parse(c, fs, args, 1, 1, "[ADDR] IFACE")
	if !ok {
		return code
	}
	switch *format {
	case "gene", "json", "asyncapi":
	default:
		return c.usageErr("--format %q: want gene, json or asyncapi", *format)
	}
	ctx, conn, done, err := connect(*timeout, a.target)
	if err != nil {
		return c.fail(err)
	}
	defer done()
	ctl, err := conn.Control(ctx, a.pos[0], client.LinkOptions{Meta: a.meta})
	if err != nil {
		return c.fail(err)
	}
	m, err := ctl.Manifest(ctx)
	if err != nil {
		return c.fail(err)
	}
	var out []byte
	switch *format {
	case "gene":
		out = gene.AppendPretty(nil, m, "  ")
	case "json":
		var v any = host.JSONView(m)
		if out, err = json.MarshalIndent(v, "", "  "); err != nil {
			return c.fail(err)
		}
	case "asyncapi":
		doc, err := host.AsyncAPI(m)
		if err != nil {
			return c.fail(err)
		}
		if out, err = json.MarshalIndent(doc, "", "  "); err != nil {
			return c.fail(err)
		}
	}
	out = append(out, '\n')
	if _, err := stdout.Write(out); err != nil {
		return c.fail(err)
	}
	return exitOK
}
