package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/genehost/genehost/host/plugindir"
)

func init() {
	commands["check"] = command{summary: "validate a plugin directory without serving it", run: runCheck}
}

func runCheck(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &cli{name: "check", stdin: stdin, stdout: stdout, stderr: stderr}
	fs := c.newFlags("check [flags] DIR", `
Load every plugin of the plugin directory DIR as 'genehost serve' would
(config and manifest read, Go source built, module compiled, one instance
made) without serving anything, and report each plugin that fails, one
line each, naming the file (with line and column for syntax errors) and the
reason. Exit 0 when every plugin loads, 1 otherwise.`, `
  genehost check ./plugins
  genehost new js hello --dir /tmp/p && genehost check /tmp/p`)
	timeout := fs.Duration("timeout", 5*time.Minute, "give up (exit 3) after this long")
	cacheDir := fs.String("cache", defaultCacheDir(), "where compiled plugins are cached (Wasm compilation, Go builds), as serve's --cache")
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return c.usageErr("want DIR, got %d arguments", len(pos))
	}
	if st, err := os.Stat(pos[0]); err != nil || !st.IsDir() {
		return c.fail(fmt.Errorf("%s is not a directory", pos[0]))
	}
	ctx, cancel := signalContext(*timeout)
	defer cancel()
	rts, err := runtimes(filepath.Join(*cacheDir, "wasm"))
	if err != nil {
		return c.fail(err)
	}
	defer func() {
		for _, rt := range rts {
			_ = rt.Close(context.Background())
		}
	}()
	errs := plugindir.Check(ctx, pos[0], rts, plugindir.CheckCacheDir(filepath.Join(*cacheDir, "plugins")))
	for _, e := range errs {
		fmt.Fprintln(stdout, e)
	}
	if ctx.Err() != nil {
		return c.fail(ctx.Err())
	}
	if len(errs) > 0 {
		fmt.Fprintf(stderr, "genehost check: %d plugin(s) of %s do not load\n", len(errs), pos[0])
		return exitFailed
	}
	fmt.Fprintf(stdout, "%s: every plugin loads\n", pos[0])
	return exitOK
}
