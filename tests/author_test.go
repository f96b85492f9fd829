package tests

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/tests/e2e"
	"github.com/genehost/genehost/tests/testenv"
)

// The plugin author's loop through the real binary: new ts serving,
// genehost test on every scaffold, go test in a Go scaffold, genehost
// types checked by tsc, genehost dev reloading.

// authorEnv runs CLI commands with the tests' genehost cache, and the
// Go build cache of the user (which would otherwise move with
// XDG_CACHE_HOME and start cold).
func authorEnv() []string {
	return []string{"XDG_CACHE_HOME=" + filepath.Dir(cacheDir), "GOCACHE=" + goCache()}
}

var goCache = sync.OnceValue(func() string {
	out, err := exec.Command("go", "env", "GOCACHE").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
})

// author runs the genehost binary as a plugin author would, with no host.
func author(t testing.TB, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(os.Environ(), authorEnv()...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee, "running genehost %v", args)
		code = ee.ExitCode()
	}
	return result{out: out.String(), err: errb.String(), code: code}
}

// TestNewTypeScriptServes: a 'new ts' plugin is loaded by a running host
// and answers; an edited handler.ts that throws resets the link with
// HANDLER_ERROR naming the .ts line.
func TestNewTypeScriptServes(t *testing.T) {
	d := serve(t, serveOpts{plugins: t.TempDir()}) // no Go plugin to build
	ok(t, d, "", "new", "ts", "hello-ts", "--dir", d.Plugins)
	require.Eventually(t, func() bool {
		return strings.Contains(gh(t, d, "", "ls", "-").out, "\nhello-ts ")
	}, 60*time.Second, 100*time.Millisecond, "the TypeScript plugin is served:\n%s", d.Log.String())
	assert.Equal(t, "(hi ^n 1)\n", ok(t, d, "", "call", "-", "hello-ts", "(hi ^n 1)"))

	ts := filepath.Join(d.Plugins, "hello-ts", "handler.ts")
	src, err := os.ReadFile(ts)
	require.NoError(t, err)
	edit := strings.Replace(string(src), "await link.sendAsync(v);", "if (v === \"boom\") throw new Error(\"no boom\");\n      await link.sendAsync(v);", 1)
	require.NotEqual(t, string(src), edit)
	require.NoError(t, os.WriteFile(ts, []byte(edit), 0o644))
	line := strings.Count(edit[:strings.Index(edit, "throw new Error")], "\n") + 1
	want := "Error: no boom at handler.ts:" + itoa(line) + ":"
	require.Eventually(t, func() bool {
		r := gh(t, d, "", "call", "-", "hello-ts", `"boom"`)
		return r.code != 0 && strings.Contains(r.err, want)
	}, 30*time.Second, 100*time.Millisecond, "HANDLER_ERROR names %s", want)
}

