package host

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/gene/schema"
	"github.com/genehost/genehost/proto"
)

// AsyncAPIVersion is the AsyncAPI specification version of the documents
// AsyncAPI produces.
const AsyncAPIVersion = "3.0.0"

// AsyncAPI turns a served manifest (the result of the manifest control
// operation: the manifest plus ^hash, ^addresses and ^standard-control)
// into an AsyncAPI 3.0 document, as a tree ready for encoding/json.
//
// The application the document describes is the genehost host serving the
// interface: what a client sends is an operation with action "receive",
// what the host sends one with action "send". Two channels, both
// addressed by the interface name, carry the values: NAME for data links
// and NAME.control for control links (PROTOCOL.md appendix A).
//
//   - Each message from the client is an operation of its own, named after
//     it; the messages its ^replies name, and the standard error reply, are
//     that operation's reply. A message from the server that answers no
//     request (a push) is a "send" operation of its own.
//   - Each control operation, the interface's own and the standard ones,
//     is an operation named control.OP: its request (OP ^id ^link ARG) and
//     its reply (ok ^id RESULT), or the control error reply. Events pushed
//     on control links are the operation control.events.
//   - Payloads are plain JSON Schema (the draft-07 vocabulary of AsyncAPI's
//     default schema format) of the JSON view of the values (gene/JSON.md);
//     named schemas go under components/schemas. Each message keeps its
//     Gene schema in the extension x-gene-schema, and each example its Gene
//     text as the example's summary.
//
// What AsyncAPI has no words for (the direction, flow settings, ^validate,
// the manifest hash) is kept under the x-genehost key of the document.
func AsyncAPI(served gene.Value) (map[string]any, error) {
	m, err := ParseManifest(served)
	if err != nil {
		return nil, err
	}
	x := &apiExport{
		m:        m,
		schemas:  map[string]any{},
		messages: map[string]any{},
		ops:      map[string]any{},
		defs:     make(map[string]gene.Value, len(m.Defs)),
	}
	for _, p := range m.Defs {
		x.defs[p.Key] = p.Value
	}
	data := apiName(m.Name)
	control := data + ".control"
	x.channels = map[string]any{
		data: map[string]any{
			"address":     m.Name,
			"title":       m.Name + " (data links)",
			"description": "Data links to " + m.Name + " (OPEN ^sub \"data\"), carrying " + m.Direction.Describe() + ". Values are Gene values; the payload schemas describe their JSON view (gene/JSON.md).",
			"messages":    map[string]any{},
		},
		control: map[string]any{
			"address":     m.Name,
			"title":       m.Name + " (control links)",
			"description": "Control links to " + m.Name + " (OPEN ^sub \"control\"): requests (OP ^id ID ARG) answered in order with (ok ^id ID RESULT) or (error ^id ID ^code C ^message M), and events the host pushes between replies (PROTOCOL.md appendix A).",
			"messages":    map[string]any{},
		},
	}
	if err := x.dataOperations(data); err != nil {
		return nil, err
	}
	if err := x.controlOperations(control, standardControl(served)); err != nil {
		return nil, err
	}

	info := map[string]any{"title": m.Name, "version": m.Version}
	if m.Version == "" {
		info["version"] = "0.0.0"
	}
	if m.Description != "" {
		info["description"] = m.Description
	}
	flow, _ := m.Value().Get("flow")
	ext := map[string]any{
		"direction": m.Direction.String(),
		"flow":      JSONView(flow),
		"validate":  m.Validate,
	}
	if h, ok := served.Get("hash"); ok {
		ext["hash"] = h.Str()
	}
	if std, ok := served.Get("standard-control"); ok {
		ext["standard-control"] = JSONView(std)
	}
	doc := map[string]any{
		"asyncapi":           AsyncAPIVersion,
		"info":               info,
		"defaultContentType": "application/json",
		"channels":           x.channels,
		"operations":         x.ops,
		"components":         map[string]any{"messages": x.messages, "schemas": x.schemas},
		"x-genehost":         ext,
	}
	if addrs, ok := served.Get("addresses"); ok && len(addrs.List()) > 0 {
		servers := map[string]any{}
		for i, a := range addrs.List() {
			if s, ok := apiServer(a.Str()); ok {
				servers[fmt.Sprintf("s%d", i)] = s
			}
		}
		if len(servers) > 0 {
			doc["servers"] = servers
		}
	}
	return doc, nil
}

