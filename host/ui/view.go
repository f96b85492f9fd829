package ui

import (
	"fmt"
	"strings"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host"
	"github.com/genehost/genehost/proto"
)

// View is a served manifest as the explorer renders it: every schema also
// as a readable type (Readable), every example as Gene text and JSON.
type View struct {
	Name        string     `json:"name"`
	Version     string     `json:"version"`
	Description string     `json:"description"`
	Direction   string     `json:"direction"`
	Flows       string     `json:"flows"` // the direction in words
	Validate    bool       `json:"validate"`
	Hash        string     `json:"hash"`
	Addresses   []string   `json:"addresses"`
	Defs        []Def      `json:"defs"`
	Messages    []Message  `json:"messages"`
	Control     []Op       `json:"control"`
	Flow        []Setting  `json:"flow"`
	Gene        string     `json:"gene"` // the whole manifest, indented Gene text
	Standard    []string   `json:"standard"`
	Requests    []Exchange `json:"requests"`
}

// Def is a named schema of ^defs.
type Def struct {
	Name   string `json:"name"`
	Type   string `json:"type"`
	Schema string `json:"schema"`
	Doc    string `json:"doc,omitempty"`
}

// Message is one declared message.
type Message struct {
	Name      string    `json:"name"`
	From      string    `json:"from"` // "client" or "server"
	Doc       string    `json:"doc,omitempty"`
	Type      string    `json:"type"`
	Schema    string    `json:"schema"`
	Examples  []Example `json:"examples"`
	Replies   []string  `json:"replies,omitempty"`
	RepliesTo []string  `json:"repliesTo,omitempty"`
}

// Example is a value as Gene text and as the JSON view.
type Example struct {
	Gene string `json:"gene"`
	JSON string `json:"json"`
}

// Op is a control operation of the interface.
type Op struct {
	Name   string `json:"name"`
	Doc    string `json:"doc,omitempty"`
	Args   string `json:"args,omitempty"`   // readable; empty: not checked
	Result string `json:"result,omitempty"` // readable; empty: any
}

// Setting is one flow setting.
type Setting struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Exchange is a request with the messages that answer it.
type Exchange struct {
	Request string   `json:"request"`
	Replies []string `json:"replies"`
}

// NewView reads a served manifest (the manifest control operation's
// result) into a View.
func NewView(served gene.Value) (*View, error) {
	m, err := host.ParseManifest(served)
	if err != nil {
		return nil, err
	}
	v := &View{
		Name: m.Name, Version: m.Version, Description: m.Description,
		Direction: m.Direction.String(), Flows: m.Direction.Describe(), Validate: m.Validate,
		Gene: Pretty(served), Defs: []Def{}, Messages: []Message{}, Control: []Op{}, Flow: []Setting{},
		Requests: []Exchange{}, Standard: []string{}, Addresses: []string{},
	}
	if h, ok := served.Get("hash"); ok {
		v.Hash = h.Str()
	}
	if a, ok := served.Get("addresses"); ok {
		for _, x := range a.List() {
			v.Addresses = append(v.Addresses, x.Str())
		}
	}
	if s, ok := served.Get("standard-control"); ok {
		for _, x := range s.List() {
			v.Standard = append(v.Standard, x.Str())
		}
	}
	for _, d := range m.Defs {
		def := Def{Name: d.Key, Type: Readable(d.Value), Schema: gene.Format(d.Value)}
		if doc, ok := metaDoc(d.Value); ok {
			def.Doc = doc
		}
		v.Defs = append(v.Defs, def)
	}
	answers := map[string][]string{}
	for _, msg := range m.Messages {
		for _, r := range msg.Replies {
			answers[r] = append(answers[r], msg.Name)
		}
	}
	for _, msg := range m.Messages {
		mv := Message{
			Name: msg.Name, From: "client", Doc: msg.Doc,
			Type: Readable(msg.Schema.Value()), Schema: gene.Format(msg.Schema.Value()),
			Examples: []Example{}, Replies: msg.Replies, RepliesTo: answers[msg.Name],
		}
		if msg.From == proto.DirSend {
			mv.From = "server"
		}
		for _, e := range msg.Examples {
			mv.Examples = append(mv.Examples, Example{Gene: gene.Format(e), JSON: string(gene.AppendJSON(nil, e))})
		}
		v.Messages = append(v.Messages, mv)
		if len(msg.Replies) > 0 {
			v.Requests = append(v.Requests, Exchange{Request: msg.Name, Replies: msg.Replies})
		}
	}
	for _, op := range m.Control {
		o := Op{Name: op.Name, Doc: op.Doc}
		if op.Args != nil {
			o.Args = Readable(op.Args.Value())
		}
		if op.Result != nil {
			o.Result = Readable(op.Result.Value())
		}
		v.Control = append(v.Control, o)
	}
	if f, ok := m.Value().Get("flow"); ok {
		for _, p := range f.Props() {
			val := gene.Format(p.Value)
			if p.Value.Kind() == gene.KindString {
				val = p.Value.Str()
			}
			v.Flow = append(v.Flow, Setting{Key: p.Key, Value: val})
		}
	}
	return v, nil
}

