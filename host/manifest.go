package host

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/gene/schema"
	"github.com/genehost/genehost/proto"
)

// Manifest is the self-describing document of an interface (MANIFEST.md
// at the repository root specifies its format): what it is for, its direction, the messages that flow each
// way with their schemas and examples, its control operations, and its
// flow settings. It is written in Gene (see ParseManifest for the form),
// served on the control sub-interface, and exported to AsyncAPI 3.
//
// The host dispatches with the same Manifest it serves, so the document
// cannot drift from the behaviour: incoming values are checked against
// Messages when Validate is set, control operations are looked up in
// Control, and flow settings come from Flow.
//
// A Manifest is immutable once registered.
type Manifest struct {
	Name        string
	Version     string
	Description string
	// Direction is what data links of this interface carry, named from the
	// server's side.
	Direction proto.Direction
	// Messages are the values that flow on data links, in declaration
	// order.
	Messages []Message
	// Control are the interface's own control operations (the standard
	// ones are added by the host when it serves the manifest).
	Control []Operation
	Flow    Flow
	// Validate asks the host to check every value a client sends against
	// the Messages that flow client to server, resetting the link with
	// SCHEMA_MISMATCH (naming the path) on a mismatch.
	Validate bool
	// Defs are named schemas that message and operation schemas refer to
	// with (ref Name).
	Defs gene.Props

	recv, send *schema.Schema // one-of of the messages each way; nil: any
	hash       string
	value      gene.Value
}

// Message is one kind of value that flows on a data link.
type Message struct {
	Name string
	// From is the side that sends it: proto.DirRecv (client to server) or
	// proto.DirSend (server to client).
	From     proto.Direction
	Doc      string
	Schema   *schema.Schema
	Examples []gene.Value
	// Replies, on a message from the client, names the messages from the
	// server that answer it (a request and its replies), in declaration
	// order. The standard error reply may answer any request whether or
	// not it is named here.
	Replies []string
}

// Operation is a control operation.
type Operation struct {
	Name   string
	Doc    string
	Args   *schema.Schema // nil: the argument is not checked (any, or none)
	Result *schema.Schema // nil: any result
}

// Overflow is what a sender does when its peer has no credit.
type Overflow uint8

// Overflow policies (^flow ^overflow, MANIFEST.md section 6).
const (
	// Block waits for credit: lossless backpressure, the default.
	Block Overflow = iota
	// DropNewest discards the value being sent.
	DropNewest
	// DropOldest queues up to Flow.Queue values and discards the oldest
	// queued one to make room.
	DropOldest
	// LatestOnly keeps only the most recent unsent value.
	LatestOnly
)

var overflowNames = [...]string{"block", "drop-newest", "drop-oldest", "latest-only"}

func (o Overflow) String() string { return overflowNames[o] }

// ParseOverflow parses a policy name.
func ParseOverflow(s string) (Overflow, error) {
	for i, n := range overflowNames {
		if n == s {
			return Overflow(i), nil
		}
	}
	return 0, fmt.Errorf("unknown overflow policy %q (want block, drop-newest, drop-oldest or latest-only)", s)
}

// Flow are an interface's flow settings. Zero fields take the host's
// defaults.
type Flow struct {
	// Window and WindowBytes are the initial credit the host grants a
	// client on each data link (values and bytes); MaxWindow and
	// MaxWindowBytes bound how far the window grows.
	Window, WindowBytes       int
	MaxWindow, MaxWindowBytes int
	// MaxMessageBytes bounds one encoded value (at most the transport's
	// negotiated limit).
	MaxMessageBytes int
	// Overflow is the policy for values the host sends without credit;
	// Queue is the queue length for DropOldest (default 64).
	Overflow Overflow
	Queue    int
	// StallTimeout resets a link whose peer returns no credit for this
	// long while the host has values to send (SLOW_CONSUMER). 0: the
	// host's default; negative: never.
	StallTimeout time.Duration
	// Ordering and Delivery document guarantees for clients ("per-link",
	// "at-most-once", "at-least-once"...). The host guarantees per-link
	// order and, for Block, no loss while the link is open.
	Ordering, Delivery string
}

// ErrManifest matches every manifest error.
var ErrManifest = errors.New("host: invalid manifest")

