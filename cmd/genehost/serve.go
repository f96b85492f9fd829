package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/genehost/genehost/host"
	"github.com/genehost/genehost/host/httpgw"
)

func init() {
	commands["serve"] = command{summary: "serve the interfaces of a plugin directory", run: runServe}
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

func runServe(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &cli{name: "serve", stdin: stdin, stdout: stdout, stderr: stderr}
	fs := c.newFlags("serve [flags]", `
Serve every plugin of the plugin directory as an interface, on Unix sockets
and TCP, until SIGINT or SIGTERM; then stop gracefully (clients get GOAWAY,
open links finish, for at most --shutdown-timeout).

Without --listen it listens on the default Unix socket
($XDG_RUNTIME_DIR/genehost/genehost.sock, else
$TMPDIR/genehost-$UID/genehost.sock, its directory created with mode 0700)
and on tcp://127.0.0.1:`+fmt.Sprint(DefaultTCPPort)+`. --listen replaces the TCP default, and the
default Unix socket is kept unless a --listen names a Unix socket or
--no-unix is given, so "-" finds the host wherever its TCP port is (when
another genehost holds it, serve warns and goes on without it). A
socket file left behind by a killed genehost is reused; one held by a live
process is refused. It logs which plugins are still loading every few
seconds (a Go plugin is compiled on its first start, about a minute), and
once they are loaded it prints one line per address on standard output:

  listening on unix:///run/user/1000/genehost/genehost.sock
  listening on tcp://127.0.0.1:7470
  http gateway on http://127.0.0.1:8080 (interface web)

(tcp://HOST:0 prints the port actually chosen.) Logs go to standard error,
and so does a line saying what to try next.

Durable state (the key-value store plugins use) lives in --data, by default
$XDG_DATA_HOME/genehost, else ~/.local/share/genehost.

--http ADDR[=IFACE] also serves HTTP on ADDR through interface IFACE
(default "web"): each request becomes (request ^method ... ^path ...) and
the interface's (response ^status ... ^body ...) is the HTTP response (see
host/httpgw).

Plain TCP is only allowed on loopback addresses unless --insecure is given;
tls://HOST:PORT needs --cert and --key, and --client-ca to require client
certificates. The HTTP gateways follow the same rule: plain HTTP only on a
loopback address (127.0.0.1, ::1, localhost; 0.0.0.0, :PORT and every
other spelling are the network) unless --insecure; with --http-cert and
--http-key they serve HTTPS on any address, and --http-client-ca requires
HTTPS clients to present a certificate it signed.`+uiHelp+accessHelp+limitsHelp+natsHelp, `
  genehost serve
  genehost serve --plugins ./plugins --listen unix:///tmp/g.sock --listen tcp://127.0.0.1:0
  genehost serve --http 127.0.0.1:8080 --log-level debug
  genehost serve --http 127.0.0.1:8080=api --data /var/lib/genehost
  genehost serve --listen tls://0.0.0.0:7443 --cert host.pem --key host.key --client-ca ca.pem
  genehost serve --http 0.0.0.0:8443 --http-cert web.pem --http-key web.key
  genehost serve --socket-mode 0660 --socket-group genehost --allow-gid 1001 --token kv=@/etc/genehost/kv.token
  genehost serve --max-conns 1000 --max-links 5000 --memory-budget 2GiB
  genehost serve --nats nats://10.0.0.5:4222,nats://10.0.0.6:4222 --nats-creds /etc/genehost/nats.creds --nats-replicas 3`)
	var access accessFlags
	access.register(fs)
	var limits limitFlags
	limits.register(fs)
	var natsf natsFlags
	natsf.register(fs)
	var listens, https listFlag
	pluginsDir := fs.String("plugins", "./plugins", "the plugin directory: one folder per interface")
	fs.Var(&listens, "listen", "an address to listen on: unix:///path, tcp://host:port, tls://host:port (repeatable; default: the Unix socket and tcp://127.0.0.1:"+fmt.Sprint(DefaultTCPPort)+")")
	dataDir := fs.String("data", defaultDataDir(), "where durable state lives")
	cacheDir := fs.String("cache", defaultCacheDir(), "where compiled plugins are cached (Wasm compilation, Go builds)")
	fs.Var(&https, "http", "serve HTTP on ADDR (host:port) through interface IFACE, as ADDR[=IFACE] (IFACE default web; repeatable)")
	var explorer uiFlags
	explorer.register(fs)
	logLevel := fs.String("log-level", "info", "trace, debug, info, warn or error")
	logJSON := fs.Bool("log-json", false, "log JSON lines instead of text")
	noUnix := fs.Bool("no-unix", false, "do not listen on the default Unix socket (which is kept beside --listen addresses that are not Unix sockets)")
	insecure := fs.Bool("insecure", false, "allow plain TCP (--listen) and plain HTTP (--http) on non-loopback addresses")
	cert := fs.String("cert", "", "PEM certificate chain for tls:// listeners")
	key := fs.String("key", "", "PEM private key for tls:// listeners")
	clientCA := fs.String("client-ca", "", "PEM CA certificates; tls:// clients must present a certificate they signed")
	httpCert := fs.String("http-cert", "", "PEM certificate chain: the --http gateways serve HTTPS (with --http-key)")
	httpKey := fs.String("http-key", "", "PEM private key of --http-cert")
	httpClientCA := fs.String("http-client-ca", "", "PEM CA certificates; HTTPS clients of the gateways must present a certificate they signed")
	shutdownTimeout := fs.Duration("shutdown-timeout", 10*time.Second, "how long open links may take to finish at shutdown")
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 0 {
		return c.usageErr("serve takes no arguments, got %q", pos)
	}
	level := hclog.LevelFromString(*logLevel)
	if level == hclog.NoLevel {
		return c.usageErr("--log-level %q: want trace, debug, info, warn or error", *logLevel)
	}
	gws, err := parseHTTPFlags(https)
	if err != nil {
		return c.usageErr("%v", err)
	}
	for i := range gws {
		gws[i].listen = httpgw.ListenConfig{
			Addr: gws[i].addr, AllowInsecure: *insecure,
			CertFile: *httpCert, KeyFile: *httpKey, ClientCAFile: *httpClientCA,
		}
		if err := gws[i].listen.Validate(); err != nil {
			if errors.Is(err, httpgw.ErrInsecure) {
				return c.usageErr("--http %s: refusing plain HTTP on a non-loopback address: anyone on the network could read its requests and responses and send their own; serve HTTPS with --http-cert and --http-key, or allow plain HTTP explicitly with --insecure", gws[i].addr)
			}
			return c.usageErr("--http %s: %v (flags --http-cert, --http-key, --http-client-ca)", gws[i].addr, err)
		}
	}
	if err := explorer.validate(*insecure, *httpCert, *httpKey, *httpClientCA); err != nil {
		return c.usageErr("%v", err)
	}
	if (*httpCert != "" || *httpKey != "" || *httpClientCA != "") && len(gws) == 0 && explorer.addr == "" {
		return c.usageErr("--http-cert, --http-key and --http-client-ca apply to --http gateways and --ui; give --http HOST:PORT or --ui HOST:PORT")
	}
	log := hclog.New(&hclog.LoggerOptions{Name: "genehost", Level: level, JSONFormat: *logJSON, Output: stderr})
	natsCfg, err := natsf.config(func(msg string) { log.Warn(msg) })
	if err != nil {
		return c.usageErr("%v", err)
	}

	listens, extraSocket, err := defaultListeners(listens, *noUnix)
	if err != nil {
		return c.fail(err)
	}
	lcs := make([]host.ListenerConfig, len(listens))
	for i, a := range listens {
		addr, err := resolveAddr(a)
		if err != nil {
			return c.usageErr("--listen: %v", err)
		}
		lcs[i] = host.ListenerConfig{
			Address: addr, AllowInsecure: *insecure, Warn: log.Warn,
			CertFile: *cert, KeyFile: *key, ClientCAFile: *clientCA,
		}
		if err := access.apply(&lcs[i]); err != nil {
			return c.usageErr("%v", err)
		}
		if err := lcs[i].Validate(); err != nil {
			return c.usageErr("--listen: %v", err)
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	authorize, err := access.authorize(log.Warn)
	if err != nil {
		return c.usageErr("%v", err)
	}
	hcfg := host.Config{Logger: log, Authorize: authorize}
	if err := limits.apply(&hcfg); err != nil {
		return c.usageErr("%v", err)
	}
	limits.setMemoryLimit(log)
	srv := host.New(hcfg)
	stopReport := reportLoading(log, *pluginsDir, *cacheDir, srv)
	plugins, err := startPlugins(ctx, srv, pluginOptions{
		dir: *pluginsDir, data: *dataDir, cache: *cacheDir, log: log, nats: natsCfg,
	})
	stopReport()
	if err != nil {
		return c.fail(err)
	}
	defer plugins.close()

	var addrs []string
	for _, lc := range lcs {
		a, err := srv.Listen(lc)
		if err != nil && lc.Address == extraSocket {
			log.Warn("not listening on the default socket, which another genehost holds; - reaches that one (--no-unix leaves it alone)", "error", err)
			continue
		}
		if err != nil {
			srv.Close()
			return c.fail(err)
		}
		addrs = append(addrs, a)
	}
	for _, a := range addrs {
		fmt.Fprintf(stdout, "listening on %s\n", a)
	}

	var httpServers []*http.Server
	for _, g := range gws {
		gw, err := httpgw.New(httpgw.Config{Addr: addrs[0], Interface: g.iface, Logger: log.Named("http")})
		if err != nil {
			srv.Close()
			return c.fail(err)
		}
		defer gw.Close()
		ln, err := httpgw.Listen(g.listen)
		if err != nil {
			srv.Close()
			return c.fail(fmt.Errorf("--http %s: %w", g.addr, err))
		}
		hs := &http.Server{Handler: gw, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.Named("http").StandardLogger(&hclog.StandardLoggerOptions{InferLevels: true})}
		httpServers = append(httpServers, hs)
		go func() {
			if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("http gateway failed", "address", g.addr, "error", err)
			}
		}()
		fmt.Fprintf(stdout, "http gateway on %s (interface %s)\n", g.listen.URL(ln), gw.Interface())
	}
	uiServer, uiDone, err := explorer.serve(addrs[0], log, stdout)
	if err != nil {
		srv.Close()
		return c.fail(err)
	}
	defer uiDone()
	if uiServer != nil {
		httpServers = append(httpServers, uiServer)
	}
	if f, ok := stdout.(interface{ Sync() error }); ok {
		_ = f.Sync()
	}
	printTryHint(stderr, addrs, srv)

	<-ctx.Done()
	stop()
	log.Info("shutting down", "deadline", *shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), *shutdownTimeout)
	defer cancel()
	for _, hs := range httpServers {
		_ = hs.Shutdown(sctx)
	}
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("shutdown deadline passed; remaining links were reset", "error", err)
	}
	log.Info("stopped")
	return exitOK
}

// httpGateway is one --http flag.
type httpGateway struct {
	addr, iface string
	listen      httpgw.ListenConfig
}

func parseHTTPFlags(fl []string) ([]httpGateway, error) {
	var out []httpGateway
	for _, f := range fl {
		addr, iface, _ := strings.Cut(f, "=")
		if iface == "" {
			iface = httpgw.DefaultInterface
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return nil, fmt.Errorf("--http %q: want HOST:PORT[=IFACE]: %v", f, err)
		}
		out = append(out, httpGateway{addr: addr, iface: iface})
	}
	return out, nil
}

func defaultDataDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "genehost")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "share", "genehost")
	}
	return filepath.Join(os.TempDir(), "genehost-data-"+fmt.Sprint(os.Getuid()))
}

func defaultCacheDir() string {
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "genehost")
	}
	return filepath.Join(os.TempDir(), "genehost-cache-"+fmt.Sprint(os.Getuid()))
}
