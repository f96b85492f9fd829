package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/client"
	"github.com/genehost/genehost/proto"
)

// Exit codes shared by every command (documented in each --help).
const (
	exitOK      = 0 // success
	exitFailed  = 1 // the operation failed: connection, refusal, reset, error reply
	exitUsage   = 2 // bad flags or arguments, or a value that does not parse
	exitTimeout = 3 // --timeout passed before the operation finished
)

// DefaultTCPPort is the port `serve` listens on at 127.0.0.1 unless told
// otherwise. 7470 is unassigned by IANA and easy to remember (G-E-N-E on
// no keyboard at all, but close enough).
const DefaultTCPPort = 7470

const exitCodesHelp = `Exit codes:
  0  success
  1  the operation failed (no connection, link refused or reset, an error reply)
  2  bad usage: unknown flag, missing argument, a value that is not Gene text
  3  timed out (--timeout)`

const addrHelp = `ADDR is unix:///path/to.sock, tcp://host:port or tls://host:port; a plain
path (/path/to.sock, ./x.sock) means unix://; "-" means the default Unix
socket of 'genehost serve' (` + "`$XDG_RUNTIME_DIR/genehost/genehost.sock`" + `, else
` + "`$TMPDIR/genehost-$UID/genehost.sock`" + `).`

// cli is what a command needs from its environment.
type cli struct {
	name           string
	stdin          io.Reader
	stdout, stderr io.Writer
}

// newFlags returns a FlagSet for command name whose usage prints the
// synopsis, the description, the flags, the examples and the exit codes.
func (c *cli) newFlags(synopsis, description, examples string) *flag.FlagSet {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: genehost %s\n\n%s\n", synopsis, strings.TrimSpace(description))
		var hasFlags bool
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			fmt.Fprintln(w, "\nFlags:")
			fs.PrintDefaults()
		}
		if examples != "" {
			fmt.Fprintf(w, "\nExamples:\n%s\n", strings.TrimRight(examples, "\n"))
		}
		fmt.Fprintf(w, "\n%s\n", exitCodesHelp)
	}
	return fs
}

// parseArgs parses flags that may come before, between or after the
// positional arguments (the standard flag package stops at the first
// positional one); "--" ends flag parsing. It returns the positional
// arguments, or an exit code when parsing stopped (help or an error).
func parseArgs(fs *flag.FlagSet, args []string) ([]string, int, bool) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, exitOK, false
			}
			return nil, exitUsage, false
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, 0, true
		}
		// fs.Parse consumed a "--" if it stopped there: everything after it
		// is positional.
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), 0, true
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// usageErr prints a usage error and returns exitUsage.
func (c *cli) usageErr(format string, args ...any) int {
	fmt.Fprintf(c.stderr, "genehost %s: %s\n", c.name, fmt.Sprintf(format, args...))
	fmt.Fprintf(c.stderr, "Run 'genehost %s --help' for usage.\n", c.name)
	return exitUsage
}

// usageError is an error in the command line found late (an address
// that does not parse): it exits with exitUsage.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// fail prints err and returns the exit code it deserves: exitTimeout for
// a deadline, exitUsage for a usageError, exitFailed otherwise.
func (c *cli) fail(err error) int {
	fmt.Fprintf(c.stderr, "genehost %s: %v\n", c.name, err)
	var ue usageError
	switch {
	case errors.As(err, &ue):
		return exitUsage
	case errors.Is(err, context.DeadlineExceeded):
		return exitTimeout
	}
	return exitFailed
}

// DefaultSocket is the Unix socket serve listens on without --listen.
func DefaultSocket() string { return client.DefaultSocket() }

// resolveAddr turns the ADDR argument into an address client.Dial takes.
func resolveAddr(a string) (string, error) { return client.ResolveAddress(a) }

// signalContext is ctx cancelled on SIGINT or SIGTERM, and also bounded
// by timeout when it is positive.
func signalContext(timeout time.Duration) (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	if timeout <= 0 {
		return ctx, stop
	}
	tctx, cancel := context.WithTimeout(ctx, timeout)
	return tctx, func() { cancel(); stop() }
}

