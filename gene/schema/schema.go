package schema

import (
	"sort"

	"github.com/genehost/genehost/gene"
)

// Schema is a compiled schema: a tree of small checkers built once by Parse
// and then used to validate any number of values. A Schema is immutable and
// safe for concurrent use.
type Schema struct {
	root checker
	// defs holds the definitions the schema reaches through refs, by name.
	defs map[string]*def
}

// checker is one node of a compiled schema.
type checker interface {
	// ok reports whether v matches, without allocating. depth counts the
	// refs followed so far.
	ok(v gene.Value, depth int) bool
	// fail explains why v does not match; it is called only after ok
	// returned false for the same v and depth.
	fail(v gene.Value, depth int) *failure
	// value returns the schema in its canonical Gene form, meta included.
	value() gene.Value
	// json returns the JSON Schema of this part (a fresh map the caller may
	// add to).
	json(x *exporter) map[string]any
}

// def is a named definition, compiled at most once per Parse so that
// recursive references share it.
type def struct {
	name string
	c    checker // set once its value is compiled
}

// maxRefDepth bounds how many refs validation follows into one value. Refs
// that do not descend into the value are rejected by Parse, so only a value
// nested this deep (four times gene.DefaultMaxDepth) can reach it.
const maxRefDepth = 4 * gene.DefaultMaxDepth

// Validate checks v against s. It returns nil when v matches, and
// otherwise a *ValidationError for the first mismatch found. Validating a
// matching value does not allocate.
func (s *Schema) Validate(v gene.Value) error {
	if s.root.ok(v, 0) {
		return nil
	}
	return s.root.fail(v, 0).err()
}

// Value returns the schema in its canonical Gene form: type names as
// symbols, constructors as nodes, `{^k T}` shorthands spelt as
// `(props ^k T)`, refs left as `(ref Name)`, meta kept. Parsing it again
// with the same definitions gives an equivalent schema.
func (s *Schema) Value() gene.Value { return s.root.value() }

// String returns the canonical form in Gene text, meta left out, shortened
// to about 60 bytes when long: for messages and logs.
func (s *Schema) String() string { return summary(s.root) }

// DefNames returns the names of the definitions s refers to, directly or
// through other definitions, sorted.
func (s *Schema) DefNames() []string {
	names := make([]string, 0, len(s.defs))
	for n := range s.defs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// base holds what every checker carries: the meta written on its node
// (@doc, @example, ...), kept for Value and the JSON export.
type base struct {
	meta gene.Props
}

// form builds the canonical node (head @meta... ^props... body...) or, when
// there is nothing but the head, the bare symbol.
func (b base) form(head string, props gene.Props, body ...gene.Value) gene.Value {
	if len(b.meta) == 0 && len(props) == 0 && len(body) == 0 {
		return gene.Symbol(head)
	}
	return b.node(head, props, body...)
}

// node always builds the node form.
func (b base) node(head string, props gene.Props, body ...gene.Value) gene.Value {
	return gene.NodeValue(&gene.Node{
		Head: gene.Symbol(head), HasHead: true,
		Meta: append(gene.Props(nil), b.meta...), Props: props, Body: body,
	})
}

// summary is a checker's canonical form in short Gene text without meta,
// for messages.
func summary(c checker) string { return text(plain(c.value())) }
