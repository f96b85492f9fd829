package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/tests/e2e"
)

// brokenHandler has a syntax error on line 3.
const brokenHandler = "module.exports = {\n  values(link, vs) {\n    const = vs;\n  },\n};\n"

// echoHandler and taggedHandler are good handlers: the second answers [v2 V].
const (
	echoHandler   = "module.exports = { async values(link, vs) { for (const v of vs) await link.sendAsync(v); } };\n"
	taggedHandler = "module.exports = { async values(link, vs) { for (const v of vs) await link.sendAsync([gene.sym('v2'), v]); } };\n"
)

// writeJSPlugin writes a JavaScript plugin folder dir/name.
func writeJSPlugin(t *testing.T, dir, name, handler string) {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.MkdirAll(p, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(p, "plugin.gene"), []byte(`{^direction "send+recv"}`), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(p, "handler.js"), []byte(handler), 0o644))
}

// background is a genehost command left running (watch).
type background struct {
	cmd            *exec.Cmd
	stdout, stderr *e2e.SyncBuffer
	exited         chan struct{}
	err            error
}

// startCmd runs genehost with args in the background with d's environment;
// the command is killed at cleanup if still running.
func startCmd(t *testing.T, d *e2e.Daemon, args ...string) *background {
	t.Helper()
	b := &background{stdout: &e2e.SyncBuffer{}, stderr: &e2e.SyncBuffer{}, exited: make(chan struct{})}
	b.cmd = exec.Command(binary, args...)
	b.cmd.Env = env(d.Runtime)
	b.cmd.Stdout, b.cmd.Stderr = b.stdout, b.stderr
	require.NoError(t, b.cmd.Start())
	e2e.Reap(t, b.cmd, b.exited, &b.err)
	return b
}

// waitLines waits until the command's stdout holds n lines.
func (b *background) waitLines(t *testing.T, n int) []string {
	t.Helper()
	var lines []string
	require.Eventually(t, func() bool {
		lines = strings.Split(strings.TrimSpace(b.stdout.String()), "\n")
		return len(lines) >= n && lines[0] != ""
	}, 60*time.Second, 20*time.Millisecond, "%d lines from genehost %v; got:\n%s\nstderr:\n%s", n, b.cmd.Args[1:], b.stdout.String(), b.stderr.String())
	return lines
}

// wait waits for the command to exit and returns its exit code.
func (b *background) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-b.exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("genehost %v did not exit:\n%s\n%s", b.cmd.Args[1:], b.stdout.String(), b.stderr.String())
	}
	if ee, ok := b.err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	require.NoError(t, b.err)
	return 0
}

