package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host"
	"github.com/genehost/genehost/host/client"
	"github.com/genehost/genehost/proto"
)

func init() {
	commands["dev"] = command{summary: "serve one plugin folder while you edit it: reloads, errors inline, tests on save, a REPL", run: runDev}
}

func runDev(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &cli{name: "dev", stdin: stdin, stdout: stdout, stderr: stderr}
	fs := c.newFlags("dev [flags] [PATH]", `
Serve the plugin folder PATH (default "."), or every plugin of the plugin
directory PATH, from a host in this process with a store in a temporary
directory, and watch it: every save reloads the plugin and prints

  genehost dev: hello reloaded (generation 2)
  genehost dev: hello reload failed: .../handler.ts:3:7: Expected ";" ...

then runs the plugin's tests again as 'genehost test' does (unless
--test=false). Handler errors (HANDLER_ERROR, with the handler's file:line)
and crashes are printed as they happen.

Standard input is a REPL: a line of Gene text is sent on a link to the
plugin (one link per interface, kept open; what the plugin sends is
printed as "<- VALUE"); "IFACE VALUE" sends to another interface of the
directory; ":ctl OP [ARG]" runs a control operation; ":test" runs the
tests; ":quit" (or Ctrl-C) stops. Clients can connect to the address
printed at start (--listen to choose it).`, `
  genehost dev ./plugins/hello
  echo '(hello ^n 1)' | genehost dev ./hello`)
	listen := fs.String("listen", "", "also listen here (unix://PATH or tcp://127.0.0.1:PORT); default: a socket in a temporary directory")
	runTests := fs.Bool("test", true, "run the plugin's tests at start and after every reload")
	cacheDir := fs.String("cache", defaultCacheDir(), "where compiled plugins are cached, as serve's --cache")
	path, code, ok := c.pathArg(fs, args)
	if !ok {
		return code
	}
	folders, err := pluginFolders(path)
	if err != nil {
		return c.fail(err)
	}
	ctx, cancel := signalContext(0)
	defer cancel()
	out := &lockedWriter{w: stdout}
	say := func(format string, args ...any) { fmt.Fprintf(out, "genehost dev: "+format+"\n", args...) }
	h, err := startDevHost(ctx, path, devHostOptions{cache: *cacheDir, log: &devLog{w: out}, level: hclog.Debug})
	if h == nil {
		return c.fail(err)
	}
	defer h.close()
	for _, e := range h.failed() {
		say("%s", e)
	}
	addr := h.addr
	if *listen != "" {
		if addr, err = h.srv.Listen(host.ListenerConfig{Address: *listen}); err != nil {
			return c.fail(err)
		}
	}
	say("serving %s on %s", strings.Join(h.names(), ", "), addr)

	var tests sync.Mutex // one test run at a time
	test := func() {
		if !*runTests {
			return
		}
		tests.Lock()
		defer tests.Unlock()
		r := &testRun{out: out, match: regexp.MustCompile(""), wait: 5 * time.Second, cache: *cacheDir}
		for _, f := range folders {
			r.plugin(ctx, f)
		}
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Add(1)
	go func() {
		defer wg.Done()
		test()
	}()

	repl := &devREPL{ctx: ctx, h: h, out: out, say: say, links: map[string]*client.Link{}, test: test}
	defer repl.close()
	sys, err := h.conn.Control(ctx, "$sys", client.LinkOptions{})
	if err != nil {
		return c.fail(err)
	}
	defer sys.Close(context.Background())
	wg.Add(1)
	go func() {
		defer wg.Done()
		watchCtx, stop := context.WithCancel(ctx)
		defer stop()
		go func() {
			if err := h.dir.Run(watchCtx); err != nil && !errors.Is(err, context.Canceled) {
				say("no longer watching %s: %v", path, err)
			}
		}()
		for {
			select {
			case <-ctx.Done():
				return
			case <-sys.Link().Done():
				return
			case ev := <-sys.Events():
				if devEvent(say, ev) {
					repl.drop() // the next value goes to the new generation
					wg.Add(1)
					go func() {
						defer wg.Done()
						test()
					}()
				}
			}
		}
	}()

	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdin)
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return exitOK
		case line, ok := <-lines:
			if !ok {
				lines = nil // standard input ended: serve until Ctrl-C
				continue
			}
			if !repl.line(strings.TrimSpace(line)) {
				cancel()
				return exitOK
			}
		}
	}
}

// devEvent prints an event of $sys and reports whether the plugin's
// tests should run again.
func devEvent(say func(string, ...any), ev gene.Value) bool {
	n := ev.Node()
	if n == nil {
		return false
	}
	str := func(k string) string {
		if v, ok := n.Props.Get(k); ok {
			if v.Kind() == gene.KindString {
				return v.Str()
			}
			return gene.Format(v)
		}
		return ""
	}
	iface := str("interface")
	switch str("type") {
	case "reloaded":
		say("%s reloaded (generation %s)", iface, str("generation"))
		return true
	case "loaded":
		say("%s loaded (generation %s)", iface, str("generation"))
		return true
	case "reload-failed":
		say("%s reload failed; the last good version keeps serving:\n%s", iface, strings.TrimRight(indent(str("error")), "\n"))
	case "load-failed":
		say("%s failed to load:\n%s", iface, strings.TrimRight(indent(str("error")), "\n"))
	case "removed":
		say("%s removed", iface)
	}
	return false
}

