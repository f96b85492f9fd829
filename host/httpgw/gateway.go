package httpgw

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hashicorp/go-hclog"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/client"
	"github.com/genehost/genehost/proto"
)

// DefaultInterface is the interface a gateway serves when Config names
// none.
const DefaultInterface = "web"

// Config sets up a Gateway. Zero fields are defaults.
type Config struct {
	// Addr is the host address the gateway dials (unix:///path,
	// tcp://host:port, tls://host:port). Required.
	Addr string
	// Interface is the interface requests are sent to. Default "web".
	Interface string
	// Timeout bounds one request: opening the link, sending the request
	// and receiving the response. Default 30s.
	Timeout time.Duration
	// MaxBodyBytes bounds a request body. Default 1 MiB; the host's
	// max-message-bytes also applies to the whole request value.
	MaxBodyBytes int64
	// Client configures the connection to the host.
	Client client.Config
	// Logger receives one line per failed request. Default: none.
	Logger hclog.Logger
}

// Validate checks c.
func (c Config) Validate() error {
	if c.Addr == "" {
		return errors.New("httpgw: Config.Addr is required")
	}
	if c.Timeout < 0 || c.MaxBodyBytes < 0 {
		return errors.New("httpgw: Config.Timeout and Config.MaxBodyBytes must not be negative")
	}
	return nil
}

// Gateway is an http.Handler that serves HTTP through a genehost
// interface. It is safe for concurrent use.
type Gateway struct {
	cfg Config
	log hclog.Logger
	ids atomic.Int64

	mu     sync.Mutex   // guards conn and closed
	conn   *client.Conn // nil until the first request, or after it broke
	closed bool
}

// New returns a Gateway; it dials the host on the first request.
func New(cfg Config) (*Gateway, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Interface == "" {
		cfg.Interface = DefaultInterface
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	log := cfg.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	return &Gateway{cfg: cfg, log: log}, nil
}

// Interface returns the interface requests go to.
func (g *Gateway) Interface() string { return g.cfg.Interface }

// Close closes the connection to the host; requests after it fail with
// 502.
func (g *Gateway) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closed = true
	if g.conn != nil {
		err := g.conn.Close()
		g.conn = nil
		return err
	}
	return nil
}

// connection returns a live connection, dialling one when needed.
func (g *Gateway) connection(ctx context.Context) (*client.Conn, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil, errors.New("the gateway is closed")
	}
	if g.conn != nil {
		select {
		case <-g.conn.Done():
			g.conn = nil
		default:
			if !g.conn.GoingAway() {
				return g.conn, nil
			}
			g.conn = nil // draining: let it finish, use a new one
		}
	}
	c, err := client.Dial(ctx, g.cfg.Addr, g.cfg.Client)
	if err != nil {
		return nil, err
	}
	g.conn = c
	return c, nil
}

// gatewayError is a failure with the HTTP status it maps to.
type gatewayError struct {
	status int
	msg    string
}

func (e *gatewayError) Error() string { return e.msg }

func failf(status int, format string, args ...any) *gatewayError {
	return &gatewayError{status: status, msg: fmt.Sprintf(format, args...)}
}

// ServeHTTP implements http.Handler.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), g.cfg.Timeout)
	defer cancel()
	id := g.ids.Add(1)
	resp, l, err := g.roundTrip(ctx, id, r)
	if l != nil {
		// Close in order once the response is written: the host ends its
		// side when the handler is done, and the link counts as a clean
		// close in the interface's stats.
		defer func() {
			cctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			_ = l.Close(cctx)
		}()
	}
	if err != nil {
		var ge *gatewayError
		if !errors.As(err, &ge) {
			ge = failf(http.StatusBadGateway, "%v", err)
		}
		if errors.Is(err, context.DeadlineExceeded) {
			ge = failf(http.StatusGatewayTimeout, "interface %q did not answer within %v", g.cfg.Interface, g.cfg.Timeout)
		}
		g.log.Warn("http request failed", "method", r.Method, "path", r.URL.Path, "status", ge.status, "error", ge.msg)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(ge.status)
		fmt.Fprintf(w, "genehost gateway: %s\n", ge.msg)
		return
	}
	resp.write(w, r.Method)
}

// roundTrip sends the request value on a fresh link and returns the
// checked response, and the link (when one was opened) for the caller to
// close.
func (g *Gateway) roundTrip(ctx context.Context, id int64, r *http.Request) (*response, *client.Link, error) {
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, g.cfg.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, nil, failf(http.StatusRequestEntityTooLarge, "the request body exceeds %d bytes", g.cfg.MaxBodyBytes)
		}
		return nil, nil, failf(http.StatusBadRequest, "reading the request body: %v", err)
	}
	req := RequestValue(id, r, body)
	conn, err := g.connection(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot reach the host: %w", err)
	}
	l, err := conn.Open(ctx, g.cfg.Interface, proto.DirSendRecv, client.LinkOptions{})
	if err != nil {
		return nil, nil, err
	}
	if err := l.Send(ctx, req); err != nil {
		return nil, l, fmt.Errorf("sending the request to %q: %w", g.cfg.Interface, err)
	}
	for {
		v, err := l.Recv(ctx)
		if errors.Is(err, io.EOF) {
			return nil, l, fmt.Errorf("interface %q ended the link without a response", g.cfg.Interface)
		}
		if err != nil {
			return nil, l, err
		}
		n := v.Node()
		if v.Kind() != gene.KindNode || n == nil || !n.Head.IsSymbol("response") {
			return nil, l, fmt.Errorf("interface %q answered %s, not a (response ^status ...) node", g.cfg.Interface, clip(gene.Format(v)))
		}
		rid, ok := n.Props.Get("id")
		if !ok {
			return nil, l, fmt.Errorf("interface %q answered a (response ...) without the request's ^id", g.cfg.Interface)
		}
		if i, ok := rid.AsInt(); !ok || i != id {
			g.log.Warn("response for no outstanding request dropped", "interface", g.cfg.Interface, "id", gene.Format(rid))
			continue
		}
		resp, err := checkResponse(n)
		if err != nil {
			return nil, l, err
		}
		return resp, l, nil
	}
}

