// Package netaddr parses the addresses genehost listens on and dials:
// unix:///abs/path, unix://rel/path, tcp://host:port and tls://host:port.
// It is shared by the host's listeners and the Go client.
package netaddr

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Scheme is the transport of an address.
type Scheme string

// Schemes. TLS is TCP with TLS on top.
const (
	Unix Scheme = "unix"
	TCP  Scheme = "tcp"
	TLS  Scheme = "tls"
)

// Addr is a parsed address.
type Addr struct {
	Scheme Scheme
	// Path is the socket file path (unix).
	Path string
	// Host and Port are the TCP endpoint (tcp, tls). Host may be empty for
	// all interfaces when listening.
	Host string
	Port int
}

// ErrAddress matches every address parse error.
var ErrAddress = errors.New("invalid address")

// Parse parses an address. Accepted forms:
//
//	unix:///run/genehost.sock   absolute path
//	unix://genehost.sock        relative path
//	tcp://127.0.0.1:7070        TCP
//	tcp://[::1]:7070            TCP, IPv6
//	tls://example.org:7443      TCP with TLS
func Parse(s string) (Addr, error) {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return Addr{}, fmt.Errorf("%w %q: want unix:///path, tcp://host:port or tls://host:port", ErrAddress, s)
	}
	switch Scheme(scheme) {
	case Unix:
		if rest == "" {
			return Addr{}, fmt.Errorf("%w %q: empty socket path", ErrAddress, s)
		}
		return Addr{Scheme: Unix, Path: rest}, nil
	case TCP, TLS:
		host, portStr, err := net.SplitHostPort(rest)
		if err != nil {
			return Addr{}, fmt.Errorf("%w %q: %v", ErrAddress, s, err)
		}
		port, err := strconv.Atoi(portStr)
		if err != nil || port < 0 || port > 65535 {
			return Addr{}, fmt.Errorf("%w %q: port %q is not a number in 0..65535", ErrAddress, s, portStr)
		}
		return Addr{Scheme: Scheme(scheme), Host: host, Port: port}, nil
	}
	return Addr{}, fmt.Errorf("%w %q: unknown scheme %q (want unix, tcp or tls)", ErrAddress, s, scheme)
}

// Network returns the net package network name: "unix" or "tcp".
func (a Addr) Network() string {
	if a.Scheme == Unix {
		return "unix"
	}
	return "tcp"
}

// HostPort returns host:port for TCP addresses and the path for Unix ones.
func (a Addr) HostPort() string {
	if a.Scheme == Unix {
		return a.Path
	}
	return net.JoinHostPort(a.Host, strconv.Itoa(a.Port))
}

// String formats the address back in the form Parse accepts.
func (a Addr) String() string { return string(a.Scheme) + "://" + a.HostPort() }

// IsLoopback reports whether a TCP address names only the local machine
// (a loopback IP or "localhost"). Unix addresses are local by nature.
func (a Addr) IsLoopback() bool {
	if a.Scheme == Unix {
		return true
	}
	if a.Host == "localhost" {
		return true
	}
	ip := net.ParseIP(a.Host)
	return ip != nil && ip.IsLoopback()
}

// FromNet formats a net.Addr (as returned by a listener) as an address.
func FromNet(na net.Addr, tls bool) Addr {
	switch x := na.(type) {
	case *net.UnixAddr:
		return Addr{Scheme: Unix, Path: x.Name}
	case *net.TCPAddr:
		s := TCP
		if tls {
			s = TLS
		}
		return Addr{Scheme: s, Host: x.IP.String(), Port: x.Port}
	}
	return Addr{Scheme: Scheme(na.Network()), Path: na.String()}
}
