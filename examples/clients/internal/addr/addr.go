// Package addr resolves the -addr flag of the example clients: "-" is the
// Unix socket 'genehost serve' listens on by default, anything else is an
// address client.Dial takes (unix:///path, tcp://host:port, tls://host:port).
// It uses client.ResolveAddress, as the genehost CLI does.
package addr

import "github.com/genehost/genehost/host/client"

// Default is the value of the -addr flag when none is given.
const Default = "-"

// Usage is the -addr flag's help text.
const Usage = `host address: unix:///path, tcp://host:port, or - for the default socket of 'genehost serve'`

// Resolve turns the -addr flag into an address for client.Dial; what it
// cannot resolve is passed on for Dial to report.
func Resolve(a string) string {
	if r, err := client.ResolveAddress(a); err == nil {
		return r
	}
	return a
}