// RequestValue is the Gene value an HTTP request becomes (plugins/README.md,
// "HTTP gateway values").
func RequestValue(id int64, r *http.Request, body []byte) gene.Value {
	var query gene.Props
	for k, vs := range r.URL.Query() {
		if !propKey(k) {
			continue // only in ^raw-query
		}
		if len(vs) == 1 {
			query = append(query, gene.Prop{Key: k, Value: gene.String(vs[0])})
			continue
		}
		l := make([]gene.Value, len(vs))
		for i, v := range vs {
			l[i] = gene.String(v)
		}
		query = append(query, gene.Prop{Key: k, Value: gene.List(l...)})
	}
	sortProps(query)
	var headers gene.Props
	for k, vs := range r.Header {
		lk := strings.ToLower(k)
		if hopByHop(lk) || lk == "host" || !propKey(lk) {
			continue
		}
		headers = append(headers, gene.Prop{Key: lk, Value: gene.String(strings.Join(vs, ", "))})
	}
	sortProps(headers)
	b := gene.String(string(body))
	if !utf8.Valid(body) {
		b = gene.Bytes(body)
	}
	return gene.NodeValue(&gene.Node{Head: gene.Symbol("request"), HasHead: true, Props: gene.Props{
		{Key: "id", Value: gene.Int(id)},
		{Key: "method", Value: gene.String(r.Method)},
		{Key: "path", Value: gene.String(r.URL.Path)},
		{Key: "query", Value: gene.PropMap(query...)},
		{Key: "raw-query", Value: gene.String(r.URL.RawQuery)},
		{Key: "headers", Value: gene.PropMap(headers...)},
		{Key: "body", Value: b},
		{Key: "host", Value: gene.String(r.Host)},
		{Key: "remote", Value: gene.String(r.RemoteAddr)},
	}})
}

// hopByHop reports the headers that concern one connection only and are
// not passed to the handler.
func hopByHop(lower string) bool {
	switch lower {
	case "connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade":
		return true
	}
	return strings.HasPrefix(lower, "proxy-")
}

// propKey reports whether s can be a Gene prop key in text: not empty, no
// whitespace, no '^' and none of ()[]{}",;' and backquote.
func propKey(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if unicode.IsSpace(r) || strings.ContainsRune("^()[]{}\",;'`", r) {
			return false
		}
	}
	return true
}

func sortProps(ps gene.Props) {
	sort.Slice(ps, func(i, j int) bool { return ps[i].Key < ps[j].Key })
}

// response is a checked (response ...) node.
type response struct {
	status  int
	headers http.Header
	body    []byte
	ctype   string // the default Content-Type for the body kind
}

// checkResponse checks a (response ...) node against the format and
// returns what to write, or why it is malformed.
func checkResponse(n *gene.Node) (*response, error) {
	resp := &response{status: http.StatusOK, headers: http.Header{}}
	if s, ok := n.Props.Get("status"); ok {
		i, ok := s.AsInt()
		if !ok || i < 100 || i > 599 {
			return nil, fmt.Errorf("the response's ^status %s is not an HTTP status code (an integer from 100 to 599)", clip(gene.Format(s)))
		}
		resp.status = int(i)
	}
	if hs, ok := n.Props.Get("headers"); ok {
		if hs.Kind() != gene.KindProps {
			return nil, fmt.Errorf("the response's ^headers is %s, not a prop map", hs.Kind())
		}
		for _, p := range hs.Props() {
			switch p.Value.Kind() {
			case gene.KindString:
				resp.headers.Add(p.Key, p.Value.Str())
			case gene.KindList:
				for _, v := range p.Value.List() {
					if v.Kind() != gene.KindString {
						return nil, fmt.Errorf("the response's header ^%s holds %s, not a string", p.Key, v.Kind())
					}
					resp.headers.Add(p.Key, v.Str())
				}
			default:
				return nil, fmt.Errorf("the response's header ^%s is %s, not a string or a list of strings", p.Key, p.Value.Kind())
			}
		}
	}
	if b, ok := n.Props.Get("body"); ok {
		switch b.Kind() {
		case gene.KindString:
			resp.body, resp.ctype = []byte(b.Str()), "text/plain; charset=utf-8"
		case gene.KindBytes:
			resp.body, resp.ctype = b.Bytes(), "application/octet-stream"
		default:
			return nil, fmt.Errorf("the response's ^body is %s, not a string or bytes", b.Kind())
		}
	}
	return resp, nil
}

// write writes the response; no body for HEAD.
func (resp *response) write(w http.ResponseWriter, method string) {
	h := w.Header()
	for k, vs := range resp.headers {
		h[k] = vs
	}
	if h.Get("Content-Type") == "" && resp.ctype != "" {
		h.Set("Content-Type", resp.ctype)
	}
	h.Set("Content-Length", strconv.Itoa(len(resp.body)))
	w.WriteHeader(resp.status)
	if method != http.MethodHead {
		_, _ = w.Write(resp.body)
	}
}

func clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}