// devLog passes on the host's log lines that an author wants to see
// while editing: handler errors, crashes, warnings and errors. Load and
// reload errors come as events instead.
type devLog struct {
	w   io.Writer
	buf []byte
}

func (l *devLog) Write(p []byte) (int, error) {
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := string(l.buf[:i])
		l.buf = l.buf[i+1:]
		switch {
		case strings.Contains(line, "reload failed"), strings.Contains(line, "failed to load"):
		case strings.Contains(line, "handler error"), strings.Contains(line, "plugin crashed"),
			isBuildProgress(line),
			strings.Contains(line, "[WARN]"), strings.Contains(line, "[ERROR]"):
			fmt.Fprintln(l.w, line)
		}
	}
}

// devREPL sends what is typed to the plugins.
type devREPL struct {
	ctx  context.Context
	h    *devHost
	out  io.Writer
	say  func(string, ...any)
	test func()
	wg   sync.WaitGroup

	mu    sync.Mutex
	links map[string]*client.Link // guarded by mu
}

// line handles one input line; false means quit.
func (r *devREPL) line(line string) bool {
	switch {
	case line == "":
		return true
	case line == ":quit" || line == ":q":
		return false
	case line == ":test":
		r.test()
		return true
	case strings.HasPrefix(line, ":ctl "):
		f := strings.Fields(line)
		iface, op, arg := r.defaultIface(), f[1], ""
		if len(f) > 2 {
			arg = strings.Join(f[2:], " ")
		}
		r.control(iface, op, arg)
		return true
	}
	iface := r.defaultIface()
	if f := strings.SplitN(line, " ", 2); len(f) == 2 && r.served(f[0]) {
		iface, line = f[0], f[1]
	}
	v, err := gene.Parse([]byte(line))
	if err != nil {
		r.say("not Gene text: %v", err)
		return true
	}
	l, err := r.link(iface)
	if err != nil {
		r.say("open %s: %v", iface, err)
		return true
	}
	if err := l.Send(r.ctx, v); err != nil {
		r.say("send to %s: %v", iface, err)
		r.mu.Lock()
		delete(r.links, iface)
		r.mu.Unlock()
	}
	return true
}

func (r *devREPL) served(name string) bool {
	for _, n := range r.h.names() {
		if n == name {
			return true
		}
	}
	return false
}

func (r *devREPL) defaultIface() string {
	if ns := r.h.names(); len(ns) > 0 {
		return ns[0]
	}
	return ""
}

// link returns the REPL's open link to iface, opening one (and a
// goroutine printing what arrives on it) when needed.
func (r *devREPL) link(iface string) (*client.Link, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if l, ok := r.links[iface]; ok && l.Err() == nil {
		return l, nil
	}
	l, err := r.h.conn.Open(r.ctx, iface, proto.DirSendRecv, client.LinkOptions{})
	if err != nil {
		return nil, err
	}
	r.links[iface] = l
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		for {
			v, err := l.Recv(r.ctx)
			if err != nil {
				var pe *proto.Error
				if r.ctx.Err() == nil && errors.As(err, &pe) && pe.Code != proto.CodeCancelled {
					r.say("link to %s ended: %v (the next value opens a new one)", iface, err)
				}
				return
			}
			fmt.Fprintf(r.out, "<- %s\n", gene.Format(v))
		}
	}()
	return l, nil
}

func (r *devREPL) control(iface, op, arg string) {
	a := gene.Nil()
	if arg != "" {
		v, err := gene.Parse([]byte(arg))
		if err != nil {
			r.say("not Gene text: %v", err)
			return
		}
		a = v
	}
	ctl, err := r.h.conn.Control(r.ctx, iface, client.LinkOptions{})
	if err != nil {
		r.say("control %s: %v", iface, err)
		return
	}
	defer ctl.Close(context.Background())
	v, err := ctl.Call(r.ctx, op, a)
	if err != nil {
		r.say("%s %s: %v", iface, op, err)
		return
	}
	fmt.Fprintf(r.out, "<- %s\n", gene.Format(v))
}

// drop closes the REPL's links, so that the next value opens a link to
// the plugin's new generation (open links keep the one they opened on).
func (r *devREPL) drop() {
	r.mu.Lock()
	ls := r.links
	r.links = map[string]*client.Link{}
	r.mu.Unlock()
	for _, l := range ls {
		l.Close(context.Background())
	}
}

func (r *devREPL) close() {
	r.drop()
	r.wg.Wait()
}
