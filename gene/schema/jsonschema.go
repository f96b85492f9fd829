package schema

import (
	"encoding/base64"
	"encoding/json"
	"math"

	"github.com/genehost/genehost/gene"
)

// JSONSchemaDialect is the JSON Schema dialect ToJSONSchema produces. The
// result carries no "$schema" keyword, so that it can be embedded (in an
// AsyncAPI document, for example); a caller that writes a standalone schema
// document adds "$schema": JSONSchemaDialect itself.
const JSONSchemaDialect = "https://json-schema.org/draft/2020-12/schema"

// ToJSONSchema returns s as a self-contained JSON Schema (draft 2020-12):
// every definition it reaches is under "$defs" and referred to as
// "#/$defs/Name". The mapping is described in the package documentation.
// The result is a fresh tree of maps, slices and scalars ready for
// encoding/json.
func (s *Schema) ToJSONSchema() map[string]any {
	root, defs := s.ExportJSONSchema("#/$defs/")
	if len(defs) > 0 {
		root["$defs"] = defs
	}
	return root
}

// ExportJSONSchema is ToJSONSchema for embedding the schema in a larger
// document: references are written as refPrefix+Name (for AsyncAPI 3,
// "#/components/schemas/"), and the definitions s reaches are returned
// apart, by name, for the caller to place where refPrefix points.
func (s *Schema) ExportJSONSchema(refPrefix string) (schema map[string]any, defs map[string]any) {
	x := &exporter{prefix: refPrefix}
	schema = s.root.json(x)
	defs = make(map[string]any, len(s.defs))
	for name, d := range s.defs {
		defs[name] = d.c.json(x)
	}
	return schema, defs
}

// exporter carries the settings of one JSON Schema export.
type exporter struct {
	prefix string // prepended to definition names in "$ref"
}

// geneKey is the annotation keyword that records the Gene kind where the
// JSON type alone loses it.
const geneKey = "x-gene-kind"

// jsonOnly lists the kinds whose JSON form does not say the Gene kind.
func geneOnly(k gene.Kind) bool {
	switch k {
	case gene.KindFloat, gene.KindSymbol, gene.KindChar, gene.KindBytes, gene.KindRegex,
		gene.KindDate, gene.KindTime, gene.KindDateTime, gene.KindMap, gene.KindNode:
		return true
	}
	return false
}

// withMeta adds the JSON Schema annotations for the Gene meta of a schema:
// @doc as "description", @title, @default, @deprecated, @example and
// @examples as "examples", and any "x-..." key as it is.
func withMeta(m map[string]any, meta gene.Props) map[string]any {
	for _, p := range meta {
		switch p.Key {
		case "doc":
			m["description"] = p.Value.Str()
		case "title":
			m["title"] = p.Value.Str()
		case "default":
			m["default"] = JSONValue(p.Value)
		case "deprecated":
			m["deprecated"], _ = p.Value.AsBool()
		case "example":
			ex, _ := m["examples"].([]any)
			m["examples"] = append(ex, JSONValue(p.Value))
		case "examples":
			ex, _ := m["examples"].([]any)
			for _, e := range p.Value.List() {
				ex = append(ex, JSONValue(e))
			}
			m["examples"] = ex
		default:
			if len(p.Key) > 2 && p.Key[:2] == "x-" {
				m[p.Key] = JSONValue(p.Value)
			}
		}
	}
	return m
}

func (c *anyC) json(*exporter) map[string]any { return withMeta(map[string]any{}, c.meta) }

func (c *kindC) json(x *exporter) map[string]any {
	var m map[string]any
	switch c.kind {
	case gene.KindBool:
		m = map[string]any{"type": "boolean"}
	case gene.KindChar:
		m = map[string]any{"type": "string", "minLength": 1, "maxLength": 1}
	case gene.KindDate:
		m = map[string]any{"type": "string", "format": "date"}
	case gene.KindTime:
		m = map[string]any{"type": "string", "format": "time"}
	case gene.KindDateTime:
		m = map[string]any{"type": "string", "format": "date-time"}
	case gene.KindRegex:
		m = map[string]any{"type": "string", "format": "regex"}
	case gene.KindProps:
		m = map[string]any{"type": "object"}
	case gene.KindNode:
		m = nodeJSON(nil, nil, nil, x)
	}
	if geneOnly(c.kind) {
		m[geneKey] = c.kind.String()
	}
	return withMeta(m, c.meta)
}

