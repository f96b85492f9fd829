package ui

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host"
	"github.com/genehost/genehost/host/client"
	"github.com/genehost/genehost/proto"
)

//go:embed static
var static embed.FS

// TokenHeader is the request header that carries the token the person
// typed for an interface; it is passed on as ^token in the open metadata.
const TokenHeader = "X-Genehost-Token"

// Config sets up a Server. Zero fields are defaults.
type Config struct {
	// Addr is the host address the explorer dials (unix:///path,
	// tcp://host:port, tls://host:port). Required.
	Addr string
	// Client configures the connection to the host.
	Client client.Config
	// Timeout bounds one API request to the host. Default 10s.
	Timeout time.Duration
	// Logger receives a line per failed request. Default: none.
	Logger hclog.Logger
}

// Server is the explorer: an http.Handler. It is safe for concurrent use.
type Server struct {
	cfg    Config
	log    hclog.Logger
	mux    *http.ServeMux
	ctx    context.Context // ends at Close: stops the consoles
	cancel context.CancelFunc
	wg     sync.WaitGroup // the consoles

	mu     sync.Mutex
	conn   *client.Conn
	closed bool
}

// New returns a Server; it dials the host on the first request.
func New(cfg Config) (*Server, error) {
	if cfg.Addr == "" {
		return nil, errors.New("ui: Config.Addr is required")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	log := cfg.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	s := &Server{cfg: cfg, log: log, mux: http.NewServeMux()}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	sub, err := fs.Sub(static, "static")
	if err != nil {
		return nil, fmt.Errorf("ui: embedded assets: %w", err)
	}
	files := http.FileServerFS(sub)
	s.mux.Handle("GET /", files)
	s.mux.HandleFunc("GET /api/interfaces", s.sysOp("interfaces"))
	s.mux.HandleFunc("GET /api/sys/stats", s.sysOp("stats"))
	s.mux.HandleFunc("GET /api/iface/{name}", s.withManifest(s.apiView))
	s.mux.HandleFunc("GET /api/iface/{name}/stats", s.apiStats)
	s.mux.HandleFunc("POST /api/iface/{name}/control", s.apiControl)
	s.mux.HandleFunc("GET /api/iface/{name}/manifest.gene", s.withManifest(s.apiManifestGene))
	s.mux.HandleFunc("GET /api/iface/{name}/asyncapi.json", s.withManifest(s.apiAsyncAPI))
	s.mux.HandleFunc("GET /api/iface/{name}/link", s.apiLink)
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; connect-src 'self'")
	w.Header().Set("Referrer-Policy", "no-referrer")
	if strings.HasPrefix(r.URL.Path, "/api/") {
		if why := crossSite(r); why != "" {
			s.fail(w, r, &apiError{Status: http.StatusForbidden, Code: "CROSS_ORIGIN", Message: why})
			return
		}
	}
	s.mux.ServeHTTP(w, r)
}

// crossSite says why an API request came from a page of another site, or
// "" when it did not. The explorer's own page always asks from its own
// origin; a page elsewhere that a local user happens to open must not run
// control operations through a loopback explorer (cross-site request
// forgery), so a request whose Origin names another host, or that the
// browser marks as cross-site (Sec-Fetch-Site), is refused. Clients that
// are not browsers send neither header and are not affected.
func crossSite(r *http.Request) string {
	switch site := r.Header.Get("Sec-Fetch-Site"); site {
	case "", "same-origin", "none":
	default:
		return "the explorer's API answers only its own page (Sec-Fetch-Site: " + site + ")"
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return ""
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host != r.Host {
		return fmt.Sprintf("the explorer's API answers only its own page (Origin %q is not %q)", origin, r.Host)
	}
	return ""
}

// Close ends the consoles' links and closes the connection to the host.
func (s *Server) Close() error {
	s.cancel()
	s.mu.Lock()
	s.closed = true
	c := s.conn
	s.conn = nil
	s.mu.Unlock()
	s.wg.Wait()
	if c != nil {
		return c.Close()
	}
	return nil
}

// connection returns a live connection to the host, dialling one when
// there is none or the last one broke or is draining.
func (s *Server) connection(ctx context.Context) (*client.Conn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errors.New("the explorer is closed")
	}
	if s.conn != nil {
		select {
		case <-s.conn.Done():
		default:
			if !s.conn.GoingAway() {
				return s.conn, nil
			}
		}
		s.conn = nil
	}
	c, err := client.Dial(ctx, s.cfg.Addr, s.cfg.Client)
	if err != nil {
		return nil, fmt.Errorf("cannot reach the host at %s: %w", s.cfg.Addr, err)
	}
	s.conn = c
	return c, nil
}

// linkOptions carries the request's token as ^token.
func linkOptions(token string) client.LinkOptions {
	var o client.LinkOptions
	if token != "" {
		o.Meta = gene.Props{{Key: "token", Value: gene.String(token)}}
	}
	return o
}

// call runs one control operation on iface with a fresh control link.
func (s *Server) call(ctx context.Context, r *http.Request, iface, op string, arg gene.Value) (gene.Value, error) {
	c, err := s.connection(ctx)
	if err != nil {
		return gene.Value{}, err
	}
	ctl, err := c.Control(ctx, iface, linkOptions(r.Header.Get(TokenHeader)))
	if err != nil {
		return gene.Value{}, err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = ctl.Close(cctx)
	}()
	return ctl.Call(ctx, op, arg)
}

// apiError is a failure with its HTTP status and the protocol code, when
// the host gave one.
type apiError struct {
	Status  int    `json:"-"`
	Code    string `json:"code,omitempty"`
	Message string `json:"error"`
}

func (e *apiError) Error() string { return e.Message }

// toAPIError maps an error to what the page shows: a refused link keeps
// its code (UNAUTHORIZED asks for a token), a failed operation its
// control code.
func toAPIError(err error) *apiError {
	var ae *apiError
	var oe *client.OpenError
	var ope *client.OpError
	var pe *proto.Error
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &oe):
		st := http.StatusBadGateway
		switch oe.Code() {
		case proto.CodeUnauthorized:
			st = http.StatusUnauthorized
		case proto.CodeUnknownInterface:
			st = http.StatusNotFound
		}
		return &apiError{Status: st, Code: oe.Code().String(), Message: oe.Err.Error()}
	case errors.As(err, &ope):
		return &apiError{Status: http.StatusUnprocessableEntity, Code: ope.Code, Message: ope.Message}
	case errors.As(err, &pe):
		return &apiError{Status: http.StatusBadGateway, Code: pe.Code.String(), Message: err.Error()}
	case errors.Is(err, context.DeadlineExceeded):
		return &apiError{Status: http.StatusGatewayTimeout, Message: "the host did not answer in time"}
	}
	return &apiError{Status: http.StatusBadGateway, Message: err.Error()}
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	ae := toAPIError(err)
	s.log.Debug("explorer request failed", "path", r.URL.Path, "status", ae.Status, "error", ae.Message)
	writeJSON(w, ae.Status, ae)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

