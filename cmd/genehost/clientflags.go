package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/genehost/genehost/gene"
)

// clientFlags are the flags every client command takes besides its own:
// the links' metadata (--meta, --token) and TLS (--ca, --cert, --key,
// --server-name).
type clientFlags struct {
	meta                      *metaFlags
	ca, cert, key, serverName string
}

const tlsHelp = `
For tls:// addresses, --ca FILE trusts the CA certificates in FILE (PEM)
instead of the system's (a self-signed host certificate is its own CA),
--cert FILE and --key FILE present a client certificate (a host started
with 'serve --client-ca' requires one), and --server-name NAME checks the
host's certificate for NAME instead of the address's host.`

// addClientFlags registers the client flags on fs.
func addClientFlags(fs *flag.FlagSet) *clientFlags {
	f := &clientFlags{meta: addMetaFlags(fs)}
	fs.StringVar(&f.ca, "ca", "", "tls:// only: PEM file of the CA certificates to trust instead of the system's")
	fs.StringVar(&f.cert, "cert", "", "tls:// only: PEM client certificate chain to present (with --key)")
	fs.StringVar(&f.key, "key", "", "tls:// only: PEM private key of --cert")
	fs.StringVar(&f.serverName, "server-name", "", "tls:// only: the name the host's certificate must carry (default: the address's host)")
	return f
}

// target resolves addr (the ADDR argument) and builds the client
// configuration of the flags; errors are usage errors.
func (f *clientFlags) target(addr string) (target, error) {
	a, err := resolveAddr(addr)
	if err != nil {
		return target{}, err
	}
	t := target{arg: addr, addr: a}
	if f.ca == "" && f.cert == "" && f.key == "" && f.serverName == "" {
		return t, nil
	}
	if !strings.HasPrefix(a, "tls://") {
		return target{}, fmt.Errorf("--ca, --cert, --key and --server-name apply to tls:// addresses, not %s", a)
	}
	if (f.cert == "") != (f.key == "") {
		return target{}, errors.New("--cert and --key go together: give both, or neither")
	}
	tc := &tls.Config{ServerName: f.serverName, MinVersion: tls.VersionTLS12}
	if f.ca != "" {
		pem, err := os.ReadFile(f.ca)
		if err != nil {
			return target{}, fmt.Errorf("--ca: %w", err)
		}
		tc.RootCAs = x509.NewCertPool()
		if !tc.RootCAs.AppendCertsFromPEM(pem) {
			return target{}, fmt.Errorf("--ca %s: no PEM certificate in it", f.ca)
		}
	}
	if f.cert != "" {
		c, err := tls.LoadX509KeyPair(f.cert, f.key)
		if err != nil {
			return target{}, fmt.Errorf("--cert %s, --key %s: %w", f.cert, f.key, err)
		}
		tc.Certificates = []tls.Certificate{c}
	}
	t.cfg.TLS = tc
	return t, nil
}

// clientArgs is a client command line parsed: the host to reach, the
// links' metadata, and the positional arguments after ADDR.
type clientArgs struct {
	target target
	meta   gene.Props
	pos    []string
}

// parse parses the flags and arguments of a client command: ADDR is
// taken off the positional arguments (or from $GENEHOST_ADDR), and
// between min and max others must remain (max < 0: no limit); synopsis
// ("[ADDR] IFACE [VALUE]") is what a wrong count is told. When the
// command should stop (help, or a usage error it printed) it returns the
// exit code and false.
func (f *clientFlags) parse(c *cli, fs *flag.FlagSet, args []string, min, max int, synopsis string) (clientArgs, int, bool) {
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return clientArgs{}, code, false
	}
	addr, rest, err := takeAddr(pos)
	if err != nil {
		return clientArgs{}, c.usageErr("%v", err), false
	}
	if len(rest) < min || (max >= 0 && len(rest) > max) {
		return clientArgs{}, c.usageErr("want %s, got %d arguments besides ADDR (quote a value so it is one argument)", synopsis, len(rest)), false
	}
	t, err := f.target(addr)
	if err != nil {
		return clientArgs{}, c.usageErr("%v", err), false
	}
	md, err := f.meta.props(c)
	if err != nil {
		return clientArgs{}, c.usageErr("%v", err), false
	}
	return clientArgs{target: t, meta: md, pos: rest}, 0, true
}
