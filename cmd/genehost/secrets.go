package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/genehost/genehost/gene"
)

// A secret on the command line is readable by every local user (ps,
// /proc/PID/cmdline), so flags that take one also take it from a file or
// the environment, and warn when it is given literally.

// secretSource says where a secret came from.
type secretSource int

const (
	secretLiteral secretSource = iota // written in argv
	secretFile                        // @FILE
	secretEnv                         // env:NAME
)

// readSecret resolves a secret flag value: @FILE is the content of FILE
// (surrounding white space, such as a final newline, removed), env:NAME the
// value of the environment variable NAME, anything else the secret itself.
// An empty secret, an unreadable file and an unset variable are errors.
func readSecret(spec string) (string, secretSource, error) {
	if file, ok := strings.CutPrefix(spec, "@"); ok {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", secretFile, fmt.Errorf("read secret file: %w", err)
		}
		s := strings.TrimSpace(string(b))
		if s == "" {
			return "", secretFile, fmt.Errorf("secret file %s is empty", file)
		}
		return s, secretFile, nil
	}
	if name, ok := strings.CutPrefix(spec, "env:"); ok {
		if name == "" {
			return "", secretEnv, errors.New("env: needs a variable name, as env:NAME")
		}
		s, set := os.LookupEnv(name)
		if !set {
			return "", secretEnv, fmt.Errorf("environment variable %s is not set", name)
		}
		if s == "" {
			return "", secretEnv, fmt.Errorf("environment variable %s is empty", name)
		}
		return s, secretEnv, nil
	}
	if spec == "" {
		return "", secretLiteral, errors.New("empty secret")
	}
	return spec, secretLiteral, nil
}

// literalSecretWarning is what a command says when a secret is written in
// its arguments; how is the way to pass it instead.
func literalSecretWarning(what, how string) string {
	return fmt.Sprintf("%s is given literally on the command line, where every local user can read it (ps, /proc/PID/cmdline); pass it as %s", what, how)
}

// metaFlags are the client commands' --meta and --token: the metadata of
// every link they open.
type metaFlags struct {
	meta  string
	token string
}

const metaHelp = `
--meta {^k v ...} is the metadata of the links the command opens (its data
link and the control links it uses). --token SECRET adds ^token SECRET, for
an interface 'genehost serve --token' protects (and, on $sys, to see it
listed); --token @FILE reads the secret from FILE, --token env:NAME from
the environment variable NAME. A token written literally, with --token or
in --meta, can be read by every local user, so the command warns.`

// addMetaFlags registers --meta and --token on fs.
func addMetaFlags(fs *flag.FlagSet) *metaFlags {
	m := &metaFlags{}
	fs.StringVar(&m.meta, "meta", "", "metadata sent when opening links, a prop map such as {^topic \"orders\"}")
	fs.StringVar(&m.token, "token", "", "put ^token in the metadata: SECRET, @FILE (read from FILE) or env:NAME (from the environment)")
	return m
}

// props returns the metadata the flags give, or nil; it warns on stderr of
// c about a token written literally.
func (m *metaFlags) props(c *cli) (gene.Props, error) {
	md, err := parseMeta(m.meta)
	if err != nil {
		return nil, err
	}
	if _, ok := md.Get("token"); ok {
		if m.token != "" {
			return nil, errors.New("--token and --meta '{^token ...}' both give the token; give it once")
		}
		c.warn(literalSecretWarning("the ^token of --meta", "--token @FILE or --token env:NAME"))
	}
	if m.token == "" {
		return md, nil
	}
	tok, src, err := readSecret(m.token)
	if err != nil {
		return nil, fmt.Errorf("--token: %w", err)
	}
	if src == secretLiteral {
		c.warn(literalSecretWarning("--token", "--token @FILE or --token env:NAME"))
	}
	md = append(gene.Props(nil), md...)
	md.Set("token", gene.String(tok))
	return md, nil
}

// warn prints a warning on standard error.
func (c *cli) warn(msg string) {
	fmt.Fprintf(c.stderr, "genehost %s: warning: %s\n", c.name, msg)
}
