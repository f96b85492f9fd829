package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/genehost/genehost/host/store/natsstore"
)

// natsFlags are serve's --nats options: plugin state on NATS JetStream
// instead of the embedded database.
type natsFlags struct {
	servers               string
	creds                 string
	user, password        string
	token                 string
	ca, cert, key         string
	replicas              int
	passwordSrc, tokenSrc secretSource
}

const natsHelp = `

More than one host: --nats nats://HOST:PORT[,nats://HOST2:PORT...] keeps
plugin state (each plugin's key-value store) in NATS
JetStream instead of --data, so every host started with the same --nats
and the same plugins shares it: a put on one host is read, and watched,
on the others. The servers need JetStream enabled (nats-server -js); each
plugin's store is the KV bucket genehost_kv_PLUGIN, created on first use
with --nats-replicas replicas (3 in a cluster of 3 keeps state when one
server is lost). Auth: --nats-creds FILE (a credentials file), or
--nats-user NAME with --nats-password, or --nats-token; the secrets take
@FILE or env:NAME (written literally they are readable by every local
user, and serve warns). TLS: tls:// URLs, --nats-tls-ca FILE to verify the
servers, --nats-tls-cert and --nats-tls-key for servers that require a
client certificate.`

func (f *natsFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.servers, "nats", "", "keep plugin state in NATS JetStream at these servers (nats://HOST:PORT, comma-separated) instead of --data")
	fs.StringVar(&f.creds, "nats-creds", "", "NATS credentials file (user JWT and NKey seed)")
	fs.StringVar(&f.user, "nats-user", "", "NATS user name (with --nats-password)")
	fs.StringVar(&f.password, "nats-password", "", "NATS password: @FILE, env:NAME or the password")
	fs.StringVar(&f.token, "nats-token", "", "NATS auth token: @FILE, env:NAME or the token")
	fs.StringVar(&f.ca, "nats-tls-ca", "", "PEM CA certificates that verify the NATS servers")
	fs.StringVar(&f.cert, "nats-tls-cert", "", "PEM client certificate for the NATS servers (with --nats-tls-key)")
	fs.StringVar(&f.key, "nats-tls-key", "", "PEM private key of --nats-tls-cert")
	fs.IntVar(&f.replicas, "nats-replicas", 1, "replicas of each JetStream bucket and stream genehost creates")
}

// config checks the flags and returns the backend's configuration, nil
// without --nats; the secrets are read here. warn gets what should be
// said about literal secrets.
func (f *natsFlags) config(warn func(string)) (*natsstore.Config, error) {
	if f.servers == "" {
		if f.creds != "" || f.user != "" || f.password != "" || f.token != "" || f.ca != "" || f.cert != "" || f.key != "" {
			return nil, fmt.Errorf("--nats-creds, --nats-user, --nats-password, --nats-token and --nats-tls-* apply to --nats; give --nats nats://HOST:PORT")
		}
		return nil, nil
	}
	c := &natsstore.Config{Creds: f.creds, User: f.user, CA: f.ca, Cert: f.cert, Key: f.key, Replicas: f.replicas}
	for s := range strings.SplitSeq(f.servers, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !strings.Contains(s, "://") {
			return nil, fmt.Errorf("--nats %q: want URLs such as nats://127.0.0.1:4222 (tls://HOST:PORT for TLS), comma-separated", f.servers)
		}
		c.Servers = append(c.Servers, s)
	}
	if len(c.Servers) == 0 {
		return nil, fmt.Errorf("--nats %q names no server", f.servers)
	}
	if f.replicas < 1 {
		return nil, fmt.Errorf("--nats-replicas %d: want 1 or more", f.replicas)
	}
	if (f.cert == "") != (f.key == "") {
		return nil, fmt.Errorf("--nats-tls-cert and --nats-tls-key go together")
	}
	if (f.user == "") != (f.password == "") {
		return nil, fmt.Errorf("--nats-user and --nats-password go together")
	}
	var err error
	if f.password != "" {
		if c.Password, f.passwordSrc, err = readSecret(f.password); err != nil {
			return nil, fmt.Errorf("--nats-password: %w", err)
		}
		if f.passwordSrc == secretLiteral {
			warn(literalSecretWarning("--nats-password", "--nats-password @FILE or --nats-password env:NAME"))
		}
	}
	if f.token != "" {
		if c.Token, f.tokenSrc, err = readSecret(f.token); err != nil {
			return nil, fmt.Errorf("--nats-token: %w", err)
		}
		if f.tokenSrc == secretLiteral {
			warn(literalSecretWarning("--nats-token", "--nats-token @FILE or --nats-token env:NAME"))
		}
	}
	return c, nil
}

// openNATS connects the backend of c.
func openNATS(ctx context.Context, c *natsstore.Config) (*natsstore.Backend, error) {
	b, err := natsstore.Open(ctx, *c)
	if err != nil {
		return nil, fmt.Errorf("--nats: %w", err)
	}
	return b, nil
}
