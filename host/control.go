package host

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/internal/session"
	"github.com/genehost/genehost/proto"
)

// Control error codes, carried as strings in (error ^code ...) replies
// (PROTOCOL.md appendix A).
const (
	CtlBadRequest    = "BAD_REQUEST"    // not (OP ^id ...), or a malformed property
	CtlUnknownOp     = "UNKNOWN_OP"     // no such operation on this interface
	CtlBadArgs       = "BAD_ARGS"       // the argument does not match the operation's schema
	CtlUnknownLink   = "UNKNOWN_LINK"   // ^link names no data link of this interface on this transport
	CtlFailed        = "FAILED"         // the operation ran and failed
	CtlBadResult     = "BAD_RESULT"     // the handler's result does not match the operation's schema
	CtlNotSupported  = "NOT_SUPPORTED"  // the interface has no implementation for the operation
	controlOpTimeout = 30 * time.Second // bound on one declared operation
)

// controlLink serves the control sub-interface of one interface (or of
// $sys when ifc is nil) on one link.
type controlLink struct {
	s   *Server
	l   *session.Link
	ifc *iface
}

func (c *controlLink) start() {
	if c.ifc != nil {
		c.ifc.mu.Lock()
		c.ifc.ctls[c] = struct{}{}
		c.ifc.mu.Unlock()
	} else {
		c.s.mu.Lock()
		c.s.sysCtls[c] = struct{}{}
		c.s.mu.Unlock()
	}
	c.l.SetAutoEnd(true)
	c.l.SetHandler(c)
}

// Closed implements session.Handler.
func (c *controlLink) Closed(*session.Link, error) {
	if c.ifc != nil {
		c.ifc.mu.Lock()
		delete(c.ifc.ctls, c)
		c.ifc.mu.Unlock()
	} else {
		c.s.mu.Lock()
		delete(c.s.sysCtls, c)
		c.s.mu.Unlock()
	}
}

// Values implements session.Handler: each value is one request, answered
// in order.
func (c *controlLink) Values(_ *session.Link, values []gene.Value) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		select {
		case <-c.l.Done():
			cancel()
		case <-ctx.Done():
		}
	}()
	defer cancel()
	for _, v := range values {
		reply := c.handle(ctx, v)
		if err := c.l.Send(ctx, reply); err != nil {
			return
		}
	}
}

// ctlError is a failed control operation.
type ctlError struct {
	code string
	msg  string
}

func (e *ctlError) Error() string { return e.code + ": " + e.msg }

func ctlErrorf(code, format string, args ...any) *ctlError {
	return &ctlError{code: code, msg: fmt.Sprintf(format, args...)}
}

// request is a parsed control request: (OP ^id ID ^link N ARG).
type request struct {
	op     string
	id     gene.Value
	hasID  bool
	link   uint32
	byLink bool
	arg    gene.Value
}

func parseRequest(v gene.Value) (request, *ctlError) {
	var r request
	n := v.Node()
	if v.Kind() != gene.KindNode || n == nil || !n.HasHead || n.Head.Kind() != gene.KindSymbol {
		return r, ctlErrorf(CtlBadRequest, "a control request is (OP ^id ID [^link N] [ARG]), got %s", clip(gene.Format(v)))
	}
	r.op = n.Head.Str()
	r.id, r.hasID = n.Props.Get("id")
	if lv, ok := n.Props.Get("link"); ok {
		id, ok := lv.AsInt()
		if !ok || id <= 0 || id > 1<<32-1 {
			return r, ctlErrorf(CtlBadRequest, "^link must be a link id (a positive integer), got %s", clip(gene.Format(lv)))
		}
		r.link, r.byLink = uint32(id), true
	}
	switch len(n.Body) {
	case 0:
		r.arg = gene.Void()
	case 1:
		r.arg = n.Body[0]
	default:
		return r, ctlErrorf(CtlBadRequest, "operation %s takes at most one argument, got %d", r.op, len(n.Body))
	}
	return r, nil
}

func clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}

