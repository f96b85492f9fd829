package main

import (
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
--token IFACE=SECRET (or IFACE=@FILE, the secret read from FILE) makes every
link to IFACE, data or control, carry ^token SECRET in its open metadata
(clients: --meta '{^token "SECRET"}', or client.LinkOptions.Meta).`

func (a *accessFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&a.socketMode, "socket-mode", "0600", "permission bits of Unix socket files, in octal")
	fs.StringVar(&a.socketOwner, "socket-owner", "", "owner of Unix socket files (name or uid; needs privilege)")
	fs.StringVar(&a.socketGroup, "socket-group", "", "group of Unix socket files (name or gid)")
	fs.Var(&a.allowUIDs, "allow-uid", "only peers with this user id may use the Unix sockets (repeatable)")
	fs.Var(&a.allowGIDs, "allow-gid", "only peers with this group id may use the Unix sockets (repeatable)")
	fs.Var(&a.tokens, "token", "IFACE=SECRET or IFACE=@FILE: links to IFACE must carry ^token SECRET (repeatable)")
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
// or nil when none was given.
func (a *accessFlags) authorize() (func(string, proto.Sub, gene.Props) error, error) {
	if len(a.tokens) == 0 {
		return nil, nil
	}
	tokens := make(map[string]string, len(a.tokens))
	for _, t := range a.tokens {
		iface, secret, ok := strings.Cut(t, "=")
		if !ok || iface == "" || secret == "" {
			return nil, fmt.Errorf("--token %q: want IFACE=SECRET or IFACE=@FILE", t)
		}
		if file, ok := strings.CutPrefix(secret, "@"); ok {
			b, err := os.ReadFile(file)
			if err != nil {
				return nil, fmt.Errorf("--token %s: %w", iface, err)
			}
			secret = strings.TrimSpace(string(b))
			if secret == "" {
				return nil, fmt.Errorf("--token %s: %s is empty", iface, file)
			}
		}
		tokens[iface] = secret
	}
	return host.Tokens(tokens), nil
}