// metaDoc is the @doc of a schema written as a node.
func metaDoc(s gene.Value) (string, bool) {
	if n := s.Node(); n != nil {
		if d, ok := n.Meta.Get("doc"); ok && d.Kind() == gene.KindString {
			return d.Str(), true
		}
	}
	return "", false
}

// Readable writes a schema (MANIFEST.md section 3) as a short type for
// people: (gene ^head set ^props {^key (ref Key) ^id (optional Id)}) reads
// (set ^key Key ^id? Id), (list string) [string ...], (one-of A B) A | B,
// (int ^min 0 ^max 9) int 0..9. Meta (@doc) is left out.
func Readable(s gene.Value) string {
	var b strings.Builder
	readable(&b, s, 0)
	return b.String()
}

func readable(b *strings.Builder, s gene.Value, depth int) {
	if depth > 32 {
		b.WriteString("...")
		return
	}
	switch s.Kind() {
	case gene.KindSymbol:
		b.WriteString(s.Str())
		return
	case gene.KindProps:
		propsType(b, s.Props(), false, depth)
		return
	case gene.KindNode:
	default:
		b.WriteString(gene.Format(s))
		return
	}
	n := s.Node()
	if !n.HasHead || n.Head.Kind() != gene.KindSymbol {
		b.WriteString(gene.Format(s))
		return
	}
	arg := func(i int) (gene.Value, bool) {
		if i < len(n.Body) {
			return n.Body[i], true
		}
		return gene.Value{}, false
	}
	switch name := n.Head.Str(); name {
	case "optional":
		if a, ok := arg(0); ok {
			readable(b, a, depth+1)
		}
		b.WriteString("?")
	case "ref":
		if a, ok := arg(0); ok {
			b.WriteString(a.Str())
		}
	case "literal":
		if a, ok := arg(0); ok {
			b.WriteString(gene.Format(a))
		}
	case "enum", "one-of":
		for i, a := range n.Body {
			if i > 0 {
				b.WriteString(" | ")
			}
			if name == "enum" {
				b.WriteString(gene.Format(a))
			} else {
				readable(b, a, depth+1)
			}
		}
	case "list":
		b.WriteString("[")
		if a, ok := arg(0); ok {
			readable(b, a, depth+1)
		} else {
			b.WriteString("any")
		}
		b.WriteString(" ...]")
		sizes(b, n.Props, "min-len", "max-len")
	case "tuple":
		b.WriteString("[")
		tupleItems(b, n, depth)
		b.WriteString("]")
	case "props":
		open, _ := n.Props.Get("open")
		isOpen, _ := open.AsBool()
		var keys gene.Props
		for _, p := range n.Props {
			if p.Key != "open" {
				keys = append(keys, p)
			}
		}
		propsType(b, keys, isOpen, depth)
	case "mapof":
		b.WriteString("{^* ")
		if a, ok := arg(0); ok {
			readable(b, a, depth+1)
		}
		b.WriteString("}")
	case "map":
		b.WriteString("{{")
		if k, ok := arg(0); ok {
			readable(b, k, depth+1)
			b.WriteString(" : ")
			if v, ok := arg(1); ok {
				readable(b, v, depth+1)
			}
		}
		b.WriteString("}}")
	case "gene":
		geneType(b, n, depth)
	case "int", "float", "number":
		b.WriteString(name)
		sizes(b, n.Props, "min", "max")
	case "string", "symbol", "bytes":
		b.WriteString(name)
		sizes(b, n.Props, "min-len", "max-len")
		if p, ok := n.Props.Get("pattern"); ok {
			b.WriteString(" ~ " + gene.Format(p))
		}
	default:
		if len(n.Props) == 0 && len(n.Body) == 0 {
			b.WriteString(name)
			return
		}
		b.WriteString(gene.Format(s))
	}
}

