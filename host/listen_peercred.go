package host

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"syscall"

	"github.com/hashicorp/go-hclog"
)

// PeerCredentials are the ids of the process at the other end of a Unix
// socket, as the kernel recorded them when it connected (not as the peer
// claims them).
type PeerCredentials struct {
	PID int
	UID int
	GID int
}

// String returns "uid=U gid=G pid=P", the form used in logs.
func (p PeerCredentials) String() string {
	return fmt.Sprintf("uid=%d gid=%d pid=%d", p.UID, p.GID, p.PID)
}

// ErrNoPeerCred is returned by PeerCred for a connection that has no
// kernel peer credentials: not a Unix socket, or a platform without them.
var ErrNoPeerCred = errors.New("host: no peer credentials")

// PeerCred returns the kernel's credentials of the peer of c, a Unix
// socket connection such as one accepted from a unix:// listener (or a
// wrapper that exposes it through NetConn, as *tls.Conn does). It fails
// with ErrNoPeerCred for TCP and on platforms without SO_PEERCRED.
func PeerCred(c net.Conn) (PeerCredentials, error) {
	for {
		w, ok := c.(interface{ NetConn() net.Conn })
		if !ok {
			break
		}
		c = w.NetConn()
	}
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return PeerCredentials{}, fmt.Errorf("%w: %T is not a Unix socket connection", ErrNoPeerCred, c)
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return PeerCredentials{}, fmt.Errorf("%w: %w", ErrNoPeerCred, err)
	}
	return peerCred(raw)
}

// peerAllow is the allow-list of a Unix listener.
type peerAllow struct {
	uids, gids []int
	warn       func(msg string, args ...any)
	path       string
}

func newPeerAllow(uids, gids []int, warn func(string, ...any), path string) *peerAllow {
	if warn == nil {
		warn = hclog.Default().Warn
	}
	return &peerAllow{uids: slices.Clone(uids), gids: slices.Clone(gids), warn: warn, path: path}
}

// admit reports whether c's peer is allowed; a refused peer is logged and
// c is closed. A peer whose credentials cannot be read is refused.
func (a *peerAllow) admit(c *net.UnixConn) bool {
	cred, err := PeerCred(c)
	if err != nil {
		a.warn("refused a connection whose peer credentials cannot be read", "socket", a.path, "error", err)
		c.Close()
		return false
	}
	if slices.Contains(a.uids, cred.UID) || slices.Contains(a.gids, cred.GID) {
		return true
	}
	a.warn("refused a peer not in the socket's allow-list", "socket", a.path, "uid", cred.UID, "gid", cred.GID, "pid", cred.PID)
	c.Close()
	return false
}

// rawConn is the part of syscall.RawConn peerCred uses.
type rawConn = syscall.RawConn
