package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Build builds the packages of the repository at root (./cmd/genehost,
// ./examples/clients/kv, ...) into the directory out, as a harness's
// TestMain does once before its tests.
func Build(root, out string, pkgs ...string) error {
	args := append([]string{"build", "-o", out + string(filepath.Separator)}, pkgs...)
	build := exec.Command("go", args...)
	build.Dir = root
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("building %s: %w", strings.Join(pkgs, " "), err)
	}
	return nil
}

// Result is what one run of a command produced.
type Result struct {
	Out, Err string
	Code     int
}

// Run runs the program bin with args, standard input stdin and the
// environment env (nil: the test's own), for at most timeout. A run that
// cannot start, or does not end in time, fails t; a non-zero exit is a
// Code.
func Run(t testing.TB, timeout time.Duration, env []string, stdin, bin string, args ...string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := Result{Out: out.String(), Err: errb.String()}
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		require.True(t, ok, "running %s %v: %v", filepath.Base(bin), args, err)
		r.Code = ee.ExitCode()
	}
	return r
}

// ServeOptions say how to start 'genehost serve'. Bin, Plugins, Data and
// Cache are required.
type ServeOptions struct {
	Bin     string // the genehost binary
	Plugins string // plugin directory
	Data    string // data directory
	Cache   string // build cache of Go plugins, shared by a harness's daemons
	// Runtime is the XDG_RUNTIME_DIR whose genehost/genehost.sock is the
	// default socket; default a new short directory.
	Runtime string
	// Env is the daemon's environment given its runtime directory;
	// default the test's own with XDG_RUNTIME_DIR set to it.
	Env func(runtime string) []string
	// HTTP adds --http HTTPAt (default 127.0.0.1:0).
	HTTP   bool
	HTTPAt string
	// Args are added after the others; Serve waits for the address of
	// each --listen among them too.
	Args []string
	// NoListen leaves out the --listen flags for the default socket and a
	// free TCP port: Args give them, or serve's defaults apply.
	NoListen bool
}

// Daemon is a running 'genehost serve'. Its addresses are set when Serve
// returns; ExitErr is set when Exited is closed.
type Daemon struct {
	t       testing.TB
	Cmd     *exec.Cmd
	Runtime string // XDG_RUNTIME_DIR: the default socket is Runtime/genehost/genehost.sock
	Plugins string
	Data    string
	Unix    string // unix:///...
	TCP     string // tcp://127.0.0.1:PORT
	TLS     string // tls://127.0.0.1:PORT, when Args add a tls:// --listen
	HTTP    string // http://127.0.0.1:PORT (https:// with --http-cert), when asked for
	Log     *SyncBuffer
	Exited  chan struct{}
	ExitErr error
}

