package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

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
reason. A Go plugin whose build is not in the cache is built first, with
a line on standard error before the build (the first one takes a minute or
so) and one with its time after. Exit 0 when every plugin loads; 1 when
one does not, or when PATH holds no plugin at all.`, `
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
	// Of the loader's log, check prints only the progress of Go builds
	// the cache does not hold (the first takes a minute or so), on stderr.
	progress := hclog.New(&hclog.LoggerOptions{Name: "genehost", Level: hclog.Info, Output: stderr, DisableTime: true,
		Exclude: func(_ hclog.Level, msg string, _ ...any) bool { return !isBuildProgress(msg) }})
	errs := plugindir.Check(ctx, pos[0], rts, plugindir.CheckCacheDir(filepath.Join(*cacheDir, "plugins")),
		func(o *plugindir.Options) { o.Isolated, o.Logger = iso, progress })
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

// isBuildProgress reports whether a loader log line is the progress of a
// Go plugin build: plugindir logs "building Go plugin" before a build its
// cache does not hold and "built Go plugin" with the time it took after.
// check and dev print these lines.
func isBuildProgress(line string) bool {
	return strings.Contains(line, "building Go plugin") || strings.Contains(line, "built Go plugin")
}
