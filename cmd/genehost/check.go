package main

import (
	"context"
	"errors"
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
	fs := c.newFlags("check [flags] PATH", `
Load plugins as 'genehost serve' would (config and manifest read, Go source
built, module compiled, one instance made, in a worker process for plugins
with ^isolation "process") without serving anything. PATH is one plugin
folder (a folder holding plugin.gene) or a plugin directory (every folder
in it is a plugin).

Each plugin that does not load is reported on standard output: the file,
with line and column where known (syntax errors, Go build errors), and the
reason. Exit 0 when every plugin loads; 1 when one does not, or when PATH
holds no plugin at all.`, `
  genehost check ./plugins
  genehost check ./plugins/kv
  genehost new js hello --dir /tmp/p && genehost check /tmp/p/hello`)
	timeout := fs.Duration("timeout", 5*time.Minute, "give up (exit 3) after this long")
	cacheDir := fs.String("cache", defaultCacheDir(), "where compiled plugins are cached (Wasm compilation, Go builds), as serve's --cache")
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return c.usageErr("want PATH (a plugin folder or a plugin directory), got %d arguments", len(pos))
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
	iso, err := workerRuntimes(filepath.Join(*cacheDir, "wasm"), nil)
	if err != nil {
		return c.fail(err)
	}
	defer func() {
		for _, rt := range iso {
			_ = rt.Close(context.Background())
		}
	}()
	errs := plugindir.Check(ctx, pos[0], rts, plugindir.CheckCacheDir(filepath.Join(*cacheDir, "plugins")),
		func(o *plugindir.Options) { o.Isolated = iso })
	for _, e := range errs {
		fmt.Fprintln(stdout, e)
	}
	if ctx.Err() != nil {
		return c.fail(ctx.Err())
	}
	switch {
	case len(errs) == 1 && errors.Is(errs[0], plugindir.ErrNoPlugins):
		fmt.Fprintf(stderr, "genehost check: %s holds no plugin\n", pos[0])
		return exitFailed
	case len(errs) > 0:
		fmt.Fprintf(stderr, "genehost check: %d plugin(s) of %s do not load\n", len(errs), pos[0])
		return exitFailed
	case plugindir.IsPluginFolder(pos[0]):
		fmt.Fprintf(stdout, "%s: the plugin loads\n", pos[0])
	default:
		fmt.Fprintf(stdout, "%s: every plugin loads\n", pos[0])
	}
	return exitOK
}