// handle answers one request.
func (c *controlLink) handle(ctx context.Context, v gene.Value) gene.Value {
	req, cerr := parseRequest(v)
	var result gene.Value
	if cerr == nil {
		var err error
		if c.ifc == nil {
			result, err = c.sysOp(req)
		} else {
			result, err = c.op(ctx, req)
		}
		if err != nil {
			if !errors.As(err, &cerr) {
				cerr = ctlErrorf(CtlFailed, "%v", err)
			}
		}
	}
	var ps gene.Props
	if req.hasID {
		ps = append(ps, gene.Prop{Key: "id", Value: req.id})
	}
	if cerr != nil {
		ps = append(ps, gene.Prop{Key: "code", Value: gene.String(cerr.code)}, gene.Prop{Key: "message", Value: gene.String(cerr.msg)})
		return gene.NodeValue(&gene.Node{Head: gene.Symbol("error"), HasHead: true, Props: ps})
	}
	return gene.NodeValue(&gene.Node{Head: gene.Symbol("ok"), HasHead: true, Props: ps, Body: []gene.Value{result}})
}

// dataLink resolves ^link to a data link of this interface on the
// control link's own transport.
func (c *controlLink) dataLink(req request) (*link, *ctlError) {
	if !req.byLink {
		return nil, ctlErrorf(CtlBadRequest, "operation %s needs ^link, the id of a data link on this transport", req.op)
	}
	for _, sl := range c.l.Session().Links() {
		if sl.ID() != req.link {
			continue
		}
		if hl, ok := sl.Attached().(*link); ok && hl.ifc == c.ifc {
			return hl, nil
		}
	}
	return nil, ctlErrorf(CtlUnknownLink, "no data link %d of interface %q on this transport", req.link, c.ifc.name)
}

func (c *controlLink) op(ctx context.Context, req request) (gene.Value, error) {
	ifc := c.ifc
	m, h := ifc.current()
	switch req.op {
	case "manifest":
		return c.s.manifestValue(m), nil
	case "ping":
		return gene.Symbol("pong"), nil
	case "health":
		st, why := ifc.health()
		ps := gene.Props{{Key: "status", Value: gene.String(st.String())}}
		if why != "" {
			ps = append(ps, gene.Prop{Key: "reason", Value: gene.String(why)})
		}
		return gene.PropMap(ps...), nil
	case "stats":
		if req.byLink {
			l, cerr := c.dataLink(req)
			if cerr != nil {
				return gene.Value{}, cerr
			}
			return linkStats(l), nil
		}
		return ifc.stats(), nil
	case "pause", "resume":
		l, cerr := c.dataLink(req)
		if cerr != nil {
			return gene.Value{}, cerr
		}
		if req.op == "pause" {
			l.Pause()
		} else {
			l.Resume()
		}
		return gene.PropMap(gene.Prop{Key: "link", Value: gene.Int(int64(req.link))}, gene.Prop{Key: "paused", Value: gene.Bool(req.op == "pause")}), nil
	}
	op, ok := m.Operation(req.op)
	if !ok {
		return gene.Value{}, ctlErrorf(CtlUnknownOp, "interface %q has no operation %q (standard: manifest ping health stats pause resume%s)", m.Name, req.op, declared(m))
	}
	if op.Args != nil {
		if err := op.Args.Validate(req.arg); err != nil {
			return gene.Value{}, ctlErrorf(CtlBadArgs, "%s: %v", req.op, err)
		}
	}
	ctl, ok := h.(Controller)
	if !ok {
		return gene.Value{}, ctlErrorf(CtlNotSupported, "interface %q declares %q but its handler serves no operations", m.Name, req.op)
	}
	var dl Link
	if req.byLink {
		l, cerr := c.dataLink(req)
		if cerr != nil {
			return gene.Value{}, cerr
		}
		dl = l
	}
	octx, cancel := context.WithTimeout(ctx, controlOpTimeout)
	defer cancel()
	res, err := callControl(octx, ctl, dl, req.op, req.arg)
	if err != nil {
		ifc.recordError(err)
		return gene.Value{}, ctlErrorf(CtlFailed, "%s: %v", req.op, err)
	}
	if op.Result != nil {
		if err := op.Result.Validate(res); err != nil {
			return gene.Value{}, ctlErrorf(CtlBadResult, "%s: %v", req.op, err)
		}
	}
	return res, nil
}

func callControl(ctx context.Context, ctl Controller, l Link, op string, arg gene.Value) (res gene.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return ctl.Control(ctx, l, op, arg)
}

func declared(m *Manifest) string {
	s := ""
	for _, op := range m.Control {
		s += " " + op.Name
	}
	if s != "" {
		s = "; declared:" + s
	}
	return s
}

