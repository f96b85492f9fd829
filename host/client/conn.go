// Package client is the Go client of genehost: it dials a host over a
// Unix socket, TCP or TLS, opens data and control links on its interfaces,
// sends and receives Gene values under the host's flow control, and makes
// control calls. Pool adds reconnection with backoff and failover or
// round-robin across several hosts.
//
// A Conn is one transport; links are multiplexed on it. Every method is
// safe for concurrent use.
package client

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/internal/netaddr"
	"github.com/genehost/genehost/host/internal/session"
	"github.com/genehost/genehost/proto"
)

// Version is the client software version announced in the handshake.
const Version = "0.1.0"

// Config sets up a connection. Zero fields are sensible defaults.
type Config struct {
	// Proto holds the protocol settings: encodings offered (default
	// binary then text), keepalive wish, windows, limits wished.
	Proto proto.Config
	// DialTimeout bounds connecting plus the handshake. Default 10s.
	DialTimeout time.Duration
	// TLS is the configuration for tls:// addresses (server name, root
	// CAs, client certificate). Default: the system roots.
	TLS *tls.Config
	// StallTimeout resets a link on which Send waited this long for
	// credit (SLOW_CONSUMER). Default: never.
	StallTimeout time.Duration
	// Logger receives the client's log lines. Default: none.
	Logger hclog.Logger
}

// Conn is one connection (transport) to a host.
type Conn struct {
	addr string
	cfg  Config
	sess *session.Session
	log  hclog.Logger
}

// Dial connects to addr (unix:///path, tcp://host:port, tls://host:port)
// and runs the handshake.
func Dial(ctx context.Context, addr string, cfg Config) (*Conn, error) {
	a, err := netaddr.Parse(addr)
	if err != nil {
		return nil, err
	}
	if cfg.DialTimeout == 0 {
		cfg.DialTimeout = 10 * time.Second
	}
	if cfg.Proto.Name == "" {
		cfg.Proto.Name = "genehost-go/" + Version
	}
	log := cfg.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	dctx, cancel := context.WithTimeout(ctx, cfg.DialTimeout)
	defer cancel()
	var d net.Dialer
	var conn net.Conn
	switch a.Scheme {
	case netaddr.Unix:
		conn, err = d.DialContext(dctx, "unix", a.Path)
	case netaddr.TCP:
		conn, err = d.DialContext(dctx, "tcp", a.HostPort())
	case netaddr.TLS:
		tc := cfg.TLS.Clone()
		if tc == nil {
			tc = &tls.Config{}
		}
		if tc.ServerName == "" {
			tc.ServerName = a.Host
		}
		td := tls.Dialer{NetDialer: &d, Config: tc}
		conn, err = td.DialContext(dctx, "tcp", a.HostPort())
	default:
		err = fmt.Errorf("unsupported address scheme %q", a.Scheme)
	}
	if err != nil {
		return nil, fmt.Errorf("client: dial %s: %w", addr, err)
	}
	if dl, ok := dctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(dctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	r := proto.NewReader(conn)
	hello := proto.NewHello(cfg.Proto)
	welcome, err := proto.ClientHandshake(r, conn, hello)
	stop()
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("client: handshake with %s: %w", addr, err)
	}
	_ = conn.SetDeadline(time.Time{})
	c := &Conn{addr: addr, cfg: cfg, log: log.With("host", addr)}
	c.sess = session.New(conn, r, session.Config{
		Side:         proto.SideClient,
		Terms:        session.ClientTerms(hello, welcome),
		Proto:        cfg.Proto,
		StallTimeout: cfg.StallTimeout,
		Logger:       c.log,
	})
	return c, nil
}

// Addr returns the address dialed.
func (c *Conn) Addr() string { return c.addr }

// Encoding returns the payload encoding negotiated.
func (c *Conn) Encoding() proto.Encoding { return c.sess.Terms().Encoding }

// Limits returns the limits in force on the transport.
func (c *Conn) Limits() proto.Limits { return c.sess.Terms().Limits }

// HostName returns the software the host announced.
func (c *Conn) HostName() string { return c.sess.Terms().PeerName }

// Done is closed when the connection is closed.
func (c *Conn) Done() <-chan struct{} { return c.sess.Done() }

// Err returns why the connection closed (nil for a graceful close).
func (c *Conn) Err() error { return c.sess.Err() }

// GoingAway reports whether the host asked to drain the connection (it
// opens no new links; Pool reconnects).
func (c *Conn) GoingAway() bool { return c.sess.GoingAway() }

// GoingAwayC is closed when the host asked to drain the connection or the
// connection closed: no new link can be opened on it.
func (c *Conn) GoingAwayC() <-chan struct{} { return c.sess.GoingAwayC() }

// NumLinks returns the links open on the connection.
func (c *Conn) NumLinks() int { return c.sess.NumLinks() }

// Ping measures a round trip at the transport level (PING/PONG).
func (c *Conn) Ping(ctx context.Context) (time.Duration, error) { return c.sess.Ping(ctx) }

// Close closes the connection at once; open links end with an error.
func (c *Conn) Close() error { return c.sess.Close() }

// Shutdown closes gracefully: GOAWAY, then the links finish, then the
// connection closes; at ctx's end the rest is reset.
func (c *Conn) Shutdown(ctx context.Context) error { return c.sess.Shutdown(ctx, "client closing") }

// LinkOptions are the optional settings of a data link.
type LinkOptions struct {
	// Meta is sent in the OPEN (an auth token, for example).
	Meta gene.Props
	// Window is the credit granted to the host on the link (values and
	// bytes); zero fields take the defaults.
	Window proto.WindowConfig
}

// Open opens a data link on interface iface with direction dir (named
// from the host's side: DirSend is a feed from the host, DirRecv a sink
// into it, DirSendRecv both).
func (c *Conn) Open(ctx context.Context, iface string, dir proto.Direction, opts LinkOptions) (*Link, error) {
	return c.open(ctx, iface, proto.SubData, dir, opts)
}

func (c *Conn) open(ctx context.Context, iface string, sub proto.Sub, dir proto.Direction, opts LinkOptions) (*Link, error) {
	sl, acc, err := c.sess.Open(ctx, proto.Open{Interface: iface, Sub: sub, Direction: dir, Meta: opts.Meta}, opts.Window)
	if err != nil {
		var pe *proto.Error
		if errors.As(err, &pe) {
			return nil, &OpenError{Interface: iface, Sub: sub, Err: pe}
		}
		return nil, fmt.Errorf("client: open %s %s on %s: %w", iface, sub, c.addr, err)
	}
	return &Link{conn: c, sl: sl, iface: iface, hash: acc.ManifestHash}, nil
}

// OpenError is a link the host refused (REJECT).
type OpenError struct {
	Interface string
	Sub       proto.Sub
	Err       *proto.Error
}

func (e *OpenError) Error() string {
	return fmt.Sprintf("client: host refused %s link on %q: %v", e.Sub, e.Interface, e.Err)
}

func (e *OpenError) Unwrap() error { return e.Err }

// Code returns the refusal's code.
func (e *OpenError) Code() proto.Code { return e.Err.Code }
