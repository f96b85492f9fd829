// Command streams is the streams fixture of the behaviour suite
// (plugintest.RunStreamsPluginSuite), the Go guest twin of the JavaScript
// one: each request calls guest.Streams or guest.Topics and answers on
// its link; a failed call is answered (error CODE MESSAGE).
package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/sdk/wasm/guest"
)

type streams struct{ guest.Base }

func node(head string, body ...gene.Value) gene.Value { return gene.Gene(gene.Symbol(head), body...) }

func uints(ns ...uint64) []gene.Value {
	out := make([]gene.Value, len(ns))
	for i, n := range ns {
		out[i] = gene.Int(int64(n))
	}
	return out
}

func serve(l guest.Link, n *gene.Node) (gene.Value, error) {
	p := func(k string) gene.Value { v, _ := n.Props.Get(k); return v }
	num := func(k string) uint64 { v, _ := p(k).AsInt(); return uint64(v) }
	stream, group := p("stream").Str(), p("group").Str()
	switch n.Head.Str() {
	case "publish":
		seq, err := guest.Streams.Publish(stream, p("value"))
		return node("published", uints(seq)...), err
	case "publish-batch":
		var es []guest.StreamEntry
		for _, e := range p("entries").List() {
			s, _ := e.Get("stream")
			v, _ := e.Get("value")
			es = append(es, guest.StreamEntry{Stream: s.Str(), Value: v})
		}
		seqs, err := guest.Streams.PublishBatch(es)
		return node("published", uints(seqs...)...), err
	case "attach":
		acked, err := guest.Streams.Attach(l, stream, group, guest.AttachOptions{
			Prefetch: int(num("prefetch")), AckTimeout: time.Duration(num("ack-timeout-ms")) * time.Millisecond})
		return node("attached", uints(acked)...), err
	case "detach":
		ok, err := guest.Streams.Detach(l, stream, group)
		return node("detached", gene.Bool(ok)), err
	case "ack":
		return node("acked", p("seq")), guest.Streams.Ack(stream, group, num("seq"))
	case "reset":
		seq, err := guest.Streams.Reset(stream, group, num("seq"))
		return node("reset", uints(seq)...), err
	case "trim":
		through, deleted, err := guest.Streams.Trim(stream, num("through"))
		return node("trimmed", uints(through, deleted)...), err
	case "info":
		infos, err := guest.Streams.Info()
		var out []gene.Value
		for _, s := range infos {
			gs := []gene.Value{}
			for _, g := range s.Groups {
				gs = append(gs, gene.PropMap(gene.Prop{Key: "group", Value: gene.String(g.Group)},
					gene.Prop{Key: "acked", Value: gene.Int(int64(g.Acked))},
					gene.Prop{Key: "consumers", Value: gene.Int(int64(g.Consumers))},
					gene.Prop{Key: "unacked", Value: gene.Int(int64(g.Unacked))}))
			}
			out = append(out, gene.PropMap(gene.Prop{Key: "stream", Value: gene.String(s.Stream)},
				gene.Prop{Key: "head", Value: gene.Int(int64(s.Head))},
				gene.Prop{Key: "groups", Value: gene.List(gs...)}))
		}
		return node("info", gene.List(out...)), err
	case "broadcast":
		k, err := guest.Topics.Publish(p("topic").Str(), p("value"))
		return node("sent", gene.Int(int64(k))), err
	case "listen":
		return node("listening"), guest.Topics.Subscribe(l, p("topic").Str())
	case "unlisten":
		ok, err := guest.Topics.Unsubscribe(l, p("topic").Str())
		return node("unlistened", gene.Bool(ok)), err
	}
	return gene.Value{}, fmt.Errorf("unknown request %s", n.Head.Str())
}

// code names a failure as the JavaScript fixture's HostError does.
func code(err error) string {
	switch {
	case errors.Is(err, guest.ErrNotGranted):
		return "not-granted"
	case errors.Is(err, guest.ErrNotDelivered):
		return "not-delivered"
	case errors.Is(err, guest.ErrBadName):
		return "bad-name"
	case errors.Is(err, guest.ErrLinkClosed):
		return "link-closed"
	}
	return "host"
}

func (streams) Values(l guest.Link, vs []gene.Value) (guest.Flow, error) {
	for _, v := range vs {
		n := v.Node()
		if n == nil {
			return guest.Continue, fmt.Errorf("want a request node, got a %v", v.Kind())
		}
		out, err := serve(l, n)
		var he *guest.HostError
		switch {
		case errors.As(err, &he):
			out = node("error", gene.String(code(err)), gene.String(err.Error()))
		case err != nil:
			return guest.Continue, err
		}
		if err := l.Send(out); err != nil {
			return guest.Continue, err
		}
	}
	return guest.Continue, nil
}

func init() { guest.Register(streams{}) }

func main() {}
