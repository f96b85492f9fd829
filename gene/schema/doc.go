// Package schema describes the shape of Gene values with schemas that are
// themselves Gene values, validates values against them, and exports them
// as JSON Schema.
//
// A manifest uses schemas for the messages that flow on an interface and
// for the arguments and results of control operations; the host validates
// incoming values with them and reports the path of the first mismatch; the
// AsyncAPI 3 export turns them into JSON Schema (draft 2020-12).
//
// Parse compiles a schema value into a *Schema, a tree of small checkers.
// Schema.Validate checks a value and allocates nothing when the value
// matches; only a mismatch builds its *ValidationError. Schema.Value gives
// the schema back in canonical Gene form, and Schema.ToJSONSchema as JSON
// Schema. A Schema is immutable and safe for concurrent use.
//
// # Notation
//
// In schema position a value means:
//
//   - a symbol: a type name (below);
//   - a node whose head is a symbol: a type name with options, or a
//     constructor, as in (int ^min 0) or (list string);
//   - a prop map {^k T ...}: shorthand for (props ^k T ...);
//   - nil, a bool, an integer, a float, a string, a char, bytes, a date, a
//     time or a date-time: that literal value ("get" matches the string
//     "get", 7 the integer 7, true the boolean true);
//   - anything else (a list, a general map, a regex, void) is an error that
//     says what to write instead. Symbols, lists, maps and nodes are
//     matched literally with (literal x) or (enum ...).
//
// Type names, each also usable as a node with its options:
//
//	any                      every value
//	nil                      nil (the literal)
//	bool                     true or false
//	int                      an integer            ^min ^max (inclusive, int64)
//	float                    a float               ^min ^max (inclusive, int or float)
//	number                   an integer or a float ^min ^max
//	string                   a string              ^min-len ^max-len ^pattern
//	symbol                   a symbol              ^min-len ^max-len ^pattern
//	char                     a char
//	bytes                    a bytes value         ^min-len ^max-len
//	date time datetime regex a value of that kind
//	list                     a list of anything    ^min-len ^max-len
//	props                    a prop map with any keys
//	map                      a general map         ^min-len ^max-len
//	node                     any node
//
// Lengths of strings and symbols count Unicode code points (as JSON Schema
// does); of bytes, bytes; of lists, elements; of maps, entries. Options
// named ^min/^max bound a number's value; options named ^min-len/^max-len
// bound a size. A ^pattern is a regex (#"[a-z]+"i, flags i m s) or a
// string, in Go's RE2 syntax, and matches anywhere in the string unless
// anchored with ^ and $.
//
// Constructors:
//
//	(list T ^min-len n ^max-len n)   a list whose elements all match T
//	(tuple A B C ^rest R)            a list of exactly A B C; with ^rest,
//	                                 any further elements must match R
//	(props ^k T ^k2 (optional T2))   a prop map with key k (required) and k2
//	                                 (may be absent); no other keys, unless
//	                                 ^^open is given
//	(mapof T ^min-len n ^max-len n)  a prop map with any keys whose values
//	                                 all match T
//	(map K V ^min-len n ^max-len n)  a general map whose keys match K and
//	                                 values match V
//	(gene ^head H ^props P ^body B)  a node: the head matches H (a bare
//	                                 symbol here is the head itself, so
//	                                 ^head get means the head get; write
//	                                 (symbol) for any symbol), its props as
//	                                 a prop map match P, its body as a list
//	                                 matches B; each is optional
//	(one-of A B C)                   a value matching at least one of them
//	(literal x)                      exactly x (compared with gene.Equal)
//	(enum a b c)                     exactly one of the values a, b, c
//	                                 (symbols here are values, not types)
//	(ref Name)                       the definition Name
//
// Note that the bare symbol props is any prop map, while (props) with no
// keys is the empty prop map only. Within (props ...), ^open true (or
// ^^open) and ^open false set the open flag, so a key named open whose
// value must be a boolean literal is written ^open (literal true).
//
// # Definitions and recursion
//
// Parse takes a map of named definitions, and (ref Name) stands for the
// definition Name. Definitions are compiled on first use, once, so they
// may refer to each other and to themselves, as long as every cycle goes
// through a part of the value (a list element, a prop, a node's body...):
//
//	Tree: (gene ^head node ^props {^label string} ^body (list (ref Tree)))
//
// A definition that reaches itself through refs and one-of alone, without
// descending into the value, is a parse error; validation would never end.
// ParseDefs compiles every definition of a map, used or not.
//
// one-of tries its alternatives in order and backtracks, so validation
// costs the schema's size times the value's in the usual case, but a
// recursive definition whose alternatives overlap (two of them accept the
// same kind and both descend into it) can cost time exponential in the
// depth of a value built to fail late. Keep recursive alternatives apart by
// kind, node head or a literal key, so that no value can make validation
// backtrack deeply.
//
// # Descriptions and examples
//
// Meta on a schema node documents it without changing what it matches,
// and is kept by Value and exported to JSON Schema:
//
//	(string @doc "user name" @title "Name" @example "ada" ^max-len 64)
//	(props @doc "a get request" @examples [{^op "get" ^key "a"}]
//	  ^op "get"
//	  ^key (string @doc "the key to read")
//	  ^timeout (optional int @doc "milliseconds" @default 1000))
//
// @doc and @title are strings; @example is one example, @examples a list of
// them; @default a default value; @deprecated a bool; keys starting with
// x- are passed through to JSON Schema. Parse checks every example and
// default against the schema it is attached to. A bare type name or
// literal carries no meta; write it as a node, (int @doc "..."), or as
// (literal "get" @doc "...").
//
// # Errors
//
// A ValidationError names the first mismatch found: Path from the top of
// the value, then what the schema wants and what the value has. Path
// segments, joined by "/":
//
//	^key       the value of prop key (of a prop map or of a node)
//	[i]        element i (from 0) of a list, or child i of a node's body
//	(head)     the head of a node
//	(props)    a node's props as a whole (their number of keys)
//	(body)     a node's body as a whole (its length)
//	{k}        the value under key k of a general map (k in Gene text)
//	{k}/(key)  that key itself
//
// For example, validating {^items [{^name "a"} {^name 3}]} against
// {^items (list {^name string})} fails with
//
//	schema: at ^items/[1]/^name: want string, got int 3
//
// With one-of, the error comes from the alternative the value most likely
// meant: alternatives whose kind, whose node head or whose literal-valued
// keys (discriminators such as ^op "get") do not match are passed over, and
// of the rest the one whose mismatch lies deepest is reported. When no
// alternative applies, the error lists them all, each by what tells it
// apart: "want one of (get ...), (put ...)" for node schemas with literal
// heads, "(props ^op "get" ...)" for prop maps with literal keys.
//
// A ParseError names the definition and the path inside the schema value,
// in the same notation ("schema: definition Msg: at ^items/[0]: unknown
// type name strng").
//
// # JSON Schema
//
// ToJSONSchema maps a schema to JSON Schema draft 2020-12 describing the
// JSON view of the values it matches: the view gene.AppendJSON writes (see
// gene/JSON.md), where nil, booleans, numbers, strings, lists and prop maps
// are plain JSON and every other kind is an object tagged by its first key
// ("$sym", "$node", ...). Literals, enums, examples and defaults are
// written with gene.AppendJSON too, so they are exactly what a JSON tool
// sees.
//
//	any               {}
//	nil               {"type": "null"}
//	bool              {"type": "boolean"}
//	int               {"type": "integer", "minimum", "maximum"}
//	number            {"type": "number", "minimum", "maximum"}
//	float             the same, with "x-gene-kind": "float"
//	string            {"type": "string", "minLength", "maxLength", "pattern"}
//	symbol            {"$sym": the string schema} (a closed object with
//	                  that one required property, as for every tag below)
//	char              {"$char": a string of one code point}
//	bytes             {"$bytes": {"type": "string", "contentEncoding":
//	                  "base64"}}, lengths those of the padded base64 text
//	date time         {"$date" / "$time" / "$datetime": {"type": "string",
//	datetime          "format": "date" / "time" / "date-time"}}
//	regex             {"$regex": a string, "$flags": optional}
//	(list T)          {"type": "array", "items": T, "minItems", "maxItems"}
//	(tuple A B)       {"type": "array", "prefixItems": [A, B], "minItems": 2,
//	                  "maxItems": 2}; with ^rest R, "items": R instead of
//	                  "maxItems"
//	props             {"type": "object"}
//	(props ^k T ...)  {"type": "object", "properties", "required" (the keys
//	                  not optional), "additionalProperties": false unless
//	                  open}; a key starting with $ is spelt with one more $
//	(mapof T)         {"type": "object", "additionalProperties": T,
//	                  "minProperties", "maxProperties"}
//	(map K V)         {"$map": an array of [key, value] pairs, each
//	                  {"prefixItems": [K, V]}, "minItems", "maxItems"}
//	node, (gene ...)  an object with "$node" (the head schema), "$props",
//	                  "$body", and the optional "$meta", "$headless" and
//	                  "$frozen"; "$props" and "$body", which the view leaves
//	                  out when empty, are required when the schema rejects
//	                  them empty
//	(one-of A B)      {"anyOf": [A, B]} (first match wins, so alternatives
//	                  may overlap, as anyOf allows and oneOf does not)
//	(literal x)       {"const": x}; literal nil is {"type": "null"}
//	(enum a b)        {"enum": [a, b]}
//	(ref Name)        {"$ref": "#/$defs/Name"}, the definition under "$defs"
//
// Meta becomes annotations: @doc "description", @title "title", @example
// and @examples "examples", @default "default", @deprecated "deprecated",
// and x-... keys as they are.
//
// The JSON Schema is as strict as the Gene schema except where JSON cannot
// follow: JSON Schema counts 1.0 as an integer, so int and float differ
// only by the "x-gene-kind" annotation; the floats inf, -inf and nan (which
// the view writes as {"$float": "inf"}) and the immutable forms #[...] and
// #{...} (written {"$list": ...} and {"$props": ...}) are not described,
// though (list T) and props accept them in Gene; and a ^pattern is copied
// as written, RE2 and the ECMA-262 syntax of JSON Schema agreeing on common
// patterns but not on every construct, with regex flags, which ECMA-262
// patterns cannot carry inline, in "x-gene-pattern-flags".
//
// ExportJSONSchema writes refs with a caller's prefix
// ("#/components/schemas/" for AsyncAPI 3) and returns the definitions
// apart, for the caller to place.
package schema
