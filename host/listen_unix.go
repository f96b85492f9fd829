//go:build unix

package host

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// maxSocketPath is the room in sockaddr_un.sun_path, less the NUL.
const maxSocketPath = 107

// listenUnix binds a Unix socket at path with c's mode and ownership. To
// avoid a window where the socket exists with the umask's permissions or
// the wrong owner, it binds a temporary name in the same directory, sets
// mode and owner, then renames it into place (connect resolves the name,
// so the rename is atomic to clients).
func listenUnix(path string, c ListenerConfig) (net.Listener, error) {
	mode := c.SocketMode
	if mode == 0 {
		mode = 0o600
	}
	uid, gid, err := socketOwner(c.SocketOwner, c.SocketGroup)
	if err != nil {
		return nil, fmt.Errorf("%w unix://%s: %w", ErrListen, path, err)
	}
	if len(path) > maxSocketPath {
		return nil, fmt.Errorf("%w unix://%s: path is %d bytes, longer than the %d a Unix socket allows", ErrListen, path, len(path), maxSocketPath)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("%w unix://%s: create directory: %w", ErrListen, path, err)
	}
	if err := removeStaleSocket(path); err != nil {
		return nil, fmt.Errorf("%w unix://%s: %w", ErrListen, path, err)
	}
	tmp := filepath.Join(dir, "."+filepath.Base(path)+".tmp"+strconv.Itoa(os.Getpid()))
	if len(tmp) > maxSocketPath {
		tmp = path // no room for a temporary name: bind in place
	}
	_ = os.Remove(tmp) // a leftover from an earlier crash of this same pid
	ul, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("%w unix://%s: %w", ErrListen, path, err)
	}
	ul.SetUnlinkOnClose(false) // we unlink the final name ourselves
	if err := os.Chmod(tmp, mode); err != nil {
		ul.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("%w unix://%s: set mode %o: %w", ErrListen, path, mode, err)
	}
	if uid != -1 || gid != -1 {
		if err := os.Lchown(tmp, uid, gid); err != nil {
			ul.Close()
			os.Remove(tmp)
			return nil, fmt.Errorf("%w unix://%s: set owner %s group %s (changing the owner needs privilege; the group must be one of this process's): %w",
				ErrListen, path, orDash(c.SocketOwner), orDash(c.SocketGroup), err)
		}
	}
	if tmp != path {
		if err := os.Rename(tmp, path); err != nil {
			ul.Close()
			os.Remove(tmp)
			return nil, fmt.Errorf("%w unix://%s: %w", ErrListen, path, err)
		}
	}
	fi, err := os.Lstat(path)
	if err != nil {
		ul.Close()
		return nil, fmt.Errorf("%w unix://%s: %w", ErrListen, path, err)
	}
	l := &unixListener{ul: ul, path: path, file: fi}
	if len(c.AllowUIDs) > 0 || len(c.AllowGIDs) > 0 {
		l.allow = newPeerAllow(c.AllowUIDs, c.AllowGIDs, c.Warn, path)
	}
	return l, nil
}

// socketOwner resolves the configured owner and group to ids; -1 leaves
// one unchanged.
func socketOwner(owner, group string) (uid, gid int, err error) {
	uid, gid = -1, -1
	if owner != "" {
		if uid, err = lookupID(owner, "owner", func(s string) (string, error) {
			u, err := user.Lookup(s)
			if err != nil {
				return "", err
			}
			return u.Uid, nil
		}); err != nil {
			return 0, 0, err
		}
	}
	if group != "" {
		if gid, err = lookupID(group, "group", func(s string) (string, error) {
			g, err := user.LookupGroup(s)
			if err != nil {
				return "", err
			}
			return g.Gid, nil
		}); err != nil {
			return 0, 0, err
		}
	}
	return uid, gid, nil
}

// lookupID reads a decimal id, or looks a name up.
func lookupID(s, what string, lookup func(string) (string, error)) (int, error) {
	if id, err := strconv.ParseUint(s, 10, 32); err == nil {
		return int(id), nil
	}
	idText, err := lookup(s)
	if err != nil {
		return 0, fmt.Errorf("socket %s %q: %w", what, s, err)
	}
	id, err := strconv.ParseUint(idText, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("socket %s %q has id %q, not a number", what, s, idText)
	}
	return int(id), nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// removeStaleSocket removes a socket file at path that no process listens
// on. A file that is not a socket, or a socket that accepts connections, is
// left alone and reported.
func removeStaleSocket(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.Mode()&os.ModeSocket == 0 {
		return fmt.Errorf("%s exists and is not a socket; refusing to replace it", path)
	}
	c, err := net.DialTimeout("unix", path, time.Second)
	if err == nil {
		c.Close()
		return fmt.Errorf("another process is listening on %s (is genehost already running?)", path)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("cannot tell whether %s is in use: %w", path, err)
	}
	// Nobody is listening: the file is left over from a process that died.
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove stale socket: %w", err)
	}
	return nil
}

// unixListener removes its socket file on Close, once, and refuses peers
// outside its allow-list in Accept. It does not embed *net.UnixListener,
// so no method (AcceptUnix) can bypass the check.
type unixListener struct {
	ul    *net.UnixListener
	path  string
	file  os.FileInfo // the socket file we created, to recognise it on Close
	allow *peerAllow  // nil: every peer that can open the file may connect
	once  sync.Once
}

// Accept waits for the next allowed peer. A refused peer is logged and
// closed here and Accept keeps waiting, so a Serve loop never sees it.
func (l *unixListener) Accept() (net.Conn, error) {
	for {
		c, err := l.ul.AcceptUnix()
		if err != nil {
			return nil, err
		}
		if l.allow == nil || l.allow.admit(c) {
			return c, nil
		}
	}
}

func (l *unixListener) Close() error {
	err := l.ul.Close()
	l.once.Do(func() {
		// Only unlink if the file is still ours: another process may have
		// replaced it with a socket of its own.
		if fi, statErr := os.Lstat(l.path); statErr == nil && os.SameFile(fi, l.file) {
			os.Remove(l.path)
		}
	})
	return err
}

// Addr reports the final socket path, not the temporary bind name.
func (l *unixListener) Addr() net.Addr { return &net.UnixAddr{Name: l.path, Net: "unix"} }