func (c *numC) json(*exporter) map[string]any {
	m := map[string]any{"type": "number"}
	switch c.name {
	case "int":
		m["type"] = "integer"
	case "float":
		m[geneKey] = "float"
	}
	if c.hasMin {
		m["minimum"] = JSONValue(c.minV)
	}
	if c.hasMax {
		m["maximum"] = JSONValue(c.maxV)
	}
	return withMeta(m, c.meta)
}

func (c *strC) json(*exporter) map[string]any {
	m := map[string]any{"type": "string"}
	minLen, maxLen := c.minLen, c.maxLen
	if c.kind == gene.KindBytes {
		// Bytes travel as padded base64: n bytes take 4*ceil(n/3) chars.
		m["contentEncoding"] = "base64"
		b64 := func(n int) int { return (n + 2) / 3 * 4 }
		if minLen >= 0 {
			minLen = b64(minLen)
		}
		if maxLen >= 0 {
			maxLen = b64(maxLen)
		}
	}
	if geneOnly(c.kind) {
		m[geneKey] = c.kind.String()
	}
	if minLen >= 0 {
		m["minLength"] = minLen
	}
	if maxLen >= 0 {
		m["maxLength"] = maxLen
	}
	if c.re != nil {
		if r := c.pattern.Regex(); r != nil {
			m["pattern"] = r.Pattern
			if r.Flags != "" {
				m["x-gene-pattern-flags"] = r.Flags
			}
		} else {
			m["pattern"] = c.pattern.Str()
		}
	}
	return withMeta(m, c.meta)
}

func (c *listC) json(x *exporter) map[string]any {
	m := map[string]any{"type": "array"}
	if c.elem != nil {
		m["items"] = c.elem.json(x)
	}
	c.sizes.jsonItems(m)
	return withMeta(m, c.meta)
}

func (s sizes) jsonItems(m map[string]any) {
	if s.minLen >= 0 {
		m["minItems"] = s.minLen
	}
	if s.maxLen >= 0 {
		m["maxItems"] = s.maxLen
	}
}

func (c *tupleC) json(x *exporter) map[string]any {
	m := map[string]any{"type": "array", "minItems": len(c.elems)}
	if len(c.elems) > 0 {
		items := make([]any, len(c.elems))
		for i, e := range c.elems {
			items[i] = e.json(x)
		}
		m["prefixItems"] = items
	}
	if c.rest != nil {
		m["items"] = c.rest.json(x)
	} else {
		m["maxItems"] = len(c.elems)
	}
	return withMeta(m, c.meta)
}

func (c *propsC) json(x *exporter) map[string]any {
	m := map[string]any{"type": "object"}
	if len(c.keys) > 0 {
		props := make(map[string]any, len(c.keys))
		var required []any
		for _, k := range c.keys {
			props[k.name] = withMeta(k.c.json(x), k.meta)
			if !k.optional {
				required = append(required, k.name)
			}
		}
		m["properties"] = props
		if len(required) > 0 {
			m["required"] = required
		}
	}
	if !c.open {
		m["additionalProperties"] = false
	}
	return withMeta(m, c.meta)
}

func (c *mapofC) json(x *exporter) map[string]any {
	m := map[string]any{"type": "object", "additionalProperties": c.elem.json(x)}
	if c.minLen >= 0 {
		m["minProperties"] = c.minLen
	}
	if c.maxLen >= 0 {
		m["maxProperties"] = c.maxLen
	}
	return withMeta(m, c.meta)
}

// A general map may have keys of any kind, so JSON carries it as an array
// of [key, value] pairs.
func (c *mapC) json(x *exporter) map[string]any {
	pair := map[string]any{"type": "array", "minItems": 2, "maxItems": 2}
	if c.key != nil {
		pair["prefixItems"] = []any{c.key.json(x), c.val.json(x)}
	}
	m := map[string]any{"type": "array", "items": pair, geneKey: "map"}
	c.sizes.jsonItems(m)
	return withMeta(m, c.meta)
}

func (c *geneC) json(x *exporter) map[string]any {
	return withMeta(nodeJSON(c.head, c.props, c.body, x), c.meta)
}