// TestGenehostTestScaffolds: genehost test passes on a scaffold of every
// kind, go test ./... passes in the Go one as generated, and a broken
// handler fails its test with the test file:line.
func TestGenehostTestScaffolds(t *testing.T) {
	dir := t.TempDir()
	for _, kind := range []string{"js", "ts", "go"} {
		r := author(t, "new", kind, "p"+kind, "--dir", dir)
		require.Equal(t, 0, r.code, "%s", r.err)
	}
	// The Go plugin's messages as Go types (genehost types --go), used by
	// a test of its own beside the scaffold's.
	pgo := filepath.Join(dir, "pgo")
	gomanifest, err := os.ReadFile(filepath.Join(pgo, "plugin.gene"))
	require.NoError(t, err)
	i := strings.Index(string(gomanifest), " ^messages {")
	require.Greater(t, i, 0)
	require.NoError(t, os.WriteFile(filepath.Join(pgo, "plugin.gene"), []byte(string(gomanifest[:i])+`
 ^messages {
   ^get {^from "client" ^schema (gene ^head get ^props {^key string ^n (optional int)} ^body (tuple))}
   ^count {^from "server" ^schema (gene ^head count ^props {^count int ^tags (list string)})}}}
`), 0o644))
	r := author(t, "types", "--go", pgo)
	require.Equal(t, 0, r.code, "%s", r.err)
	require.NoError(t, os.WriteFile(filepath.Join(pgo, "types_test.go"), []byte(`package main

import (
	"testing"

	"github.com/genehost/genehost/gene"
)

func TestMessageTypes(t *testing.T) {
	var g Get
	if err := gene.Unmarshal(gene.MustParse(`+"`(get ^key \"a\" ^n 2)`"+`), &g); err != nil {
		t.Fatal(err)
	}
	if g.Head != "get" || g.Key != "a" || g.N == nil || *g.N != 2 {
		t.Fatalf("%+v", g)
	}
	v, err := gene.Marshal(Count{Head: "count", Count: 3, Tags: []string{"x"}})
	if err != nil || gene.Format(v) != `+"`(count ^count 3 ^tags [\"x\"])`"+` {
		t.Fatalf("%s %v", gene.Format(v), err)
	}
}
`), 0o644))

	r = author(t, "test", dir)
	require.Equal(t, 0, r.code, "stdout:\n%s\nstderr:\n%s", r.out, r.err)
	for _, kind := range []string{"js", "ts", "go"} {
		assert.Regexp(t, `(?m)^ok\s+p`+kind+`\s`, r.out)
	}

	// go test as an author runs it, in the folder, offline.
	goTest := exec.Command("go", "test", "./...")
	goTest.Dir = filepath.Join(dir, "pgo")
	goTest.Env = append(os.Environ(), "GOFLAGS=-trimpath", "GOPROXY=off", "GOWORK=off", "GOTOOLCHAIN=local")
	out, err := goTest.CombinedOutput()
	require.NoError(t, err, "go test ./... in the Go scaffold:\n%s", out)
	assert.Contains(t, string(out), "ok")

	// A broken handler: the failure names the test's line.
	js := filepath.Join(dir, "pjs", "handler.js")
	require.NoError(t, os.WriteFile(js, []byte("module.exports = { values(link, vs) { throw new Error('broken'); } };\n"), 0o644))
	r = author(t, "test", filepath.Join(dir, "pjs"))
	assert.Equal(t, 1, r.code, "stdout:\n%s", r.out)
	assert.Contains(t, r.out, "--- FAIL: echoes what it receives")
	assert.Regexp(t, `handler\.test\.js:\d+: the link was reset: HANDLER_ERROR .*Error: broken at handler\.js:1:`, r.out)
	assert.Regexp(t, `(?m)^FAIL\s+pjs\s`, r.out)

	// A failed expectation in a TypeScript test names its .ts line.
	tsTest := filepath.Join(dir, "pts", "handler.test.ts")
	require.NoError(t, os.WriteFile(tsTest, []byte("test('wrong', (t) => {\n  const l = t.open();\n  l.send('1');\n  l.expect('2');\n});\n"), 0o644))
	r = author(t, "test", filepath.Join(dir, "pts"))
	assert.Equal(t, 1, r.code, "stdout:\n%s", r.out)
	assert.Contains(t, r.out, "handler.test.ts:4: got 1, want 2")
}

// tsc returns the command line of the TypeScript compiler that
// sdk/js/typecheck.sh installs (running it once when needed).
func tsc(t *testing.T) []string {
	t.Helper()
	testenv.NeedTool(t, "node", "the tsc checks need Node.js (tools/test-tools.sh installs it under CI=true)")
	bin := filepath.Join(repoRoot, "sdk", "js", "node_modules", "typescript", "bin", "tsc")
	if _, err := os.Stat(bin); err != nil {
		testenv.NeedTool(t, "npm", "sdk/js/typecheck.sh installs tsc with npm")
		out, err := exec.Command("bash", filepath.Join(repoRoot, "sdk", "js", "typecheck.sh")).CombinedOutput()
		require.NoError(t, err, "%s", out)
	}
	return []string{"node", bin}
}

