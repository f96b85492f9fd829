package schema

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/genehost/genehost/gene"
)

// JSONSchemaDialect is the JSON Schema dialect ToJSONSchema produces. The
// result carries no "$schema" keyword, so that it can be embedded (in an
// AsyncAPI document, for example); a caller that writes a standalone schema
// document adds "$schema": JSONSchemaDialect itself.
const JSONSchemaDialect = "https://json-schema.org/draft/2020-12/schema"

// ToJSONSchema returns s as a self-contained JSON Schema (draft 2020-12) of
// the JSON view of Gene values (gene.AppendJSON): every definition it
// reaches is under "$defs" and referred to as "#/$defs/Name". The mapping
// is described in the package documentation. The result is a fresh tree of
// maps, slices and scalars (json.Number for numbers taken from values)
// ready for encoding/json.
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

// jsonOf returns the JSON view of v (gene.AppendJSON) decoded for
// embedding: numbers stay json.Number, so integers of any size and the
// spelling of floats survive.
func jsonOf(v gene.Value) any {
	dec := json.NewDecoder(bytes.NewReader(gene.AppendJSON(nil, v)))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		// AppendJSON always writes one valid JSON document.
		panic("schema: gene.AppendJSON wrote invalid JSON: " + err.Error())
	}
	return out
}

// jsonKey is the JSON view's spelling of a prop key: a key that starts with
// '$' gets one more, so it is never taken for a tag.
func jsonKey(k string) string {
	if strings.HasPrefix(k, "$") {
		return "$" + k
	}
	return k
}

// tagged is the schema of a tagged object {"$tag": inner}.
func tagged(tag string, inner map[string]any) map[string]any {
	return map[string]any{
		"type":                 "object",
		"properties":           map[string]any{tag: inner},
		"required":             []any{tag},
		"additionalProperties": false,
	}
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
			m["default"] = jsonOf(p.Value)
		case "deprecated":
			m["deprecated"], _ = p.Value.AsBool()
		case "example":
			ex, _ := m["examples"].([]any)
			m["examples"] = append(ex, jsonOf(p.Value))
		case "examples":
			ex, _ := m["examples"].([]any)
			for _, e := range p.Value.List() {
				ex = append(ex, jsonOf(e))
			}
			m["examples"] = ex
		default:
			if strings.HasPrefix(p.Key, "x-") {
				m[p.Key] = jsonOf(p.Value)
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
		m = tagged("$char", map[string]any{"type": "string", "minLength": 1, "maxLength": 1})
	case gene.KindDate:
		m = tagged("$date", map[string]any{"type": "string", "format": "date"})
	case gene.KindTime:
		m = tagged("$time", map[string]any{"type": "string", "format": "time"})
	case gene.KindDateTime:
		m = tagged("$datetime", map[string]any{"type": "string", "format": "date-time"})
	case gene.KindRegex:
		m = tagged("$regex", map[string]any{"type": "string", "format": "regex"})
		m["properties"].(map[string]any)["$flags"] = map[string]any{"type": "string", "pattern": "^[imsx]*$"}
	case gene.KindProps:
		m = map[string]any{"type": "object"}
	case gene.KindNode:
		m = nodeJSON(nil, nil, nil, x)
	}
	return withMeta(m, c.meta)
}

func (c *numC) json(*exporter) map[string]any {
	m := map[string]any{"type": "number"}
	switch c.name {
	case "int":
		m["type"] = "integer"
	case "float":
		// JSON Schema counts 1.0 as an integer; the annotation keeps the
		// Gene kind for readers of the schema.
		m["x-gene-kind"] = "float"
	}
	if c.hasMin {
		m["minimum"] = jsonOf(c.minV)
	}
	if c.hasMax {
		m["maximum"] = jsonOf(c.maxV)
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
	switch c.kind {
	case gene.KindSymbol:
		m = tagged("$sym", m)
	case gene.KindBytes:
		m = tagged("$bytes", m)
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
			props[jsonKey(k.name)] = withMeta(k.c.json(x), k.meta)
			if !k.optional {
				required = append(required, jsonKey(k.name))
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

func (c *mapC) json(x *exporter) map[string]any {
	pair := map[string]any{"type": "array", "minItems": 2, "maxItems": 2}
	if c.key != nil {
		pair["prefixItems"] = []any{c.key.json(x), c.val.json(x)}
	}
	entries := map[string]any{"type": "array", "items": pair}
	c.sizes.jsonItems(entries)
	return withMeta(tagged("$map", entries), c.meta)
}

func (c *geneC) json(x *exporter) map[string]any {
	return withMeta(nodeJSON(c.head, c.props, c.body, x), c.meta)
}

// nodeJSON is the schema of a node's JSON view: {"$node": head, "$meta",
// "$props", "$body", "$headless", "$frozen"}, where the view leaves out
// empty props and body, so they are required only when the schema rejects
// them empty.
func nodeJSON(head, props, body checker, x *exporter) map[string]any {
	ps := map[string]any{
		"$node":     map[string]any{},
		"$meta":     map[string]any{"type": "object"},
		"$props":    map[string]any{"type": "object"},
		"$body":     map[string]any{"type": "array"},
		"$headless": map[string]any{"const": true},
		"$frozen":   map[string]any{"const": true},
	}
	required := []any{"$node"}
	if head != nil {
		ps["$node"] = head.json(x)
	}
	if props != nil {
		ps["$props"] = props.json(x)
		if !props.ok(gene.PropMap(), 0) {
			required = append(required, "$props")
		}
	}
	if body != nil {
		ps["$body"] = body.json(x)
		if !body.ok(gene.List(), 0) {
			required = append(required, "$body")
		}
	}
	return map[string]any{
		"type":                 "object",
		"properties":           ps,
		"required":             required,
		"additionalProperties": false,
	}
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
	return withMeta(map[string]any{"const": jsonOf(c.v)}, c.meta)
}

func (c *enumC) json(*exporter) map[string]any {
	vals := make([]any, len(c.vals))
	for i, v := range c.vals {
		vals[i] = jsonOf(v)
	}
	return withMeta(map[string]any{"enum": vals}, c.meta)
}

func (c *refC) json(x *exporter) map[string]any {
	return withMeta(map[string]any{"$ref": x.prefix + c.d.name}, c.meta)
}
