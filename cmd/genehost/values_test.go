package main

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
)

func TestValueReaderAcrossLines(t *testing.T) {
	vr := newValueReader(strings.NewReader("1 2\n(a\n  b)\n\"x\ny\"\n[3]"), "<in>")
	var got []string
	for {
		v, err := vr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		got = append(got, gene.Format(v))
	}
	assert.Equal(t, []string{"1", "2", "(a b)", `"x\ny"`, "[3]"}, got)
}

func TestValueReaderResync(t *testing.T) {
	vr := newValueReader(strings.NewReader("1\n2\n)\n3\n"), "<stdin>")
	vr.resync = true
	v, err := vr.Next()
	require.NoError(t, err)
	assert.Equal(t, "1", gene.Format(v))
	v, err = vr.Next()
	require.NoError(t, err)
	assert.Equal(t, "2", gene.Format(v))
	_, err = vr.Next()
	var se *gene.SyntaxError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 3, se.Line, "the line counts from the start of the stream")
	v, err = vr.Next()
	require.NoError(t, err)
	assert.Equal(t, "3", gene.Format(v))
	_, err = vr.Next()
	assert.ErrorIs(t, err, io.EOF)
}

func TestValueReaderIncompleteAtEOF(t *testing.T) {
	vr := newValueReader(strings.NewReader("(a b"), "<stdin>")
	_, err := vr.Next()
	assert.ErrorIs(t, err, gene.ErrIncomplete)
}

func TestResolveAddr(t *testing.T) {
	a, err := resolveAddr("-")
	require.NoError(t, err)
	assert.Equal(t, "unix://"+DefaultSocket(), a)
	a, err = resolveAddr("tcp://127.0.0.1:1")
	require.NoError(t, err)
	assert.Equal(t, "tcp://127.0.0.1:1", a)
	a, err = resolveAddr("/x/y.sock")
	require.NoError(t, err)
	assert.Equal(t, "unix:///x/y.sock", a)
	_, err = resolveAddr("localhost:7470")
	assert.ErrorContains(t, err, "want unix://")
}

func TestParseArgsInterleaved(t *testing.T) {
	c := &cli{name: "x", stderr: io.Discard}
	fs := c.newFlags("x", "", "")
	n := fs.Int("n", 0, "")
	pos, _, ok := parseArgs(fs, []string{"a", "-n", "3", "b", "--", "-c", "-n"})
	require.True(t, ok)
	assert.Equal(t, 3, *n)
	assert.Equal(t, []string{"a", "b", "-c", "-n"}, pos)
}
