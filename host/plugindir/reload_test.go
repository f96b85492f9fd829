package plugindir_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/client"
)

// taggerJS answers every value v with (TAG v), waiting for credit.
func taggerJS(tag string) string {
	return `module.exports = { async values(link, vs) {
  for (const v of vs) await link.sendAsync(gene.node('` + tag + `', v));
} };`
}

// run starts Dir.Run and stops it at cleanup.
func (e *env) run(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.dir.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	select {
	case <-e.dir.Watching():
	case err := <-done:
		t.Fatalf("Run: %v", err)
	}
}

// saveByRename writes a file the way many editors do: a temporary file,
// then a rename over the original.
func saveByRename(t *testing.T, path, content string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".swp")
	require.NoError(t, os.WriteFile(tmp, []byte(content), 0o644))
	require.NoError(t, os.Rename(tmp, path))
}

// nextEvent waits for an event of type typ on c, skipping others.
func nextEvent(t *testing.T, c *client.Control, typ string) gene.Value {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case ev := <-c.Events():
			if n := ev.Node(); n != nil {
				if v, ok := n.Props.Get("type"); ok && v.Str() == typ {
					return ev
				}
			}
			t.Logf("event %s", gene.Format(ev))
		case <-timeout:
			t.Fatalf("no %q event", typ)
		}
	}
}

// TestHotReloadUnderTraffic keeps links busy, and opens and closes links
// continuously, while the plugin is replaced by a save-by-rename; every
// value sent is answered exactly once, in order, by one generation or the
// other, and links opened after the reload get the new generation.
func TestHotReloadUnderTraffic(t *testing.T) {
	for _, model := range []string{"per-link", "pool"} {
		t.Run(model, func(t *testing.T) {
			dir := t.TempDir()
			cfg := `{^direction "send+recv" ^instances "` + model + `"}`
			writePlugin(t, dir, "tag", map[string]string{"plugin.gene": cfg, "handler.js": taggerJS("v1")})
			e, err := openDir(t, dir, options{})
			require.NoError(t, err)
			e.run(t)
			ctl := e.control(t, "tag")

			var sent, answered atomic.Int64
			var byTag sync.Map // tag -> *atomic.Int64
			count := func(tag string) int64 {
				c, _ := byTag.LoadOrStore(tag, new(atomic.Int64))
				return c.(*atomic.Int64).Load()
			}
			stop := make(chan struct{})
			errs := make(chan error, 16)
			var wg sync.WaitGroup
			const workers, perLink = 4, 50
			for w := 0; w < workers; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ctx := ctxT(t)
					for round := 0; ; round++ {
						select {
						case <-stop:
							return
						default:
						}
						l, err := e.conn.Open(ctx, "tag", 3, client.LinkOptions{})
						if err != nil {
							errs <- err
							return
						}
						recvDone := make(chan error, 1)
						go func() {
							for i := 0; i < perLink; i++ {
								v, err := l.Recv(ctx)
								if err != nil {
									recvDone <- fmt.Errorf("value %d: %w", i, err)
									return
								}
								n := v.Node()
								if n == nil || len(n.Body) != 1 {
									recvDone <- fmt.Errorf("unexpected %s", gene.Format(v))
									return
								}
								if got, _ := n.Body[0].AsInt(); got != int64(i) {
									recvDone <- fmt.Errorf("value %d came back as %s", i, gene.Format(v))
									return
								}
								c, _ := byTag.LoadOrStore(n.Head.Str(), new(atomic.Int64))
								c.(*atomic.Int64).Add(1)
								answered.Add(1)
							}
							recvDone <- nil
						}()
						for i := 0; i < perLink; i++ {
							if err := l.Send(ctx, gene.Int(int64(i))); err != nil {
								errs <- err
								return
							}
							sent.Add(1)
						}
						if err := <-recvDone; err != nil {
							errs <- err
							return
						}
						if err := l.Close(ctx); err != nil {
							errs <- err
							return
						}
					}
				}()
			}
			// One long link stays open across the reload: it keeps its
			// generation and loses nothing.
			long := e.mustOpen(t, "tag")
			var longSent, longGot atomic.Int64
			senderDone := make(chan struct{})
			wg.Add(2)
			go func() {
				defer wg.Done()
				defer close(senderDone)
				for i := int64(0); ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					if err := long.Send(ctxT(t), gene.Int(i)); err != nil {
						errs <- err
						return
					}
					longSent.Add(1)
				}
			}()
			go func() {
				defer wg.Done()
				for i := int64(0); ; i++ {
					select {
					case <-senderDone:
						if i == longSent.Load() {
							return
						}
					default:
					}
					v, err := long.Recv(ctxT(t))
					if err != nil {
						errs <- err
						return
					}
					if want := fmt.Sprintf("(v1 %d)", i); gene.Format(v) != want {
						errs <- fmt.Errorf("long link: want %s, got %s", want, gene.Format(v))
						return
					}
					longGot.Add(1)
				}
			}()
			// Let traffic flow on generation 1, then replace the handler.
			require.Eventually(t, func() bool { return count("v1") > 500 }, 20*time.Second, 5*time.Millisecond)
			saveByRename(t, filepath.Join(dir, "tag", "handler.js"), taggerJS("v2"))
			ev := nextEvent(t, ctl, "reloaded")
			require.Equal(t, `(event ^type "reloaded" ^interface "tag" ^generation 2)`, gene.Format(ev))
			require.Eventually(t, func() bool { return count("v2") > 500 }, 20*time.Second, 5*time.Millisecond)
			close(stop)
			wg.Wait()
			close(errs)
			for err := range errs {
				require.NoError(t, err)
			}
			require.Equal(t, sent.Load(), answered.Load(), "values lost")
			require.Equal(t, longSent.Load(), longGot.Load(), "values lost on the long link")
			t.Logf("%d values answered on short links, %d by v1, %d by v2; %d on the long link", answered.Load(), count("v1"), count("v2"), longGot.Load())

			// A link opened now gets generation 2.
			l := e.mustOpen(t, "tag")
			l.send(t, gene.Int(9))
			l.expect(t, "(v2 9)")
			require.Contains(t, e.stats(t, "tag"), "^generation 2")
			require.Equal(t, uint64(2), e.dir.Plugins()[0].Generation)
		})
	}
}

