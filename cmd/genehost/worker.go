package main

import (
	"context"
	"fmt"
	"io"
	"os/signal"
	"syscall"

	"github.com/genehost/genehost/host/jsrt"
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/wasmrt"
	"github.com/genehost/genehost/host/worker"
)

func init() {
	commands["worker"] = command{summary: "run plugin code for a host (started by serve and check, not by hand)", run: runWorker}
}

func runWorker(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &cli{name: "worker", stdin: stdin, stdout: stdout, stderr: stderr}
	fs := c.newFlags("worker [flags]", `
Serve one plugin version for the host that started this process: the
host runs every plugin with ^isolation "process" (JavaScript by default)
in a worker of its own, talks to it over the pipe it passes as descriptor
3, and kills and replaces it when it dies, runs past a deadline or over its
memory ceiling (host/worker). It is not meant to be run by hand: without
that pipe it exits with status 2.`, `
  (started by 'genehost serve' and 'genehost check')`)
	cacheDir := fs.String("cache", "", "where the Wasm runtime keeps compiled code (\"\": in memory)")
	if _, code, ok := parseArgs(fs, args); !ok {
		return code
	}
	if !worker.IsWorker() {
		fmt.Fprintln(stderr, "genehost worker: not started by a genehost host (run 'genehost serve')")
		return exitUsage
	}
	// The host decides when its workers stop: a signal meant for the
	// terminal's foreground group does not end one mid-call.
	signal.Ignore(syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	// The host kills a worker whose callback overruns, so Wasm guests run
	// without wazero's slower self-interrupting code (wasmrt.Config) and
	// JavaScript callbacks run on the calling goroutine, without a hand-off
	// to the instance's event loop (jsrt.Config).
	w, err := wasmrt.New(wasmrt.Config{CacheDir: *cacheDir, KilledOnOverrun: true})
	if err != nil {
		fmt.Fprintln(stderr, "genehost worker:", err)
		return exitFailed
	}
	rts := map[string]plugin.Runtime{"js": jsrt.NewWith(jsrt.Config{KilledOnOverrun: true}), "wasm": w}
	if err := worker.Serve(context.Background(), rts); err != nil {
		fmt.Fprintln(stderr, "genehost worker:", err)
		return exitFailed
	}
	return exitOK
}
