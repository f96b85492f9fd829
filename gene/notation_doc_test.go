package gene

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// NOTATION.md describes the text notation as this package reads and
// writes it; this test keeps the two together. Every fenced block whose
// info string starts with "gene" is checked by its kind:
//
//	```gene            the block reads (ParseAll), holding at least one value
//	```gene canonical  each line is one value, written back as that line
//	```gene pretty     the block is one value, as AppendPretty lays it out
//	```gene lenient    each line reads leniently and is refused strictly
//
// and every row of the tables between these markers:
//
//	<!-- reads-as -->          `text` | `canonical`: text reads as that value
//	<!-- lenient-reads-as -->  the same, read leniently; refused strictly
//	<!-- errors -->            `text` | `error`: reading fails with that text

func readNotationDoc(t *testing.T) string {
	b, err := os.ReadFile("NOTATION.md")
	require.NoError(t, err)
	return string(b)
}

type docBlock struct {
	info, body string
	line       int
}

// notationBlocks returns the fenced blocks of doc whose info string starts
// with "gene".
func notationBlocks(doc string) []docBlock {
	var out []docBlock
	var cur *docBlock
	var body strings.Builder
	for i, l := range strings.Split(doc, "\n") {
		switch {
		case cur == nil && strings.HasPrefix(l, "```gene"):
			cur = &docBlock{info: strings.TrimSpace(strings.TrimPrefix(l, "```")), line: i + 1}
			body.Reset()
		case cur != nil && l == "```":
			cur.body = body.String()
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			body.WriteString(l + "\n")
		}
	}
	return out
}

// codeSpan returns the text of a table cell that is one code span: between
// single backquotes, or between double backquotes and a space each side
// (for text holding a backquote).
func codeSpan(t *testing.T, cell string) string {
	cell = strings.TrimSpace(cell)
	if strings.HasPrefix(cell, "`` ") && strings.HasSuffix(cell, " ``") {
		return cell[3 : len(cell)-3]
	}
	require.True(t, len(cell) >= 2 && cell[0] == '`' && cell[len(cell)-1] == '`' && !strings.Contains(cell[1:len(cell)-1], "`"),
		"table cell %q is not one code span", cell)
	return cell[1 : len(cell)-1]
}

type docRow struct {
	a, b string
	line int
}

var tableMarker = regexp.MustCompile(`^<!-- ([a-z-]+) -->$`)

// notationTables returns the two first cells of the rows of every table
// between <!-- name --> and <!-- /name -->, by name.
func notationTables(t *testing.T, doc string) map[string][]docRow {
	out := map[string][]docRow{}
	in := ""
	for i, l := range strings.Split(doc, "\n") {
		if m := tableMarker.FindStringSubmatch(l); m != nil {
			require.Empty(t, in, "line %d: <!-- %s --> inside <!-- %s -->", i+1, m[1], in)
			in = m[1]
			continue
		}
		if in != "" && l == "<!-- /"+in+" -->" {
			in = ""
			continue
		}
		if in == "" || !strings.HasPrefix(l, "| `") {
			continue
		}
		cells := strings.Split(strings.Trim(l, "|"), " | ")
		require.GreaterOrEqual(t, len(cells), 2, "line %d: %q", i+1, l)
		out[in] = append(out[in], docRow{a: codeSpan(t, cells[0]), b: codeSpan(t, cells[1]), line: i + 1})
	}
	require.Empty(t, in, "<!-- %s --> is not closed", in)
	return out
}