func linkStats(l *link) gene.Value {
	st := l.sl.Stats()
	return gene.PropMap(
		gene.Prop{Key: "link", Value: gene.Int(int64(l.sl.ID()))},
		gene.Prop{Key: "direction", Value: gene.String(l.Direction().String())},
		gene.Prop{Key: "values-in", Value: gene.Int(int64(st.ValuesIn))},
		gene.Prop{Key: "values-out", Value: gene.Int(int64(st.ValuesOut))},
		gene.Prop{Key: "bytes-in", Value: gene.Int(int64(st.BytesIn))},
		gene.Prop{Key: "bytes-out", Value: gene.Int(int64(st.BytesOut))},
		gene.Prop{Key: "buffered", Value: gene.Int(int64(st.Buffered))},
		gene.Prop{Key: "paused", Value: gene.Bool(st.Paused)},
		gene.Prop{Key: "credit-stalls", Value: gene.Int(int64(st.Stalls))},
	)
}

// manifestValue is what the manifest operation returns: the manifest with
// its hash, the standard operations and the addresses it is served on.
func (s *Server) manifestValue(m *Manifest) gene.Value {
	ps := append(gene.Props(nil), m.Value().Props()...)
	ps.Set("hash", gene.String(m.Hash()))
	addrs := s.Addresses()
	av := make([]gene.Value, len(addrs))
	for i, a := range addrs {
		av[i] = gene.String(a)
	}
	ps.Set("addresses", gene.List(av...))
	std := make([]gene.Value, len(standardOps))
	for i, op := range standardOps {
		std[i] = gene.Symbol(op)
	}
	ps.Set("standard-control", gene.List(std...))
	return gene.PropMap(ps...)
}

// visible reports whether a client whose OPEN carried meta may learn of
// interface name from the host: whether Config.Authorize would let it open
// a control link on name with that metadata. It decides what $sys
// interfaces lists, which events a $sys control link gets and which names
// an UNKNOWN_INTERFACE refusal offers (PROTOCOL.md A.3).
func (s *Server) visible(name string, meta gene.Props) bool {
	return s.cfg.Authorize == nil || s.cfg.Authorize(name, proto.SubControl, meta) == nil
}

// visibleInterfaces is Interfaces without those meta may not see.
func (s *Server) visibleInterfaces(meta gene.Props) []string {
	names := s.Interfaces()
	out := names[:0]
	for _, n := range names {
		if s.visible(n, meta) {
			out = append(out, n)
		}
	}
	return out
}

// sysOp serves $sys.
func (c *controlLink) sysOp(req request) (gene.Value, error) {
	switch req.op {
	case "ping":
		return gene.Symbol("pong"), nil
	case "health":
		st := "serving"
		if c.s.isClosing() {
			st = "draining"
		}
		return gene.PropMap(gene.Prop{Key: "status", Value: gene.String(st)}), nil
	case "interfaces":
		var out []gene.Value
		for _, name := range c.s.visibleInterfaces(c.l.Open().Meta) {
			ifc := c.s.lookup(name)
			if ifc == nil {
				continue
			}
			m, _ := ifc.current()
			st, why := ifc.health()
			ps := gene.Props{
				{Key: "name", Value: gene.String(m.Name)},
				{Key: "version", Value: gene.String(m.Version)},
				{Key: "direction", Value: gene.String(m.Direction.String())},
				{Key: "description", Value: gene.String(m.Description)},
				{Key: "health", Value: gene.String(st.String())},
				{Key: "hash", Value: gene.String(m.Hash())},
			}
			if why != "" {
				ps = append(ps, gene.Prop{Key: "reason", Value: gene.String(why)})
			}
			out = append(out, gene.PropMap(ps...))
		}
		return gene.List(out...), nil
	case "stats":
		return c.s.sysStats(), nil
	case "addresses":
		addrs := c.s.Addresses()
		av := make([]gene.Value, len(addrs))
		for i, a := range addrs {
			av[i] = gene.String(a)
		}
		return gene.List(av...), nil
	case "manifest":
		return gene.PropMap(
			gene.Prop{Key: "name", Value: gene.String(SysInterface)},
			gene.Prop{Key: "version", Value: gene.String(Version)},
			gene.Prop{Key: "description", Value: gene.String("the daemon-wide interface: lists the interfaces this host serves and where")},
			gene.Prop{Key: "control", Value: gene.List(gene.Symbol("interfaces"), gene.Symbol("addresses"), gene.Symbol("stats"), gene.Symbol("ping"), gene.Symbol("health"), gene.Symbol("manifest"))},
		), nil
	}
	return gene.Value{}, ctlErrorf(CtlUnknownOp, "%s has no operation %q (it has interfaces, addresses, stats, ping, health, manifest)", SysInterface, req.op)
}
