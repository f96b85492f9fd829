// Package tests holds the end-to-end tests of genehost: they build the
// real genehost binary once, start 'genehost serve' on temporary sockets,
// plugin copies and data directories, and drive it only through the CLI,
// the Go client and an HTTP client.
package tests

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/tests/e2e"
)

var (
	// binary is the genehost binary built by TestMain.
	binary string
	// binDir holds it (put on PATH for shell lines).
	binDir string
	// cacheDir is shared by every daemon, so Go plugins are built once; it
	// is also the default cache of CLI runs (env sets XDG_CACHE_HOME).
	cacheDir string
	// repoRoot is the root of the genehost repository.
	repoRoot string
)

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	var err error
	if repoRoot, err = filepath.Abs(".."); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	tmp, err := os.MkdirTemp("", "genehost-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	binDir = filepath.Join(tmp, "bin")
	cacheDir = filepath.Join(tmp, "cache", "genehost") // what serve uses by default with XDG_CACHE_HOME=tmp/cache
	binary = filepath.Join(binDir, "genehost")
	if err := e2e.Build(repoRoot, binDir, "./cmd/genehost"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// result is what one CLI run produced.
type result struct {
	out, err string
	code     int
}

// env is the environment CLI runs and daemons get: the default socket is
// under runtime ("-" addresses it), data and cache under the test's dirs.
func env(runtime string) []string {
	e := os.Environ()
	e = append(e, "XDG_RUNTIME_DIR="+runtime, "XDG_CACHE_HOME="+filepath.Dir(cacheDir), "GENEHOST_ADDR=",
		"PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return e
}

// gh runs the genehost binary with args and stdin, with the default
// socket of d (when d is not nil).
func gh(t testing.TB, d *e2e.Daemon, stdin string, args ...string) result {
	t.Helper()
	return ghEnv(t, d, nil, stdin, args...)
}

// ghEnv is gh with more environment variables (NAME=VALUE).
func ghEnv(t testing.TB, d *e2e.Daemon, extra []string, stdin string, args ...string) result {
	t.Helper()
	var e []string
	if d != nil {
		e = env(d.Runtime)
	}
	if extra != nil {
		if e == nil {
			e = os.Environ()
		}
		e = append(e, extra...)
	}
	r := e2e.Run(t, 90*time.Second, e, stdin, binary, args...)
	return result{out: r.Out, err: r.Err, code: r.Code}
}

// ok runs the binary and requires exit code 0; it returns stdout.
func ok(t testing.TB, d *e2e.Daemon, stdin string, args ...string) string {
	t.Helper()
	r := gh(t, d, stdin, args...)
	require.Equal(t, 0, r.code, "genehost %v: stdout %q stderr %q", args, r.out, r.err)
	return r.out
}

// serveOpts say how to start a daemon; zero fields are fresh temporary
// directories and no HTTP.
type serveOpts struct {
	plugins string // plugin directory; default: a copy of the shipped plugins
	data    string
	runtime string // directory of the default socket
	http    bool
	httpAt  string // the --http address when http is set; default 127.0.0.1:0
	args    []string
	bin     string // the genehost binary; default the one TestMain built
	// noListen leaves out the --listen flags for the default socket and a
	// TCP port: args give them, or serve's defaults apply.
	noListen bool
}

// copyPlugins copies the shipped plugins (without their Go tests and
// README) and the test plugins under testdata into a new directory.
func copyPlugins(t testing.TB, extra ...string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "plugins")
	e2e.CopyTree(t, filepath.Join(repoRoot, "plugins"), dst, func(rel string, d fs.DirEntry) bool {
		return !d.IsDir() && (!strings.Contains(rel, string(filepath.Separator)) || strings.HasSuffix(rel, "_test.go"))
	})
	for _, name := range extra {
		e2e.CopyTree(t, filepath.Join("testdata", name), filepath.Join(dst, name), nil)
	}
	return dst
}

// serve starts 'genehost serve' and waits until it printed its addresses.
func serve(t testing.TB, o serveOpts) *e2e.Daemon {
	t.Helper()
	if o.plugins == "" {
		o.plugins = copyPlugins(t)
	}
	if o.data == "" {
		o.data = filepath.Join(t.TempDir(), "data")
	}
	if o.bin == "" {
		o.bin = binary
	}
	return e2e.Serve(t, e2e.ServeOptions{Bin: o.bin, Plugins: o.plugins, Data: o.data, Cache: cacheDir,
		Runtime: o.runtime, Env: env, HTTP: o.http, HTTPAt: o.httpAt, Args: o.args, NoListen: o.noListen})
}
