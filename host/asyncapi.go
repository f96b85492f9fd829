package host

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"

	"github.com/genehost/genehost/gene"
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
// interface: messages from the client are operations with action
// "receive", messages from the server "send". One channel, addressed by
// the interface name, carries them all. Payloads are the JSON Schema of
// the JSON view of Gene values (gene/schema); named schemas go under
// components/schemas. What AsyncAPI has no words for (direction, flow
// settings, control operations, the manifest hash) is kept under
// x-genehost keys.
func AsyncAPI(served gene.Value) (map[string]any, error) {
	m, err := ParseManifest(served)
	if err != nil {
		return nil, err
	}
	const schemaRef = "#/components/schemas/"
	schemas := map[string]any{}
	export := func(s interface {
		ExportJSONSchema(string) (map[string]any, map[string]any)
	}) map[string]any {
		root, defs := s.ExportJSONSchema(schemaRef)
		for k, v := range defs {
			schemas[k] = v
		}
		return root
	}

	info := map[string]any{"title": m.Name, "version": m.Version}
	if m.Version == "" {
		info["version"] = "0.0.0"
	}
	if m.Description != "" {
		info["description"] = m.Description
	}

	channel := apiName(m.Name)
	messages := map[string]any{}
	chanMsgs := map[string]any{}
	var fromClient, fromServer []any
	for _, msg := range m.Messages {
		key := apiName(msg.Name)
		mo := map[string]any{
			"name":        msg.Name,
			"title":       msg.Name,
			"contentType": "application/json",
			"payload":     export(msg.Schema),
		}
		if msg.Doc != "" {
			mo["summary"] = msg.Doc
		}
		if len(msg.Examples) > 0 {
			ex := make([]any, len(msg.Examples))
			for i, e := range msg.Examples {
				ex[i] = map[string]any{"payload": JSONView(e), "x-genehost-text": gene.Format(e)}
			}
			mo["examples"] = ex
		}
		messages[key] = mo
		chanMsgs[key] = map[string]any{"$ref": "#/components/messages/" + key}
		ref := map[string]any{"$ref": "#/channels/" + channel + "/messages/" + key}
		if msg.From == proto.DirRecv {
			fromClient = append(fromClient, ref)
		} else {
			fromServer = append(fromServer, ref)
		}
	}

	ch := map[string]any{"address": m.Name, "messages": chanMsgs}
	if m.Description != "" {
		ch["description"] = m.Description
	}
	ops := map[string]any{}
	chRef := map[string]any{"$ref": "#/channels/" + channel}
	if m.Direction.Sends(proto.SideClient) {
		ops["receive"] = map[string]any{
			"action": "receive", "channel": chRef, "messages": orEmpty(fromClient),
			"summary": "values a client sends on a data link (genehost receives them)",
		}
	}
	if m.Direction.Sends(proto.SideHost) {
		ops["send"] = map[string]any{
			"action": "send", "channel": chRef, "messages": orEmpty(fromServer),
			"summary": "values genehost sends to a client on a data link",
		}
	}

	control := map[string]any{}
	for _, op := range m.Control {
		o := map[string]any{}
		if op.Doc != "" {
			o["description"] = op.Doc
		}
		if op.Args != nil {
			o["args"] = export(op.Args)
		}
		if op.Result != nil {
			o["result"] = export(op.Result)
		}
		control[op.Name] = o
	}
	flow, _ := m.Value().Get("flow")
	ext := map[string]any{
		"direction": m.Direction.String(),
		"flow":      JSONView(flow),
		"control":   control,
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
		"channels":           map[string]any{channel: ch},
		"operations":         ops,
		"components":         map[string]any{"messages": messages, "schemas": schemas},
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

func orEmpty(xs []any) []any {
	if xs == nil {
		return []any{}
	}
	return xs
}

// jsonView is the JSON view of v (gene.AppendJSON) as a decoded tree.
func JSONView(v gene.Value) any {
	dec := json.NewDecoder(bytes.NewReader(gene.AppendJSON(nil, v)))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return gene.Format(v)
	}
	return out
}
