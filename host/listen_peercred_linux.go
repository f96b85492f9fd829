package host

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// peerCredSupported: Linux reports peer credentials with SO_PEERCRED.
const peerCredSupported = true

func peerCred(raw rawConn) (PeerCredentials, error) {
	var (
		cred *unix.Ucred
		err  error
	)
	if cerr := raw.Control(func(fd uintptr) {
		cred, err = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); cerr != nil {
		return PeerCredentials{}, fmt.Errorf("%w: %w", ErrNoPeerCred, cerr)
	}
	if err != nil {
		return PeerCredentials{}, fmt.Errorf("%w: SO_PEERCRED: %w", ErrNoPeerCred, err)
	}
	return PeerCredentials{PID: int(cred.Pid), UID: int(cred.Uid), GID: int(cred.Gid)}, nil
}
