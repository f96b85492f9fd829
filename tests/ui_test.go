package tests

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/tests/e2e"
	"github.com/genehost/genehost/tests/testenv"
)

// browser starts headless Chromium (Debian's chromium, which
// tools/test-tools.sh installs under CI=true) with a fresh profile and
// the flags that keep it off the network, and returns a browser context
// bounded by timeout.
func browser(t *testing.T, timeout time.Duration) context.Context {
	t.Helper()
	exe := testenv.NeedTool(t, "chromium", "the explorer's browser tests drive headless Chromium (tools/test-tools.sh installs Debian's chromium under CI=true)")
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(cancelBrowser)
	// The first run starts the browser and must have no deadline of its
	// own (the deadline would stop the browser); the actions after it are
	// bounded by timeout.
	require.NoError(t, chromedp.Do(bctx), "starting %s", exe)
	ctx, cancel := context.WithTimeout(bctx, timeout)
	t.Cleanup(cancel)
	return ctx
}

// page runs chromedp actions on ctx and fails t on the first error.
type page struct {
	t   *testing.T
	ctx context.Context
}

func (p page) do(steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	require.NoError(p.t, chromedp.Do(p.ctx, steps...))
}

// query is a JavaScript expression that waits (polling the DOM, as the
// page re-renders parts of itself) for the first element matching the
// CSS selector, then yields f(element).
func query(sel, f string) string {
	return `new Promise((done) => { const q = () => { const e = document.querySelector(` + strconv.Quote(sel) +
		`); if (e) done((` + f + `)(e)); else setTimeout(q, 25); }; q(); })`
}

// text is the text of the first element matching the CSS selector
// (textContent, trimmed), once there is one.
func (p page) text(sel string) string {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](query(sel, `(e) => e.textContent`), chromedp.EvalAwaitPromise))
	require.NoError(p.t, err, "text of %s", sel)
	return strings.TrimSpace(v)
}

// wait waits until an element matches the CSS selector.
func (p page) wait(sel string) {
	p.t.Helper()
	p.text(sel)
}

// click clicks the first element matching the CSS selector.
func (p page) click(sel string) {
	p.t.Helper()
	_, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](query(sel, `(e) => { e.click(); return "" }`), chromedp.EvalAwaitPromise))
	require.NoError(p.t, err, "click on %s", sel)
}

// set sets the value of the input, textarea or select matching the CSS
// selector.
func (p page) set(sel, value string) {
	p.t.Helper()
	_, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](query(sel, `(e) => { e.value = `+strconv.Quote(value)+`; return "" }`), chromedp.EvalAwaitPromise))
	require.NoError(p.t, err, "setting %s", sel)
}

// strings evaluates a JavaScript expression that yields strings.
func (p page) strings(expr string) []string {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[[]string](expr))
	require.NoError(p.t, err, "evaluating %s", expr)
	return v
}

// serveUI starts 'genehost serve' on a copy of the shipped plugins with
// args (which include --ui) and returns the explorer's URL it printed and
// the host's Unix socket address.
func serveUI(t *testing.T, args ...string) (url, unix string) {
	t.Helper()
	runtime := e2e.ShortDir(t)
	sock := filepath.Join(runtime, "genehost", "genehost.sock")
	require.NoError(t, os.MkdirAll(filepath.Dir(sock), 0o700))
	cmd := exec.Command(binary, append([]string{"serve", "--plugins", copyPlugins(t), "--data", t.TempDir(), "--cache", cacheDir,
		"--listen", "unix://" + sock, "--listen", "tcp://127.0.0.1:0"}, args...)...)
	cmd.Env = env(runtime)
	log := &e2e.SyncBuffer{}
	cmd.Stderr = log
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("genehost serve log:\n%s", log.String())
		}
	})
	exited := make(chan struct{})
	var exitErr error
	e2e.Reap(t, cmd, exited, &exitErr)
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "explorer on "); ok {
				found <- u
			}
		}
	}()
	select {
	case u := <-found:
		return u, "unix://" + sock
	case <-exited:
		t.Fatalf("genehost serve exited before the explorer listened: %v\n%s", exitErr, log.String())
	case <-time.After(300 * time.Second): // the first start builds the Go plugin (kv)
		t.Fatalf("genehost serve printed no explorer line within 300s:\n%s", log.String())
	}
	return "", ""
}

