package badinput_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host"
	"github.com/genehost/genehost/host/client"
	"github.com/genehost/genehost/host/internal/leakcheck"
	"github.com/genehost/genehost/host/internal/logtext"
	"github.com/genehost/genehost/host/internal/rawclient"
	"github.com/genehost/genehost/host/jsrt"
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/plugindir"
	"github.com/genehost/genehost/proto"
)

// logBuffer collects a host's log lines for a test to read.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) logger() hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Level: hclog.Debug, Output: b})
}

// requireBoundedLines fails when a log line is longer than a cut text
// (logtext.Max and its marker) and some context around it.
func requireBoundedLines(t *testing.T, log string) {
	t.Helper()
	for _, line := range strings.Split(log, "\n") {
		require.LessOrEqual(t, len(line), logtext.Max+1024, "log line of %d bytes: %.200s...", len(line), line)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A general map with many composite keys costs O(n log n) at worst on
// every path (reading, checking keys, echoing), and past
// MaxCompositeKeys it is refused with BAD_VALUE naming the limit; a
// second link on the same transport keeps flowing.
func TestCompositeKeyCases(t *testing.T) {
	_, addr := server(t)
	compositeMap := func(n int) gene.Value {
		es := make([]gene.Entry, n)
		for i := range es {
			es[i] = gene.Entry{Key: gene.List(gene.Int(int64(i))), Value: gene.Int(int64(i))}
		}
		return gene.Map(es...)
	}
	for _, enc := range []proto.Encoding{proto.EncodingText, proto.EncodingBinary} {
		t.Run(string(enc), func(t *testing.T) {
			rc := rawclient.DialWith(t, addr, proto.Config{Encodings: []proto.Encoding{enc}, TransportWindow: 1 << 24})
			require.Equal(t, proto.TypeAccept, rc.Open(1, "echo", proto.SubData, proto.DirSendRecv).Type)
			encode := func(v gene.Value) []byte {
				if enc == proto.EncodingText {
					return gene.AppendText(nil, v)
				}
				return gene.AppendBinary(nil, v)
			}
			send := func(id uint32, payload []byte) {
				for len(payload) > 0 {
					n := min(len(payload), rc.Welcome.Limits.MaxFrameBytes)
					flags := proto.FlagMore
					if n == len(payload) {
						flags = 0
					}
					rc.Data(id, payload[:n], flags)
					payload = payload[n:]
				}
			}

			// At the limit: echoed, and fast (it once took seconds).
			start := time.Now()
			require.Equal(t, proto.TypeAccept, rc.Open(3, "echo", proto.SubData, proto.DirSendRecv).Type)
			send(3, encode(compositeMap(gene.DefaultMaxCompositeKeys)))
			rc.Next(func(f proto.Frame) bool {
				return f.Link == 3 && f.Type == proto.TypeData && f.Flags&proto.FlagMore == 0
			})
			assert.Less(t, time.Since(start), 5*time.Second)

			// 40,000 composite keys (440 KB): refused at once, naming the
			// limit.
			start = time.Now()
			require.Equal(t, proto.TypeAccept, rc.Open(5, "hold", proto.SubData, proto.DirSendRecv).Type)
			send(5, encode(compositeMap(40000)))
			e := rc.ExpectReset(5)
			assert.Equal(t, proto.CodeBadValue, e.Code, "%s", e.Msg)
			assert.Contains(t, e.Msg, "MaxCompositeKeys (4096)")
			assert.Less(t, time.Since(start), 5*time.Second)
			rc.Echo(1, "(after ^composite-keys true)")
		})
	}
	flowing(t, addr)
}

// A JavaScript plugin echoing a map of composite keys converts it to a
// JavaScript Map and back in O(n) expected: 4096 list keys (the default
// MaxCompositeKeys) make a round trip well within the call deadline
// through a real socket and a real plugin directory.
func TestCompositeKeysThroughJavaScript(t *testing.T) {
	leakcheck.Verify(t)
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "echo"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "echo", "plugin.gene"), []byte(`{^direction "send+recv" ^isolation "none" ^limits {^call-timeout-ms 30000}}`), 0o644)) // the test is about the log, not the deadline: 1 MiB strings are slow under -race
	require.NoError(t, os.WriteFile(filepath.Join(dir, "echo", "handler.js"),
		[]byte(`module.exports = { values(link, values) { values.forEach((v) => link.send(v)) } }`), 0o644))
	s := host.New(host.Config{Logger: quiet})
	addr, err := s.Listen(host.ListenerConfig{Address: "unix://" + filepath.Join(t.TempDir(), "js.sock")})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	jsr := jsrt.New()
	t.Cleanup(func() { jsr.Close(context.Background()) })
	d, err := plugindir.Open(context.Background(), plugindir.Options{Dir: dir, Runtimes: map[string]plugin.Runtime{"js": jsr},
		Registry: s, Logger: quiet, CacheDir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { d.Close() })

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, addr, client.Config{})
	require.NoError(t, err)
	defer c.Close()
	l, err := c.Open(ctx, "echo", proto.DirSendRecv, client.LinkOptions{Window: proto.WindowConfig{InitialBytes: 8 << 20}})
	require.NoError(t, err)
	es := make([]gene.Entry, gene.DefaultMaxCompositeKeys)
	for i := range es {
		es[i] = gene.Entry{Key: gene.List(gene.Int(int64(i))), Value: gene.Int(int64(i))}
	}
	v := gene.Map(es...)
	start := time.Now()
	require.NoError(t, l.Send(ctx, v))
	got, err := l.Recv(ctx)
	require.NoError(t, err)
	assert.True(t, gene.Equal(v, got))
	assert.Less(t, time.Since(start), 4*time.Second, "the call deadline is 5 s")
}