// dial connects to the ADDR argument.
func dial(ctx context.Context, addr string) (*client.Conn, error) {
	a, err := resolveAddr(addr)
	if err != nil {
		return nil, usageError{err}
	}
	return client.Dial(ctx, a, client.Config{})
}

// closeConn closes a connection gracefully (GOAWAY, then what is in
// flight finishes), for at most two seconds.
// openLink dials addr and opens a data link on iface. Unless fixed, the
// link takes the interface's own direction (from its manifest), which
// check, when not nil, may refuse. On error nothing is left open; on
// success the caller closes conn with closeConn.
func openLink(ctx context.Context, addr, iface string, dir proto.Direction, fixed bool, meta gene.Props, check func(proto.Direction) error) (*client.Conn, *client.Link, proto.Direction, error) {
	conn, err := dial(ctx, addr)
	if err != nil {
		return nil, nil, 0, err
	}
	if !fixed {
		if dir, err = interfaceDirection(ctx, conn, iface, meta); err == nil && check != nil {
			err = check(dir)
		}
	}
	var l *client.Link
	if err == nil {
		l, err = conn.Open(ctx, iface, dir, client.LinkOptions{Meta: meta})
	}
	if err != nil {
		closeConn(conn)
		return nil, nil, 0, err
	}
	return conn, l, dir, nil
}

// connect dials addr under signalContext(timeout); done closes the
// connection, then cancels the context.
func connect(timeout time.Duration, addr string) (context.Context, *client.Conn, func(), error) {
	ctx, cancel := signalContext(timeout)
	conn, err := dial(ctx, addr)
	if err != nil {
		cancel()
		return nil, nil, nil, err
	}
	return ctx, conn, func() { closeConn(conn); cancel() }, nil
}

func closeConn(conn *client.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := conn.Shutdown(ctx); err != nil {
		conn.Close()
	}
}

// parseValue reads exactly one Gene value from a command-line argument.
func parseValue(what, text string) (gene.Value, error) {
	v, err := gene.ParseWith([]byte(text), gene.ReadOptions{Source: what})
	if err != nil {
		return gene.Value{}, err
	}
	return v, nil
}

// printer writes values one per line in the chosen format.
type printer struct {
	w      io.Writer
	format string // gene, pretty, json
}

// addFormatFlag adds --format (gene, pretty, json) to fs.
func addFormatFlag(fs *flag.FlagSet) *string {
	return fs.String("format", "gene", "how to print values: gene (one line each), pretty (indented Gene), json (one JSON document each)")
}

func checkFormat(f string) error {
	switch f {
	case "gene", "pretty", "json":
		return nil
	}
	return fmt.Errorf("--format %q: want gene, pretty or json", f)
}

func (p printer) print(v gene.Value) error {
	var b []byte
	switch p.format {
	case "pretty":
		b = gene.AppendPretty(nil, v, "  ")
	case "json":
		b = gene.AppendJSON(nil, v)
	default:
		b = gene.AppendText(nil, v)
	}
	b = append(b, '\n')
	_, err := p.w.Write(b)
	return err
}

// interfaceDirection asks the host for the direction of iface's data
// links (its manifest's ^direction), on a control link opened with meta
// (which carries the token of a protected interface).
func interfaceDirection(ctx context.Context, conn *client.Conn, iface string, meta gene.Props) (proto.Direction, error) {
	ctl, err := conn.Control(ctx, iface, client.LinkOptions{Meta: meta})
	if err != nil {
		return 0, err
	}
	defer ctl.Link().Reset(proto.CodeCancelled, "done")
	m, err := ctl.Manifest(ctx)
	if err != nil {
		return 0, fmt.Errorf("manifest of %q: %w", iface, err)
	}
	dv, ok := m.Get("direction")
	if !ok {
		return 0, fmt.Errorf("the manifest of %q has no ^direction", iface)
	}
	return proto.ParseDirection(dv.Str())
}

// parseMeta reads the --meta flag: a prop map, or "" for none.
func parseMeta(s string) (gene.Props, error) {
	if s == "" {
		return nil, nil
	}
	v, err := parseValue("--meta", s)
	if err != nil {
		return nil, err
	}
	if v.Kind() != gene.KindProps {
		return nil, fmt.Errorf("--meta: want a prop map such as {^token \"x\"}, got %s", v.Kind())
	}
	return v.Props(), nil
}