// apiExport collects the parts of one AsyncAPI document.
type apiExport struct {
	m        *Manifest
	defs     map[string]gene.Value
	channels map[string]any
	messages map[string]any // components/messages
	schemas  map[string]any // components/schemas
	ops      map[string]any
}

const schemaRef = "#/components/schemas/"

// payload is the JSON Schema of s for a message payload; the definitions
// it reaches go to components/schemas.
func (x *apiExport) payload(s *schema.Schema) map[string]any {
	root, defs := s.ExportJSONSchema(schemaRef)
	for k, v := range defs {
		x.schemas[k] = draft07(v)
	}
	return draft07(root).(map[string]any)
}

// message adds a message to components/messages and to channel ch, and
// returns the reference an operation on ch uses.
func (x *apiExport) message(ch, key string, mo map[string]any) map[string]any {
	x.messages[key] = mo
	x.channels[ch].(map[string]any)["messages"].(map[string]any)[key] = map[string]any{"$ref": "#/components/messages/" + key}
	return map[string]any{"$ref": "#/channels/" + ch + "/messages/" + key}
}

// newMessage is the message object of a value whose schema is s.
func (x *apiExport) newMessage(name, doc string, s *schema.Schema, examples []gene.Value) map[string]any {
	mo := map[string]any{
		"name":          name,
		"title":         name,
		"contentType":   "application/json",
		"payload":       x.payload(s),
		"x-gene-schema": gene.Format(s.Value()),
	}
	if doc != "" {
		mo["summary"] = firstSentence(doc)
		mo["description"] = doc
	}
	if len(examples) > 0 {
		ex := make([]any, len(examples))
		for i, e := range examples {
			// The Message Example Object takes no extensions: the Gene
			// text is its summary.
			ex[i] = map[string]any{"summary": gene.Format(e), "payload": JSONView(e)}
		}
		mo["examples"] = ex
	}
	return mo
}

// dataOperations adds the data channel's messages and operations.
func (x *apiExport) dataOperations(ch string) error {
	m := x.m
	chRef := map[string]any{"$ref": "#/channels/" + ch}
	refs := map[string]map[string]any{}
	msgs := slices.Clone(m.Messages)
	for _, msg := range msgs {
		refs[msg.Name] = x.message(ch, apiName(msg.Name), x.newMessage(msg.Name, msg.Doc, msg.Schema, msg.Examples))
	}
	// A side that sends but declares nothing (the standard error reply
	// aside) sends any value.
	for _, side := range []struct {
		from       proto.Direction
		s          proto.Side
		name, what string
	}{{proto.DirRecv, proto.SideClient, "client-value", "client"}, {proto.DirSend, proto.SideHost, "server-value", "server"}} {
		declared := slices.ContainsFunc(m.Messages, func(msg Message) bool {
			return msg.From == side.from && !(msg.Name == ErrorMessage && msg.Doc == errorReplyDoc)
		})
		if !m.Direction.Sends(side.s) || declared {
			continue
		}
		any, err := schema.Parse(gene.Symbol("any"), nil)
		if err != nil {
			return err
		}
		doc := "Any Gene value: the manifest declares no message from the " + side.what + "."
		refs[side.name] = x.message(ch, side.name, x.newMessage(side.name, doc, any, nil))
		msgs = append(msgs, Message{Name: side.name, From: side.from, Doc: doc})
	}

	// operation is the operation of one message, named after it.
	operation := func(action string, msg Message) map[string]any {
		op := map[string]any{
			"action":   action,
			"channel":  chRef,
			"title":    msg.Name,
			"messages": []any{refs[msg.Name]},
		}
		if msg.Doc != "" {
			op["summary"] = firstSentence(msg.Doc)
		}
		x.ops[apiName(msg.Name)] = op
		return op
	}
	replied := map[string]bool{}
	for _, msg := range msgs {
		if msg.From != proto.DirRecv {
			continue
		}
		op := operation("receive", msg)
		replies := msg.Replies
		if len(replies) > 0 && !slices.Contains(replies, ErrorMessage) && refs[ErrorMessage] != nil {
			replies = append(slices.Clone(replies), ErrorMessage)
		}
		if len(replies) > 0 {
			rs := make([]any, len(replies))
			for i, r := range replies {
				rs[i] = refs[r]
				replied[r] = true
			}
			op["reply"] = map[string]any{"channel": chRef, "messages": rs}
		}
	}
	for _, msg := range msgs {
		if msg.From == proto.DirSend && !replied[msg.Name] {
			operation("send", msg)
		}
	}
	return nil
}

