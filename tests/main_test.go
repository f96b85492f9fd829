// Package tests holds the end-to-end tests of genehost: they build the
// real genehost binary once, start 'genehost serve' on temporary sockets,
// plugin copies and data directories, and drive it only through the CLI,
// the Go client and an HTTP client.
package tests

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
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
	build := exec.Command("go", "build", "-o", binary, "./cmd/genehost")
	build.Dir = repoRoot
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building genehost:", err)
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
func gh(t testing.TB, d *daemon, stdin string, args ...string) result {
	t.Helper()
	return ghEnv(t, d, nil, stdin, args...)
}

// ghEnv is gh with more environment variables (NAME=VALUE).
func ghEnv(t testing.TB, d *daemon, extra []string, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	if d != nil {
		cmd.Env = env(d.runtime)
	}
	if extra != nil {
		cmd.Env = append(cmd.Environ(), extra...)
	}
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		require.True(t, ok, "running genehost %v: %v", args, err)
		code = ee.ExitCode()
	}
	return result{out: out.String(), err: errb.String(), code: code}
}

// ok runs the binary and requires exit code 0; it returns stdout.
func ok(t testing.TB, d *daemon, stdin string, args ...string) string {
	t.Helper()
	r := gh(t, d, stdin, args...)
	require.Equal(t, 0, r.code, "genehost %v: stdout %q stderr %q", args, r.out, r.err)
	return r.out
}

// daemon is a running 'genehost serve'.
type daemon struct {
	t       testing.TB
	cmd     *exec.Cmd
	runtime string // XDG_RUNTIME_DIR: the default socket is runtime/genehost/genehost.sock
	plugins string
	data    string
	unix    string // unix:///...
	tcp     string // tcp://127.0.0.1:PORT
	tls     string // tls://127.0.0.1:PORT, when args add a tls:// --listen
	http    string // http://127.0.0.1:PORT (https:// with --http-cert), when asked for
	log     *e2e.SyncBuffer
	exited  chan struct{}
	exitErr error
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
func serve(t testing.TB, o serveOpts) *daemon {
	t.Helper()
	if o.plugins == "" {
		o.plugins = copyPlugins(t)
	}
	if o.data == "" {
		o.data = filepath.Join(t.TempDir(), "data")
	}
	if o.runtime == "" {
		o.runtime = e2e.ShortDir(t)
	}
	sock := filepath.Join(o.runtime, "genehost", "genehost.sock")
	require.NoError(t, os.MkdirAll(filepath.Dir(sock), 0o700))
	args := []string{"serve", "--plugins", o.plugins, "--data", o.data, "--cache", cacheDir}
	want := 2 // listening lines: the Unix socket and TCP, and one per tls:// --listen
	if !o.noListen {
		args = append(args, "--listen", "unix://"+sock, "--listen", "tcp://127.0.0.1:0")
	}
	for _, a := range o.args {
		if strings.HasPrefix(a, "tls://") {
			want++
		}
	}
	if o.http {
		at := o.httpAt
		if at == "" {
			at = "127.0.0.1:0"
		}
		args = append(args, "--http", at)
	}
	args = append(args, o.args...)
	d := &daemon{t: t, runtime: o.runtime, plugins: o.plugins, data: o.data, log: &e2e.SyncBuffer{}, exited: make(chan struct{})}
	if o.bin == "" {
		o.bin = binary
	}
	d.cmd = exec.Command(o.bin, args...)
	d.cmd.Env = env(o.runtime)
	d.cmd.Stderr = d.log
	stdout, err := d.cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, d.cmd.Start())
	// registered before Reap, so it runs after the kill at cleanup
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("genehost serve log:\n%s", d.log.String())
		}
	})
	e2e.Reap(t, d.cmd, d.exited, &d.exitErr)
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	if o.http {
		want++
	}
	deadline := time.After(120 * time.Second)
	for got := 0; got < want; {
		select {
		case l, open := <-lines:
			require.True(t, open, "genehost serve exited before listening: %v\n%s", d.exitErr, d.log.String())
			switch {
			case strings.HasPrefix(l, "listening on unix://"):
				d.unix = strings.TrimPrefix(l, "listening on ")
			case strings.HasPrefix(l, "listening on tcp://"):
				d.tcp = strings.TrimPrefix(l, "listening on ")
			case strings.HasPrefix(l, "listening on tls://"):
				d.tls = strings.TrimPrefix(l, "listening on ")
			case strings.HasPrefix(l, "http gateway on "):
				d.http = strings.Fields(strings.TrimPrefix(l, "http gateway on "))[0]
			default:
				t.Fatalf("unexpected line from genehost serve: %q", l)
			}
			got++
		case <-deadline:
			t.Fatalf("genehost serve did not print its addresses within 120s:\n%s", d.log.String())
		}
	}
	require.Equal(t, "unix://"+sock, d.unix)
	return d
}

// stop sends SIGTERM and requires a clean exit.
func (d *daemon) stop() {
	d.t.Helper()
	require.NoError(d.t, d.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-d.exited:
		require.NoError(d.t, d.exitErr, "genehost serve after SIGTERM:\n%s", d.log.String())
	case <-time.After(20 * time.Second):
		d.t.Fatalf("genehost serve did not stop within 20s of SIGTERM:\n%s", d.log.String())
	}
}

// kill kills the daemon with SIGKILL, leaving its socket file behind.
func (d *daemon) kill() {
	d.t.Helper()
	require.NoError(d.t, d.cmd.Process.Kill())
	<-d.exited
}

// waitLog waits until the daemon's log holds s.
func (d *daemon) waitLog(s string, timeout time.Duration) bool {
	end := time.Now().Add(timeout)
	for time.Now().Before(end) {
		if strings.Contains(d.log.String(), s) {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}