// manifestDoc is the Gene form of a manifest, decoded with gene.Unmarshal
// so type errors name their path.
type manifestDoc struct {
	Name        string     `gene:"name"`
	Version     string     `gene:"version"`
	Description string     `gene:"description"`
	Direction   string     `gene:"direction"`
	Messages    gene.Props `gene:"messages"`
	Control     gene.Props `gene:"control"`
	Flow        *flowDoc   `gene:"flow"`
	Validate    bool       `gene:"validate"`
	Defs        gene.Props `gene:"defs"`
}

type messageDoc struct {
	From     string       `gene:"from"`
	Doc      string       `gene:"doc"`
	Schema   gene.Value   `gene:"schema"`
	Examples []gene.Value `gene:"examples"`
	Replies  []string     `gene:"replies"`
}

type operationDoc struct {
	Doc    string     `gene:"doc"`
	Args   gene.Value `gene:"args"`
	Result gene.Value `gene:"result"`
}

type flowDoc struct {
	Window         int    `gene:"window"`
	WindowBytes    int    `gene:"window-bytes"`
	MaxWindow      int    `gene:"max-window"`
	MaxWindowBytes int    `gene:"max-window-bytes"`
	MaxMessage     int    `gene:"max-message-bytes"`
	Overflow       string `gene:"overflow"`
	Queue          int    `gene:"queue"`
	StallTimeoutMS int    `gene:"stall-timeout-ms"`
	Ordering       string `gene:"ordering"`
	Delivery       string `gene:"delivery"`
}

// ManifestKeys are the props a manifest may hold. A plugin config holds
// these and its own keys in one prop map.
var ManifestKeys = []string{"name", "version", "description", "direction", "messages", "control", "flow", "validate", "defs"}

