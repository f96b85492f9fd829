package httpgw_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host"
	"github.com/genehost/genehost/host/httpgw"
	"github.com/genehost/genehost/host/internal/testcert"
)

// exposed are spellings of addresses that are not (provably) loopback:
// plain HTTP on any of them is refused without AllowInsecure.
var exposed = []string{
	"0.0.0.0:0", ":0", "[::]:0", "[0:0:0:0:0:0:0:0]:0", "[::ffff:0.0.0.0]:0",
	"0:0", "0.0.0.0.:0", "10.0.0.1:0", "192.168.1.10:0", "[fe80::1]:0",
	"[::ffff:10.0.0.1]:0", "example.org:0", "localhost.:0", "127.1:0",
	"0x7f000001:0", "2130706433:0", "017700000001:0", "[::1%lo]:0",
}

func TestListenRefusesPlainHTTPOffLoopback(t *testing.T) {
	for _, addr := range exposed {
		ln, err := httpgw.Listen(httpgw.ListenConfig{Addr: addr})
		if ln != nil {
			ln.Close()
		}
		require.Error(t, err, addr)
		assert.True(t, errors.Is(err, httpgw.ErrInsecure), "%s: %v", addr, err)
		assert.ErrorContains(t, err, "serve HTTPS with a certificate and key, or allow plain HTTP explicitly", addr)
		// With a certificate it is allowed (not opened here).
		assert.NoError(t, httpgw.ListenConfig{Addr: addr, CertFile: "c.pem", KeyFile: "k.pem"}.Validate(), addr)
	}
	for _, addr := range []string{"127.0.0.1:0", "127.0.0.2:0", "[::1]:0", "[::ffff:127.0.0.1]:0", "localhost:0"} {
		assert.NoError(t, httpgw.ListenConfig{Addr: addr}.Validate(), addr)
	}
	ln, err := httpgw.Listen(httpgw.ListenConfig{Addr: "127.0.0.1:0"})
	require.NoError(t, err)
	ln.Close()
	ln, err = httpgw.Listen(httpgw.ListenConfig{Addr: "0.0.0.0:0", AllowInsecure: true})
	require.NoError(t, err, "allowed explicitly")
	ln.Close()

	for _, tc := range []struct {
		cfg  httpgw.ListenConfig
		want string
	}{
		{httpgw.ListenConfig{Addr: "8080"}, "want HOST:PORT"},
		{httpgw.ListenConfig{Addr: "127.0.0.1:0", CertFile: "c.pem"}, "both a certificate file and a key file"},
		{httpgw.ListenConfig{Addr: "127.0.0.1:0", ClientCAFile: "ca.pem"}, "a client CA needs HTTPS"},
		{httpgw.ListenConfig{Addr: "127.0.0.1:0", CertFile: "/nonexistent.pem", KeyFile: "/nonexistent.key"}, "load certificate /nonexistent.pem"},
	} {
		_, err := httpgw.Listen(tc.cfg)
		assert.ErrorContains(t, err, tc.want)
	}
}

// TestListenServesHTTPS: with a certificate the gateway serves HTTPS
// (a plain HTTP request to it gets no gateway response); with a client CA
// a client without a certificate signed by it fails the handshake.
func TestListenServesHTTPS(t *testing.T) {
	certs := testcert.Write(t)
	addr := startHost(t, map[string]host.Handler{"web": respond(func(req gene.Value) gene.Value {
		return withID(req, gene.MustParse(`(response ^body "over tls")`))
	})})
	gw, err := httpgw.New(httpgw.Config{Addr: addr})
	require.NoError(t, err)
	t.Cleanup(func() { gw.Close() })
	caPEM, err := os.ReadFile(certs.CA)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(caPEM))
	clientCert, err := tls.LoadX509KeyPair(certs.ClientCert, certs.ClientKey)
	require.NoError(t, err)

	serveOn := func(cfg httpgw.ListenConfig) string {
		ln, err := httpgw.Listen(cfg)
		require.NoError(t, err)
		hs := &http.Server{Handler: gw}
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = hs.Serve(ln)
		}()
		t.Cleanup(func() {
			hs.Close()
			<-done
		})
		return cfg.URL(ln)
	}
	get := func(c *http.Client, url string) (string, error) {
		resp, err := c.Get(url)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	client := func(certs ...tls.Certificate) *http.Client {
		return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: certs}}}
	}

	url := serveOn(httpgw.ListenConfig{Addr: "127.0.0.1:0", CertFile: certs.ServerCert, KeyFile: certs.ServerKey})
	require.True(t, strings.HasPrefix(url, "https://127.0.0.1:"), url)
	body, err := get(client(), url+"/")
	require.NoError(t, err)
	assert.Equal(t, "over tls", body)
	body, err = get(http.DefaultClient, "http"+strings.TrimPrefix(url, "https")+"/")
	if err == nil {
		assert.NotContains(t, body, "over tls", "plain HTTP is not served on an HTTPS gateway")
	}

	url = serveOn(httpgw.ListenConfig{Addr: "127.0.0.1:0", CertFile: certs.ServerCert, KeyFile: certs.ServerKey, ClientCAFile: certs.CA})
	_, err = get(client(), url+"/")
	require.Error(t, err, "no client certificate")
	body, err = get(client(clientCert), url+"/")
	require.NoError(t, err)
	assert.Equal(t, "over tls", body)
}