// stdOp is a standard control operation (PROTOCOL.md A.2) as the AsyncAPI
// export describes it.
type stdOp struct {
	name, doc    string
	args, result string // schemas in Gene text
	link         bool   // ^link is required
}

var stdOps = []stdOp{
	{"manifest", "The interface's manifest (MANIFEST.md) with ^hash, ^addresses and ^standard-control.", "", "(props ^^open ^name string ^direction string)", false},
	{"ping", "Answers pong: the interface is reachable.", "", "(literal pong)", false},
	{"health", "Whether the interface serves.", "", `(props ^status (enum "serving" "draining" "failed") ^reason (optional string))`, false},
	{"stats", "The interface's counters, or with ^link those of one data link of this transport (PROTOCOL.md A.2).", "", "(mapof any)", false},
	{"pause", "Stop delivering the values of the data link ^link to the handler (and so stop returning credit).", "", "(props ^link int ^paused bool)", true},
	{"resume", "Undo pause.", "", "(props ^link int ^paused bool)", true},
}

// standardControl is the served ^standard-control list, or every standard
// operation when the manifest was not served.
func standardControl(served gene.Value) []string {
	std, ok := served.Get("standard-control")
	if !ok {
		return slices.Clone(standardOps)
	}
	var out []string
	for _, v := range std.List() {
		out = append(out, v.Str())
	}
	return out
}

// controlOperations adds the control channel's messages and operations.
func (x *apiExport) controlOperations(ch string, std []string) error {
	chRef := map[string]any{"$ref": "#/channels/" + ch}
	parse := func(what, src string) (*schema.Schema, error) {
		s, err := schema.Parse(gene.MustParse(src), x.defs)
		if err != nil {
			return nil, fmt.Errorf("host: AsyncAPI of %q: %s: %w", x.m.Name, what, err)
		}
		return s, nil
	}
	errSchema, err := parse("the control error reply", `(gene ^head error ^props {^id (optional any) ^code (enum "BAD_REQUEST" "UNKNOWN_OP" "BAD_ARGS" "UNKNOWN_LINK" "NOT_SUPPORTED" "FAILED" "BAD_RESULT") ^message string} ^body (tuple))`)
	if err != nil {
		return err
	}
	errRef := x.message(ch, "control.error", x.newMessage("control error",
		"A control operation that failed; the control link stays open (PROTOCOL.md A.1).", errSchema,
		[]gene.Value{gene.MustParse(`(error ^id 1 ^code "UNKNOWN_OP" ^message "no operation \"frob\"")`)}))

	add := func(name, doc, args, result string, link bool) error {
		linkS := "(optional (int ^min 1))"
		if link {
			linkS = "(int ^min 1)"
		}
		argS := "(list any ^max-len 1)"
		if args != "" {
			argS = "(tuple " + args + ")"
		}
		req, err := parse("^control/^"+name+"/^args", fmt.Sprintf("(gene ^head (literal %s) ^props {^id (optional any) ^link %s} ^body %s)", gene.Format(gene.Symbol(name)), linkS, argS))
		if err != nil {
			return err
		}
		resS := "(list any ^max-len 1)"
		if result != "" {
			resS = "(tuple " + result + ")"
		}
		res, err := parse("^control/^"+name+"/^result", "(gene ^head ok ^props {^id (optional any)} ^body "+resS+")")
		if err != nil {
			return err
		}
		key := "control." + apiName(name)
		reqRef := x.message(ch, key+".request", x.newMessage(name, doc, req, nil))
		resRef := x.message(ch, key+".reply", x.newMessage(name+" reply", "The result of "+name+".", res, nil))
		op := map[string]any{
			"action":   "receive",
			"channel":  chRef,
			"title":    "control " + name,
			"messages": []any{reqRef},
			"reply":    map[string]any{"channel": chRef, "messages": []any{resRef, errRef}},
		}
		if doc != "" {
			op["summary"] = firstSentence(doc)
		}
		x.ops[key] = op
		return nil
	}
	for _, op := range x.m.Control {
		var args, result string
		if op.Args != nil {
			args = gene.Format(op.Args.Value())
		}
		if op.Result != nil {
			result = gene.Format(op.Result.Value())
		}
		if err := add(op.Name, op.Doc, args, result, false); err != nil {
			return err
		}
	}
	for _, so := range stdOps {
		if slices.Contains(std, so.name) {
			if err := add(so.name, so.doc, so.args, so.result, so.link); err != nil {
				return err
			}
		}
	}

	ev, err := parse("the event", `(gene ^head event ^props (props ^^open ^type (enum "loaded" "load-failed" "reloaded" "reload-failed" "failed" "removed" "draining") ^interface string) ^body (tuple))`)
	if err != nil {
		return err
	}
	evRef := x.message(ch, "control.event", x.newMessage("event",
		"Pushed by the host between replies: something happened to the interface (PROTOCOL.md A.4).", ev,
		[]gene.Value{gene.MustParse(`(event ^type "reloaded" ^interface "` + x.m.Name + `" ^generation 3)`)}))
	x.ops["control.events"] = map[string]any{
		"action":   "send",
		"channel":  chRef,
		"title":    "control events",
		"summary":  "Events the host pushes on control links (loaded, reloaded, failed, draining...).",
		"messages": []any{evRef},
	}
	return nil
}

