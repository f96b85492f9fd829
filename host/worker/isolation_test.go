package worker_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/internal/leakcheck"
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/plugin/plugintest"
	"github.com/genehost/genehost/host/worker"
	"github.com/genehost/genehost/host/worker/workertest"
	"github.com/genehost/genehost/proto"
)

const echoJS = `module.exports = {
  value(link, v) { link.send(v); },
  control: { ping() { return gene.sym('pong'); } },
};`

func compile(t *testing.T, rt plugin.Runtime, src *plugin.Source) *worker.Module {
	t.Helper()
	m, err := rt.Compile(t.Context(), src)
	require.NoError(t, err)
	t.Cleanup(func() { m.Close(context.Background()) })
	return m.(*worker.Module)
}

func instantiate(t *testing.T, m plugin.Module, h plugin.Host) plugin.Instance {
	t.Helper()
	in, err := m.Instantiate(t.Context(), h)
	require.NoError(t, err)
	t.Cleanup(func() { in.Close(context.Background()) })
	return in
}

func openLink(t *testing.T, in plugin.Instance, id plugin.LinkID) {
	t.Helper()
	require.NoError(t, in.Open(t.Context(), plugin.LinkInfo{ID: id, Interface: "t", Direction: proto.DirSendRecv, Peer: "test"}))
}

func ping(t *testing.T, in plugin.Instance) {
	t.Helper()
	v, err := in.Control(t.Context(), 0, "ping", gene.Nil())
	require.NoError(t, err)
	require.True(t, v.IsSymbol("pong"), "ping answered %s", gene.Format(v))
}