// sizes writes bounds as " lo..hi", " >= lo" or " <= hi".
func sizes(b *strings.Builder, ps gene.Props, lo, hi string) {
	l, hasL := ps.Get(lo)
	h, hasH := ps.Get(hi)
	switch {
	case hasL && hasH:
		fmt.Fprintf(b, " %s..%s", gene.Format(l), gene.Format(h))
	case hasL:
		fmt.Fprintf(b, " >= %s", gene.Format(l))
	case hasH:
		fmt.Fprintf(b, " <= %s", gene.Format(h))
	}
}

// propsType writes {^k T ^k2? T2}, with "..." when open.
func propsType(b *strings.Builder, keys gene.Props, open bool, depth int) {
	b.WriteString("{")
	propsInline(b, keys, depth)
	if open {
		if len(keys) > 0 {
			b.WriteString(" ")
		}
		b.WriteString("...")
	}
	b.WriteString("}")
}

// propsInline writes ^k T ^k2? T2 (an optional key gets a ?).
func propsInline(b *strings.Builder, keys gene.Props, depth int) {
	for i, p := range keys {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString("^" + p.Key)
		t := p.Value
		if n := t.Node(); n != nil && n.HasHead && n.Head.IsSymbol("optional") && len(n.Body) == 1 {
			b.WriteString("?")
			t = n.Body[0]
		}
		b.WriteString(" ")
		readable(b, t, depth+1)
	}
}

func tupleItems(b *strings.Builder, n *gene.Node, depth int) {
	for i, a := range n.Body {
		if i > 0 {
			b.WriteString(" ")
		}
		readable(b, a, depth+1)
	}
	if r, ok := n.Props.Get("rest"); ok {
		if len(n.Body) > 0 {
			b.WriteString(" ")
		}
		readable(b, r, depth+1)
		b.WriteString(" ...")
	}
}

// geneType writes a node schema as the node it matches: (HEAD ^k T BODY).
func geneType(b *strings.Builder, n *gene.Node, depth int) {
	b.WriteString("(")
	head, hasHead := n.Props.Get("head")
	switch {
	case !hasHead:
		b.WriteString("*")
	case head.Kind() == gene.KindSymbol:
		b.WriteString(head.Str())
	default:
		readable(b, head, depth+1)
	}
	if p, ok := n.Props.Get("props"); ok {
		var keys gene.Props
		open := false
		switch {
		case p.Kind() == gene.KindProps:
			keys = p.Props()
		case p.Node() != nil && p.Node().Head.IsSymbol("props"):
			for _, kp := range p.Node().Props {
				if kp.Key == "open" {
					open, _ = kp.Value.AsBool()
					continue
				}
				keys = append(keys, kp)
			}
		default:
			b.WriteString(" ^")
			readable(b, p, depth+1)
		}
		if len(keys) > 0 {
			b.WriteString(" ")
			propsInline(b, keys, depth)
		}
		if open {
			b.WriteString(" ...")
		}
	}
	if body, ok := n.Props.Get("body"); ok {
		bn := body.Node()
		switch {
		case bn != nil && bn.Head.IsSymbol("tuple"):
			if len(bn.Body) > 0 || len(bn.Props) > 0 {
				b.WriteString(" ")
				tupleItems(b, bn, depth)
			}
		case bn != nil && bn.Head.IsSymbol("list"):
			b.WriteString(" ")
			if len(bn.Body) > 0 {
				readable(b, bn.Body[0], depth+1)
			} else {
				b.WriteString("any")
			}
			b.WriteString(" ...")
		default:
			b.WriteString(" ")
			readable(b, body, depth+1)
		}
	} else {
		b.WriteString(" ...")
	}
	b.WriteString(")")
}