// TestTypesCheckHandlers: the declarations genehost types writes make tsc
// accept a handler that sends the manifest's messages and refuse one that
// sends something else.
func TestTypesCheckHandlers(t *testing.T) {
	tscCmd := tsc(t)
	dir := t.TempDir()
	r := author(t, "new", "ts", "counter", "--dir", dir)
	require.Equal(t, 0, r.code, "%s", r.err)
	p := filepath.Join(dir, "counter")
	require.NoError(t, os.WriteFile(filepath.Join(p, "plugin.gene"), []byte(`{^direction "send+recv" ^runtime "js" ^entry "handler.ts"
 ^messages {
   ^add {^from "client" ^schema {^op "add" ^by (optional int)}}
   ^count {^from "server" ^schema {^count int ^at (optional datetime)}}}}
`), 0o644))
	require.NoError(t, os.Remove(filepath.Join(p, "handler.test.ts")))
	r = author(t, "types", p)
	require.Equal(t, 0, r.code, "%s", r.err)
	handler := `let n = 0;
const handler: plugin.Handler = {
  values(link, values) {
    for (const v of values) {
      n += Number(v.by ?? 1);
      link.send(%s);
    }
  },
};
export default handler;
`
	check := func(send string) (string, error) {
		require.NoError(t, os.WriteFile(filepath.Join(p, "handler.ts"), []byte(strings.Replace(handler, "%s", send, 1)), 0o644))
		cmd := exec.Command(tscCmd[0], append(tscCmd[1:], "-p", p)...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := check("{ count: n, at: new Date() }")
	require.NoError(t, err, "a handler sending its manifest's message:\n%s", out)
	out, err = check("{ cnt: n }")
	require.Error(t, err, "a handler sending a message the manifest does not declare type-checks")
	assert.Contains(t, out, "handler.ts(6,")
	assert.Contains(t, out, "'cnt' does not exist")
}

// lineWaiter collects a command's output lines and waits for one.
type lineWaiter struct {
	mu    sync.Mutex
	lines []string
	more  chan struct{}
}

func newLineWaiter(r io.Reader) *lineWaiter {
	w := &lineWaiter{more: make(chan struct{}, 1)}
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			w.mu.Lock()
			w.lines = append(w.lines, sc.Text())
			w.mu.Unlock()
			select {
			case w.more <- struct{}{}:
			default:
			}
		}
	}()
	return w
}

// wait returns once a line after the first `from` contains s.
func (w *lineWaiter) wait(t *testing.T, from *int, s string) string {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		w.mu.Lock()
		for i := *from; i < len(w.lines); i++ {
			if strings.Contains(w.lines[i], s) {
				*from = i + 1
				l := w.lines[i]
				w.mu.Unlock()
				return l
			}
		}
		all := strings.Join(w.lines, "\n")
		w.mu.Unlock()
		select {
		case <-w.more:
		case <-deadline:
			t.Fatalf("no line with %q in:\n%s", s, all)
		}
	}
}

// TestDevReloadsAndReportsErrors: genehost dev serves a plugin folder,
// reloads it on save (and reruns its tests), prints the error of a broken
// save with its file:line, and sends what is typed.
func TestDevReloadsAndReportsErrors(t *testing.T) {
	dir := t.TempDir()
	r := author(t, "new", "ts", "dev-ts", "--dir", dir)
	require.Equal(t, 0, r.code, "%s", r.err)
	p := filepath.Join(dir, "dev-ts")
	cmd := exec.Command(binary, "dev", p)
	cmd.Env = append(os.Environ(), authorEnv()...)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	exited := make(chan struct{})
	var exitErr error
	e2e.Reap(t, cmd, exited, &exitErr)
	w := newLineWaiter(stdout)
	at := 0
	w.wait(t, &at, "genehost dev: serving dev-ts on unix://")
	w.wait(t, &at, "ok  \tdev-ts")

	_, err = io.WriteString(stdin, "(hi ^n 1)\n")
	require.NoError(t, err)
	w.wait(t, &at, "<- (hi ^n 1)")

	ts := filepath.Join(p, "handler.ts")
	src, err := os.ReadFile(ts)
	require.NoError(t, err)
	edited := strings.Replace(string(src), "await link.sendAsync(v);", "await link.sendAsync([v, v]);", 1)
	require.NoError(t, os.WriteFile(ts, []byte(edited), 0o644))
	w.wait(t, &at, "dev-ts reloaded (generation 2)")
	w.wait(t, &at, "--- FAIL: echoes what it receives") // its test expects an echo
	_, err = io.WriteString(stdin, "2\n")
	require.NoError(t, err)
	w.wait(t, &at, "<- [2 2]")

	require.NoError(t, os.WriteFile(ts, []byte(edited+"\nconst broken: number = ;\n"), 0o644))
	w.wait(t, &at, "dev-ts reload failed")
	line := strings.Count(edited, "\n") + 2
	w.wait(t, &at, "handler.ts:"+itoa(line)+":")

	_, err = io.WriteString(stdin, ":quit\n")
	require.NoError(t, err)
	select {
	case <-exited:
		assert.NoError(t, exitErr)
	case <-time.After(30 * time.Second):
		t.Fatal("genehost dev did not stop on :quit")
	}
}
