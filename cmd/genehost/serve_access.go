package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host"
	"github.com/genehost/genehost/proto"
)

// accessFlags are serve's access-control flags: who may connect to the
// Unix sockets, and the per-interface tokens every link must carry.
type accessFlags struct {
	socketMode  string
	socketOwner string
	socketGroup string
	allowUIDs   listFlag
	allowGIDs   listFlag
	tokens      listFlag
}

const accessHelp = `
Access control. Unix sockets are created with --socket-mode (default 0600:
only the user running genehost may connect), optionally owned by
--socket-owner and --socket-group; --allow-uid and --allow-gid (repeatable)
further restrict them to peers whose user or group id the kernel reports
(SO_PEERCRED): others are closed before a byte is read and logged.
--token IFACE=@FILE (the secret read from FILE, surrounding white space
removed) or IFACE=env:NAME (from the environment variable NAME) makes every
link to IFACE, data or control, carry ^token SECRET in its open metadata
(clients: --token @FILE, --token env:NAME, or client.LinkOptions.Meta);
$sys lists IFACE only to clients whose $sys link carries that token.
IFACE=SECRET also works but is readable by every local user in the process
list: serve warns. Tokens are compared in constant time.`

func (a *accessFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&a.socketMode, "socket-mode", "0600", "permission bits of Unix socket files, in octal")
	fs.StringVar(&a.socketOwner, "socket-owner", "", "owner of Unix socket files (name or uid; needs privilege)")
	fs.StringVar(&a.socketGroup, "socket-group", "", "group of Unix socket files (name or gid)")
	fs.Var(&a.allowUIDs, "allow-uid", "only peers with this user id may use the Unix sockets (repeatable)")
	fs.Var(&a.allowGIDs, "allow-gid", "only peers with this group id may use the Unix sockets (repeatable)")
	fs.Var(&a.tokens, "token", "IFACE=@FILE or IFACE=env:NAME (or IFACE=SECRET, with a warning): links to IFACE must carry ^token with that secret (repeatable)")
}

// apply sets the Unix-socket settings on lc (a unix:// listener).
func (a *accessFlags) apply(lc *host.ListenerConfig) error {
	if !strings.HasPrefix(lc.Address, "unix://") {
		return nil
	}
	mode, err := strconv.ParseUint(a.socketMode, 8, 32)
	if err != nil || mode > 0o777 {
		return fmt.Errorf("--socket-mode %q: want octal permission bits such as 0600 or 0660", a.socketMode)
	}
	lc.SocketMode = os.FileMode(mode)
	lc.SocketOwner, lc.SocketGroup = a.socketOwner, a.socketGroup
	for _, f := range []struct {
		name string
		in   listFlag
		out  *[]int
	}{{"--allow-uid", a.allowUIDs, &lc.AllowUIDs}, {"--allow-gid", a.allowGIDs, &lc.AllowGIDs}} {
		for _, s := range f.in {
			id, err := strconv.Atoi(s)
			if err != nil || id < 0 {
				return fmt.Errorf("%s %q: want a numeric id", f.name, s)
			}
			*f.out = append(*f.out, id)
		}
	}
	return nil
}

// authorize returns the host's Authorize function for the --token flags,
// or nil when none was given; warn is told of each secret given
// literally.
func (a *accessFlags) authorize(warn func(msg string, args ...any)) (func(string, proto.Sub, gene.Props) error, error) {
	if len(a.tokens) == 0 {
		return nil, nil
	}
	tokens := make(map[string]string, len(a.tokens))
	for _, t := range a.tokens {
		iface, spec, ok := strings.Cut(t, "=")
		if !ok || iface == "" || spec == "" {
			// The value is not echoed: it may be the secret itself.
			return nil, errors.New("--token: want IFACE=@FILE, IFACE=env:NAME or IFACE=SECRET")
		}
		if _, dup := tokens[iface]; dup {
			return nil, fmt.Errorf("--token %s: given twice", iface)
		}
		secret, src, err := readSecret(spec)
		if err != nil {
			return nil, fmt.Errorf("--token %s: %w", iface, err)
		}
		if src == secretLiteral {
			warn(literalSecretWarning("the --token secret of "+iface, iface+"=@FILE or "+iface+"=env:NAME"), "interface", iface)
		}
		tokens[iface] = secret
	}
	return host.Tokens(tokens), nil
}
