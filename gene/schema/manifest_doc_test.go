package schema

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
)

// The schema language of MANIFEST.md (section 3) is checked here, so the
// document cannot drift from the parser: every ```gene schema block
// compiles, the ```gene defs block compiles, every row of the table of
// forms compiles and matches (and fails) the values it shows, and the
// table uses every type name, constructor and option the parser knows.
// host/manifest_doc_test.go checks the ```gene manifest blocks.

// docBlocks returns the bodies of the fenced blocks of doc whose info
// string is info ("gene schema").
func docBlocks(doc, info string) []string {
	var out []string
	var cur *strings.Builder
	for _, l := range strings.Split(doc, "\n") {
		switch {
		case cur == nil && strings.TrimSpace(l) == "```"+info:
			cur = &strings.Builder{}
		case cur != nil && strings.TrimSpace(l) == "```":
			out = append(out, cur.String())
			cur = nil
		case cur != nil:
			cur.WriteString(l + "\n")
		}
	}
	return out
}

func readManifestDoc(t *testing.T) string {
	b, err := os.ReadFile(filepath.Join("..", "..", "MANIFEST.md"))
	require.NoError(t, err)
	return string(b)
}

func TestManifestDocSchemaBlocks(t *testing.T) {
	blocks := docBlocks(readManifestDoc(t), "gene schema")
	require.GreaterOrEqual(t, len(blocks), 2, "MANIFEST.md has fewer ```gene schema blocks than expected")
	for _, b := range blocks {
		vs, err := gene.ParseAll([]byte(b), gene.ReadOptions{})
		require.NoError(t, err, "%s", b)
		require.NotEmpty(t, vs, "an empty ```gene schema block")
		for _, v := range vs {
			_, err := Parse(v, nil)
			require.NoError(t, err, "schema %s", gene.Format(v))
		}
	}
}

var codeSpan = regexp.MustCompile("`([^`]*)`")

// formRow is one row of the table of forms.
type formRow struct {
	line              string
	schema, yes, no   string
	schemaV, yesV, nV gene.Value
}

func docFormRows(t *testing.T, doc string) []formRow {
	_, rest, ok := strings.Cut(doc, "<!-- schema-forms -->")
	require.True(t, ok, "MANIFEST.md has no <!-- schema-forms --> marker")
	table, _, ok := strings.Cut(rest, "<!-- /schema-forms -->")
	require.True(t, ok, "MANIFEST.md has no <!-- /schema-forms --> marker")
	var rows []formRow
	for _, l := range strings.Split(table, "\n") {
		if !strings.HasPrefix(l, "| `") {
			continue
		}
		cells := strings.Split(strings.Trim(l, "| "), " | ")
		require.Len(t, cells, 4, "row %q: want form | schema | matches | does not match", l)
		span := func(c string) string {
			m := codeSpan.FindStringSubmatch(c)
			if c == "-" {
				return ""
			}
			require.NotNil(t, m, "row %q: cell %q holds no code", l, c)
			return m[1]
		}
		r := formRow{line: l, schema: span(cells[1]), yes: span(cells[2]), no: span(cells[3])}
		var err error
		r.schemaV, err = gene.Parse([]byte(r.schema))
		require.NoError(t, err, "row %q: schema", l)
		r.yesV, err = gene.Parse([]byte(r.yes))
		require.NoError(t, err, "row %q: matching value", l)
		if r.no != "" {
			r.nV, err = gene.Parse([]byte(r.no))
			require.NoError(t, err, "row %q: value that does not match", l)
		}
		rows = append(rows, r)
	}
	require.GreaterOrEqual(t, len(rows), 30)
	return rows
}

func TestManifestDocForms(t *testing.T) {
	doc := readManifestDoc(t)
	defBlocks := docBlocks(doc, "gene defs")
	require.Len(t, defBlocks, 1, "MANIFEST.md should have one ```gene defs block, the definitions of the table of forms")
	dv, err := gene.Parse([]byte(defBlocks[0]))
	require.NoError(t, err)
	require.Equal(t, gene.KindProps, dv.Kind(), "the ```gene defs block is a prop map of definitions")
	defs := map[string]gene.Value{}
	for _, p := range dv.Props() {
		defs[p.Key] = p.Value
	}
	_, err = ParseDefs(defs)
	require.NoError(t, err)

	used := map[string]bool{}
	for _, r := range docFormRows(t, doc) {
		s, err := Parse(r.schemaV, defs)
		require.NoError(t, err, "row %q", r.line)
		require.NoError(t, s.Validate(r.yesV), "row %q: %s should match %s", r.line, r.yes, r.schema)
		if r.no != "" {
			require.Error(t, s.Validate(r.nV), "row %q: %s should not match %s", r.line, r.no, r.schema)
		}
		collectNames(r.schemaV, used)
	}

	// Every type name, constructor and option of the parser is shown.
	var want []string
	for n := range typeNames {
		want = append(want, n)
	}
	for n := range constructors {
		want = append(want, n)
	}
	want = append(want, "^min", "^max", "^min-len", "^max-len", "^pattern", "^rest", "^head", "^props", "^body", "^open",
		"@doc", "@example")
	sort.Strings(want)
	for _, n := range want {
		require.True(t, used[n], "the table of forms in MANIFEST.md shows no schema using %s", n)
	}
}

// collectNames records the symbols in schema position (bare or as a node's
// head), and the option and meta keys, that v uses.
func collectNames(v gene.Value, used map[string]bool) {
	switch v.Kind() {
	case gene.KindNil:
		used["nil"] = true
	case gene.KindSymbol:
		used[v.Str()] = true
	case gene.KindProps:
		for _, p := range v.Props() {
			used["^"+p.Key] = true
			collectNames(p.Value, used)
		}
	case gene.KindNode:
		n := v.Node()
		if n.HasHead {
			collectNames(n.Head, used)
		}
		for _, m := range n.Meta {
			used["@"+m.Key] = true
		}
		for _, p := range n.Props {
			used["^"+p.Key] = true
			collectNames(p.Value, used)
		}
		for _, b := range n.Body {
			collectNames(b, used)
		}
	}
}
