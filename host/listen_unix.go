//go:build unix

package host

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// maxSocketPath is the room in sockaddr_un.sun_path, less the NUL.
const maxSocketPath = 107

// listenUnix binds a Unix socket at path with the given mode. To avoid a
// window where the socket exists with the umask's permissions, it binds a
// temporary name in the same directory, sets the mode, then renames it
// into place (connect resolves the name, so the rename is atomic to
// clients).
func listenUnix(path string, mode os.FileMode) (net.Listener, error) {
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
	return &unixListener{UnixListener: ul, path: path, file: fi}, nil
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

// unixListener removes its socket file on Close, once.
type unixListener struct {
	*net.UnixListener
	path string
	file os.FileInfo // the socket file we created, to recognise it on Close
	once sync.Once
}

func (l *unixListener) Close() error {
	err := l.UnixListener.Close()
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
