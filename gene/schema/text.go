package schema

import (
	"strconv"
	"unicode/utf8"

	"github.com/genehost/genehost/gene"
)

// This file renders values for error messages, in Gene text as the gene
// package writes it, cut short so that a message stays one readable line
// however large the value.

// maxText is the longest rendering, in bytes, that messages carry.
const maxText = 60

// text renders v in Gene text, cut to about maxText bytes. Strings,
// symbols and bytes are cut before they are rendered, so a huge value does
// not cost a huge message.
func text(v gene.Value) string {
	switch v.Kind() {
	case gene.KindString:
		if s := v.Str(); len(s) > maxText {
			return clip(gene.AppendText(nil, gene.String(prefix(s))))
		}
	case gene.KindSymbol:
		if s := v.Str(); len(s) > maxText {
			return prefix(s) + "..."
		}
	case gene.KindBytes:
		if b := v.Bytes(); len(b) > maxText/2 {
			return clip(gene.AppendText(nil, gene.Bytes(b[:maxText/2])))
		}
	}
	return clip(gene.AppendText(nil, v))
}

// prefix returns the first maxText bytes of s, not splitting a character.
func prefix(s string) string {
	cut := maxText
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// clip cuts a rendering to maxText bytes, marking the cut with "...".
func clip(b []byte) string {
	if len(b) <= maxText {
		return string(b)
	}
	cut := maxText
	for cut > 0 && !utf8.RuneStart(b[cut]) {
		cut--
	}
	return string(b[:cut]) + "..."
}

// describe says what a value is for the Got of a ValidationError: its kind
// and, for scalars and node heads, a short rendering.
func describe(v gene.Value) string {
	switch v.Kind() {
	case gene.KindNil, gene.KindVoid:
		return v.Kind().String()
	case gene.KindList:
		return "list of " + count(len(v.List()), "element")
	case gene.KindProps:
		return "props of " + count(len(v.Props()), "key")
	case gene.KindMap:
		return "map of " + count(len(v.Entries()), "entry")
	case gene.KindNode:
		n := v.Node()
		if !n.HasHead {
			return "node ()"
		}
		return "node (" + text(n.Head) + " ...)"
	case gene.KindBytes:
		return "bytes of " + count(len(v.Bytes()), "byte")
	}
	return v.Kind().String() + " " + text(v)
}

// count writes n and the noun, plural unless n is 1.
func count(n int, noun string) string {
	s := strconv.Itoa(n) + " "
	switch {
	case n == 1:
		return s + noun
	case noun == "entry":
		return s + "entries"
	}
	return s + noun + "s"
}

// plain returns v without meta, at any depth, for short renderings of
// schemas in messages.
func plain(v gene.Value) gene.Value {
	switch v.Kind() {
	case gene.KindNode:
		n := v.Node()
		if n.HasHead && n.Head.Kind() == gene.KindSymbol && typeNames[n.Head.Str()] &&
			!n.Head.IsSymbol("props") && len(n.Props) == 0 && len(n.Body) == 0 {
			return n.Head // (int @doc "...") is int once the meta is gone
		}
		out := &gene.Node{Head: plain(n.Head), HasHead: n.HasHead, Props: plainProps(n.Props)}
		for _, e := range n.Body {
			out.Body = append(out.Body, plain(e))
		}
		return gene.NodeValue(out)
	case gene.KindProps:
		return gene.PropMap(plainProps(v.Props())...)
	}
	return v
}

func plainProps(ps gene.Props) gene.Props {
	if len(ps) == 0 {
		return nil
	}
	out := make(gene.Props, len(ps))
	for i, p := range ps {
		out[i] = gene.Prop{Key: p.Key, Value: plain(p.Value)}
	}
	return out
}