// shippedInterfaces are the plugin folders of plugins/.
func shippedInterfaces(t *testing.T) []string {
	t.Helper()
	ms, err := filepath.Glob(filepath.Join(repoRoot, "plugins", "*", "plugin.gene"))
	require.NoError(t, err)
	var names []string
	for _, m := range ms {
		names = append(names, filepath.Base(filepath.Dir(m)))
	}
	sort.Strings(names)
	require.NotEmpty(t, names)
	return names
}

// TestExplorer drives the explorer of 'genehost serve --ui' in headless
// Chromium: the list shows every shipped interface with its health, the kv
// page its messages with readable types, examples and replies, the try-it
// console sends a set to kv and an echo round trip (Gene and JSON) shows
// the reply, and a control operation on kv (count) returns the number of
// keys the console stored. queue needs a token (serve --token): the list
// shows it once the token is typed on the page, and its page asks for it.
// With GENEHOST_SCREENSHOTS=DIR it also writes the README's screenshots
// there (make screenshots).
func TestExplorer(t *testing.T) {
	const token = "queue-secret"
	tokenFile := filepath.Join(t.TempDir(), "queue.token")
	require.NoError(t, os.WriteFile(tokenFile, []byte(token+"\n"), 0o600))
	url, _ := serveUI(t, "--ui", "127.0.0.1:0", "--token", "queue=@"+tokenFile)
	p := page{t, browser(t, 25*time.Second)}
	shots := os.Getenv("GENEHOST_SCREENSHOTS")
	shot := func(name string) {
		if shots == "" {
			return
		}
		png, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(shots, name), png, 0o644))
	}

	// The list: every shipped interface, serving, with its version; queue
	// only once the page passes its token to $sys.
	list := `[...document.querySelectorAll('#ifaces tr[data-iface]')].map(r => r.dataset.iface)`
	p.do(chromedp.Navigate(url))
	p.wait(`#ifaces tr[data-iface="kv"]`)
	assert.NotContains(t, p.strings(list), "queue", "$sys hides an interface the client has no token for")
	p.set(`#token`, token)
	p.click(`#token-save`)
	p.wait(`#ifaces tr[data-iface="queue"]`)
	names := p.strings(`[...document.querySelectorAll('#ifaces tr[data-iface]')].map(r => r.dataset.iface)`)
	sort.Strings(names)
	assert.Equal(t, shippedInterfaces(t), names)
	assert.Equal(t, "serving", p.text(`#ifaces tr[data-iface="kv"] .health`))
	assert.Equal(t, "1.0.0", p.text(`#ifaces tr[data-iface="kv"] .version`))
	shot("explorer-list.png")

	// kv: its messages as readable types, their examples, its requests
	// with their replies, its control operations, its plugin status.
	p.click(`#ifaces tr[data-iface="kv"] a.iface-link`)
	p.wait(`#messages [data-message="set"]`)
	msgs := p.strings(`[...document.querySelectorAll('#messages [data-message]')].map(m => m.dataset.message)`)
	for _, m := range []string{"set", "get", "del", "incr", "cas", "scan", "watch", "ok", "value", "not-found", "changed", "error"} {
		assert.Contains(t, msgs, m)
	}
	assert.Equal(t, "(set ^key Key ^value any ^id? Id)", p.text(`#messages [data-message="set"] .type`))
	assert.Equal(t, `(set ^key "user/ada" ^value {^name "Ada" ^born 1815})`, p.text(`#messages [data-message="set"] .example pre`))
	assert.Equal(t, "getvalue, not-found, error", p.text(`#pairs tr[data-request="get"]`))
	assert.Equal(t, "int >= 0", p.text(`#ops tr[data-op="count"] td:nth-child(3)`))
	assert.Equal(t, "go", p.text(`#plugin-status dd[data-key="runtime"]`))

	// The console stores a key; count, run from the control panel, sees it.
	p.set(`#try-input`, `(set ^key "from-the-browser" ^value [1 2 3] ^id 1)`)
	p.click(`#try-send`)
	assert.Equal(t, `(ok ^key "from-the-browser" ^id 1)`, p.text(`#try-log .entry.recv .val`))
	p.set(`#ctl-op`, "count")
	p.set(`#ctl-arg`, "")
	p.click(`#ctl-run`)
	assert.Equal(t, "1", p.text(`#ctl-result pre.result`), "kv count after the console's set")
	shot("explorer-kv.png")

	// queue's page asks for the token, then shows the interface.
	p.do(chromedp.Evaluate[chromedp.Void](`location.hash = "#/iface/queue"`))
	p.wait(`#token-form`)
	assert.Contains(t, p.text(`.error-box`), "UNAUTHORIZED")
	p.set(`#token`, token)
	p.click(`#token-save`)
	p.wait(`#iface-name[data-iface="queue"]`)
	assert.Contains(t, p.text(`#pairs tr[data-request="publish"]`), "published")

	// echo: a Gene value and a JSON one come back as sent, with times.
	p.do(chromedp.Evaluate[chromedp.Void](`location.hash = "#/iface/echo"`))
	p.wait(`#iface-name[data-iface="echo"]`)
	p.set(`#try-input`, `(hello ^to "browser" ^n 42)`)
	p.click(`#try-send`)
	p.wait(`#try-log .entry.recv`)
	p.set(`#try-format`, "json")
	p.set(`#try-input`, `{"n": [1, 2.5, "three"]}`)
	p.click(`#try-send`)
	p.wait(`#try-log .entry.recv:nth-child(5)`)
	entries := p.strings(`[...document.querySelectorAll('#try-log .entry')].map(e => e.className + ' ' + e.querySelector('.val').textContent)`)
	require.Len(t, entries, 5)
	assert.Regexp(t, `^entry open link \d+ open$`, entries[0])
	assert.Equal(t, []string{
		`entry sent (hello ^to "browser" ^n 42)`,
		`entry recv (hello ^to "browser" ^n 42)`,
		`entry sent {^n [1 2.5 "three"]}`,
		`entry recv {^n [1 2.5 "three"]}`,
	}, entries[1:])
	assert.Regexp(t, `^\d\d:\d\d:\d\d\.\d{3}$`, p.text(`#try-log .entry.recv .ts`))
}