// ParseManifest reads a manifest from its Gene form, a prop map:
//
//	{^name "kv" ^version "1.0.0" ^description "A durable key-value store"
//	 ^direction "send+recv"
//	 ^validate true
//	 ^defs {^Key (string ^min-len 1)}
//	 ^messages {
//	   ^set {^from "client" ^doc "store a value"
//	         ^schema (gene ^head set ^props {^key (ref Key) ^value any})
//	         ^examples [(set ^key "a" ^value 1)]
//	         ^replies ["ok"]}
//	   ^ok  {^from "server" ^schema (gene ^head ok)}}
//	 ^control {^reset {^doc "delete every key" ^args nil ^result int}}
//	 ^flow {^window 64 ^window-bytes 1048576 ^overflow "block"}}
//
// ^from is "client" or "server"; ^replies, on a message from the client,
// names the messages from the server that answer it. Keys not listed in ManifestKeys are
// ignored here (a plugin config keeps its own keys beside them). Errors
// name the path inside the manifest.
func ParseManifest(v gene.Value) (*Manifest, error) {
	var d manifestDoc
	if v.Kind() != gene.KindProps {
		return nil, fmt.Errorf("%w: want a prop map {^name ...}, got %s", ErrManifest, v.Kind())
	}
	if err := gene.Unmarshal(v, &d); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrManifest, err)
	}
	m := &Manifest{
		Name: d.Name, Version: d.Version, Description: d.Description,
		Validate: d.Validate, Defs: d.Defs,
	}
	fail := func(path, format string, args ...any) error {
		return fmt.Errorf("%w %q: at %s: %s", ErrManifest, m.Name, path, fmt.Sprintf(format, args...))
	}
	if err := checkName(m.Name); err != nil {
		return nil, fmt.Errorf("%w: at ^name: %w", ErrManifest, err)
	}
	if d.Direction == "" {
		return nil, fail("^direction", `missing: want "send", "recv" or "send+recv"`)
	}
	dir, err := proto.ParseDirection(d.Direction)
	if err != nil {
		return nil, fail("^direction", "%v", err)
	}
	m.Direction = dir

	defs := make(map[string]gene.Value, len(d.Defs))
	for _, p := range d.Defs {
		defs[p.Key] = p.Value
	}
	if _, err := schema.ParseDefs(defs); err != nil {
		return nil, fail("^defs", "%v", err)
	}
	compile := func(path string, sv gene.Value) (*schema.Schema, error) {
		s, err := schema.Parse(sv, defs)
		if err != nil {
			return nil, fail(path, "%v", err)
		}
		return s, nil
	}

	var recv, send []gene.Value
	for _, p := range d.Messages {
		path := "^messages/^" + p.Key
		var md messageDoc
		if err := gene.UnmarshalWith(p.Value, &md, gene.UnmarshalOptions{DisallowUnknown: true}); err != nil {
			return nil, fail(path, "%v", err)
		}
		msg := Message{Name: p.Key, Doc: md.Doc, Examples: md.Examples, Replies: md.Replies}
		switch md.From {
		case "client":
			msg.From = proto.DirRecv
		case "server":
			msg.From = proto.DirSend
		default:
			return nil, fail(path+"/^from", `want "client" or "server", got %q`, md.From)
		}
		if !dir.Sends(sideOf(msg.From)) {
			return nil, fail(path+"/^from", "the %s cannot send on a %s interface", md.From, dir.Describe())
		}
		sv := md.Schema
		if sv.Kind() == gene.KindNil {
			sv = gene.Symbol("any")
		}
		if msg.Schema, err = compile(path+"/^schema", sv); err != nil {
			return nil, err
		}
		for i, ex := range md.Examples {
			if err := msg.Schema.Validate(ex); err != nil {
				return nil, fail(fmt.Sprintf("%s/^examples/[%d]", path, i), "example does not match the schema: %v", err)
			}
		}
		if msg.From == proto.DirRecv {
			recv = append(recv, sv)
		} else {
			send = append(send, sv)
		}
		m.Messages = append(m.Messages, msg)
	}
	if dir.Sends(proto.SideHost) && !slices.ContainsFunc(m.Messages, func(x Message) bool { return x.Name == ErrorMessage }) {
		sv := gene.MustParse(errorReplySchema)
		msg := Message{Name: ErrorMessage, From: proto.DirSend, Doc: errorReplyDoc, Examples: []gene.Value{gene.MustParse(errorReplyExample)}}
		if msg.Schema, err = compile("^messages/^error", sv); err != nil {
			return nil, err
		}
		send = append(send, sv)
		m.Messages = append(m.Messages, msg)
	}
	if err := checkReplies(m.Messages); err != nil {
		return nil, fail(err.path, "%s", err.msg)
	}
	if m.recv, err = unionSchema(recv, defs); err != nil {
		return nil, fail("^messages", "%v", err)
	}
	if m.send, err = unionSchema(send, defs); err != nil {
		return nil, fail("^messages", "%v", err)
	}

	for _, p := range d.Control {
		path := "^control/^" + p.Key
		if isStandardOp(p.Key) {
			return nil, fail(path, "%q is a standard control operation; choose another name", p.Key)
		}
		var od operationDoc
		if err := gene.UnmarshalWith(p.Value, &od, gene.UnmarshalOptions{DisallowUnknown: true}); err != nil {
			return nil, fail(path, "%v", err)
		}
		op := Operation{Name: p.Key, Doc: od.Doc}
		if od.Args.Kind() != gene.KindNil {
			if op.Args, err = compile(path+"/^args", od.Args); err != nil {
				return nil, err
			}
		}
		if od.Result.Kind() != gene.KindNil {
			if op.Result, err = compile(path+"/^result", od.Result); err != nil {
				return nil, err
			}
		}
		m.Control = append(m.Control, op)
	}

	if d.Flow != nil {
		f := d.Flow
		m.Flow = Flow{
			Window: f.Window, WindowBytes: f.WindowBytes, MaxWindow: f.MaxWindow, MaxWindowBytes: f.MaxWindowBytes,
			MaxMessageBytes: f.MaxMessage, Queue: f.Queue,
			StallTimeout: time.Duration(f.StallTimeoutMS) * time.Millisecond,
			Ordering:     f.Ordering, Delivery: f.Delivery,
		}
		if f.Overflow != "" {
			if m.Flow.Overflow, err = ParseOverflow(f.Overflow); err != nil {
				return nil, fail("^flow/^overflow", "%v", err)
			}
		}
		for _, c := range []struct {
			key string
			v   int
		}{{"window", f.Window}, {"window-bytes", f.WindowBytes}, {"max-window", f.MaxWindow},
			{"max-window-bytes", f.MaxWindowBytes}, {"max-message-bytes", f.MaxMessage}, {"queue", f.Queue}} {
			if c.v < 0 {
				return nil, fail("^flow/^"+c.key, "must not be negative, got %d", c.v)
			}
		}
		if f.MaxWindow != 0 && f.MaxWindow < f.Window {
			return nil, fail("^flow/^max-window", "%d is below ^window %d", f.MaxWindow, f.Window)
		}
		if f.MaxWindowBytes != 0 && f.MaxWindowBytes < f.WindowBytes {
			return nil, fail("^flow/^max-window-bytes", "%d is below ^window-bytes %d", f.MaxWindowBytes, f.WindowBytes)
		}
	}
	m.value = m.toValue()
	sum := sha256.Sum256(gene.AppendText(nil, m.value))
	m.hash = "sha256:" + hex.EncodeToString(sum[:])
	return m, nil
}

