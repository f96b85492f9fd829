package host

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/host/internal/testcert"
)

func TestListenUnixModeAndCleanup(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "g.sock")
	l, err := Listen(ListenerConfig{Address: "unix://" + path, SocketMode: 0o640})
	require.NoError(t, err)
	fi, err := os.Lstat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o640), fi.Mode().Perm())
	require.NotZero(t, fi.Mode()&os.ModeSocket)
	require.Equal(t, path, l.Addr().String())

	// It accepts real connections at the final path.
	go func() {
		c, err := net.Dial("unix", path)
		if err == nil {
			c.Write([]byte("hi"))
			c.Close()
		}
	}()
	c, err := l.Accept()
	require.NoError(t, err)
	b, _ := io.ReadAll(c)
	require.Equal(t, "hi", string(b))
	c.Close()

	require.NoError(t, l.Close())
	_, err = os.Lstat(path)
	require.True(t, errors.Is(err, os.ErrNotExist), "socket file removed on Close")
	entries, _ := os.ReadDir(filepath.Dir(path))
	require.Empty(t, entries, "no temporary bind name left behind")
}

func TestListenUnixDefaultMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "g.sock")
	l, err := Listen(ListenerConfig{Address: "unix://" + path})
	require.NoError(t, err)
	defer l.Close()
	fi, err := os.Lstat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
}

func TestListenUnixStaleReplacedLiveRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "g.sock")

	// A process that died leaves its socket file behind: simulate it with a
	// listener that closes without unlinking.
	dead, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	require.NoError(t, err)
	dead.SetUnlinkOnClose(false)
	require.NoError(t, dead.Close())
	_, err = os.Lstat(path)
	require.NoError(t, err, "stale socket file present")

	l, err := Listen(ListenerConfig{Address: "unix://" + path})
	require.NoError(t, err, "stale socket replaced")
	defer l.Close()

	// While it is live, a second listener on the same path is refused.
	_, err = Listen(ListenerConfig{Address: "unix://" + path})
	require.ErrorIs(t, err, ErrListen)
	require.ErrorContains(t, err, "another process is listening")

	// The live listener still works after the refused attempt.
	go func() {
		if c, err := net.Dial("unix", path); err == nil {
			c.Close()
		}
	}()
	c, err := l.Accept()
	require.NoError(t, err)
	c.Close()
}

func TestListenUnixRefusesNonSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "precious.txt")
	require.NoError(t, os.WriteFile(path, []byte("data"), 0o600))
	_, err := Listen(ListenerConfig{Address: "unix://" + path})
	require.ErrorContains(t, err, "is not a socket")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "data", string(b), "file untouched")
}

func TestListenUnixPathTooLong(t *testing.T) {
	long := filepath.Join(t.TempDir(), strings.Repeat("x", 120))
	_, err := Listen(ListenerConfig{Address: "unix://" + long})
	require.ErrorContains(t, err, "longer than the 107")
}

func TestListenTCP(t *testing.T) {
	l, err := Listen(ListenerConfig{Address: "tcp://127.0.0.1:0"})
	require.NoError(t, err)
	defer l.Close()
	require.Contains(t, l.Addr().String(), "127.0.0.1:")

	_, err = Listen(ListenerConfig{Address: "tcp://0.0.0.0:0"})
	require.ErrorContains(t, err, "refusing plain TCP on a non-loopback address")

	l2, err := Listen(ListenerConfig{Address: "tcp://0.0.0.0:0", AllowInsecure: true})
	require.NoError(t, err)
	l2.Close()

	_, err = Listen(ListenerConfig{Address: "udp://x:1"})
	require.ErrorContains(t, err, "unknown scheme")
}

func TestListenTLSWithClientCertificates(t *testing.T) {
	certs := testcert.Write(t)
	_, err := Listen(ListenerConfig{Address: "tls://127.0.0.1:0"})
	require.ErrorContains(t, err, "needs a certificate file")

	l, err := Listen(ListenerConfig{Address: "tls://127.0.0.1:0", CertFile: certs.ServerCert, KeyFile: certs.ServerKey, ClientCAFile: certs.CA})
	require.NoError(t, err)
	defer l.Close()

	pool := x509.NewCertPool()
	caPEM, _ := os.ReadFile(certs.CA)
	pool.AppendCertsFromPEM(caPEM)
	served := make(chan string, 2)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			b := make([]byte, 2)
			_, err = io.ReadFull(c, b)
			if err != nil {
				served <- "error: " + err.Error()
			} else {
				served <- string(b)
			}
			c.Close()
		}
	}()

	// Without a client certificate the handshake fails.
	c, err := tls.Dial("tcp", l.Addr().String(), &tls.Config{RootCAs: pool})
	if err == nil {
		_, err = c.Write([]byte("no"))
		_, rerr := c.Read(make([]byte, 1))
		c.Close()
		require.Error(t, rerr)
	}
	require.Contains(t, <-served, "error")

	// With one it succeeds.
	cert, err := tls.LoadX509KeyPair(certs.ClientCert, certs.ClientKey)
	require.NoError(t, err)
	c, err = tls.Dial("tcp", l.Addr().String(), &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}})
	require.NoError(t, err)
	_, err = c.Write([]byte("ok"))
	require.NoError(t, err)
	require.Equal(t, "ok", <-served)
	c.Close()
}
