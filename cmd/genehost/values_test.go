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
	vr := newValueReader(strings.NewReader("1 2\n(a\n  b)\n\"x\ny\"\n[3]"), "<in>", syntax{})
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
	vr := newValueReader(strings.NewReader("1\n2\n)\n3\n"), "<stdin>", syntax{})
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
	vr := newValueReader(strings.NewReader("(a b"), "<stdin>", syntax{})
	_, err := vr.Next()
	assert.ErrorIs(t, err, gene.ErrIncomplete)
}

// TestValueReaderCutOnce: input that ends inside a value is reported once,
// where it ends, then the stream is over (connect used to spin on it).
func TestValueReaderCutOnce(t *testing.T) {
	vr := newValueReader(strings.NewReader("1\n\n(a\n  [b"), "<stdin>", syntax{})
	vr.resync = true
	v, err := vr.Next()
	require.NoError(t, err)
	assert.Equal(t, "1", gene.Format(v))
	_, err = vr.Next()
	require.ErrorIs(t, err, gene.ErrIncomplete)
	assert.Contains(t, err.Error(), "<stdin>:4:5: ")
	for range 3 {
		_, err = vr.Next()
		assert.ErrorIs(t, err, io.EOF)
	}
}

func TestValueReaderJSON(t *testing.T) {
	vr := newValueReader(strings.NewReader("{\"a\":\n [1, 2]} 3\n{\"$sym\": \"x\"}\n{oops}\n4\n"), "<stdin>", syntax{json: true})
	vr.resync = true
	var got []string
	for {
		v, err := vr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			assert.Contains(t, err.Error(), "<stdin>:4:2: unexpected character 'o'")
			continue
		}
		got = append(got, gene.Format(v))
	}
	assert.Equal(t, []string{"{^a [1 2]}", "3", "x", "4"}, got)
}

func TestJSONHint(t *testing.T) {
	for _, text := range []string{`{"a": 1}`, `[{"a": 1}]`} {
		_, err := syntax{}.one("VALUE", []byte(text))
		assert.ErrorContains(t, err, "this looks like JSON: use --json", text)
	}
	_, err := syntax{}.one("VALUE", []byte(`(a`))
	assert.NotContains(t, err.Error(), "JSON")
	_, err = syntax{}.one("VALUE", []byte(`1 2`))
	assert.EqualError(t, err, "VALUE holds 2 values where one is wanted (quote a value so it is one argument; 'genehost send' sends several)")
	_, err = syntax{}.one("VALUE", []byte(` `))
	assert.EqualError(t, err, "VALUE holds no value")
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
	a, err = resolveAddr("localhost:7470")
	require.NoError(t, err)
	assert.Equal(t, "tcp://localhost:7470", a)
	a, err = resolveAddr("[::1]:7470")
	require.NoError(t, err)
	assert.Equal(t, "tcp://[::1]:7470", a)
	_, err = resolveAddr("http://127.0.0.1:8080")
	assert.ErrorContains(t, err, "is an HTTP address: the HTTP gateway ('serve --http') serves it")
	_, err = resolveAddr("echo")
	assert.ErrorContains(t, err, "want unix://")
}

func TestTakeAddr(t *testing.T) {
	t.Setenv(addrEnv, "")
	a, rest, err := takeAddr([]string{"-", "echo", "1"})
	require.NoError(t, err)
	assert.Equal(t, "-", a)
	assert.Equal(t, []string{"echo", "1"}, rest)
	_, _, err = takeAddr([]string{"echo", "1"})
	assert.EqualError(t, err, `no ADDR: "echo" is not an address; give one first (- for the default socket of 'genehost serve', tcp://HOST:PORT, a socket path) or set GENEHOST_ADDR`)
	t.Setenv(addrEnv, "tcp://127.0.0.1:9")
	a, rest, err = takeAddr([]string{"echo", "1"})
	require.NoError(t, err)
	assert.Equal(t, "tcp://127.0.0.1:9", a)
	assert.Equal(t, []string{"echo", "1"}, rest)
	a, rest, err = takeAddr([]string{"127.0.0.1:7", "echo"})
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:7", a, "an ADDR given wins over the environment")
	assert.Equal(t, []string{"echo"}, rest)
}

func TestFlagSuggestion(t *testing.T) {
	var errb strings.Builder
	c := &cli{name: "x", stderr: &errb}
	fs := c.newFlags("x", "long description", "")
	fs.String("format", "", "")
	fs.Duration("timeout", 0, "")
	_, code, ok := parseArgs(fs, []string{"--formt", "json"})
	assert.False(t, ok)
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "genehost x: unknown flag --formt; did you mean --format?\nRun 'genehost x --help' for usage.\n", errb.String())
	errb.Reset()
	_, _, ok = parseArgs(fs, []string{"--time", "1s"})
	assert.False(t, ok)
	assert.Contains(t, errb.String(), "did you mean --timeout?", "a unique prefix")
	errb.Reset()
	_, _, ok = parseArgs(fs, []string{"--zzzzzz"})
	assert.False(t, ok)
	assert.Equal(t, "genehost x: unknown flag --zzzzzz\nRun 'genehost x --help' for usage.\n", errb.String())
	errb.Reset()
	_, _, ok = parseArgs(fs, []string{"--timeout", "soon"})
	assert.False(t, ok)
	assert.Contains(t, errb.String(), `invalid value "soon" for flag --timeout`)
	errb.Reset()
	_, code, ok = parseArgs(fs, []string{"--help"})
	assert.False(t, ok)
	assert.Equal(t, exitOK, code)
	assert.Contains(t, errb.String(), "long description")
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
