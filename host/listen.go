package host

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"

	"github.com/genehost/genehost/host/internal/netaddr"
)

// ListenerConfig describes one listening socket. The zero value of every
// field but Address is a sensible default.
type ListenerConfig struct {
	// Address is unix:///path, tcp://host:port or tls://host:port.
	Address string

	// SocketMode is the permission of a Unix socket file. Default 0600
	// (only the owner may connect).
	SocketMode os.FileMode

	// CertFile and KeyFile are the PEM certificate chain and key for a
	// tls:// address. Required for tls://.
	CertFile, KeyFile string
	// ClientCAFile, when set on a tls:// address, requires every client to
	// present a certificate signed by one of these PEM CAs.
	ClientCAFile string

	// AllowInsecure permits a plain tcp:// listener on a non-loopback
	// address. Without it, such a listener is refused: anyone on the
	// network could connect and read or inject values.
	AllowInsecure bool
}

// ErrListen matches every error opening a listener.
var ErrListen = errors.New("host: listen")

// Listen opens the listener described by c. Unix sockets are created with
// SocketMode before any client can connect; a socket file left behind by a
// dead process is replaced, while one held by a live process is refused.
func Listen(c ListenerConfig) (net.Listener, error) {
	a, err := netaddr.Parse(c.Address)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrListen, err)
	}
	switch a.Scheme {
	case netaddr.Unix:
		mode := c.SocketMode
		if mode == 0 {
			mode = 0o600
		}
		return listenUnix(a.Path, mode)
	case netaddr.TCP:
		if !a.IsLoopback() && !c.AllowInsecure {
			return nil, fmt.Errorf("%w %s: refusing plain TCP on a non-loopback address; use tls:// with a certificate, or allow it explicitly (--insecure)", ErrListen, a)
		}
		l, err := net.Listen("tcp", a.HostPort())
		if err != nil {
			return nil, fmt.Errorf("%w %s: %w", ErrListen, a, err)
		}
		return l, nil
	case netaddr.TLS:
		cfg, err := serverTLS(c)
		if err != nil {
			return nil, fmt.Errorf("%w %s: %w", ErrListen, a, err)
		}
		l, err := tls.Listen("tcp", a.HostPort(), cfg)
		if err != nil {
			return nil, fmt.Errorf("%w %s: %w", ErrListen, a, err)
		}
		return l, nil
	}
	return nil, fmt.Errorf("%w %s: unsupported scheme", ErrListen, a)
}

func serverTLS(c ListenerConfig) (*tls.Config, error) {
	if c.CertFile == "" || c.KeyFile == "" {
		return nil, errors.New("tls:// needs a certificate file and a key file")
	}
	cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("load certificate %s: %w", c.CertFile, err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if c.ClientCAFile != "" {
		pem, err := os.ReadFile(c.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("read client CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("client CA file %s holds no PEM certificate", c.ClientCAFile)
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}
