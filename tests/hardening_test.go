package tests

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestServeHTTPRefusesPlainHTTPOffLoopback: --http on an address that is
// not loopback is a usage error naming the ways out, before anything is
// served; --insecure allows it.
func TestServeHTTPRefusesPlainHTTPOffLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0", "127.1:0", "localhost.:0"} {
		sock := filepath.Join(t.TempDir(), "g.sock")
		r := gh(t, nil, "", "serve", "--plugins", t.TempDir(), "--listen", "unix://"+sock, "--http", addr)
		assert.Equal(t, 2, r.code, "%s: %s", addr, r.err)
		assert.Contains(t, r.err, "--http "+addr+": refusing plain HTTP on a non-loopback address", addr)
		assert.Contains(t, r.err, "--http-cert and --http-key", addr)
		assert.Contains(t, r.err, "--insecure", addr)
		assert.NotContains(t, r.out, "listening on", "nothing is served: %s", addr)
	}
	r := gh(t, nil, "", "serve", "--plugins", t.TempDir(), "--http", "127.0.0.1:0", "--http-cert", "c.pem")
	assert.Equal(t, 2, r.code, r.err)
	assert.Contains(t, r.err, "both a certificate file and a key file")
	r = gh(t, nil, "", "serve", "--plugins", t.TempDir(), "--http-cert", "c.pem", "--http-key", "k.pem")
	assert.Equal(t, 2, r.code, r.err)
	assert.Contains(t, r.err, "apply to --http gateways")

	d := serve(t, serveOpts{http: true, httpAt: "0.0.0.0:0", args: []string{"--insecure"}})
	u, err := url.Parse(d.HTTP)
	require.NoError(t, err)
	require.Equal(t, "http", u.Scheme)
	assert.Equal(t, "[]\n", httpGet(t, http.DefaultClient, "http://127.0.0.1:"+u.Port()+"/api/notes"))
}

// TestServeHTTPOverTLS: with --http-cert and --http-key the gateway
// serves HTTPS on a non-loopback address without --insecure, and plain
// HTTP is not answered by the interface there.
func TestServeHTTPOverTLS(t *testing.T) {
	cert, key, pool := selfSigned(t)
	d := serve(t, serveOpts{http: true, httpAt: "0.0.0.0:0", args: []string{"--http-cert", cert, "--http-key", key}})
	u, err := url.Parse(d.HTTP)
	require.NoError(t, err)
	require.Equal(t, "https", u.Scheme, d.HTTP)
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer c.CloseIdleConnections()
	base := "https://127.0.0.1:" + u.Port()
	assert.Equal(t, "[]\n", httpGet(t, c, base+"/api/notes"))

	resp, err := http.Get("http://127.0.0.1:" + u.Port() + "/api/notes")
	if err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "plain HTTP to the HTTPS gateway: %s", body)
		assert.NotEqual(t, "[]\n", string(body))
	}
	// A client that does not trust the certificate fails the handshake.
	_, err = http.Get(base + "/api/notes")
	require.Error(t, err)
}