// nodeJSON is the schema of a node's JSON form {"head", "props", "body"}.
func nodeJSON(head, props, body checker, x *exporter) map[string]any {
	m := map[string]any{
		"type":                 "object",
		geneKey:                "node",
		"required":             []any{"head", "props", "body"},
		"additionalProperties": false,
	}
	ps := map[string]any{}
	for name, c := range map[string]checker{"head": head, "props": props, "body": body} {
		if c != nil {
			ps[name] = c.json(x)
		}
	}
	if _, ok := ps["props"]; !ok {
		ps["props"] = map[string]any{"type": "object"}
	}
	if _, ok := ps["body"]; !ok {
		ps["body"] = map[string]any{"type": "array"}
	}
	m["properties"] = ps
	return m
}

func (c *oneOfC) json(x *exporter) map[string]any {
	alts := make([]any, len(c.alts))
	for i, a := range c.alts {
		alts[i] = a.json(x)
	}
	return withMeta(map[string]any{"anyOf": alts}, c.meta)
}

func (c *litC) json(*exporter) map[string]any {
	if c.v.Kind() == gene.KindNil {
		return withMeta(map[string]any{"type": "null"}, c.meta)
	}
	m := map[string]any{"const": JSONValue(c.v)}
	if geneOnly(c.v.Kind()) {
		m[geneKey] = c.v.Kind().String()
	}
	return withMeta(m, c.meta)
}

func (c *enumC) json(*exporter) map[string]any {
	vals := make([]any, len(c.vals))
	same := true
	for i, v := range c.vals {
		vals[i] = JSONValue(v)
		same = same && v.Kind() == c.vals[0].Kind()
	}
	m := map[string]any{"enum": vals}
	if k := c.vals[0].Kind(); same && geneOnly(k) {
		m[geneKey] = k.String()
	}
	return withMeta(m, c.meta)
}

func (c *refC) json(x *exporter) map[string]any {
	return withMeta(map[string]any{"$ref": x.prefix + c.d.name}, c.meta)
}

// JSONValue returns the JSON form of a Gene value, the one the JSON Schema
// export describes: nil and void as null; integers as numbers (json.Number
// past the int64 range); finite floats as numbers and inf, -inf and nan as
// the strings "inf", "-inf" and "nan"; strings, symbols and chars as
// strings; bytes as padded standard base64; regexes as their pattern; dates
// and times as their Gene text (RFC 3339 when they have seconds and an
// offset); lists as arrays; prop maps as objects; general maps as arrays of
// [key, value] pairs; nodes as objects {"head": ..., "props": {...},
// "body": [...]} with a null head when the node has none. Meta is dropped.
func JSONValue(v gene.Value) any {
	switch v.Kind() {
	case gene.KindBool:
		b, _ := v.AsBool()
		return b
	case gene.KindInt:
		if i, ok := v.AsInt(); ok {
			return i
		}
		return json.Number(v.BigInt().String())
	case gene.KindFloat:
		f, _ := v.AsFloat()
		switch {
		case math.IsNaN(f):
			return "nan"
		case math.IsInf(f, 1):
			return "inf"
		case math.IsInf(f, -1):
			return "-inf"
		}
		return f
	case gene.KindString, gene.KindSymbol:
		return v.Str()
	case gene.KindChar:
		r, _ := v.AsChar()
		return string(r)
	case gene.KindBytes:
		return base64.StdEncoding.EncodeToString(v.Bytes())
	case gene.KindRegex:
		return v.Regex().Pattern
	case gene.KindDate, gene.KindTime, gene.KindDateTime:
		return string(appendTemporal(nil, v))
	case gene.KindList:
		return jsonValues(v.List())
	case gene.KindProps:
		return jsonProps(v.Props())
	case gene.KindMap:
		out := make([]any, 0, len(v.Entries()))
		for _, e := range v.Entries() {
			out = append(out, []any{JSONValue(e.Key), JSONValue(e.Value)})
		}
		return out
	case gene.KindNode:
		n := v.Node()
		var head any
		if n.HasHead {
			head = JSONValue(n.Head)
		}
		return map[string]any{"head": head, "props": jsonProps(n.Props), "body": jsonValues(n.Body)}
	}
	return nil
}

func jsonValues(vs []gene.Value) []any {
	out := make([]any, len(vs))
	for i, e := range vs {
		out[i] = JSONValue(e)
	}
	return out
}

func jsonProps(ps gene.Props) map[string]any {
	out := make(map[string]any, len(ps))
	for _, p := range ps {
		out[p.Key] = JSONValue(p.Value)
	}
	return out
}