// TestOpenLinkKeepsItsGeneration: a link opened before a reload keeps
// being served by the version it opened on, with its in-memory state.
func TestOpenLinkKeepsItsGeneration(t *testing.T) {
	dir := t.TempDir()
	writePlugin(t, dir, "c", map[string]string{"plugin.gene": `{^direction "send+recv"}`,
		"handler.js": `let n = 0; module.exports = { value(link, v) { n++; link.send(gene.node('v1', n)); } };`})
	e, err := openDir(t, dir, options{})
	require.NoError(t, err)
	old := e.mustOpen(t, "c")
	old.send(t, gene.Int(0))
	old.expect(t, "(v1 1)")
	writePlugin(t, dir, "c", map[string]string{"handler.js": `module.exports = { value(link, v) { link.send(gene.node('v2', v)); } };`})
	require.NoError(t, e.dir.Reload(t.Context(), "c"))
	old.send(t, gene.Int(0))
	old.expect(t, "(v1 2)")
	fresh := e.mustOpen(t, "c")
	fresh.send(t, gene.Int(0))
	fresh.expect(t, "(v2 0)")
	// The old generation is freed when its last link closes.
	require.NoError(t, old.Close(ctxT(t)))
	require.Eventually(t, func() bool {
		return strings.Contains(e.stats(t, "c"), "^live-instances 2 ") // fresh's + control
	}, 5*time.Second, 20*time.Millisecond)
}