// rssKiB is this process's resident memory.
func rssKiB(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	require.NoError(t, err)
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			require.NoError(t, err)
			return n
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// TestKillMidCall: a worker SIGKILLed while a callback runs fails that
// callback with ErrInstanceLost naming the signal; the instance reports
// itself lost, and the module's next Instantiate runs in a new worker.
func TestKillMidCall(t *testing.T) {
	leakcheck.Verify(t)
	rt := newRuntime(t, "js")
	m := compile(t, rt, jsSource(t, "spin", `module.exports = {
  value(link, v) { for (;;) {} },
  control: { ping() { return gene.sym('pong'); } },
};`, plugin.Limits{CallTimeout: 20 * time.Second}, plugin.Grants{}))
	h := plugintest.New(t, plugin.Grants{})
	in := instantiate(t, m, h)
	openLink(t, in, 1)
	pid := m.PID()
	require.NotZero(t, pid)

	done := make(chan error, 1)
	go func() {
		_, err := in.Receive(context.Background(), 1, []gene.Value{gene.Int(1)})
		done <- err
	}()
	time.Sleep(300 * time.Millisecond) // inside the loop
	require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
	var err error
	select {
	case err = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the call did not fail after its worker was killed")
	}
	require.ErrorIs(t, err, plugin.ErrInstanceLost)
	require.NotErrorIs(t, err, plugin.ErrTimeout)
	require.Contains(t, err.Error(), "killed by signal killed")
	lost, ok := in.(plugin.Lost)
	require.True(t, ok, "a worker instance implements plugin.Lost")
	require.ErrorIs(t, lost.Lost(), plugin.ErrInstanceLost)
	_, err = in.Control(t.Context(), 0, "ping", gene.Nil())
	require.ErrorIs(t, err, plugin.ErrInstanceLost, "a later call fails the same way")

	in2 := instantiate(t, m, h)
	require.Nil(t, in2.(plugin.Lost).Lost())
	ping(t, in2)
	require.NotEqual(t, pid, m.PID(), "a new worker")
}

// TestHostileJavaScript: code that would kill or hang a host running it
// (an allocation goja cannot bound, a recursion Go cannot recover from,
// a regular expression that cannot be interrupted) fails only its own
// call, within CallTimeout + 1s, while the host stays small and another
// module's instance keeps answering.
func TestHostileJavaScript(t *testing.T) {
	const timeout = time.Second
	rt := newRuntime(t, "js")
	other := instantiate(t, compile(t, rt, jsSource(t, "echo", echoJS, plugin.Limits{}, plugin.Grants{})), plugintest.New(t, plugin.Grants{}))
	hostile := compile(t, rt, jsSource(t, "hostile", `module.exports = {
  value(link, v) {
    switch (v) {
    case 'arraybuffer': return new ArrayBuffer(2**36).byteLength;
    case 'json': return JSON.parse('['.repeat(6e6));
    case 'repeat': return 'x'.repeat(2**31).length;
    case 'fill': return new Uint8Array(2**31).fill(1).length;
    case 'regexp': return /^(a+)+\1$/.test('a'.repeat(40) + 'b');
    }
  },
  control: { ping() { return gene.sym('pong'); } },
};`, plugin.Limits{CallTimeout: timeout}, plugin.Grants{}))
	h := plugintest.New(t, plugin.Grants{})
	before := rssKiB(t)
	for _, c := range []string{"arraybuffer", "json", "repeat", "fill", "regexp"} {
		t.Run(c, func(t *testing.T) {
			in := instantiate(t, hostile, h)
			openLink(t, in, 1)
			start := time.Now()
			_, err := in.Receive(t.Context(), 1, []gene.Value{gene.String(c)})
			took := time.Since(start)
			require.Error(t, err)
			t.Logf("%s failed after %s: %v", c, took.Round(time.Millisecond), err)
			require.Less(t, took, timeout+time.Second)
			ping(t, other)
			ping(t, instantiate(t, hostile, h)) // the module still works
		})
	}
	after := rssKiB(t)
	t.Logf("host RSS %d MiB before, %d MiB after", before>>10, after>>10)
	require.Less(t, after-before, 64<<10, "the host's memory grew")
}

// TestDeadlineKillsTheWorker: a callback that never answers (here a
// worker stopped with SIGSTOP, as plugin code stuck in a built-in is)
// fails at CallTimeout + grace with an error matching both ErrTimeout and
// ErrInstanceLost, and the worker is replaced.
func TestDeadlineKillsTheWorker(t *testing.T) {
	const timeout = 300 * time.Millisecond
	rt := newRuntime(t, "js")
	m := compile(t, rt, jsSource(t, "echo", echoJS, plugin.Limits{CallTimeout: timeout}, plugin.Grants{}))
	h := plugintest.New(t, plugin.Grants{})
	in := instantiate(t, m, h)
	openLink(t, in, 1)
	pid := m.PID()
	require.NoError(t, syscall.Kill(pid, syscall.SIGSTOP))
	// kill returns once the signal is queued; a thread of the worker still
	// running could read and answer the request before the group stops.
	require.Eventually(t, func() bool { return stopped(t, pid) }, 5*time.Second, time.Millisecond, "worker %d did not stop", pid)
	start := time.Now()
	_, err := in.Receive(t.Context(), 1, []gene.Value{gene.Int(1)})
	took := time.Since(start)
	require.ErrorIs(t, err, plugin.ErrTimeout)
	require.ErrorIs(t, err, plugin.ErrInstanceLost)
	require.Contains(t, err.Error(), "did not answer within CallTimeout 300ms + 500ms")
	require.GreaterOrEqual(t, took, timeout+worker.DefaultGrace)
	require.Less(t, took, timeout+worker.DefaultGrace+2*time.Second)
	ping(t, instantiate(t, m, h))
}

// TestErrorsKeepTheirIdentity: the host's errors reach plugin code as the
// same kinds (JavaScript's NoCreditError, HostError codes), and plugin
// errors reach the host with their text and place.
func TestErrorsKeepTheirIdentity(t *testing.T) {
	rt := newRuntime(t, "js")
	m := compile(t, rt, jsSource(t, "errs", `function code(f) {
  try { f(); return 'ok'; } catch (e) { return e.name + ':' + e.code; }
}
module.exports = {
  value(link, v) {
    if (v === 'throw') {
      throw new Error('boom');
    }
    const out = [
      code(() => link.send(1)),                      // no credit on link 1
      code(() => genehost.kv.get('k')),              // kv not granted
      code(() => genehost.setTimer(5)),              // timers not granted
    ];
    genehost.kv; // (kept for the grant check above)
    this.other.send(out);
  },
  open(link) { if (link.id === 2) this.other = link; },
};`, plugin.Limits{}, plugin.Grants{}))
	h := plugintest.New(t, plugin.Grants{})
	in := instantiate(t, m, h)
	openLink(t, in, 1)
	openLink(t, in, 2)
	h.SetCredit(1, 0)
	_, err := in.Receive(t.Context(), 1, []gene.Value{gene.String("go")})
	require.NoError(t, err)
	sent := h.Sent(2)
	require.Len(t, sent, 1)
	require.Equal(t, `["NoCreditError:no-credit" "HostError:not-granted" "HostError:not-granted"]`, gene.Format(sent[0]))

	_, err = in.Receive(t.Context(), 1, []gene.Value{gene.String("throw")})
	require.Error(t, err)
	require.Contains(t, err.Error(), "Error: boom at handler.js:7:")
	var re *worker.RemoteError
	require.ErrorAs(t, err, &re)
	require.NotErrorIs(t, err, plugin.ErrInstanceLost)
}

// TestCompileErrorKeepsItsPlace: a syntax error comes back from the
// worker with the file and line of the inner runtime's message, and no
// worker is left running.
func TestCompileErrorKeepsItsPlace(t *testing.T) {
	leakcheck.Verify(t)
	rt := newRuntime(t, "js")
	_, err := rt.Compile(t.Context(), jsSource(t, "broken", "module.exports = {\n  value(link, v) {\n    link.send(\n  },\n};\n", plugin.Limits{}, plugin.Grants{}))
	require.Error(t, err)
	require.Contains(t, err.Error(), "handler.js")
	require.Contains(t, err.Error(), "Line 4:")
}

// TestStoreThroughAWorker: every kind of store call crosses, a scan of
// more than one reply's worth of entries included.
func TestStoreThroughAWorker(t *testing.T) {
	rt := newRuntime(t, "js")
	m := compile(t, rt, jsSource(t, "store", `module.exports = {
  value(link, v) {
    const kv = genehost.kv;
    const big = 'x'.repeat(100000);
    for (let i = 0; i < 30; i++) kv.put('big/' + String(i).padStart(2, '0'), big);
    const keys = kv.scan({ prefix: 'big/' }).map(e => e[0]);
    kv.batch([['put', 'a', 1], ['put', 'b', 2], ['delete', 'big/00']]);
    const n = kv.incr('counter', 5);
    const swapped = kv.cas('a', 1, 10);
    const refused = kv.cas('a', 1, 11);
    link.send([keys.length, keys[0], keys[29], kv.get('a'), kv.get('b'), kv.get('big/00') === undefined, n, swapped, refused, kv.delete('b')]);
  },
};`, plugin.Limits{}, plugin.Grants{KV: true}))
	h := plugintest.New(t, plugin.Grants{KV: true})
	in := instantiate(t, m, h)
	openLink(t, in, 1)
	_, err := in.Receive(t.Context(), 1, []gene.Value{gene.Nil()})
	require.NoError(t, err)
	sent := h.Sent(1)
	require.Len(t, sent, 1)
	require.Equal(t, `[30 "big/00" "big/29" 10 2 true 5 true false true]`, gene.Format(sent[0]))
}

// TestCloseReapsEverything: closing the runtime stops and reaps every
// worker, dead or alive, and leaves no goroutine or descriptor behind.
func TestCloseReapsEverything(t *testing.T) {
	leakcheck.Verify(t)
	rt, err := worker.New(workertest.Config(t, "js"))
	require.NoError(t, err)
	h := plugintest.New(t, plugin.Grants{})
	var pids []int
	for i := range 3 {
		m, err := rt.Compile(t.Context(), jsSource(t, "echo"+strconv.Itoa(i), echoJS, plugin.Limits{}, plugin.Grants{}))
		require.NoError(t, err)
		in, err := m.Instantiate(t.Context(), h)
		require.NoError(t, err)
		require.NoError(t, in.Open(t.Context(), plugin.LinkInfo{ID: 1, Direction: proto.DirSendRecv}))
		pids = append(pids, m.(*worker.Module).PID())
	}
	require.NoError(t, syscall.Kill(pids[0], syscall.SIGKILL))
	require.NoError(t, rt.Close(t.Context()))
	for _, pid := range pids {
		// Reaped: no process, not even a zombie, has the pid any more.
		require.ErrorIs(t, syscall.Kill(pid, 0), syscall.ESRCH, "worker %d still exists", pid)
	}
	_, err = rt.Compile(t.Context(), jsSource(t, "late", echoJS, plugin.Limits{}, plugin.Grants{}))
	require.ErrorIs(t, err, worker.ErrClosed)
}

// stopped reports whether every thread of process pid is stopped (state T
// in /proc/PID/task/TID/stat).
func stopped(t *testing.T, pid int) bool {
	t.Helper()
	dir := "/proc/" + strconv.Itoa(pid) + "/task"
	tasks, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, task := range tasks {
		b, err := os.ReadFile(dir + "/" + task.Name() + "/stat")
		if err != nil {
			return false
		}
		// The state follows the command name, which is in parentheses.
		rest := string(b[strings.LastIndexByte(string(b), ')')+1:])
		if f := strings.Fields(rest); len(f) == 0 || (f[0] != "T" && f[0] != "t") {
			return false
		}
	}
	return true
}