// TestBrokenPluginFailedThenFixed: a plugin whose handler does not parse
// is listed failed with its reason (the file once, even for a relative
// plugin directory, and the line), links on it are refused with
// PLUGIN_FAILED saying the same, and 'genehost watch' follows it being
// fixed, broken again (the fixed version keeps serving), edited and
// removed.
func TestBrokenPluginFailedThenFixed(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "plugins")
	writeJSPlugin(t, dir, "echo", echoHandler)
	writeJSPlugin(t, dir, "broken", brokenHandler)
	wd, err := os.Getwd()
	require.NoError(t, err)
	rel, err := filepath.Rel(wd, dir)
	require.NoError(t, err)
	require.False(t, filepath.IsAbs(rel))
	d := serve(t, serveOpts{plugins: rel})
	where := filepath.Join(dir, "broken", "handler.js") + ": Line 3:"

	out := ok(t, d, "", "ls", "-")
	assert.Regexp(t, `(?m)^broken\s+-\s+send\+recv\s+failed\s`, out)
	assert.Regexp(t, `(?m)^echo\s+\S+\s+send\+recv\s+serving\s`, out)
	assert.Contains(t, out, "\nbroken: failed: ")
	assert.Contains(t, out, where)
	assert.NotContains(t, d.Log.String(), filepath.Join("broken", "plugins", "broken"), "the folder is not doubled in the log")
	assert.Contains(t, d.Log.String(), where)

	r := gh(t, d, "", "call", "-", "broken", "1")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.err, `PLUGIN_FAILED: interface "broken" is failed: `)
	assert.Contains(t, r.err, where)
	health := ok(t, d, "", "ctl", "-", "broken", "health")
	assert.Contains(t, health, `^status "failed"`)
	assert.Contains(t, health, where)
	sys := ok(t, d, "", "ctl", "-", "$sys", "interfaces")
	assert.Contains(t, sys, `^health "failed" ^hash`)
	assert.Contains(t, sys, `^reason "plugin \"broken\"`)

	all := startCmd(t, d, "watch", "-")
	one := startCmd(t, d, "watch", "-", "broken", "--count", "3")
	for _, b := range []*background{all, one} {
		require.Eventually(t, func() bool { return strings.Contains(b.stderr.String(), "genehost watch: watching ") }, 30*time.Second, 10*time.Millisecond, b.stderr.String())
	}

	// Fixed: it loads under the same name, no restart.
	writeJSPlugin(t, dir, "broken", echoHandler)
	one.waitLines(t, 1)
	assert.Equal(t, "\"hi\"\n", ok(t, d, "", "call", "-", "broken", `"hi"`))
	// Broken again: the fixed version keeps serving.
	writeJSPlugin(t, dir, "broken", brokenHandler)
	one.waitLines(t, 2)
	assert.Equal(t, "\"hi\"\n", ok(t, d, "", "call", "-", "broken", `"hi"`))
	assert.Contains(t, ok(t, d, "", "ctl", "-", "broken", "stats"), "^reload-error")
	// Edited: reloaded.
	writeJSPlugin(t, dir, "broken", taggedHandler)
	lines := one.waitLines(t, 3)
	require.Equal(t, 0, one.wait(t), "--count 3 ends the command:\n%s", one.stderr.String())
	require.Len(t, lines, 3)
	assert.Equal(t, `(event ^type "loaded" ^interface "broken" ^generation 1 ^version "")`, lines[0])
	assert.True(t, strings.HasPrefix(lines[1], `(event ^type "reload-failed" ^interface "broken" ^error "`), lines[1])
	assert.Contains(t, lines[1], where)
	assert.Equal(t, `(event ^type "reloaded" ^interface "broken" ^generation 2)`, lines[2])
	assert.Equal(t, "[v2 \"hi\"]\n", ok(t, d, "", "call", "-", "broken", `"hi"`))

	// Removed: gone from ls, and $sys says so.
	require.NoError(t, os.RemoveAll(filepath.Join(dir, "broken")))
	all.waitLines(t, 4)
	assert.NotContains(t, ok(t, d, "", "ls", "-"), "broken")
	require.NoError(t, all.cmd.Process.Signal(syscall.SIGINT))
	require.Equal(t, 0, all.wait(t), "interrupted: exit 0")
	assert.Equal(t, strings.Join(append(lines, `(event ^type "removed" ^interface "broken")`), "\n")+"\n", all.stdout.String(),
		"$sys follows the events of every interface and of removed plugins")
}

// TestWatchEndsWhenTheHostStops: the host going away ends watch with
// exit 1, and does not hold the host's shutdown up.
func TestWatchEndsWhenTheHostStops(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "plugins")
	writeJSPlugin(t, dir, "echo", echoHandler)
	d := serve(t, serveOpts{plugins: dir})
	w := startCmd(t, d, "watch", "-", "$sys", "echo")
	require.Eventually(t, func() bool { return strings.Contains(w.stderr.String(), "watching $sys echo on ") }, 30*time.Second, 10*time.Millisecond, w.stderr.String())
	begin := time.Now()
	d.Stop()
	assert.Less(t, time.Since(begin), 5*time.Second, "the watching client does not hold the drain up")
	assert.Equal(t, 1, w.wait(t))
	assert.Contains(t, w.stdout.String(), `(event ^type "draining" ^interface "echo")`)
	assert.Contains(t, w.stderr.String(), "shutting down")
}

// TestCheckFolderOrDirectory: check takes a plugin folder or a plugin
// directory, names the file and line of what does not load, exits 1 on a
// failure or when there is no plugin, and 0 on the shipped plugins.
func TestCheckFolderOrDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "plugins")
	writeJSPlugin(t, dir, "good", echoHandler)
	writeJSPlugin(t, dir, "broken", brokenHandler)
	where := filepath.Join(dir, "broken", "handler.js") + ": Line 3:"
	check := func(path string) result { return gh(t, nil, "", "check", "--cache", cacheDir, path) }

	r := check(filepath.Join(dir, "broken"))
	assert.Equal(t, 1, r.code, r.err)
	assert.Contains(t, r.out, where)
	assert.Contains(t, r.out, "SyntaxError")
	assert.Contains(t, r.err, "1 plugin(s) of "+filepath.Join(dir, "broken")+" do not load")

	r = check(dir)
	assert.Equal(t, 1, r.code, r.err)
	assert.Contains(t, r.out, where)
	assert.NotContains(t, r.out, `plugin "good"`)

	r = check(filepath.Join(dir, "good"))
	assert.Equal(t, 0, r.code, r.err)
	assert.Contains(t, r.out, "the plugin loads")

	empty := t.TempDir()
	r = check(empty)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.err, empty+" holds no plugin")
	assert.Contains(t, r.out, "a plugin is a folder holding plugin.gene")

	r = check(filepath.Join(repoRoot, "plugins"))
	assert.Equal(t, 0, r.code, "stdout %s\nstderr %s", r.out, r.err)
	assert.Contains(t, r.out, "every plugin loads")
}