// TestBrokenReloadKeepsTheLastGoodVersion: a version that does not load
// leaves the previous one serving, with the error in stats, the log and a
// reload-failed event; fixing it loads the next generation.
func TestBrokenReloadKeepsTheLastGoodVersion(t *testing.T) {
	for _, c := range []struct {
		name, file, content, want string
	}{
		{"js syntax", "handler.js", "module.exports = { values(link, vs) {", "handler.js"},
		{"config", "plugin.gene", `{^direction "send+recv" ^grants {^network true}}`, "plugin.gene: ^grants: "},
		{"top-level throw", "handler.js", "throw new Error('not today')", "not today"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writePlugin(t, dir, "p", map[string]string{"plugin.gene": `{^direction "send+recv"}`, "handler.js": taggerJS("v1")})
			e, err := openDir(t, dir, options{})
			require.NoError(t, err)
			e.run(t)
			ctl := e.control(t, "p")

			saveByRename(t, filepath.Join(dir, "p", c.file), c.content)
			ev := nextEvent(t, ctl, "reload-failed")
			n := ev.Node()
			iface, _ := n.Props.Get("interface")
			require.Equal(t, "p", iface.Str())
			msg, _ := n.Props.Get("error")
			require.Contains(t, msg.Str(), c.want)

			l := e.mustOpen(t, "p")
			l.send(t, gene.Int(1))
			l.expect(t, "(v1 1)")
			stats := e.stats(t, "p")
			require.Contains(t, stats, "^generation 1")
			require.Contains(t, stats, "^reload-error")
			st := e.dir.Plugins()[0]
			require.True(t, st.Serving)
			require.Contains(t, st.Err, c.want)

			// Fixed: generation 2 loads and the error clears.
			writePlugin(t, dir, "p", map[string]string{"plugin.gene": `{^direction "send+recv"}`, "handler.js": taggerJS("v2")})
			ev = nextEvent(t, ctl, "reloaded")
			require.Contains(t, gene.Format(ev), "^generation 2")
			l2 := e.mustOpen(t, "p")
			l2.send(t, gene.Int(1))
			l2.expect(t, "(v2 1)")
			require.NotContains(t, e.stats(t, "p"), "reload-error")
			require.Empty(t, e.dir.Plugins()[0].Err)
		})
	}
}

// TestWatchAddsAndRemovesPlugins: a folder created in the watched
// directory is registered, a deleted one unregistered.
func TestWatchAddsAndRemovesPlugins(t *testing.T) {
	dir := t.TempDir()
	e, err := openDir(t, dir, options{})
	require.NoError(t, err)
	e.run(t)
	writePlugin(t, dir, "new", map[string]string{"plugin.gene": `{^direction "send+recv"}`, "handler.js": taggerJS("hello")})
	// Serving, not just listed: a folder caught half-written is listed
	// as failed until its next change loads it.
	require.Eventually(t, func() bool { st := e.dir.Plugins(); return len(st) == 1 && st[0].Serving }, 10*time.Second, 10*time.Millisecond)
	l := e.mustOpen(t, "new")
	l.send(t, gene.Int(1))
	l.expect(t, "(hello 1)")
	require.NoError(t, os.RemoveAll(filepath.Join(dir, "new")))
	require.Eventually(t, func() bool { return len(e.srv.Interfaces()) == 0 }, 10*time.Second, 10*time.Millisecond)
	require.Empty(t, e.dir.Plugins())
}

// TestRevertAfterBrokenEditClearsTheError: undoing a broken edit brings
// the folder back to the serving version's content; the error goes and no
// new generation is loaded.
func TestRevertAfterBrokenEditClearsTheError(t *testing.T) {
	dir := t.TempDir()
	writePlugin(t, dir, "p", map[string]string{"plugin.gene": `{^direction "send+recv"}`, "handler.js": taggerJS("v1")})
	e, err := openDir(t, dir, options{})
	require.NoError(t, err)
	writePlugin(t, dir, "p", map[string]string{"handler.js": "syntax error here ("})
	require.Error(t, e.dir.Reload(t.Context(), "p"))
	require.NotEmpty(t, e.dir.Plugins()[0].Err)
	writePlugin(t, dir, "p", map[string]string{"handler.js": taggerJS("v1")})
	require.NoError(t, e.dir.Reload(t.Context(), "p"))
	st := e.dir.Plugins()[0]
	require.Empty(t, st.Err)
	require.Equal(t, uint64(1), st.Generation)
	require.NotContains(t, e.stats(t, "p"), "reload-error")
}