// ErrorMessage is the name of the standard error reply, (error ^code C
// ^message M ^id X): the value a handler answers a request it cannot
// serve with, going on with the link. Every manifest whose server side
// sends declares it; ParseManifest adds the declaration below when the
// plugin does not declare its own (a plugin's own, narrower "error"
// message is kept as written).
const ErrorMessage = "error"

const (
	errorReplySchema  = `(gene ^head error ^props {^code string ^message string ^id (optional any)} ^body (tuple))`
	errorReplyExample = `(error ^code "bad-request" ^message "^key is missing" ^id 7)`
	errorReplyDoc     = "The standard error reply (declared by the host): a request this interface could not serve. ^code is a short machine-readable word, ^message says what was wrong for people, ^id is the request's ^id when it had one. The link stays open."
)

// replyError is a ^replies entry that names no message the server sends.
type replyError struct{ path, msg string }

// checkReplies checks each message's ^replies: only messages from the
// client have them, and each names, once, a message from the server.
func checkReplies(msgs []Message) *replyError {
	from := make(map[string]proto.Direction, len(msgs))
	for _, m := range msgs {
		from[m.Name] = m.From
	}
	for _, m := range msgs {
		path := "^messages/^" + m.Name + "/^replies"
		if len(m.Replies) > 0 && m.From != proto.DirRecv {
			return &replyError{path, "only a message from the client has replies"}
		}
		for i, r := range m.Replies {
			p := fmt.Sprintf("%s/[%d]", path, i)
			switch d, ok := from[r]; {
			case !ok:
				return &replyError{p, fmt.Sprintf("%q is not a message of this manifest", r)}
			case d != proto.DirSend:
				return &replyError{p, fmt.Sprintf("%q is a message from the client; a reply comes from the server", r)}
			case slices.Contains(m.Replies[:i], r):
				return &replyError{p, fmt.Sprintf("%q is named twice", r)}
			}
		}
	}
	return nil
}

// sideOf returns the side that sends messages flowing in direction d.
func sideOf(d proto.Direction) proto.Side {
	if d == proto.DirRecv {
		return proto.SideClient
	}
	return proto.SideHost
}

// unionSchema compiles the one-of of the given message schemas; nil when
// there are none (anything goes).
func unionSchema(alts []gene.Value, defs map[string]gene.Value) (*schema.Schema, error) {
	switch len(alts) {
	case 0:
		return nil, nil
	case 1:
		return schema.Parse(alts[0], defs)
	}
	return schema.Parse(gene.Gene(gene.Symbol("one-of"), alts...), defs)
}

// checkName checks an interface name: 1 to 256 bytes of letters, digits,
// '-', '_', '.' and '$' (only the host's own interfaces start with '$').
func checkName(name string) error {
	if name == "" || len(name) > 256 {
		return fmt.Errorf("an interface name is 1 to 256 bytes, got %d", len(name))
	}
	for i, r := range name {
		ok := r == '-' || r == '_' || r == '.' || r == '$' && i == 0 ||
			'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
		if !ok {
			return fmt.Errorf("interface name %q: character %q is not allowed (letters, digits, - _ .)", name, r)
		}
	}
	return nil
}

// Hash is the content hash of the manifest ("sha256:<hex>" of its
// canonical Gene text), sent in ACCEPT so clients can use a cached copy.
func (m *Manifest) Hash() string { return m.hash }

// Value returns the manifest in its Gene form, as ParseManifest reads it.
func (m *Manifest) Value() gene.Value { return m.value }

// CheckIncoming validates a value a client sent on a data link against
// the client-to-server messages. It returns nil when the manifest does not
// ask for validation or declares no such message.
func (m *Manifest) CheckIncoming(v gene.Value) error {
	if !m.Validate || m.recv == nil {
		return nil
	}
	return m.recv.Validate(v)
}