// timeout is the request's context bounded by Config.Timeout.
func (s *Server) timeout(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), s.cfg.Timeout)
}

// sysOp serves the result of a $sys control operation as its JSON view.
func (s *Server) sysOp(op string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := s.timeout(r)
		defer cancel()
		v, err := s.call(ctx, r, "$sys", op, gene.Void())
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, host.JSONView(v))
	}
}

// withManifest serves f with the served manifest of the request's
// interface, or the failure to get it.
func (s *Server) withManifest(f func(w http.ResponseWriter, r *http.Request, m gene.Value)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := s.timeout(r)
		defer cancel()
		m, err := s.call(ctx, r, r.PathValue("name"), "manifest", gene.Void())
		if err != nil {
			s.fail(w, r, err)
			return
		}
		f(w, r, m)
	}
}

func (s *Server) apiView(w http.ResponseWriter, r *http.Request, m gene.Value) {
	v, err := NewView(m)
	if err != nil {
		s.fail(w, r, &apiError{Status: http.StatusBadGateway, Message: err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) apiStats(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.timeout(r)
	defer cancel()
	iface := r.PathValue("name")
	health, err := s.call(ctx, r, iface, "health", gene.Void())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	stats, err := s.call(ctx, r, iface, "stats", gene.Void())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"at":     time.Now().UnixMilli(),
		"health": host.JSONView(health),
		"stats":  host.JSONView(stats),
	})
}

// controlRequest is the body of POST /api/iface/NAME/control.
type controlRequest struct {
	Op     string `json:"op"`
	Arg    string `json:"arg"`    // empty: no argument
	Format string `json:"format"` // "gene" (default) or "json"
}

func (s *Server) apiControl(w http.ResponseWriter, r *http.Request) {
	var req controlRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
		s.fail(w, r, &apiError{Status: http.StatusBadRequest, Message: "want a JSON body {\"op\": ..., \"arg\": ..., \"format\": \"gene\" or \"json\"}: " + err.Error()})
		return
	}
	if req.Op == "" {
		s.fail(w, r, &apiError{Status: http.StatusBadRequest, Message: "no operation given"})
		return
	}
	arg := gene.Void()
	if strings.TrimSpace(req.Arg) != "" {
		v, err := ParseInput(req.Arg, req.Format)
		if err != nil {
			s.fail(w, r, &apiError{Status: http.StatusBadRequest, Code: "BAD_INPUT", Message: "the argument: " + err.Error()})
			return
		}
		arg = v
	}
	ctx, cancel := s.timeout(r)
	defer cancel()
	start := time.Now()
	res, err := s.call(ctx, r, r.PathValue("name"), req.Op, arg)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"gene": Pretty(res),
		"json": host.JSONView(res),
		"ms":   float64(time.Since(start).Microseconds()) / 1000,
	})
}

func (s *Server) apiManifestGene(w http.ResponseWriter, r *http.Request, m gene.Value) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", r.PathValue("name")+".manifest.gene"))
	_, _ = io.WriteString(w, Pretty(m)+"\n")
}

func (s *Server) apiAsyncAPI(w http.ResponseWriter, r *http.Request, m gene.Value) {
	doc, err := host.AsyncAPI(m)
	if err != nil {
		s.fail(w, r, &apiError{Status: http.StatusBadGateway, Message: err.Error()})
		return
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		s.fail(w, r, &apiError{Status: http.StatusInternalServerError, Message: err.Error()})
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", r.PathValue("name")+".asyncapi.json"))
	_, _ = w.Write(append(b, '\n'))
}

// ParseInput reads one value typed in the page: Gene text, or JSON in the
// JSON view of gene/JSON.md when format is "json".
func ParseInput(text, format string) (gene.Value, error) {
	switch format {
	case "", "gene":
		return gene.ParseWith([]byte(text), gene.ReadOptions{Source: "gene"})
	case "json":
		return gene.ParseJSON([]byte(text), gene.ReadOptions{Source: "json"})
	}
	return gene.Value{}, fmt.Errorf("unknown format %q: want gene or json", format)
}

// Pretty is v as indented Gene text.
func Pretty(v gene.Value) string {
	return strings.TrimRight(string(gene.AppendPretty(nil, v, "  ")), "\n")
}
