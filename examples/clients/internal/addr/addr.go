// Package addr resolves the -addr flag of the example clients: "-" is the
// Unix socket 'genehost serve' listens on by default, anything else is an
// address client.Dial takes (unix:///path, tcp://host:port, tls://host:port).
//
// The default mirrors `genehost serve --help`: the socket is
// $XDG_RUNTIME_DIR/genehost/genehost.sock, else
// $TMPDIR/genehost-$UID/genehost.sock.
package addr

import (
	"os"
	"path/filepath"
	"strconv"
)

// Default is the value of the -addr flag when none is given.
const Default = "-"

// Usage is the -addr flag's help text.
const Usage = `host address: unix:///path, tcp://host:port, or - for the default socket of 'genehost serve'`

// Resolve turns the -addr flag into an address for client.Dial.
func Resolve(a string) string {
	if a != Default {
		return a
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		return "unix://" + filepath.Join(d, "genehost", "genehost.sock")
	}
	return "unix://" + filepath.Join(os.TempDir(), "genehost-"+strconv.Itoa(os.Getuid()), "genehost.sock")
}