// Operation returns the interface's own control operation called name.
func (m *Manifest) Operation(name string) (*Operation, bool) {
	for i := range m.Control {
		if m.Control[i].Name == name {
			return &m.Control[i], true
		}
	}
	return nil, false
}

func (m *Manifest) toValue() gene.Value {
	ps := gene.Props{
		{Key: "name", Value: gene.String(m.Name)},
	}
	add := func(k string, v gene.Value) { ps = append(ps, gene.Prop{Key: k, Value: v}) }
	if m.Version != "" {
		add("version", gene.String(m.Version))
	}
	if m.Description != "" {
		add("description", gene.String(m.Description))
	}
	add("direction", gene.String(m.Direction.String()))
	if m.Validate {
		add("validate", gene.True)
	}
	if len(m.Defs) > 0 {
		add("defs", gene.PropMap(m.Defs...))
	}
	if len(m.Messages) > 0 {
		msgs := make(gene.Props, 0, len(m.Messages))
		for _, msg := range m.Messages {
			from := "client"
			if msg.From == proto.DirSend {
				from = "server"
			}
			mp := gene.Props{{Key: "from", Value: gene.String(from)}}
			if msg.Doc != "" {
				mp = append(mp, gene.Prop{Key: "doc", Value: gene.String(msg.Doc)})
			}
			mp = append(mp, gene.Prop{Key: "schema", Value: msg.Schema.Value()})
			if len(msg.Examples) > 0 {
				mp = append(mp, gene.Prop{Key: "examples", Value: gene.List(msg.Examples...)})
			}
			if len(msg.Replies) > 0 {
				names := make([]gene.Value, len(msg.Replies))
				for i, r := range msg.Replies {
					names[i] = gene.String(r)
				}
				mp = append(mp, gene.Prop{Key: "replies", Value: gene.List(names...)})
			}
			msgs = append(msgs, gene.Prop{Key: msg.Name, Value: gene.PropMap(mp...)})
		}
		add("messages", gene.PropMap(msgs...))
	}
	if len(m.Control) > 0 {
		ops := make(gene.Props, 0, len(m.Control))
		for _, op := range m.Control {
			ops = append(ops, gene.Prop{Key: op.Name, Value: op.value()})
		}
		add("control", gene.PropMap(ops...))
	}
	add("flow", m.Flow.value())
	return gene.PropMap(ps...)
}

func (op *Operation) value() gene.Value {
	var ps gene.Props
	if op.Doc != "" {
		ps = append(ps, gene.Prop{Key: "doc", Value: gene.String(op.Doc)})
	}
	if op.Args != nil {
		ps = append(ps, gene.Prop{Key: "args", Value: op.Args.Value()})
	}
	if op.Result != nil {
		ps = append(ps, gene.Prop{Key: "result", Value: op.Result.Value()})
	}
	return gene.PropMap(ps...)
}

func (f Flow) value() gene.Value {
	var ps gene.Props
	addInt := func(k string, v int) {
		if v != 0 {
			ps = append(ps, gene.Prop{Key: k, Value: gene.Int(int64(v))})
		}
	}
	addInt("window", f.Window)
	addInt("window-bytes", f.WindowBytes)
	addInt("max-window", f.MaxWindow)
	addInt("max-window-bytes", f.MaxWindowBytes)
	addInt("max-message-bytes", f.MaxMessageBytes)
	ps = append(ps, gene.Prop{Key: "overflow", Value: gene.String(f.Overflow.String())})
	addInt("queue", f.Queue)
	addInt("stall-timeout-ms", int(f.StallTimeout/time.Millisecond))
	if f.Ordering != "" {
		ps = append(ps, gene.Prop{Key: "ordering", Value: gene.String(f.Ordering)})
	}
	if f.Delivery != "" {
		ps = append(ps, gene.Prop{Key: "delivery", Value: gene.String(f.Delivery)})
	}
	return gene.PropMap(ps...)
}

// standardOps are the control operations every interface has (PROTOCOL.md
// appendix A.2); a manifest may not declare its own under these names.
var standardOps = []string{"manifest", "ping", "health", "stats", "pause", "resume"}

func isStandardOp(name string) bool {
	for _, s := range standardOps {
		if s == name {
			return true
		}
	}
	return false
}
