//go:build !linux

package host

import (
	"fmt"
	"runtime"
)

// peerCredSupported: only the Linux SO_PEERCRED path is implemented.
const peerCredSupported = false

func peerCred(rawConn) (PeerCredentials, error) {
	return PeerCredentials{}, fmt.Errorf("%w: not implemented on %s", ErrNoPeerCred, runtime.GOOS)
}
