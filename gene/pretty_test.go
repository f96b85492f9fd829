package gene

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func ints(n int, step int64) []Value {
	vs := make([]Value, n)
	for i := range vs {
		vs[i] = Int(int64(i) * step)
	}
	return vs
}

func TestAppendPrettyShortFormsStayCompact(t *testing.T) {
	for _, v := range []Value{
		Int(1), String("x"), List(), PropMap(), Map(), NodeValue(&Node{}),
		List(Int(1), Int(2)).Freeze(),
		node(Symbol("f"), Props{{"m", True}}, Props{{"a", Int(1)}}, Symbol("x")),
		Map(Entry{String("k"), Int(1)}),
		Gene(Symbol("#Ref"), Symbol("r"), Int(1)),
	} {
		t.Run(Format(v), func(t *testing.T) {
			assert.Equal(t, Format(v), string(AppendPretty(nil, v, "  ")))
		})
	}
}

func TestAppendPrettyBreaksLongForms(t *testing.T) {
	headers := PropMap(
		Prop{"accept", String("application/json")},
		Prop{"user-agent", String("genehost-test-client/1.0 (a long enough agent string)")},
		Prop{"gzip", True},
	)
	cases := []struct {
		name   string
		v      Value
		indent string
		want   string
	}{
		{
			name:   "list",
			v:      List(ints(30, 1000)...),
			indent: "  ",
			want:   "[\n  " + strings.TrimSuffix(strings.ReplaceAll(Format(List(ints(30, 1000)...))[1:], " ", "\n  "), "]") + "\n]",
		},
		{
			name:   "node",
			v:      node(Symbol("request"), Props{{"trace", True}}, Props{{"id", Int(42)}, {"headers", headers}}, List(Int(1), Float(2.5))),
			indent: "  ",
			want: `(request
  @@trace
  ^id 42
  ^headers {
    ^accept "application/json"
    ^user-agent "genehost-test-client/1.0 (a long enough agent string)"
    ^^gzip
  }
  [1 2.5]
)`,
		},
		{
			name:   "map with tab indent",
			v:      Map(Entry{String("short"), Int(1)}, Entry{Symbol("long"), List(ints(20, 100000)...).Freeze()}),
			indent: "\t",
			want:   "{{\n\t\"short\" : 1\n\tlong : #[\n\t\t" + strings.TrimSuffix(strings.ReplaceAll(Format(List(ints(20, 100000)...))[1:], " ", "\n\t\t"), "]") + "\n\t]\n}}",
		},
		{
			name:   "frozen headless node",
			v:      NodeValue(&Node{Props: Props{{"a", String(strings.Repeat("x", 50))}, {"b", String(strings.Repeat("y", 50))}}}).Freeze(),
			indent: "  ",
			want:   "#(\n  ^a \"" + strings.Repeat("x", 50) + "\"\n  ^b \"" + strings.Repeat("y", 50) + "\"\n)",
		},
		{
			name:   "ref keeps its form",
			v:      Gene(Symbol("#Ref"), Symbol("r"), List(String(strings.Repeat("a", 40)), String(strings.Repeat("b", 40)))),
			indent: "  ",
			want:   "#Ref r [\n  \"" + strings.Repeat("a", 40) + "\"\n  \"" + strings.Repeat("b", 40) + "\"\n]",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := string(AppendPretty(nil, c.v, c.indent))
			require.Equal(t, c.want, got)
		})
	}
}

func TestAppendPrettyLinesFitWidth(t *testing.T) {
	// Lines stay within the width unless one atom alone is longer.
	var rows []Value
	for i := 0; i < 40; i++ {
		rows = append(rows, node(Symbol("row"), nil,
			Props{{"id", Int(int64(i))}, {"name", String(strings.Repeat("n", i*3))}, {"tags", List(Symbol("a"), Symbol("b"), Int(int64(i)))}},
			PropMap(Prop{"deep", List(List(List(String(strings.Repeat("z", i)))))})))
	}
	out := string(AppendPretty(nil, List(rows...), "  "))
	for _, line := range strings.Split(out, "\n") {
		if len(line) > prettyWidth {
			trimmed := strings.TrimLeft(line, " ")
			// The only allowed overflow: a prop or element that is a single long atom.
			assert.NotContains(t, trimmed[:len(trimmed)-1], "[", "line %q", line)
		}
	}
	// The same tokens as the compact form.
	assert.Equal(t, strings.Join(strings.Fields(Format(List(rows...))), ""), strings.Join(strings.Fields(out), ""))
}

func TestAppendPrettyDefaultIndent(t *testing.T) {
	v := List(ints(40, 1000)...)
	assert.Equal(t, string(AppendPretty(nil, v, "  ")), string(AppendPretty(nil, v, "")))
}