// A peer that never reads while its DATA for a retired link makes the
// host queue CREDITs fills the host's control queue: the transport is
// closed with CALM (PROTOCOL.md section 9), not PROTOCOL_ERROR, and other
// transports keep flowing. The host's transport window is the smallest
// there is, no larger than a value may be, so every byte given back needs
// a CREDIT (PROTOCOL.md 8.3: with a larger window they come once per half
// window).
func TestControlQueueFullIsCalm(t *testing.T) {
	leakcheck.Verify(t)
	var log logBuffer
	s := host.New(host.Config{Logger: log.logger(), Proto: proto.Config{ControlQueue: 4096, TransportWindow: proto.MinWindow}})
	m, err := host.ParseManifest(gene.MustParse(`{^name "hold" ^direction "send+recv"}`))
	require.NoError(t, err)
	require.NoError(t, s.Register(m, hold))
	m, err = host.ParseManifest(gene.MustParse(`{^name "echo" ^direction "send+recv"}`))
	require.NoError(t, err)
	require.NoError(t, s.Register(m, host.Echo))
	addr, err := s.Listen(host.ListenerConfig{Address: "unix://" + filepath.Join(t.TempDir(), "q.sock")})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })

	rc := rawclient.Dial(t, addr, proto.EncodingBinary)
	require.Equal(t, proto.TypeAccept, rc.Open(1, "hold", proto.SubData, proto.DirSendRecv).Type)
	rc.Write(proto.AppendResetFrame(nil, 1, proto.Errorf(proto.CodeCancelled, "gone")))
	done := make(chan struct{})
	go func() {
		defer close(done)
		var b []byte
		for range 4096 {
			b = proto.AppendFrame(b, proto.TypeData, 0, 1, []byte{0x01})
		}
		for range 2000 {
			if _, err := rc.C.Write(b); err != nil {
				return // closed by the host
			}
		}
	}()
	waitFor(t, "the host to close the transport", func() bool { return strings.Contains(log.String(), "closing transport") })
	<-done
	out := log.String()
	assert.Contains(t, out, "code=CALM")
	assert.NotContains(t, out, "code=PROTOCOL_ERROR")
	assert.Contains(t, out, "control queue full")
	flowing(t, addr)
}

