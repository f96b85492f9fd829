package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/genehost/genehost/host/httpgw"
	"github.com/genehost/genehost/host/ui"
)

// uiFlags is serve's --ui flag: the manifest explorer (host/ui).
type uiFlags struct {
	addr   string
	listen httpgw.ListenConfig
}

const uiHelp = `

--ui ADDR serves the manifest explorer on ADDR (host:port), a web page
that works offline: the interfaces with their health and version; for
each, its manifest as people read Swagger UI (messages with schemas and
examples, requests with their replies, control operations, flow
settings), a console that opens a link and sends values typed as Gene or
JSON, a panel that runs control operations, live stats with small charts,
plugin load and reload errors, and the Gene manifest and AsyncAPI document
to download. It prints

  explorer on http://127.0.0.1:7480/

and follows the rule of --http: plain HTTP only on a loopback address
unless --insecure; with --http-cert and --http-key it serves HTTPS. It
holds no token: for an interface that needs one the page asks for it and
passes it as ^token, so --token rules apply as on the protocol.`

func (u *uiFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&u.addr, "ui", "", "serve the manifest explorer (a web page) on ADDR (host:port)")
}

// validate checks --ui under the exposure rule of the HTTP listeners.
func (u *uiFlags) validate(insecure bool, cert, key, clientCA string) error {
	if u.addr == "" {
		return nil
	}
	u.listen = httpgw.ListenConfig{Addr: u.addr, AllowInsecure: insecure, CertFile: cert, KeyFile: key, ClientCAFile: clientCA}
	if err := u.listen.Validate(); err != nil {
		if errors.Is(err, httpgw.ErrInsecure) {
			return fmt.Errorf("--ui %s: refusing plain HTTP on a non-loopback address: anyone on the network could use the explorer, and through it the host; serve HTTPS with --http-cert and --http-key, or allow plain HTTP explicitly with --insecure", u.addr)
		}
		return fmt.Errorf("--ui %s: %v (flags --http-cert, --http-key, --http-client-ca)", u.addr, err)
	}
	return nil
}

// serve starts the explorer, a client of the host at hostAddr, and prints
// where it listens. The caller shuts the returned server down and then
// calls done.
func (u *uiFlags) serve(hostAddr string, log hclog.Logger, stdout io.Writer) (hs *http.Server, done func(), err error) {
	if u.addr == "" {
		return nil, func() {}, nil
	}
	x, err := ui.New(ui.Config{Addr: hostAddr, Logger: log.Named("ui")})
	if err != nil {
		return nil, nil, err
	}
	ln, err := httpgw.Listen(u.listen)
	if err != nil {
		x.Close()
		return nil, nil, fmt.Errorf("--ui %s: %w", u.addr, err)
	}
	hs = &http.Server{Handler: x, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.Named("ui").StandardLogger(&hclog.StandardLoggerOptions{InferLevels: true})}
	served := make(chan struct{})
	go func() {
		defer close(served)
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("explorer failed", "address", u.addr, "error", err)
		}
	}()
	fmt.Fprintf(stdout, "explorer on %s/\n", u.listen.URL(ln))
	return hs, func() {
		_ = hs.Close() // consoles are hijacked WebSockets: Shutdown does not wait for them
		<-served
		x.Close()
	}, nil
}
