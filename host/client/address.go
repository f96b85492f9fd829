package client

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// DefaultSocket is the Unix socket `genehost serve` listens on when given
// no --listen: $XDG_RUNTIME_DIR/genehost/genehost.sock, else
// $TMPDIR/genehost-$UID/genehost.sock.
func DefaultSocket() string {
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "genehost", "genehost.sock")
	}
	return filepath.Join(os.TempDir(), "genehost-"+strconv.Itoa(os.Getuid()), "genehost.sock")
}

// ResolveAddress turns what a user typed into an address Dial takes: "-"
// is the default socket of `genehost serve` (DefaultSocket), a path
// (absolute, or starting with ./ or ../) a Unix socket, and anything with a
// scheme (unix://, tcp://, tls://) is kept as it is.
func ResolveAddress(a string) (string, error) {
	switch {
	case a == "":
		return "", errors.New("empty address")
	case a == "-":
		return "unix://" + DefaultSocket(), nil
	case strings.Contains(a, "://"):
		return a, nil
	case strings.HasPrefix(a, "/") || strings.HasPrefix(a, "./") || strings.HasPrefix(a, "../"):
		abs, err := filepath.Abs(a)
		if err != nil {
			return "", err
		}
		return "unix://" + abs, nil
	}
	return "", fmt.Errorf("address %q: want unix:///path, tcp://host:port, tls://host:port, a socket path, or - for the default socket", a)
}
