package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/client"
	"github.com/genehost/genehost/proto"
	"github.com/genehost/genehost/tests/e2e"
)

// TestScaffoldsServeAndReload: plugins made by 'genehost new' are picked
// up by a running daemon (JS and Go, the Go one built by genehost), pass
// their own test.sh, and an edited handler is hot-reloaded while a client
// keeps sending: no value is lost, links opened before the edit keep the
// old version, new links get the new one.
func TestScaffoldsServeAndReload(t *testing.T) {
	d := serve(t, serveOpts{})
	out := ok(t, d, "", "new", "js", "hello", "--dir", d.Plugins)
	assert.Contains(t, out, filepath.Join(d.Plugins, "hello", "handler.js"))
	ok(t, d, "", "new", "go", "gohello", "--dir", d.Plugins)
	r := gh(t, d, "", "new", "js", "hello", "--dir", d.Plugins)
	assert.Equal(t, 1, r.code, "an existing folder is never overwritten")
	assert.Equal(t, 2, gh(t, d, "", "new", "rust", "x").code)

	// check validates the whole directory, the new plugins included.
	assert.Contains(t, ok(t, d, "", "check", d.Plugins), "every plugin loads")

	require.Eventually(t, func() bool {
		out := gh(t, d, "", "ls", "-").out
		return strings.Contains(out, "\nhello ") && strings.Contains(out, "\ngohello ")
	}, 120*time.Second, 200*time.Millisecond, "the new plugins are served:\n%s", d.Log.String())
	assert.Equal(t, "(hi ^n 1)\n", ok(t, d, "", "call", "-", "hello", "(hi ^n 1)"))
	assert.Equal(t, "(hi ^n 2)\n", ok(t, d, "", "call", "-", "gohello", "(hi ^n 2)"))

	// The scaffold's own test.
	sh := exec.Command("sh", filepath.Join(d.Plugins, "hello", "test.sh"))
	sh.Env = append(env(e2e.ShortDir(t)), "GENEHOST="+binary)
	shOut, err := sh.CombinedOutput()
	require.NoError(t, err, "%s", shOut)
	assert.Contains(t, string(shOut), "PASS")

	// build writes a module of the Go scaffold.
	wasm := filepath.Join(t.TempDir(), "gohello.wasm")
	ok(t, d, "", "build", filepath.Join(d.Plugins, "gohello"), "-o", wasm)
	b, err := os.ReadFile(wasm)
	require.NoError(t, err)
	assert.Equal(t, "\x00asm", string(b[:4]))

	// Hot reload while a client keeps sending.
	ctx := ctxT(t, 90*time.Second)
	conn, err := client.Dial(ctx, d.Unix, client.Config{})
	require.NoError(t, err)
	defer conn.Close()
	early, err := conn.Open(ctx, "hello", proto.DirSendRecv, client.LinkOptions{})
	require.NoError(t, err)

	var sent, received, edited atomic.Int64
	stop := make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		errc <- func() error {
			for n := 0; ; {
				l, err := conn.Open(ctx, "hello", proto.DirSendRecv, client.LinkOptions{})
				if err != nil {
					return err
				}
				for range 10 {
					n++
					v := gene.MustParse(fmt.Sprintf("(n %d)", n))
					if err := l.Send(ctx, v); err != nil {
						return err
					}
					sent.Add(1)
					got, err := l.Recv(ctx)
					if err != nil {
						return fmt.Errorf("value %d: %w", n, err)
					}
					received.Add(1)
					switch {
					case gene.Equal(got, v):
					case gene.Equal(got, gene.List(gene.Symbol("v2"), v)):
						edited.Add(1)
					default:
						return fmt.Errorf("sent %s, got %s", v, got)
					}
				}
				if err := l.Close(ctx); err != nil {
					return err
				}
				select {
				case <-stop:
					return nil
				default:
				}
			}
		}()
	}()
	require.Eventually(t, func() bool { return received.Load() > 50 }, 30*time.Second, 10*time.Millisecond)

	js := filepath.Join(d.Plugins, "hello", "handler.js")
	src, err := os.ReadFile(js)
	require.NoError(t, err)
	edit := strings.Replace(string(src), "await link.sendAsync(v);", "await link.sendAsync([gene.sym('v2'), v]);", 1)
	require.NotEqual(t, string(src), edit)
	require.NoError(t, os.WriteFile(js, []byte(edit), 0o644))

	require.Eventually(t, func() bool { return edited.Load() > 50 }, 30*time.Second, 10*time.Millisecond, "replies from the edited handler")
	close(stop)
	require.NoError(t, <-errc)
	assert.Equal(t, sent.Load(), received.Load(), "every value sent was answered: none lost across the reload")
	t.Logf("%d values sent and answered across the reload, %d by the new version", sent.Load(), edited.Load())

	// A link opened before the edit keeps the version it opened with.
	require.NoError(t, early.Send(ctx, gene.Int(7)))
	v, err := early.Recv(ctx)
	require.NoError(t, err)
	assert.Equal(t, "7", gene.Format(v))
	assert.Equal(t, "[v2 8]\n", ok(t, d, "", "call", "-", "hello", "8"))
	st := ok(t, d, "", "ctl", "-", "hello", "stats")
	assert.Contains(t, st, "^generation 2")
}