// Text a peer or a plugin chooses is cut to logtext.Max bytes in the
// host's log: a GOAWAY's and a RESET's text, a plugin's log lines and its
// exception messages (once logged in full, 50 MB twice per crash).
func TestPeerAndPluginTextInTheLogIsBounded(t *testing.T) {
	leakcheck.Verify(t)
	var log logBuffer
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "loud"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "loud", "plugin.gene"), []byte(`{^direction "send+recv" ^isolation "none" ^limits {^call-timeout-ms 30000}}`), 0o644)) // the test is about the log, not the deadline: 1 MiB strings are slow under -race
	require.NoError(t, os.WriteFile(filepath.Join(dir, "loud", "handler.js"), []byte(`module.exports = { values(link, values) {
  console.log('l'.repeat(1 << 20));
  console.error('e'.repeat(1 << 20));
  throw new Error('x'.repeat(1 << 20));
} }`), 0o644))
	s := host.New(host.Config{Logger: log.logger()})
	addr, err := s.Listen(host.ListenerConfig{Address: "unix://" + filepath.Join(t.TempDir(), "log.sock")})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	jsr := jsrt.New()
	t.Cleanup(func() { jsr.Close(context.Background()) })
	d, err := plugindir.Open(context.Background(), plugindir.Options{Dir: dir, Runtimes: map[string]plugin.Runtime{"js": jsr},
		Registry: s, Logger: log.logger(), CacheDir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { d.Close() })

	// The plugin logs 1 MiB lines and throws a 1 MiB message.
	rc := rawclient.Dial(t, addr, proto.EncodingText)
	require.Equal(t, proto.TypeAccept, rc.Open(1, "loud", proto.SubData, proto.DirSendRecv).Type)
	rc.Data(1, []byte("1"), 0)
	e := rc.ExpectReset(1)
	assert.Equal(t, proto.CodeHandlerError, e.Code)

	// A peer resets a link and closes its transport with 60 KB texts.
	big := strings.Repeat("r", 60000)
	require.Equal(t, proto.TypeAccept, rc.Open(3, "loud", proto.SubData, proto.DirSendRecv).Type)
	rc.Write(proto.AppendResetFrame(nil, 3, proto.Errorf(proto.CodeCancelled, "%s", big)))
	rc2 := rawclient.Dial(t, addr, proto.EncodingText)
	rc2.Write(proto.AppendGoAwayFrame(nil, proto.GoAway{Code: proto.CodeProtocolError, Text: strings.Repeat("g", 60000)}))
	rawclient.ExpectClosed(t, rc2.C)

	waitFor(t, "the peer's GOAWAY in the log", func() bool { return strings.Contains(log.String(), "peer closes the transport") })
	waitFor(t, "the plugin's lines in the log", func() bool {
		out := log.String()
		return strings.Contains(out, "lll") && strings.Contains(out, "eee") && strings.Contains(out, "xxx")
	})
	out := log.String()
	requireBoundedLines(t, out)
	assert.Contains(t, out, "bytes more)")
	assert.NotContains(t, out, strings.Repeat("g", logtext.Max+1))
}

// A plugin whose handler.js is a symlink to a host file does not load:
// the loader and Check (genehost check) refuse it naming the path and
// where it points, nothing of the file reaches a client, and the plugin
// beside it serves.
func TestPluginEntrySymlinkedOutOfItsFolder(t *testing.T) {
	leakcheck.Verify(t)
	secret := filepath.Join(t.TempDir(), "shadow")
	require.NoError(t, os.WriteFile(secret, []byte("module.exports = {} // SECRET-HASH"), 0o600))
	dir := t.TempDir()
	for _, name := range []string{"good", "broken"} {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, name), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name, "plugin.gene"), []byte(`{^direction "send+recv" ^isolation "none" ^limits {^call-timeout-ms 30000}}`), 0o644)) // the test is about the log, not the deadline: 1 MiB strings are slow under -race
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "good", "handler.js"),
		[]byte(`module.exports = { values(link, values) { values.forEach((v) => link.send(v)) } }`), 0o644))
	require.NoError(t, os.Symlink(secret, filepath.Join(dir, "broken", "handler.js")))
	jsr := jsrt.New()
	t.Cleanup(func() { jsr.Close(context.Background()) })
	runtimes := map[string]plugin.Runtime{"js": jsr}
	want := filepath.Join(dir, "broken", "handler.js") + " resolves to " + secret + ", outside the plugin folder"

	errs := plugindir.Check(context.Background(), filepath.Join(dir, "broken"), runtimes, plugindir.CheckCacheDir(t.TempDir()))
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], plugindir.ErrOutsideFolder)
	assert.Contains(t, errs[0].Error(), want)

	s := host.New(host.Config{Logger: quiet})
	addr, err := s.Listen(host.ListenerConfig{Address: "unix://" + filepath.Join(t.TempDir(), "sym.sock")})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	d, err := plugindir.Open(context.Background(), plugindir.Options{Dir: dir, Runtimes: runtimes, Registry: s, Logger: quiet, CacheDir: t.TempDir()})
	require.ErrorIs(t, err, plugindir.ErrOutsideFolder)
	require.Contains(t, err.Error(), want)
	t.Cleanup(func() { d.Close() })

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, addr, client.Config{})
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Open(ctx, "broken", proto.DirSendRecv, client.LinkOptions{})
	var pe *proto.Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, proto.CodePluginFailed, pe.Code)
	assert.Contains(t, pe.Msg, "outside the plugin folder")
	assert.NotContains(t, pe.Msg, "SECRET")
	l, err := c.Open(ctx, "good", proto.DirSendRecv, client.LinkOptions{})
	require.NoError(t, err)
	v, err := l.Request(ctx, gene.MustParse("(beside ^broken true)"))
	require.NoError(t, err)
	assert.True(t, v.Node().Head.IsSymbol("beside"))
}
