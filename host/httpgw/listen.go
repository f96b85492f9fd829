package httpgw

import (
	"errors"
	"fmt"
	"net"

	"github.com/genehost/genehost/host"
	"github.com/genehost/genehost/host/internal/netaddr"
)

// ListenConfig says where a gateway serves HTTP, and how. It follows the
// exposure rule of the host's protocol listeners (host.ListenerConfig):
// plain HTTP only on a loopback address unless AllowInsecure; HTTPS
// anywhere.
type ListenConfig struct {
	// Addr is HOST:PORT. An empty host, 0.0.0.0 or :: is every
	// interface.
	Addr string
	// CertFile and KeyFile, when set, are the PEM certificate chain and
	// key the gateway serves HTTPS with (TLS 1.2 or later, as the host's
	// tls:// listeners). Both or neither.
	CertFile, KeyFile string
	// ClientCAFile, with a certificate, requires every HTTPS client to
	// present a certificate signed by one of these PEM CAs.
	ClientCAFile string
	// AllowInsecure permits plain HTTP on an address that is not
	// loopback. Without it such a gateway is refused: anyone on the
	// network could read its requests and responses and send their own.
	AllowInsecure bool
}

// ErrInsecure matches the refusal of plain HTTP on a non-loopback
// address.
var ErrInsecure = errors.New("refusing plain HTTP on a non-loopback address")

// TLS reports whether the gateway serves HTTPS.
func (c ListenConfig) TLS() bool { return c.CertFile != "" || c.KeyFile != "" }

// address is the host listener address of c: tcp:// or tls://.
func (c ListenConfig) address() (netaddr.Addr, error) {
	scheme := "tcp://"
	if c.TLS() {
		scheme = "tls://"
	}
	a, err := netaddr.Parse(scheme + c.Addr)
	if err != nil {
		return netaddr.Addr{}, fmt.Errorf("httpgw: address %q: want HOST:PORT: %w", c.Addr, err)
	}
	return a, nil
}

// Validate checks c without opening anything: the address parses, a
// certificate comes with its key, a client CA with a certificate, and
// plain HTTP is on loopback unless AllowInsecure. The loopback test is
// the protocol listeners' (a loopback IP or "localhost"): every other
// spelling (0.0.0.0, ::, an empty host, a name, 127.1) counts as exposed.
func (c ListenConfig) Validate() error {
	a, err := c.address()
	if err != nil {
		return err
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		return fmt.Errorf("httpgw: %s: HTTPS needs both a certificate file and a key file", c.Addr)
	}
	if c.ClientCAFile != "" && !c.TLS() {
		return fmt.Errorf("httpgw: %s: a client CA needs HTTPS (a certificate and a key)", c.Addr)
	}
	if !c.TLS() && !a.IsLoopback() && !c.AllowInsecure {
		return fmt.Errorf("httpgw: %s: %w (anyone on the network could read the requests and responses and send their own); serve HTTPS with a certificate and key, or allow plain HTTP explicitly", c.Addr, ErrInsecure)
	}
	return nil
}

// Listen opens the gateway's listener: TLS when c has a certificate (its
// connections are TLS connections http.Server serves as HTTPS), plain TCP
// otherwise. The TLS settings and the exposure rule are the host's own
// (host.Listen).
func Listen(c ListenConfig) (net.Listener, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	a, err := c.address()
	if err != nil {
		return nil, err
	}
	ln, err := host.Listen(host.ListenerConfig{
		Address:  a.String(),
		CertFile: c.CertFile, KeyFile: c.KeyFile, ClientCAFile: c.ClientCAFile,
		AllowInsecure: c.AllowInsecure,
	})
	if err != nil {
		return nil, fmt.Errorf("httpgw: %w", err)
	}
	return ln, nil
}

// URL is the base URL a listener opened by Listen serves, such as
// https://127.0.0.1:8443.
func (c ListenConfig) URL(ln net.Listener) string {
	if c.TLS() {
		return "https://" + ln.Addr().String()
	}
	return "http://" + ln.Addr().String()
}
