package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/client"
	"github.com/genehost/genehost/proto"
)

// Exit codes: one table for every command, printed by 'genehost --help'
// and by each command's --help, and kept in README.md.
const (
	exitOK      = 0 // success
	exitFailed  = 1 // the operation failed: an error reply, a refused or reset link, a failed check
	exitUsage   = 2 // bad flags or arguments, or a value that does not parse
	exitTimeout = 3 // --timeout passed before the operation finished
	exitNoConn  = 4 // cannot connect: nothing listens at ADDR, TLS or the handshake failed
)

// DefaultTCPPort is the port `serve` listens on at 127.0.0.1 unless told
// otherwise. 7470 is unassigned by IANA and easy to remember (G-E-N-E on
// no keyboard at all, but close enough).
const DefaultTCPPort = 7470

const exitCodesHelp = `Exit codes (the same for every command):
  0  success
  1  the operation failed: an error reply, a link refused or reset, a
     failed control operation, a plugin that does not load
  2  bad usage: unknown flag, missing argument, a value that does not parse
  3  timed out (--timeout)
  4  cannot connect: nothing listens at ADDR, or TLS or the handshake failed`

// addrEnv names the environment variable that gives ADDR when a command
// line leaves it out.
const addrEnv = "GENEHOST_ADDR"

const addrHelp = `ADDR is unix:///path/to.sock, tcp://host:port (or just host:port) or
tls://host:port; a plain path (/path/to.sock, ./x.sock) means unix://; "-"
means the default Unix socket of 'genehost serve'
(` + "`$XDG_RUNTIME_DIR/genehost/genehost.sock`" + `, else
` + "`$TMPDIR/genehost-$UID/genehost.sock`" + `). ADDR may be left out when
$GENEHOST_ADDR holds it (GENEHOST_ADDR=- for the default socket).`

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
// arguments, or an exit code when parsing stopped (help, or an error it
// printed: an unknown flag with the nearest known one, not the whole help).
func parseArgs(fs *flag.FlagSet, args []string) ([]string, int, bool) {
	var pos []string
	usage, out := fs.Usage, fs.Output()
	fs.Usage = func() {} // errors get a short message below; --help the usage
	fs.SetOutput(io.Discard)
	defer func() { fs.Usage = usage; fs.SetOutput(out) }()
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.SetOutput(out)
				usage()
				return nil, exitOK, false
			}
			fmt.Fprintf(out, "genehost %s: %s\n", fs.Name(), flagError(fs, err))
			fmt.Fprintf(out, "Run 'genehost %s --help' for usage.\n", fs.Name())
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

// flagError rewrites an error of the flag package in the command's terms:
// flags are spelled --name, and an unknown one gets the nearest known
// name.
func flagError(fs *flag.FlagSet, err error) string {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		name = strings.TrimLeft(name, "-")
		msg = "unknown flag --" + name
		if near := nearestFlag(fs, name); near != "" {
			msg += "; did you mean --" + near + "?"
		}
		return msg
	}
	// "invalid value ... for flag -x: ...", "flag needs an argument: -x"
	return strings.NewReplacer(" -", " --").Replace(msg)
}