// firstSentence is the first sentence of a doc string, for summaries.
func firstSentence(doc string) string {
	doc = strings.Join(strings.Fields(doc), " ")
	if i := strings.Index(doc, ". "); i >= 0 {
		return doc[:i+1]
	}
	return doc
}

// draft07 rewrites a JSON Schema tree of gene/schema (draft 2020-12) into
// the draft-07 vocabulary of AsyncAPI's default schema format: a tuple's
// prefixItems become an items array (its rest additionalItems), and a $ref
// with annotations beside it is wrapped in allOf, since draft 07 ignores
// the siblings of $ref.
func draft07(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = draft07(e)
		}
		if pre, ok := out["prefixItems"]; ok {
			delete(out, "prefixItems")
			if rest, ok := out["items"]; ok {
				out["additionalItems"] = rest
			} else {
				out["additionalItems"] = false
			}
			out["items"] = pre
		}
		if ref, ok := out["$ref"]; ok && len(out) > 1 {
			delete(out, "$ref")
			out["allOf"] = []any{map[string]any{"$ref": ref}}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = draft07(e)
		}
		return out
	}
	return v
}

// apiServer describes one genehost address as an AsyncAPI server.
func apiServer(addr string) (map[string]any, bool) {
	scheme, rest, ok := bytes.Cut([]byte(addr), []byte("://"))
	if !ok {
		return nil, false
	}
	s := map[string]any{"protocol": "genehost", "protocolVersion": "1", "x-genehost-address": addr}
	switch string(scheme) {
	case "unix":
		s["host"] = "localhost"
		s["pathname"] = string(rest)
		s["description"] = "Unix socket " + string(rest)
	case "tcp", "tls":
		s["host"] = string(rest)
		if string(scheme) == "tls" {
			s["description"] = "TLS over TCP"
		}
	default:
		return nil, false
	}
	return s, true
}

var apiNameBad = regexp.MustCompile(`[^a-zA-Z0-9._-]`)

// apiName makes a component key AsyncAPI accepts (^[a-zA-Z0-9.\-_]+$).
func apiName(s string) string {
	s = apiNameBad.ReplaceAllString(s, "_")
	if s == "" {
		return "_"
	}
	return s
}

// JSONView is the JSON view of v (gene.AppendJSON) as a decoded tree.
func JSONView(v gene.Value) any {
	dec := json.NewDecoder(bytes.NewReader(gene.AppendJSON(nil, v)))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return gene.Format(v)
	}
	return out
}