// TestTokensFromFileAndEnvironment: serve takes --token IFACE=@FILE and
// IFACE=env:NAME without a warning and IFACE=SECRET with one; the client
// commands take --token the same ways (warning for a literal one); $sys
// lists a protected interface only with its token; ctl, manifest, send and
// ls reach a protected interface with --token.
func TestTokensFromFileAndEnvironment(t *testing.T) {
	dir := t.TempDir()
	echoFile := filepath.Join(dir, "echo.token")
	require.NoError(t, os.WriteFile(echoFile, []byte("echo-secret\n"), 0o600))
	t.Setenv("GENEHOST_TEST_KV_TOKEN", "kv-secret")
	d := serve(t, serveOpts{args: []string{"--token", "echo=@" + echoFile, "--token", "kv=env:GENEHOST_TEST_KV_TOKEN", "--token", "queue=queue-secret"}})

	log := d.Log.String()
	assert.Contains(t, log, "the --token secret of queue is given literally on the command line")
	assert.Contains(t, log, "queue=@FILE or queue=env:NAME")
	assert.NotContains(t, log, "secret of echo")
	assert.NotContains(t, log, "secret of kv")
	for _, s := range []string{"echo-secret", "kv-secret", "queue-secret"} {
		assert.NotContains(t, log, s, "the log never shows a secret")
	}

	// The file's token and the environment's open their interfaces, silently.
	r := gh(t, d, "", "call", "-", "echo", "(hi)", "--token", "@"+echoFile)
	assert.Equal(t, 0, r.code, r.err)
	assert.Equal(t, "(hi)\n", r.out)
	assert.Empty(t, r.err)
	r = gh(t, d, "", "call", d.TCP, "kv", `(set ^key "a" ^value 1)`, "--token", "env:GENEHOST_TEST_KV_TOKEN")
	assert.Equal(t, 0, r.code, r.err)
	assert.Empty(t, r.err)
	// A literal one works and warns; none, or another interface's, is refused.
	r = gh(t, d, "", "call", "-", "queue", `(publish ^topic "t" ^value 1)`, "--token", "queue-secret")
	assert.Equal(t, 0, r.code, r.err)
	assert.Contains(t, r.err, "genehost call: warning: --token is given literally on the command line")
	assert.Contains(t, r.err, "--token @FILE or --token env:NAME")
	r = gh(t, d, "", "call", "-", "echo", "(hi)")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.err, "UNAUTHORIZED")
	r = gh(t, d, "", "call", "-", "echo", "(hi)", "--token", "env:GENEHOST_TEST_KV_TOKEN")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.err, "wrong ^token")
	r = gh(t, d, "", "call", "-", "echo", "(hi)", "--token", "env:GENEHOST_TEST_UNSET")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.err, "environment variable GENEHOST_TEST_UNSET is not set")

	// $sys shows a client only what it may open.
	names := func(out string) []string {
		var got []string
		for _, l := range strings.Split(out, "\n")[1:] {
			if f := strings.Fields(l); len(f) > 0 && f[0] != "listening" {
				got = append(got, f[0])
			}
		}
		return got
	}
	assert.Equal(t, []string{"web"}, names(ok(t, d, "", "ls", "-")))
	assert.Equal(t, []string{"echo", "web"}, names(ok(t, d, "", "ls", "-", "--token", "@"+echoFile)))
	assert.Equal(t, []string{"kv", "web"}, names(ok(t, d, "", "ls", d.TCP, "--token", "env:GENEHOST_TEST_KV_TOKEN")))
	out := ok(t, d, "", "ctl", "-", "$sys", "interfaces", "--token", "@"+echoFile)
	assert.Contains(t, out, `^name "echo"`)
	assert.NotContains(t, out, `^name "kv"`)
	assert.NotContains(t, out, `^name "queue"`)

	// ctl and manifest reach a protected interface with --token only.
	r = gh(t, d, "", "ctl", "-", "kv", "count")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.err, "UNAUTHORIZED")
	assert.Equal(t, "1\n", ok(t, d, "", "ctl", "-", "kv", "count", "--token", "env:GENEHOST_TEST_KV_TOKEN"))
	r = gh(t, d, "", "manifest", "-", "echo")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.err, "UNAUTHORIZED")
	assert.Contains(t, ok(t, d, "", "manifest", "-", "echo", "--token", "@"+echoFile), `^name "echo"`)
	// send asks the manifest for the direction with the token too.
	r = gh(t, d, "(one)\n(two)\n", "send", "-", "echo", "--token", "@"+echoFile)
	assert.Equal(t, 0, r.code, r.err)
	assert.Equal(t, "(one)\n(two)\n", r.out)
}

// httpGet returns the body of a 200 response to GET url.
func httpGet(t *testing.T, c *http.Client, url string) string {
	t.Helper()
	resp, err := c.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
	return string(b)
}

// selfSigned writes a self-signed certificate for 127.0.0.1 and localhost
// and its key, and returns their paths and a pool trusting it.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "genehost e2e"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	kder, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600))
	c, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool = x509.NewCertPool()
	pool.AddCert(c)
	return certFile, keyFile, pool
}
