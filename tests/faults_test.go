package tests

// The fault model of SECURITY.md, through the real binary: hostile plugin
// code and hostile clients each cost only what they touch.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/client"
	"github.com/genehost/genehost/proto"
	"github.com/genehost/genehost/tests/e2e"
)

// isolations are the two ^isolation modes every fault test runs in.
var isolations = []string{"process", "none"}

// writeTestPlugin writes one plugin folder under dir.
func writeTestPlugin(t *testing.T, dir, name, config, handler string) {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.MkdirAll(p, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(p, "plugin.gene"), []byte(config), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(p, "handler.js"), []byte(handler), 0o644))
}

// echoJS answers every value with itself.
const echoJS = `module.exports = { values(link, vs) { for (const v of vs) link.send(v); } };`

// hostileJS runs the allocation or backtracking idiom its value names.
const hostileJS = `const idioms = {
  'json-deep':   () => JSON.parse('['.repeat(6e6)),
  'arraybuffer': () => new ArrayBuffer(2 ** 36),
  'typed-fill':  () => new Uint8Array(2 ** 31).fill(1),
  'repeat':      () => 'x'.repeat(2 ** 31),
  'pad':         () => ''.padStart(2 ** 31, 'x'),
  'array-fill':  () => new Array(2 ** 31).fill(0),
  'regex':       () => /^(a+)+\1$/.test('a'.repeat(40) + 'b'),
};
module.exports = { value(link, v) { idioms[v](); link.send('survived ' + v); } };`

// peakRSS returns the peak resident set of process pid in bytes.
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	require.NoError(t, err)
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			require.NoError(t, err)
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/PID/status")
	return 0
}

// dial connects to the daemon's Unix socket.
func dial(t *testing.T, d *e2e.Daemon) *client.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, d.Unix, client.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// roundTrips keeps one link to iface busy with round trips until stop is
// closed, and returns how many it made; any error fails the test.
func roundTrips(t *testing.T, c *client.Conn, iface string, stop <-chan struct{}) <-chan int {
	n := make(chan int, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		l, err := c.Open(ctx, iface, proto.DirSendRecv, client.LinkOptions{})
		if err != nil {
			t.Errorf("open %s: %v", iface, err)
			n <- 0
			return
		}
		defer l.Close(ctx)
		for i := 0; ; i++ {
			select {
			case <-stop:
				n <- i
				return
			default:
			}
			if err := l.Send(ctx, gene.Int(int64(i))); err != nil {
				t.Errorf("round trip %d on %s: send: %v", i, iface, err)
				n <- i
				return
			}
			v, err := l.Recv(ctx)
			if err != nil || gene.Format(v) != strconv.Itoa(i) {
				t.Errorf("round trip %d on %s: got %s, %v", i, iface, gene.Format(v), err)
				n <- i
				return
			}
		}
	}()
	return n
}

// TestHostileIdiomsFailTheirCallOnly: each allocation idiom and the
// backtracking regex, in both isolation modes, fails its own call within
// the call deadline + 1 s; the host stays up with its peak RSS under
// 1 GiB, and another plugin's link sees no error meanwhile.
func TestHostileIdiomsFailTheirCallOnly(t *testing.T) {
	const callTimeout = time.Second
	dir := filepath.Join(t.TempDir(), "plugins")
	for _, iso := range isolations {
		writeTestPlugin(t, dir, "hostile-"+iso, fmt.Sprintf(`{^direction "send+recv" ^isolation %q ^limits {^call-timeout-ms %d}}`,
			iso, callTimeout.Milliseconds()), hostileJS)
	}
	writeTestPlugin(t, dir, "bystander", `{^direction "send+recv" ^instances "pool" ^pool 1}`, echoJS)
	d := serve(t, serveOpts{plugins: dir})
	c := dial(t, d)
	stop := make(chan struct{})
	trips := roundTrips(t, c, "bystander", stop)

	for _, iso := range isolations {
		for _, idiom := range []string{"json-deep", "arraybuffer", "typed-fill", "repeat", "pad", "array-fill", "regex"} {
			t.Run(iso+"/"+idiom, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				l, err := c.Open(ctx, "hostile-"+iso, proto.DirSendRecv, client.LinkOptions{})
				require.NoError(t, err)
				defer l.Close(ctx)
				start := time.Now()
				require.NoError(t, l.Send(ctx, gene.String(idiom)))
				v, err := l.Recv(ctx)
				took := time.Since(start)
				require.Error(t, err, "the idiom ran to completion: %s", gene.Format(v))
				var pe *proto.Error
				require.ErrorAs(t, err, &pe)
				require.Contains(t, []proto.Code{proto.CodeHandlerError, proto.CodePluginFailed}, pe.Code, pe.Error())
				require.Less(t, took, callTimeout+time.Second, "the call failed only after %s: %v", took, err)
				t.Logf("%s in %s: %v (%s)", idiom, took.Round(time.Millisecond), pe.Code, firstLine(pe.Msg))
			})
		}
	}
	close(stop)
	require.Greater(t, <-trips, 0, "the bystander made no round trip")
	select {
	case <-d.Exited:
		t.Fatalf("genehost serve exited: %v", d.ExitErr)
	default:
	}
	rss := peakRSS(t, d.Cmd.Process.Pid)
	t.Logf("host peak RSS %d MiB", rss>>20)
	require.Less(t, rss, int64(1<<30), "the host's peak RSS")
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

// counterJS counts the values it was given in module state, answers
// (count N), and throws on (throw).
const counterJS = `let n = 0;
module.exports = { value(link, v) {
  if (gene.is(v, 'throw')) throw new Error('thrown on purpose');
  n++; link.send(gene.node('count', n));
} };`