// Serve starts 'genehost serve' and waits until it printed each address it
// listens on. The daemon is killed, if still running, when t ends, and its
// log shown if t failed.
func Serve(t testing.TB, o ServeOptions) *Daemon {
	t.Helper()
	if o.Runtime == "" {
		o.Runtime = ShortDir(t)
	}
	if o.Env == nil {
		o.Env = func(runtime string) []string { return append(os.Environ(), "XDG_RUNTIME_DIR="+runtime) }
	}
	sock := filepath.Join(o.Runtime, "genehost", "genehost.sock")
	require.NoError(t, os.MkdirAll(filepath.Dir(sock), 0o700))
	args := []string{"serve", "--plugins", o.Plugins, "--data", o.Data, "--cache", o.Cache}
	// Serve prints one line per address: one per --listen, and the
	// default socket unless a --listen is a Unix socket or --no-unix is
	// given; without any --listen, its two defaults (the default socket
	// and TCP).
	want, unix := 0, false
	for i, a := range o.Args {
		if a == "--listen" || strings.HasPrefix(a, "--listen=") {
			want++
			v := strings.TrimPrefix(a, "--listen=")
			if v == a && i+1 < len(o.Args) {
				v = o.Args[i+1]
			}
			unix = unix || strings.HasPrefix(v, "unix://") || strings.HasPrefix(v, "/")
		}
		unix = unix || a == "--no-unix"
	}
	if !o.NoListen {
		args = append(args, "--listen", "unix://"+sock, "--listen", "tcp://127.0.0.1:0")
		want += 2
	} else if want == 0 {
		want = 2
	} else if !unix {
		want++ // the default socket, kept beside other listeners
	}
	if o.HTTP {
		at := o.HTTPAt
		if at == "" {
			at = "127.0.0.1:0"
		}
		args = append(args, "--http", at)
		want++
	}
	args = append(args, o.Args...)
	d := &Daemon{t: t, Runtime: o.Runtime, Plugins: o.Plugins, Data: o.Data, Log: &SyncBuffer{}, Exited: make(chan struct{})}
	d.Cmd = exec.Command(o.Bin, args...)
	d.Cmd.Env = o.Env(o.Runtime)
	d.Cmd.Stderr = d.Log
	stdout, err := d.Cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, d.Cmd.Start())
	// registered before Reap, so it runs after the kill at cleanup
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("genehost serve log:\n%s", d.Log.String())
		}
	})
	Reap(t, d.Cmd, d.Exited, &d.ExitErr)
	// Owned by the daemon: it ends when the daemon's standard output
	// closes, at its exit (Reap kills it at cleanup at the latest).
	lines := make(chan string, 16)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	// serve logs "still loading plugins" every 10s while it loads (a Go
	// plugin's first build to WebAssembly takes minutes on a cold cache
	// and a busy machine), so the wait is for 120s without a word from
	// serve, within startCap in all.
	const quiet, startCap = 120 * time.Second, 10 * time.Minute
	start, heard, logLen := time.Now(), time.Now(), 0
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for got := 0; got < want; {
		select {
		case <-tick.C:
			if n := d.Log.Len(); n != logLen {
				logLen, heard = n, time.Now()
			}
			if time.Since(heard) > quiet || time.Since(start) > startCap {
				t.Fatalf("genehost serve did not print its addresses (%s since its last log line, %s in all):\n%s",
					time.Since(heard).Round(time.Second), time.Since(start).Round(time.Second), d.Log.String())
			}
		case l, open := <-lines:
			require.True(t, open, "genehost serve exited before listening:\n%s", d.Log.String())
			switch {
			case strings.HasPrefix(l, "listening on unix://"):
				d.Unix = strings.TrimPrefix(l, "listening on ")
			case strings.HasPrefix(l, "listening on tcp://"):
				d.TCP = strings.TrimPrefix(l, "listening on ")
			case strings.HasPrefix(l, "listening on tls://"):
				d.TLS = strings.TrimPrefix(l, "listening on ")
			case strings.HasPrefix(l, "http gateway on "):
				d.HTTP = strings.Fields(strings.TrimPrefix(l, "http gateway on "))[0]
			default:
				t.Fatalf("unexpected line from genehost serve: %q", l)
			}
			got++
		}
	}
	if !o.NoListen {
		require.Equal(t, "unix://"+sock, d.Unix)
	}
	return d
}

// Stop sends SIGTERM and requires a clean exit.
func (d *Daemon) Stop() {
	d.t.Helper()
	require.NoError(d.t, d.Cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-d.Exited:
		require.NoError(d.t, d.ExitErr, "genehost serve after SIGTERM:\n%s", d.Log.String())
	case <-time.After(20 * time.Second):
		d.t.Fatalf("genehost serve did not stop within 20s of SIGTERM:\n%s", d.Log.String())
	}
}

// Kill kills the daemon with SIGKILL, leaving its socket file behind.
func (d *Daemon) Kill() {
	d.t.Helper()
	require.NoError(d.t, d.Cmd.Process.Kill())
	<-d.Exited
}

// WaitLog waits until the daemon's log holds s, for at most timeout.
func (d *Daemon) WaitLog(s string, timeout time.Duration) bool {
	end := time.Now().Add(timeout)
	for time.Now().Before(end) {
		if strings.Contains(d.Log.String(), s) {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}