// nearestFlag is the flag of fs closest to name (within two edits, or
// the only one name is a prefix of), or "".
func nearestFlag(fs *flag.FlagSet, name string) string {
	best, bestD := "", 3
	var prefixed []string
	fs.VisitAll(func(f *flag.Flag) {
		if d := editDistance(name, f.Name); d < bestD {
			best, bestD = f.Name, d
		}
		if strings.HasPrefix(f.Name, name) {
			prefixed = append(prefixed, f.Name)
		}
	})
	if best == "" && len(prefixed) == 1 {
		best = prefixed[0]
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
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

// connectError is a failure to connect to a host: dialing, TLS or the
// protocol handshake. It exits with exitNoConn.
type connectError struct {
	addr string
	err  error
}

func (e *connectError) Unwrap() error { return e.err }

func (e *connectError) Error() string {
	cause, hint := e.err.Error(), ""
	var op *net.OpError
	var errno syscall.Errno
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var certInvalid x509.CertificateInvalidError
	switch {
	case errors.As(e.err, &op) && op.Op == "dial" && errors.As(op.Err, &errno):
		cause = errno.Error()
		switch errno {
		case syscall.ENOENT, syscall.ECONNREFUSED:
			hint = "is 'genehost serve' running? By default it listens on - and tcp://127.0.0.1:" + fmt.Sprint(DefaultTCPPort)
		case syscall.EACCES, syscall.EPERM:
			hint = "the socket does not let this user in (serve --socket-mode, --socket-group)"
		}
	case errors.As(e.err, &unknownCA), errors.As(e.err, &certInvalid):
		cause = strings.TrimPrefix(cause, "client: dial "+e.addr+": ")
		hint = "--ca FILE trusts the CA that signed the host's certificate"
	case errors.As(e.err, &hostname):
		cause = strings.TrimPrefix(cause, "client: dial "+e.addr+": ")
		hint = "--server-name NAME checks the certificate for another name"
	default:
		cause = strings.TrimPrefix(cause, "client: dial "+e.addr+": ")
		cause = strings.TrimPrefix(cause, "client: ")
		if strings.Contains(cause, "tls: certificate required") {
			hint = "the host requires a client certificate: --cert FILE --key FILE"
		}
	}
	msg := "cannot connect to " + e.addr + ": " + cause
	if hint != "" {
		msg += " (" + hint + ")"
	}
	return msg
}

// fail prints err and returns the exit code it deserves: exitTimeout for
// a deadline, exitUsage for a usageError, exitNoConn for a connectError,
// exitFailed otherwise.
func (c *cli) fail(err error) int {
	fmt.Fprintf(c.stderr, "genehost %s: %v\n", c.name, err)
	var ue usageError
	var ce *connectError
	switch {
	case errors.As(err, &ue):
		return exitUsage
	case errors.Is(err, context.DeadlineExceeded):
		return exitTimeout
	case errors.As(err, &ce):
		return exitNoConn
	}
	return exitFailed
}

// DefaultSocket is the Unix socket serve listens on without --listen.
func DefaultSocket() string { return client.DefaultSocket() }

// resolveAddr turns the ADDR argument into an address client.Dial takes:
// what client.ResolveAddress takes, and host:port for tcp://host:port. An
// http:// address is refused with the reason.
func resolveAddr(a string) (string, error) {
	if scheme, _, ok := strings.Cut(a, "://"); ok && (scheme == "http" || scheme == "https") {
		return "", fmt.Errorf("address %q is an HTTP address: the HTTP gateway ('serve --http') serves it, for curl and browsers; the genehost protocol is at tcp://HOST:PORT (tcp://127.0.0.1:%d by default), tls://HOST:PORT or the Unix socket (-)", a, DefaultTCPPort)
	}
	if isHostPort(a) {
		return "tcp://" + a, nil
	}
	return client.ResolveAddress(a)
}

// isHostPort reports whether a is HOST:PORT with a numeric port.
func isHostPort(a string) bool {
	if strings.Contains(a, "/") {
		return false
	}
	_, port, err := net.SplitHostPort(a)
	if err != nil {
		return false
	}
	_, err = strconv.ParseUint(port, 10, 16)
	return err == nil
}

// looksLikeAddr reports whether a command-line argument is an ADDR rather
// than an interface name: "-", anything with a scheme, a path, or
// HOST:PORT. Interface names have none of these shapes.
func looksLikeAddr(a string) bool {
	return a == "-" || strings.Contains(a, "://") || strings.HasPrefix(a, "/") ||
		strings.HasPrefix(a, "./") || strings.HasPrefix(a, "../") || isHostPort(a)
}

// takeAddr splits the ADDR argument off the positional arguments: the
// first one when it is an address, else $GENEHOST_ADDR. Without either it
// returns a usage error that says how to give one.
func takeAddr(pos []string) (string, []string, error) {
	if len(pos) > 0 && looksLikeAddr(pos[0]) {
		return pos[0], pos[1:], nil
	}
	if a := os.Getenv(addrEnv); a != "" {
		return a, pos, nil
	}
	what := "no arguments"
	if len(pos) > 0 {
		what = fmt.Sprintf("%q is not an address", pos[0])
	}
	return "", nil, fmt.Errorf("no ADDR: %s; give one first (- for the default socket of 'genehost serve', tcp://HOST:PORT, a socket path) or set %s", what, addrEnv)
}

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

// target is a host to dial: its address as typed and resolved, and the
// client configuration (TLS) the command's flags give.
type target struct {
	arg, addr string
	cfg       client.Config
}

// dial connects to t. A failure to connect is a *connectError, unless
// ctx ended first.
func dial(ctx context.Context, t target) (*client.Conn, error) {
	conn, err := client.Dial(ctx, t.addr, t.cfg)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("connecting to %s: %w", t.addr, ctx.Err())
		}
		return nil, &connectError{addr: t.addr, err: err}
	}
	return conn, nil
}

// openLink dials t and opens a data link on iface. Unless fixed, the
// link takes the interface's own direction (from its manifest), which
// check, when not nil, may refuse. On error nothing is left open; on
// success the caller closes conn with closeConn.
func openLink(ctx context.Context, t target, iface string, dir proto.Direction, fixed bool, meta gene.Props, check func(proto.Direction) error) (*client.Conn, *client.Link, proto.Direction, error) {
	conn, err := dial(ctx, t)
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
		if code, ok := refusal(err); ok && code == proto.CodeWrongDirection {
			err = wrongDirection(ctx, conn, iface, meta, err)
		}
	}
	if err != nil {
		closeConn(conn)
		return nil, nil, 0, err
	}
	return conn, l, dir, nil
}