// TestExplorerExposure: --ui follows the HTTP listeners' exposure rule,
// checked before anything starts: plain HTTP off loopback is a usage
// error (exit 2) that says how to serve it, and a certificate needs its
// key.
func TestExplorerExposure(t *testing.T) {
	dir := t.TempDir()
	r := gh(t, nil, "", "serve", "--plugins", dir, "--data", dir, "--listen", "unix://"+filepath.Join(e2e.ShortDir(t), "g.sock"), "--ui", "0.0.0.0:0")
	assert.Equal(t, 2, r.code, "stderr: %s", r.err)
	assert.Contains(t, r.err, "--ui 0.0.0.0:0: refusing plain HTTP on a non-loopback address")
	assert.Contains(t, r.err, "--http-cert and --http-key")
	assert.Contains(t, r.err, "--insecure")
	r = gh(t, nil, "", "serve", "--plugins", dir, "--data", dir, "--listen", "unix://"+filepath.Join(e2e.ShortDir(t), "g.sock"), "--ui", "127.0.0.1:0", "--http-cert", filepath.Join(dir, "c.pem"))
	assert.Equal(t, 2, r.code, "stderr: %s", r.err)
	assert.Contains(t, r.err, "--ui 127.0.0.1:0")
	assert.Contains(t, r.err, "both a certificate file and a key file")
}
