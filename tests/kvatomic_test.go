package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/client"
	"github.com/genehost/genehost/proto"
)

// counterPlugin writes version v of a JavaScript counter plugin into dir:
// one instance per link; every value is answered with [v N], N the value of
// the counter after genehost.kv.incr, and (get) with the counter as is.
func counterPlugin(t *testing.T, dir string, v int) {
	t.Helper()
	require.NoError(t, os.MkdirAll(dir, 0o755))
	manifest := fmt.Sprintf(`{^name "counter" ^version "1.0.%d" ^description "counts, atomically"
 ^direction "send+recv" ^runtime "js" ^instances "per-link" ^grants {^kv true}
 ^messages {^incr {^from "client" ^schema any} ^count {^from "server" ^schema any}}}
`, v)
	handler := fmt.Sprintf(`const VERSION = %d;
module.exports = {
  async value(link, v) {
    if (gene.is(v, 'get')) await link.sendAsync(genehost.kv.get('n') ?? 0);
    else await link.sendAsync([VERSION, genehost.kv.incr('n')]);
  },
};
`, v)
	// The handler first: the reload is triggered by either file, and the
	// new version must load whole.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "handler.js"), []byte(handler), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "plugin.gene"), []byte(manifest), 0o644))
}

// TestKVIncrAcrossReloads: two clients each add 1 to a counter 500 times
// through a JavaScript plugin with an instance per link, opening a new link
// every 25 increments, while the plugin folder is rewritten twice. Links
// opened before a reload keep their version while new links get the new
// one, so instances of different versions increment at the same time; the
// counter must end at exactly 1,000 (with get-then-put it did not: 3,701
// of 4,000), and the values handed out must be 1..1000, each once.
func TestKVIncrAcrossReloads(t *testing.T) {
	const (
		clients = 2
		each    = 500
		perLink = 25
	)
	plugins := filepath.Join(t.TempDir(), "plugins")
	counterPlugin(t, filepath.Join(plugins, "counter"), 1)
	d := serve(t, serveOpts{plugins: plugins})
	require.Eventually(t, func() bool { return strings.Contains(gh(t, d, "", "ls", "-").out, "\ncounter ") },
		60*time.Second, 100*time.Millisecond, "counter is served:\n%s", d.Log.String())

	ctx := ctxT(t, 3*time.Minute)
	var (
		progress [clients]atomic.Int64 // increments answered, per client
		reloaded = make(chan struct{}) // closed once both reloads are served
		mu       sync.Mutex
		got      []int64           // every counter value handed out
		versions = map[int64]int{} // replies per plugin version
	)
	errc := make(chan error, clients)
	for c := range clients {
		go func() {
			errc <- func() error {
				conn, err := client.Dial(ctx, d.Unix, client.Config{})
				if err != nil {
					return err
				}
				defer conn.Close()
				var l *client.Link
				for i := range each {
					if i == each-100 {
						// The last 100 come after both reloads, whatever the
						// machine's speed, so the new version is exercised.
						select {
						case <-reloaded:
						case <-ctx.Done():
							return fmt.Errorf("client %d: the reloads did not happen", c)
						}
					}
					if i%perLink == 0 {
						if l != nil {
							if err := l.Close(ctx); err != nil {
								return fmt.Errorf("client %d: close: %w", c, err)
							}
						}
						if l, err = conn.Open(ctx, "counter", proto.DirSendRecv, client.LinkOptions{}); err != nil {
							return fmt.Errorf("client %d: open: %w", c, err)
						}
					}
					if err := l.Send(ctx, gene.MustParse("(incr)")); err != nil {
						return fmt.Errorf("client %d increment %d: send: %w", c, i, err)
					}
					v, err := l.Recv(ctx)
					if err != nil {
						return fmt.Errorf("client %d increment %d: %w", c, i, err)
					}
					pair := v.List()
					if len(pair) != 2 {
						return fmt.Errorf("client %d increment %d: got %s, want [VERSION N]", c, i, gene.Format(v))
					}
					version, _ := pair[0].AsInt()
					n, _ := pair[1].AsInt()
					mu.Lock()
					got = append(got, n)
					versions[version]++
					mu.Unlock()
					progress[c].Add(1)
					time.Sleep(2 * time.Millisecond) // spread the increments over the reloads
				}
				return l.Close(ctx)
			}()
		}()
	}

	// Rewrite the folder once both clients are under way, and again once the
	// first rewrite is served and they have gone on.
	waitProgress := func(n int64) {
		t.Helper()
		require.Eventually(t, func() bool {
			for c := range clients {
				if progress[c].Load() < n {
					return false
				}
			}
			return true
		}, 60*time.Second, time.Millisecond, "clients reach %d increments", n)
	}
	waitGeneration := func(g int) {
		t.Helper()
		want := fmt.Sprintf("^generation %d", g)
		require.Eventually(t, func() bool { return strings.Contains(gh(t, d, "", "ctl", "-", "counter", "stats").out, want) },
			60*time.Second, 50*time.Millisecond, "the rewritten plugin is served (%s):\n%s", want, d.Log.String())
	}
	waitProgress(100)
	counterPlugin(t, filepath.Join(plugins, "counter"), 2)
	waitGeneration(2)
	waitProgress(200)
	counterPlugin(t, filepath.Join(plugins, "counter"), 3)
	waitGeneration(3)
	close(reloaded)
	for range clients {
		require.NoError(t, <-errc)
	}

	slices.Sort(got)
	twice := 0
	for i := 1; i < len(got); i++ {
		if got[i] == got[i-1] {
			twice++
		}
	}
	require.Zero(t, twice, "values handed out twice, each a lost update (the counter reached %d)", got[len(got)-1])
	want := make([]int64, clients*each)
	for i := range want {
		want[i] = int64(i + 1)
	}
	require.Equal(t, want, got, "every increment handed out a distinct value, none lost")
	require.Equal(t, "1000\n", ok(t, d, "", "call", "-", "counter", "(get)"))
	for v := int64(1); v <= 3; v++ {
		require.Positive(t, versions[v], "version %d answered some increments: %v", v, versions)
	}
	t.Logf("%d increments by %d clients across two reloads; replies per version: %v", clients*each, clients, versions)
}
