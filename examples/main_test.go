// Package examples_test runs the examples for real: it builds the genehost
// binary and every client program under clients/, starts 'genehost serve'
// on temporary sockets with the shipped plugins (../plugins) and the
// example plugins (plugins/) in one plugin directory, runs each client and
// checks what it prints, and drives the example plugins over the Go
// client, control operations included.
package examples_test

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/tests/e2e"
)

var (
	// binDir holds genehost and the example clients, built by TestMain.
	binDir string
	// cacheDir is shared by every daemon, so the Go plugins are built once.
	cacheDir string
	// repoRoot is the root of the genehost repository.
	repoRoot string
)

// clients are the example client programs, by name (examples/clients/NAME).
var clients = []string{"echo", "kv", "queue", "web"}

func TestMain(m *testing.M) { os.Exit(testMain(m)) }

func testMain(m *testing.M) int {
	var err error
	if repoRoot, err = filepath.Abs(".."); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	tmp, err := os.MkdirTemp("", "genehost-examples-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	binDir = filepath.Join(tmp, "bin")
	cacheDir = filepath.Join(tmp, "cache")
	pkgs := []string{"./cmd/genehost"}
	for _, c := range clients {
		pkgs = append(pkgs, "./examples/clients/"+c)
	}
	if err := e2e.Build(repoRoot, binDir, pkgs...); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// pluginDir makes a plugin directory holding the shipped plugins (without
// their Go tests and README) and the example plugins.
func pluginDir(t testing.TB) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "plugins")
	// The shipped plugins are the folders of ../plugins; the files at its
	// top are its README and its tests.
	e2e.CopyTree(t, filepath.Join(repoRoot, "plugins"), dst, func(rel string, d fs.DirEntry) bool {
		return !d.IsDir() && !strings.Contains(rel, string(filepath.Separator))
	})
	e2e.CopyTree(t, "plugins", dst, nil)
	return dst
}

// daemon is a running 'genehost serve' (e2e.Serve).
type daemon struct {
	*e2e.Daemon
	runtime string // XDG_RUNTIME_DIR: its genehost/genehost.sock is the default socket
	unix    string // unix:///...
	tcp     string // tcp://127.0.0.1:PORT
	http    string // http://127.0.0.1:PORT
}

// env is the environment of the daemon and of the clients run against it:
// "-" addresses the daemon's default socket.
func (d *daemon) env() []string {
	return append(os.Environ(), "XDG_RUNTIME_DIR="+d.runtime)
}

// serve starts 'genehost serve' on plugins and data with the HTTP gateway,
// listening on the default socket of a new runtime directory and on a
// free TCP port, and waits until it printed its addresses.
func serve(t testing.TB, plugins, data string) *daemon {
	t.Helper()
	s := e2e.Serve(t, e2e.ServeOptions{Bin: filepath.Join(binDir, "genehost"), Plugins: plugins, Data: data,
		Cache: cacheDir, HTTP: true})
	return &daemon{Daemon: s, runtime: s.Runtime, unix: s.Unix, tcp: s.TCP, http: s.HTTP}
}

// stop sends SIGTERM and requires a clean exit.
func (d *daemon) stop() { d.Stop() }

// result is what one client run produced.
type result struct {
	out, err string
	code     int
}

// run runs the example client name with args and stdin against d.
func (d *daemon) run(t testing.TB, stdin, name string, args ...string) result {
	t.Helper()
	r := e2e.Run(t, 30*time.Second, d.env(), stdin, filepath.Join(binDir, name), args...)
	return result{out: r.Out, err: r.Err, code: r.Code}
}

// ok runs a client, requires exit code 0 and returns its standard output.
func (d *daemon) ok(t testing.TB, stdin, name string, args ...string) string {
	t.Helper()
	r := d.run(t, stdin, name, args...)
	require.Equal(t, 0, r.code, "%s %v: stdout %q stderr %q", name, args, r.out, r.err)
	return r.out
}

// proc is a client program left running, its output read line by line.
type proc struct {
	t      testing.TB
	name   string
	cmd    *exec.Cmd
	lines  chan string // standard output, closed at its end
	stderr *e2e.SyncBuffer
	done   chan struct{} // closed when the process exited; err is then set
	err    error
}

// start starts a client that runs until interrupted (watch, consume).
func (d *daemon) start(t testing.TB, name string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, name: name, lines: make(chan string, 1024), stderr: &e2e.SyncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(filepath.Join(binDir, name), args...)
	p.cmd.Env = d.env()
	p.cmd.Stderr = p.stderr
	stdout, err := p.cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, p.cmd.Start())
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
		// Wait only once the output is read: it closes the pipe.
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// next returns the next line of output, failing the test when none comes
// within 10 seconds.
func (p *proc) next() string {
	p.t.Helper()
	select {
	case l, ok := <-p.lines:
		require.True(p.t, ok, "%s ended its output; stderr: %s", p.name, p.stderr.String())
		return l
	case <-time.After(10 * time.Second):
		p.t.Fatalf("%s printed nothing within 10s; stderr: %s", p.name, p.stderr.String())
		return ""
	}
}

// interrupt sends SIGINT (Ctrl-C) and requires a clean exit with no more
// output than want.
func (p *proc) interrupt(want ...string) {
	p.t.Helper()
	require.NoError(p.t, p.cmd.Process.Signal(os.Interrupt))
	p.wait(want...)
}

// wait requires the process to exit with code 0 within 10 seconds,
// printing exactly the lines want before its end.
func (p *proc) wait(want ...string) {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.t.Fatalf("%s did not exit within 10s", p.name)
	}
	require.NoError(p.t, p.err, "%s: stderr: %s", p.name, p.stderr.String())
	var rest []string
	for l := range p.lines {
		rest = append(rest, l)
	}
	require.Equal(p.t, want, rest, "%s: output before its end", p.name)
}
