package main

import (
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/genehost/genehost/host/plugindir"
)

func init() {
	commands["build"] = command{summary: "build a Go plugin folder to a WebAssembly module", run: runBuild}
}

func runBuild(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &cli{name: "build", stdin: stdin, stdout: stdout, stderr: stderr}
	fs := c.newFlags("build [flags] DIR", `
Build the Go plugin in folder DIR to a WebAssembly module, exactly as
'genehost serve' does when it loads the folder:

  GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared

against the gene, abi and guest SDK sources embedded in this genehost (so
no network is needed). The Go toolchain must be on PATH. Serving does not
need this step; use it to ship a .wasm module instead of Go source.`, `
  genehost build ./plugins/kv -o kv.wasm
  genehost build ./counter            # writes ./counter.wasm`)
	out := fs.String("o", "", "the module to write (default: ./NAME.wasm, NAME the folder's name)")
	timeout := fs.Duration("timeout", 5*time.Minute, "give up (exit 3) after this long")
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return c.usageErr("want DIR, got %d arguments", len(pos))
	}
	dir := pos[0]
	if *out == "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return c.fail(err)
		}
		*out = filepath.Base(abs) + ".wasm"
	}
	ctx, cancel := signalContext(*timeout)
	defer cancel()
	fmt.Fprintf(stderr, "genehost build: building %s (a first build compiles the Go runtime for wasip1: up to a minute or two)\n", dir)
	if err := plugindir.Build(ctx, dir, *out); err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(stdout, "built %s\n", *out)
	return exitOK
}
