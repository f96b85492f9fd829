package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/dop251/goja"
	"github.com/hashicorp/go-hclog"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/client"
	"github.com/genehost/genehost/host/plugindir"
	"github.com/genehost/genehost/proto"
)

func init() {
	commands["test"] = command{summary: "run a plugin's tests (*.test.js, *.test.ts, or go test) against an in-process host", run: runTest}
}

func runTest(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &cli{name: "test", stdin: stdin, stdout: stdout, stderr: stderr}
	fs := c.newFlags("test [flags] [PATH]", `
Run the tests of the plugin folder PATH (default "."), or of every plugin
folder of the plugin directory PATH, and print the result as 'go test'
does: "ok  NAME  0.12s", or each failing test's file:line and reason, then
"FAIL  NAME". Exit 1 when a test fails or a plugin does not load.

JavaScript and TypeScript plugins: every *.test.js and *.test.ts file
beside plugin.gene runs against a real host started in this process (the
plugin loaded as 'genehost serve' loads it, a store in a temporary
directory, timers that move only when a test advances them). A test file
calls test(NAME, fn); fn(t) gets the API of sdk/js/README.md ("Testing"):

  const l = t.open();            // a send+recv link to the plugin
  l.send('(hello ^n 1)');        // values are Gene text
  l.expect('(hello ^n 1)');      // the next value, compared as Gene values
  l.recv();                      // the next value, as Gene text
  l.expectReset('HANDLER_ERROR') // the link was reset; returns the text
  t.control('count');            // a control operation, result as Gene text
  t.advance(1000);               // fire the timers due in 1000 ms
  t.equal(got, want); t.ok(cond, msg); t.fail(msg); t.log(...)

Go plugins: 'go test ./...' in the folder (the guest SDK's TestHost runs
the handler in-process; see sdk/wasm/README.md).`, `
  genehost test                  # the plugin folder you are in
  genehost test ./plugins -v
  genehost test ./hello --run 'echo'`)
	verbose := fs.Bool("v", false, "print every test's name and result, and the host's log")
	runRE := fs.String("run", "", "run only the tests whose name matches this regular expression")
	wait := fs.Duration("wait", 5*time.Second, "how long recv, expect and control wait for the plugin")
	timeout := fs.Duration("timeout", 10*time.Minute, "give up (exit 3) after this long")
	cacheDir := fs.String("cache", defaultCacheDir(), "where compiled plugins are cached, as serve's --cache")
	path, code, ok := c.pathArg(fs, args)
	if !ok {
		return code
	}
	match, err := regexp.Compile(*runRE)
	if err != nil {
		return c.usageErr("--run: %v", err)
	}
	folders, err := pluginFolders(path)
	if err != nil {
		return c.fail(err)
	}
	ctx, cancel := signalContext(*timeout)
	defer cancel()
	r := &testRun{out: stdout, verbose: *verbose, match: match, wait: *wait, cache: *cacheDir}
	failed := false
	for _, f := range folders {
		if !r.plugin(ctx, f) {
			failed = true
		}
	}
	if ctx.Err() != nil {
		return c.fail(ctx.Err())
	}
	if failed {
		return exitFailed
	}
	return exitOK
}

// testRun is one genehost test invocation.
type testRun struct {
	out     io.Writer
	verbose bool
	match   *regexp.Regexp
	wait    time.Duration
	cache   string
}