// TestThrowingRequestsKeepTheInstance: 1,000 throwing requests from 10
// clients within 10 s each reset only their own link (HANDLER_ERROR, with
// the file:line), and the pool instance serves another client with its
// state intact: no crash, no failed interface.
func TestThrowingRequestsKeepTheInstance(t *testing.T) {
	for _, iso := range isolations {
		t.Run(iso, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "plugins")
			writeTestPlugin(t, dir, "counter", fmt.Sprintf(`{^direction "send+recv" ^instances "pool" ^pool 1 ^isolation %q}`, iso), counterJS)
			d := serve(t, serveOpts{plugins: dir})
			c := dial(t, d)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			good, err := c.Open(ctx, "counter", proto.DirSendRecv, client.LinkOptions{})
			require.NoError(t, err)
			require.NoError(t, good.Send(ctx, gene.Int(0)))
			v, err := good.Recv(ctx)
			require.NoError(t, err)
			require.Equal(t, "(count 1)", gene.Format(v))

			start := time.Now()
			var wg sync.WaitGroup
			errs := make(chan error, 10)
			for w := 0; w < 10; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					wc, err := client.Dial(ctx, d.Unix, client.Config{})
					if err != nil {
						errs <- err
						return
					}
					defer wc.Close()
					for i := 0; i < 100; i++ {
						l, err := wc.Open(ctx, "counter", proto.DirSendRecv, client.LinkOptions{})
						if err != nil {
							errs <- fmt.Errorf("request %d: open: %w", i, err)
							return
						}
						_ = l.Send(ctx, gene.MustParse("(throw)"))
						_, err = l.Recv(ctx)
						var pe *proto.Error
						if !errors.As(err, &pe) || pe.Code != proto.CodeHandlerError || !strings.Contains(pe.Msg, "thrown on purpose at handler.js:3") {
							errs <- fmt.Errorf("request %d: want HANDLER_ERROR naming handler.js:3, got %v", i, err)
							return
						}
						_ = l.Close(ctx)
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				require.NoError(t, err)
			}
			took := time.Since(start)
			t.Logf("1,000 throwing requests in %s", took.Round(time.Millisecond))
			require.Less(t, took, 10*time.Second)

			require.NoError(t, good.Send(ctx, gene.Int(0)))
			v, err = good.Recv(ctx)
			require.NoError(t, err, "the client that did not throw")
			require.Equal(t, "(count 2)", gene.Format(v), "the instance kept its state")
			health := ok(t, d, "", "ctl", d.Unix, "counter", "health")
			require.Contains(t, health, `"serving"`)
			stats := ok(t, d, "", "ctl", d.Unix, "counter", "stats")
			require.Contains(t, stats, "^crashes 0")
			require.Contains(t, stats, "^handler-errors 1000")
		})
	}
}

// TestClientsThatNeverReadCostOnlyTheirLinks: six clients that grant one
// value of credit and never read make the echo plugin wait; each is reset
// SLOW_CONSUMER before the plugin's deadline, and another client's round
// trips see no error throughout.
func TestClientsThatNeverReadCostOnlyTheirLinks(t *testing.T) {
	for _, iso := range isolations {
		t.Run(iso, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "plugins")
			e2e.CopyTree(t, filepath.Join(repoRoot, "plugins", "echo"), filepath.Join(dir, "echo"), nil)
			cfgFile := filepath.Join(dir, "echo", "plugin.gene")
			cfg, err := os.ReadFile(cfgFile)
			require.NoError(t, err)
			patched := strings.Replace(string(cfg), "^call-timeout-ms 5000", "^call-timeout-ms 1000", 1)
			patched = strings.Replace(patched, `^runtime "js"`, fmt.Sprintf(`^runtime "js" ^isolation %q`, iso), 1)
			require.NotEqual(t, string(cfg), patched)
			require.NoError(t, os.WriteFile(cfgFile, []byte(patched), 0o644))
			d := serve(t, serveOpts{plugins: dir})
			c := dial(t, d)
			stop := make(chan struct{})
			trips := roundTrips(t, c, "echo", stop)

			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			var slow []*client.Link
			for i := 0; i < 6; i++ {
				sc := dial(t, d)
				l, err := sc.Open(ctx, "echo", proto.DirSendRecv, client.LinkOptions{Window: proto.WindowConfig{InitialMsgs: 1, MaxMsgs: 1}})
				require.NoError(t, err)
				for j := 0; j < 4; j++ {
					require.NoError(t, l.Send(ctx, gene.Int(int64(j))))
				}
				slow = append(slow, l)
			}
			// Not reading: wait until the host gave up on all six.
			require.Eventually(t, func() bool {
				return strings.Contains(ok(t, d, "", "ctl", d.Unix, "echo", "stats"), "^slow-consumer-resets 6")
			}, 10*time.Second, 100*time.Millisecond)
			for i, l := range slow {
				var err error
				for err == nil {
					_, err = l.Recv(ctx)
				}
				var pe *proto.Error
				require.ErrorAs(t, err, &pe, "slow client %d", i)
				require.Equal(t, proto.CodeSlowConsumer, pe.Code, pe.Error())
			}
			close(stop)
			require.Greater(t, <-trips, 0)
			health := ok(t, d, "", "ctl", d.Unix, "echo", "health")
			require.Contains(t, health, `"serving"`)
			require.Contains(t, ok(t, d, "", "ctl", d.Unix, "echo", "stats"), "^crashes 0")
		})
	}
}