func TestNotationDocBlocks(t *testing.T) {
	blocks := notationBlocks(readNotationDoc(t))
	kinds := map[string]int{}
	for _, b := range blocks {
		kinds[b.info]++
		switch b.info {
		case "gene":
			vs, err := ParseAll([]byte(b.body), ReadOptions{})
			require.NoError(t, err, "NOTATION.md line %d", b.line)
			require.NotEmpty(t, vs, "NOTATION.md line %d: an empty block", b.line)
			for _, v := range vs {
				_, err := AppendTextStrict(nil, v)
				require.NoError(t, err, "NOTATION.md line %d: %s", b.line, Format(v))
			}
		case "gene canonical":
			for i, l := range strings.Split(strings.TrimSuffix(b.body, "\n"), "\n") {
				v, err := Parse([]byte(l))
				require.NoError(t, err, "NOTATION.md line %d", b.line+1+i)
				out, err := AppendTextStrict(nil, v)
				require.NoError(t, err, "NOTATION.md line %d", b.line+1+i)
				require.Equal(t, l, string(out), "NOTATION.md line %d is not canonical", b.line+1+i)
			}
		case "gene pretty":
			v, err := Parse([]byte(b.body))
			require.NoError(t, err, "NOTATION.md line %d", b.line)
			var out strings.Builder
			require.NoError(t, NewEncoder(&out, WriteOptions{Pretty: true}).Encode(v))
			require.Equal(t, b.body, out.String(), "NOTATION.md line %d is not what the pretty printer writes", b.line)
		case "gene lenient":
			for i, l := range strings.Split(strings.TrimSuffix(b.body, "\n"), "\n") {
				_, err := ParseAll([]byte(l), ReadOptions{Lenient: true})
				require.NoError(t, err, "NOTATION.md line %d", b.line+1+i)
				_, err = ParseAll([]byte(l), ReadOptions{})
				require.ErrorIs(t, err, ErrSyntax, "NOTATION.md line %d reads strictly too", b.line+1+i)
			}
		default:
			t.Fatalf("NOTATION.md line %d: unknown block kind %q", b.line, b.info)
		}
	}
	for _, k := range []string{"gene", "gene canonical", "gene pretty", "gene lenient"} {
		require.NotZero(t, kinds[k], "NOTATION.md has no ```%s block", k)
	}
}

func TestNotationDocTables(t *testing.T) {
	tables := notationTables(t, readNotationDoc(t))
	check := func(rows []docRow, o ReadOptions) {
		for _, r := range rows {
			v, err := ParseWith([]byte(r.a), o)
			require.NoError(t, err, "NOTATION.md line %d: %q", r.line, r.a)
			require.Equal(t, r.b, Format(v), "NOTATION.md line %d: %q", r.line, r.a)
			// The second column is itself canonical: it reads strictly
			// as the same value and is written back unchanged.
			c, err := Parse([]byte(r.b))
			require.NoError(t, err, "NOTATION.md line %d: %q", r.line, r.b)
			require.True(t, sameValue(v, c), "NOTATION.md line %d: %q reads as %s", r.line, r.b, Format(c))
			out, err := AppendTextStrict(nil, c)
			require.NoError(t, err, "NOTATION.md line %d", r.line)
			require.Equal(t, r.b, string(out), "NOTATION.md line %d", r.line)
		}
	}
	require.Greater(t, len(tables["reads-as"]), 100, "NOTATION.md has fewer reads-as rows than expected")
	check(tables["reads-as"], ReadOptions{})

	require.NotEmpty(t, tables["lenient-reads-as"])
	check(tables["lenient-reads-as"], ReadOptions{Lenient: true})
	for _, r := range tables["lenient-reads-as"] {
		_, err := Parse([]byte(r.a))
		require.ErrorIs(t, err, ErrSyntax, "NOTATION.md line %d: %q reads strictly too", r.line, r.a)
	}

	require.Greater(t, len(tables["errors"]), 20, "NOTATION.md has fewer error rows than expected")
	for _, r := range tables["errors"] {
		_, err := Parse([]byte(r.a))
		require.Error(t, err, "NOTATION.md line %d: %q reads", r.line, r.a)
		require.Equal(t, r.b, err.Error(), "NOTATION.md line %d", r.line)
	}
	for name := range tables {
		require.Contains(t, []string{"reads-as", "lenient-reads-as", "errors"}, name, "NOTATION.md: unknown table marker")
	}
}