// testFiles lists the *.test.js and *.test.ts files of folder.
func testFiles(folder string) []string {
	ents, _ := os.ReadDir(folder)
	var out []string
	for _, e := range ents {
		n := e.Name()
		if !e.IsDir() && (strings.HasSuffix(n, ".test.js") || strings.HasSuffix(n, ".test.ts")) {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// plugin runs the tests of one plugin folder and prints its result line.
func (r *testRun) plugin(ctx context.Context, folder string) bool {
	start := time.Now()
	name := filepath.Base(mustAbs(folder))
	result := func(ok bool) bool {
		if ok {
			fmt.Fprintf(r.out, "ok  \t%s\t%.3fs\n", name, time.Since(start).Seconds())
		} else {
			fmt.Fprintf(r.out, "FAIL\t%s\t%.3fs\n", name, time.Since(start).Seconds())
		}
		return ok
	}
	cfg, err := plugindir.ReadConfig(folder)
	if err != nil {
		fmt.Fprintf(r.out, "--- FAIL: %s [load]\n    %v\n", name, err)
		return result(false)
	}
	if cfg.Runtime == plugindir.RuntimeGo {
		return r.goTest(ctx, folder)
	}
	files := testFiles(folder)
	if len(files) == 0 {
		fmt.Fprintf(r.out, "?   \t%s\t[no test files]\n", name)
		return true
	}
	var log strings.Builder
	level := hclog.Warn
	if r.verbose {
		level = hclog.Info
	}
	lw := &lockedWriter{w: &log}
	h, err := startDevHost(ctx, folder, devHostOptions{cache: r.cache, log: lw, level: level, manual: true})
	if h != nil {
		defer h.close()
	}
	if err != nil {
		fmt.Fprintf(r.out, "--- FAIL: %s [load]\n%s\n", name, indent(err.Error()))
		return result(false)
	}
	ok := true
	for _, f := range files {
		if !r.file(ctx, h, cfg.Name, folder, f) {
			ok = false
		}
	}
	lw.mu.Lock()
	text := log.String()
	lw.mu.Unlock()
	if (!ok || r.verbose) && text != "" {
		fmt.Fprintf(r.out, "host log:\n%s", indent(text))
	}
	return result(ok)
}

// goTest runs go test ./... in a Go plugin folder, its output passed on.
func (r *testRun) goTest(ctx context.Context, folder string) bool {
	args := []string{"test"}
	if r.verbose {
		args = append(args, "-v")
	}
	if r.match.String() != "" {
		args = append(args, "-run", r.match.String())
	}
	cmd := exec.CommandContext(ctx, goCommand(), append(args, "./...")...)
	cmd.Dir = folder
	// -trimpath: the build cache then serves every plugin folder the
	// same compiled guest SDK, wherever the folder is.
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOTOOLCHAIN=local", "GOFLAGS="+strings.TrimSpace(os.Getenv("GOFLAGS")+" -trimpath"))
	cmd.Stdout, cmd.Stderr = r.out, r.out
	return cmd.Run() == nil
}

func goCommand() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "go"
}

func mustAbs(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	return "    " + strings.ReplaceAll(s, "\n", "\n    ") + "\n"
}

// jsTest is one test(name, fn) of a test file.
type jsTest struct {
	name string
	fn   goja.Callable
}

// testFailed aborts a test after a failed check; the check recorded why.
var testFailed = errors.New("test failed")

// file runs the tests of one test file.
func (r *testRun) file(ctx context.Context, h *devHost, iface, folder, file string) bool {
	code, err := plugindir.Bundle(folder, file)
	if err != nil {
		fmt.Fprintf(r.out, "--- FAIL: %s\n%s", file, indent(err.Error()))
		return false
	}
	vm := goja.New()
	var tests []jsTest
	vm.Set("test", func(name string, fn goja.Callable) { tests = append(tests, jsTest{name, fn}) })
	prog, err := goja.Compile(filepath.Join(mustAbs(folder), file), "(function (exports, module) {"+string(code)+"\n})", false)
	if err == nil {
		var wrapper goja.Value
		if wrapper, err = vm.RunProgram(prog); err == nil {
			module := vm.NewObject()
			exports := vm.NewObject()
			module.Set("exports", exports)
			fn, _ := goja.AssertFunction(wrapper)
			_, err = fn(goja.Undefined(), exports, module)
		}
	}
	if err != nil {
		fmt.Fprintf(r.out, "--- FAIL: %s\n%s", file, indent(jsFailure(folder, err)))
		return false
	}
	ok := true
	for _, t := range tests {
		if !r.match.MatchString(t.name) {
			continue
		}
		if !r.one(ctx, vm, h, iface, folder, file, t) {
			ok = false
		}
	}
	return ok
}

// jsFailure renders an error thrown by test code as "file:line: text".
func jsFailure(folder string, err error) string {
	var ex *goja.Exception
	if errors.As(err, &ex) {
		if where := testFrame(folder, ex.Stack()); where != "" {
			return where + ": " + describeJS(ex.Value())
		}
		return describeJS(ex.Value())
	}
	return err.Error()
}

func describeJS(v goja.Value) string {
	if o, ok := v.(*goja.Object); ok {
		if m := o.Get("message"); m != nil && !goja.IsUndefined(m) {
			n := "Error"
			if nv := o.Get("name"); nv != nil && !goja.IsUndefined(nv) {
				n = nv.String()
			}
			return n + ": " + m.String()
		}
	}
	return "uncaught " + v.String()
}

// testFrame returns the file:line of the innermost frame in a test file.
func testFrame(folder string, stack []goja.StackFrame) string {
	for _, f := range stack {
		p := f.Position()
		if strings.HasSuffix(p.Filename, ".test.ts") || strings.HasSuffix(p.Filename, ".test.js") {
			name := p.Filename
			if rel, err := filepath.Rel(mustAbs(folder), strings.TrimPrefix(name, "file://")); err == nil && !strings.HasPrefix(rel, "..") {
				name = rel
			}
			return fmt.Sprintf("%s:%d", name, p.Line)
		}
	}
	return ""
}

// one runs one test and prints its result.
func (r *testRun) one(ctx context.Context, vm *goja.Runtime, h *devHost, iface, folder, file string, t jsTest) bool {
	start := time.Now()
	tc := &testCase{r: r, ctx: ctx, vm: vm, h: h, iface: iface, folder: folder}
	defer tc.cleanup()
	if r.verbose {
		fmt.Fprintf(r.out, "=== RUN   %s\n", t.name)
	}
	res, err := t.fn(goja.Undefined(), tc.object())
	if err == nil {
		if p, ok := res.Export().(*goja.Promise); ok {
			switch p.State() {
			case goja.PromiseStateRejected:
				tc.thrown(p.Result())
			case goja.PromiseStatePending:
				tc.failf("", "the test's promise is still pending when it returned: await only the test API's calls")
			}
		}
	}
	if err != nil && !errors.Is(err, testFailed) {
		var ex *goja.Exception
		if errors.As(err, &ex) && ex.Value() != nil && isAbort(ex.Value()) {
			err = nil
		} else if !tc.failedAlready() {
			tc.msgs = append(tc.msgs, jsFailure(folder, err))
		}
	}
	d := time.Since(start).Seconds()
	if len(tc.msgs) > 0 {
		fmt.Fprintf(r.out, "--- FAIL: %s (%.2fs)\n", t.name, d)
		for _, m := range tc.msgs {
			fmt.Fprint(r.out, indent(m))
		}
		return false
	}
	if r.verbose {
		fmt.Fprintf(r.out, "--- PASS: %s (%.2fs)\n", t.name, d)
		for _, m := range tc.logs {
			fmt.Fprint(r.out, indent(m))
		}
	}
	return true
}

// abortMessage marks the exception a failed check throws to end its
// test; the check has recorded the failure.
const abortMessage = "genehost test: check failed"

func isAbort(v goja.Value) bool {
	o, ok := v.(*goja.Object)
	return ok && o.Get("message") != nil && o.Get("message").String() == abortMessage
}

// testCase is the state of one running test: its links and what failed.
type testCase struct {
	r      *testRun
	ctx    context.Context
	vm     *goja.Runtime
	h      *devHost
	iface  string
	folder string
	links  []*client.Link
	msgs   []string
	logs   []string
}

func (tc *testCase) failedAlready() bool { return len(tc.msgs) > 0 }

// where is the file:line of the test code calling the API now.
func (tc *testCase) where() string { return testFrame(tc.folder, tc.vm.CaptureCallStack(20, nil)) }

// failf records a failure at the calling test line and aborts the test.
func (tc *testCase) failf(where, format string, args ...any) {
	if where == "" {
		where = tc.where()
	}
	msg := fmt.Sprintf(format, args...)
	if where != "" {
		msg = where + ": " + msg
	}
	tc.msgs = append(tc.msgs, msg)
	panic(tc.vm.NewGoError(errors.New(abortMessage)))
}

// thrown records a value a test threw or rejected with.
func (tc *testCase) thrown(v goja.Value) {
	if isAbort(v) || tc.failedAlready() {
		return
	}
	where := ""
	if o, ok := v.(*goja.Object); ok {
		if s := o.Get("stack"); s != nil && !goja.IsUndefined(s) {
			for _, m := range stackAt.FindAllStringSubmatch(s.String(), -1) {
				if strings.HasSuffix(m[1], ".test.ts") || strings.HasSuffix(m[1], ".test.js") {
					where = filepath.Base(m[1]) + ":" + m[2]
					break
				}
			}
		}
	}
	msg := describeJS(v)
	if where != "" {
		msg = where + ": " + msg
	}
	tc.msgs = append(tc.msgs, msg)
}

var stackAt = regexp.MustCompile(`(?m)at (?:.*\()?([^()\s]+):(\d+):(\d+)`)

func (tc *testCase) cleanup() {
	for _, l := range tc.links {
		l.Close(context.Background())
	}
}

func (tc *testCase) waitCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(tc.ctx, tc.r.wait)
}

// parse reads a Gene text argument of the API.
func (tc *testCase) parse(what, text string) gene.Value {
	v, err := gene.Parse([]byte(text))
	if err != nil {
		tc.failf("", "%s: %q is not Gene text: %v", what, text, err)
	}
	return v
}

// object is the t a test function gets.
func (tc *testCase) object() *goja.Object {
	vm := tc.vm
	t := vm.NewObject()
	t.Set("open", func(opts map[string]any) *goja.Object {
		iface := tc.iface
		if s, ok := opts["interface"].(string); ok && s != "" {
			iface = s
		}
		ctx, cancel := tc.waitCtx()
		defer cancel()
		l, err := tc.h.conn.Open(ctx, iface, proto.DirSendRecv, client.LinkOptions{})
		if err != nil {
			tc.failf("", "open %s: %v", iface, err)
		}
		tc.links = append(tc.links, l)
		return tc.link(l)
	})
	t.Set("control", func(op string, arg goja.Value) string {
		a := gene.Nil()
		if arg != nil && !goja.IsUndefined(arg) {
			a = tc.parse("control "+op, arg.String())
		}
		ctx, cancel := tc.waitCtx()
		defer cancel()
		ctl, err := tc.h.conn.Control(ctx, tc.iface, client.LinkOptions{})
		if err != nil {
			tc.failf("", "control %s: %v", op, err)
		}
		defer ctl.Close(context.Background())
		v, err := ctl.Call(ctx, op, a)
		if err != nil {
			tc.failf("", "control %s: %v", op, err)
		}
		return gene.Format(v)
	})
	t.Set("advance", func(ms int64) int {
		return tc.h.clock.Advance(time.Duration(ms) * time.Millisecond)
	})
	t.Set("equal", func(got, want goja.Value, msg string) {
		if !got.StrictEquals(want) {
			tc.failf("", "%sgot %s, want %s", prefix(msg), got.String(), want.String())
		}
	})
	t.Set("ok", func(cond bool, msg string) {
		if !cond {
			tc.failf("", "%s", orDefault(msg, "not ok"))
		}
	})
	t.Set("fail", func(msg string) { tc.failf("", "%s", orDefault(msg, "failed")) })
	t.Set("log", func(call goja.FunctionCall) goja.Value {
		parts := make([]string, len(call.Arguments))
		for i, a := range call.Arguments {
			parts[i] = a.String()
		}
		tc.logs = append(tc.logs, tc.where()+": "+strings.Join(parts, " "))
		return goja.Undefined()
	})
	return t
}

func prefix(msg string) string {
	if msg == "" {
		return ""
	}
	return msg + ": "
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// link is the object t.open returns.
func (tc *testCase) link(l *client.Link) *goja.Object {
	o := tc.vm.NewObject()
	recv := func() gene.Value {
		ctx, cancel := tc.waitCtx()
		defer cancel()
		v, err := l.Recv(ctx)
		if err != nil {
			var pe *proto.Error
			if errors.As(err, &pe) {
				tc.failf("", "the link was reset: %s %s", pe.Code, pe.Msg)
			}
			if errors.Is(err, context.DeadlineExceeded) {
				tc.failf("", "no value within %s", tc.r.wait)
			}
			tc.failf("", "recv: %v", err)
		}
		return v
	}
	o.Set("send", func(text string) {
		v := tc.parse("send", text)
		ctx, cancel := tc.waitCtx()
		defer cancel()
		if err := l.Send(ctx, v); err != nil {
			tc.failf("", "send %s: %v", text, err)
		}
	})
	o.Set("recv", func() string { return gene.Format(recv()) })
	o.Set("expect", func(text string) {
		want := tc.parse("expect", text)
		got := recv()
		if !gene.Equal(want, got) {
			tc.failf("", "got %s, want %s", gene.Format(got), gene.Format(want))
		}
	})
	o.Set("expectReset", func(code string) string {
		ctx, cancel := tc.waitCtx()
		defer cancel()
		for {
			v, err := l.Recv(ctx)
			if err == nil {
				tc.failf("", "got %s, want the link reset", gene.Format(v))
			}
			var pe *proto.Error
			if !errors.As(err, &pe) {
				tc.failf("", "want the link reset, got %v", err)
			}
			if code != "" && pe.Code.String() != code {
				tc.failf("", "the link was reset with %s, want %s: %s", pe.Code, code, pe.Msg)
			}
			return pe.Msg
		}
	})
	o.Set("close", func() { l.Close(context.Background()) })
	return o
}