// connect dials t under signalContext(timeout); done closes the
// connection, then cancels the context.
func connect(timeout time.Duration, t target) (context.Context, *client.Conn, func(), error) {
	ctx, cancel := signalContext(timeout)
	conn, err := dial(ctx, t)
	if err != nil {
		cancel()
		return nil, nil, nil, err
	}
	return ctx, conn, func() { closeConn(conn); cancel() }, nil
}

// closeConn closes a connection gracefully (GOAWAY, then what is in
// flight finishes), for at most two seconds.
func closeConn(conn *client.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := conn.Shutdown(ctx); err != nil {
		conn.Close()
	}
}

// syntax is how values typed by the user are read: Gene text, or the
// JSON view of gene/JSON.md (--json).
type syntax struct{ json bool }

// one reads exactly one value from text; what names it in errors
// (VALUE, ARG, <stdin>).
func (s syntax) one(what string, text []byte) (gene.Value, error) {
	vals, err := s.all(what, text)
	if err != nil {
		return gene.Value{}, err
	}
	switch len(vals) {
	case 0:
		return gene.Value{}, fmt.Errorf("%s holds no value", what)
	case 1:
		return vals[0], nil
	}
	return gene.Value{}, fmt.Errorf("%s holds %d values where one is wanted (quote a value so it is one argument; 'genehost send' sends several)", what, len(vals))
}

// all reads every value of text; a syntax error of Gene text that looks
// like JSON says so.
func (s syntax) all(what string, text []byte) ([]gene.Value, error) {
	vals, err := s.parse(what, text)
	if err != nil && !s.json {
		err = jsonHint(err, text)
	}
	return vals, err
}

// parse reads every value of text.
func (s syntax) parse(what string, text []byte) ([]gene.Value, error) {
	o := gene.ReadOptions{Source: what}
	if s.json {
		return gene.ParseAllJSON(text, o)
	}
	return gene.ParseAll(text, o)
}

// jsonHint adds a hint to a syntax error of Gene text that looks like
// JSON (the excerpt of the error, or text, when not nil).
func jsonHint(err error, text []byte) error {
	var se *gene.SyntaxError
	if !errors.As(err, &se) {
		return err
	}
	if !json.Valid(bytes.TrimSpace(text)) && !looksLikeJSON(se.Excerpt) {
		return err
	}
	return fmt.Errorf("%w (this looks like JSON: use --json, or write Gene such as {^key \"value\"})", err)
}

// looksLikeJSON reports whether a line reads as the start of a JSON
// object: {"key": ... or [{"key": ...
func looksLikeJSON(line string) bool {
	s := strings.Join(strings.Fields(line), "")
	s = strings.TrimLeft(s, "[")
	return strings.HasPrefix(s, `{"`) && strings.Contains(s, `":`)
}

// printer writes values one per line in the chosen format.
type printer struct {
	w      io.Writer
	format string // gene, pretty, json, json-pretty
}

// addFormatFlag adds --format (gene, pretty, json) to fs.
func addFormatFlag(fs *flag.FlagSet) *string {
	return fs.String("format", "gene", "how to print values: gene (one line each), pretty (indented Gene), json (one JSON document each, gene/JSON.md)")
}

// outputFormat checks --format and combines it with --json: JSON output,
// indented with --format pretty.
func outputFormat(f string, asJSON bool) (string, error) {
	switch f {
	case "gene", "pretty", "json":
	default:
		return "", fmt.Errorf("--format %q: want gene, pretty or json", f)
	}
	if asJSON {
		if f == "pretty" {
			return "json-pretty", nil
		}
		return "json", nil
	}
	return f, nil
}

func (p printer) print(v gene.Value) error {
	var b []byte
	switch p.format {
	case "pretty":
		b = gene.AppendPretty(nil, v, "  ")
	case "json":
		b = gene.AppendJSON(nil, v)
	case "json-pretty":
		var buf bytes.Buffer
		if err := json.Indent(&buf, gene.AppendJSON(nil, v), "", "  "); err != nil {
			return err
		}
		b = buf.Bytes()
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
	v, err := syntax{}.one("--meta", []byte(s))
	if err != nil {
		return nil, err
	}
	if v.Kind() != gene.KindProps {
		return nil, fmt.Errorf("--meta: want a prop map such as {^token \"x\"}, got %s", v.Kind())
	}
	return v.Props(), nil
}
