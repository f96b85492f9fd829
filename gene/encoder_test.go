package gene

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEncoderWritesOneValuePerLine(t *testing.T) {
	var out bytes.Buffer
	e := NewEncoder(&out, WriteOptions{})
	for _, v := range []Value{Int(42), String("a\nb"), List(Symbol("x"), Float(1))} {
		require.NoError(t, e.Encode(v))
	}
	assert.Equal(t, "42\n\"a\\nb\"\n[x 1.0]\n", out.String())
}

func TestEncoderPretty(t *testing.T) {
	var out bytes.Buffer
	e := NewEncoder(&out, WriteOptions{Pretty: true, Indent: "\t"})
	long := List(ints(30, 1000)...)
	require.NoError(t, e.Encode(long))
	require.NoError(t, e.Encode(Int(1)))
	assert.Equal(t, string(AppendPretty(nil, long, "\t"))+"\n1\n", out.String())
}

func TestEncoderRefusesUnwritable(t *testing.T) {
	for _, pretty := range []bool{false, true} {
		var out bytes.Buffer
		e := NewEncoder(&out, WriteOptions{Pretty: pretty})
		require.NoError(t, e.Encode(Int(1)))
		err := e.Encode(List(Int(2), PropMap(Prop{"k", Void()})))
		require.ErrorIs(t, err, ErrUnwritable)
		var we *WriteError
		require.ErrorAs(t, err, &we)
		assert.Equal(t, "[1]^k", we.Path)
		require.NoError(t, e.Encode(Int(3)))
		assert.Equal(t, "1\n3\n", out.String(), "nothing written for the refused value")
	}
}

func TestEncoderPrettyRefusesDeepInsideBrokenForm(t *testing.T) {
	var out bytes.Buffer
	e := NewEncoder(&out, WriteOptions{Pretty: true})
	inner := append(ints(40, 1000), Symbol("bad symbol"))
	err := e.Encode(PropMap(Prop{"rows", List(inner...)}))
	var we *WriteError
	require.ErrorAs(t, err, &we)
	assert.Equal(t, "^rows[40]", we.Path)
	assert.Empty(t, out.String())
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestEncoderWrapsWriteError(t *testing.T) {
	err := NewEncoder(failWriter{}, WriteOptions{}).Encode(Int(1))
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "gene: encode: "))
	assert.Contains(t, err.Error(), "disk full")
}

type countWriter struct{ n, calls int }

func (c *countWriter) Write(p []byte) (int, error) { c.n += len(p); c.calls++; return len(p), nil }

func TestEncoderAllocatesNothingPerValue(t *testing.T) {
	v := node(Symbol("request"), nil, Props{
		{"id", Int(42)}, {"method", String("get")}, {"path", String("/users/17")},
		{"headers", PropMap(Prop{"accept", String("application/json")})},
		{"body", List(Int(1), Float(2.5), String("x"))},
	})
	w := &countWriter{}
	e := NewEncoder(w, WriteOptions{})
	require.NoError(t, e.Encode(v))
	allocs := testing.AllocsPerRun(100, func() { _ = e.Encode(v) })
	assert.Zero(t, allocs)
	assert.Equal(t, 102, w.calls, "one Write per value")
}

func ExampleEncoder() {
	e := NewEncoder(os.Stdout, WriteOptions{})
	_ = e.Encode(PropMap(Prop{Key: "id", Value: Int(42)}, Prop{Key: "ok", Value: True}))
	_ = e.Encode(Symbol("done"))
	// Output:
	// {^id 42 ^^ok}
	// done
}
