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
	// SocketOwner and SocketGroup, when set, are the owner and group given
	// to a Unix socket file, as a name or a decimal id. Changing the owner
	// needs privilege (CAP_CHOWN); an unprivileged process may set the
	// group to one it belongs to. A change that is not permitted fails
	// Listen: the socket is never served with other ownership than asked.
	SocketOwner, SocketGroup string
	// AllowUIDs and AllowGIDs, when either is non-empty, restrict a Unix
	// socket to peers whose user id is in AllowUIDs or whose group id is
	// in AllowGIDs, as the kernel reports them for the connecting process
	// (SO_PEERCRED: the effective ids at connect time; supplementary
	// groups are not seen). Other peers are closed as soon as they are
	// accepted, before any byte is read, and logged with their uid, gid
	// and pid. Empty: the file mode and owner alone decide who connects.
	// Only valid on unix:// addresses, on Linux.
	AllowUIDs, AllowGIDs []int
	// Warn logs a refused peer, with key-value pairs: the signature of
	// hclog.Logger.Warn. Server.Listen passes its Config.Logger's when
	// this is nil; Listen alone defaults to hclog.Default().Warn.
	Warn func(msg string, args ...any)

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

// Validate checks c without opening anything: the address parses, the
// Unix-only settings are not given for TCP, ids are not negative, and the
// peer allow-list is supported on this platform.
func (c ListenerConfig) Validate() error {
	a, err := netaddr.Parse(c.Address)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrListen, err)
	}
	if a.Scheme != netaddr.Unix {
		if c.SocketOwner != "" || c.SocketGroup != "" || c.SocketMode != 0 || len(c.AllowUIDs) > 0 || len(c.AllowGIDs) > 0 {
			return fmt.Errorf("%w %s: socket mode, owner, group and peer allow-lists apply to unix:// addresses only", ErrListen, a)
		}
		return nil
	}
	if c.SocketMode&^os.ModePerm != 0 {
		return fmt.Errorf("%w %s: socket mode %v has bits other than permissions", ErrListen, a, c.SocketMode)
	}
	for _, ids := range []struct {
		what string
		ids  []int
	}{{"uid", c.AllowUIDs}, {"gid", c.AllowGIDs}} {
		for _, id := range ids.ids {
			if id < 0 || id > 1<<32-2 {
				return fmt.Errorf("%w %s: allowed %s %d is out of range", ErrListen, a, ids.what, id)
			}
		}
	}
	if (len(c.AllowUIDs) > 0 || len(c.AllowGIDs) > 0) && !peerCredSupported {
		return fmt.Errorf("%w %s: a peer allow-list needs the kernel's peer credentials, which this platform does not provide here", ErrListen, a)
	}
	return nil
}

// Listen opens the listener described by c. Unix sockets are created with
// SocketMode, SocketOwner and SocketGroup before any client can connect; a
// socket file left behind by a dead process is replaced, while one held by
// a live process is refused. With a peer allow-list, Accept returns only
// allowed peers: refused ones are logged and closed, and Accept goes on
// waiting.
func Listen(c ListenerConfig) (net.Listener, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	a, err := netaddr.Parse(c.Address)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrListen, err)
	}
	switch a.Scheme {
	case netaddr.Unix:
		return listenUnix(a.Path, c)
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
