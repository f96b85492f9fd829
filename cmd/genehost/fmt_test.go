package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
)

// runFmtPipes runs 'genehost fmt ARGS' with input on a real pipe as its
// standard input and real pipes as its standard output and error.
func runFmtPipes(t *testing.T, input []byte, args ...string) (stdout, stderr []byte, code int) {
	t.Helper()
	inR, inW, err := os.Pipe()
	require.NoError(t, err)
	outR, outW, err := os.Pipe()
	require.NoError(t, err)
	errR, errW, err := os.Pipe()
	require.NoError(t, err)
	go func() {
		inW.Write(input)
		inW.Close()
	}()
	outc, errc := readAllAsync(outR), readAllAsync(errR)
	code = run(append([]string{"fmt"}, args...), inR, outW, errW)
	outW.Close()
	errW.Close()
	inR.Close()
	return <-outc, <-errc, code
}

func readAllAsync(r *os.File) <-chan []byte {
	c := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(r)
		r.Close()
		c <- b
	}()
	return c
}

func TestFmtCanonical(t *testing.T) {
	in := "# a comment\n{^b 2 ^a 0x10}(f ^^x @doc \"d\" #_ ignored a/b)\n  [1,2 ,3] 1.50 'x' `q\n#B64#SGVsbG8= 42"
	out, errOut, code := runFmtPipes(t, []byte(in))
	require.Equal(t, 0, code, "stderr: %s", errOut)
	assert.Empty(t, errOut)
	assert.Equal(t, `{^b 2 ^a 16}
(f @doc "d" ^^x (path a b))
[1 , 2 , 3]
1.5
'x'
(quasiquote q)
#B16#48656c6c6f
42
`, string(out))
}

func TestFmtPretty(t *testing.T) {
	long := "(record ^id 1 ^name \"a name long enough to wrap the line\" ^tags [\"alpha\" \"beta\" \"gamma\" \"delta\"] ^nested {^x 1 ^y 2})"
	out, errOut, code := runFmtPipes(t, []byte(long+"\n"), "--pretty")
	require.Equal(t, 0, code, "stderr: %s", errOut)
	assert.Equal(t, string(gene.AppendPretty(nil, gene.MustParse(long), "  "))+"\n", string(out))
	assert.Greater(t, strings.Count(string(out), "\n"), 1, "pretty output spans lines")
	back, err := gene.ParseAll(out, gene.ReadOptions{})
	require.NoError(t, err)
	require.Len(t, back, 1)
	assert.True(t, gene.Equal(gene.MustParse(long), back[0]))
}

func TestFmtJSON(t *testing.T) {
	out, errOut, code := runFmtPipes(t, []byte("{^a 1 ^b [x \"s\"]} nil 2.5\n"), "--to", "json")
	require.Equal(t, 0, code, "stderr: %s", errOut)
	assert.Equal(t, "{\"a\":1,\"b\":[{\"$sym\":\"x\"},\"s\"]}\nnull\n2.5\n", string(out))

	out, errOut, code = runFmtPipes(t, []byte("{^a 1 ^b [x]}"), "--to", "json", "--pretty")
	require.Equal(t, 0, code, "stderr: %s", errOut)
	assert.Equal(t, "{\n  \"a\": 1,\n  \"b\": [\n    {\n      \"$sym\": \"x\"\n    }\n  ]\n}\n", string(out))
	assert.True(t, json.Valid(out))
}

func TestFmtBinaryRoundTrip(t *testing.T) {
	in := "(point ^x 1 ^y 2 @doc \"origin\") [1 2.5 \"three\" #B16#ff] 2026-11-24T09:30:00Z 123456789012345678901234567890\n"
	bin, errOut, code := runFmtPipes(t, []byte(in), "--to", "bin")
	require.Equal(t, 0, code, "stderr: %s", errOut)
	want, err := gene.ParseAll([]byte(in), gene.ReadOptions{})
	require.NoError(t, err)
	var docs []byte
	for _, v := range want {
		docs = gene.AppendBinaryDoc(docs, v)
	}
	assert.Equal(t, docs, bin, "one binary document per value, back to back")

	text, errOut, code := runFmtPipes(t, bin, "--from", "bin")
	require.Equal(t, 0, code, "stderr: %s", errOut)
	var canon bytes.Buffer
	e := gene.NewEncoder(&canon, gene.WriteOptions{})
	for _, v := range want {
		require.NoError(t, e.Encode(v))
	}
	assert.Equal(t, canon.String(), string(text))
}

func TestFmtErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		args     []string
		out      string // what was written before the error
		stderr   string
		code     int
	}{
		{"mismatched closer", "1\n(a\n  [b)", nil, "1\n",
			"stdin:3:5: unexpected ')' while reading '[' opened at 3:3; expected ']'\n", 1},
		{"incomplete", "[1 2\n", nil, "",
			"stdin:2:1: unexpected end of input while reading '[' opened at 1:1; expected ']'\n", 1},
		{"bad binary", "\x89GNB\x01\xa0", []string{"--from", "bin"}, "",
			"stdin: offset 5: unknown tag 0xa0\n", 1},
		{"not binary", "(a)", []string{"--from", "bin"}, "",
			"stdin: offset 0: not a Gene binary document: starts with 28, want 89\n", 1},
		{"unknown output", "", []string{"--to", "yaml"}, "",
			"genehost fmt: --to \"yaml\": want gene, json or bin\nRun 'genehost fmt --help' for usage.\n", 2},
		{"argument", "", []string{"file.gene"}, "",
			"genehost fmt: unexpected argument \"file.gene\": fmt reads standard input\nRun 'genehost fmt --help' for usage.\n", 2},
		{"pretty binary", "", []string{"--to", "bin", "--pretty"}, "",
			"genehost fmt: --pretty has no meaning with --to bin\nRun 'genehost fmt --help' for usage.\n", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runFmtPipes(t, []byte(tc.in), tc.args...)
			assert.Equal(t, tc.code, code)
			assert.Equal(t, tc.out, string(out))
			assert.Equal(t, tc.stderr, string(errOut))
		})
	}
}

func TestFmtHelp(t *testing.T) {
	out, errOut, code := runFmtPipes(t, nil, "--help")
	require.Equal(t, 0, code)
	assert.Empty(t, out)
	help := string(errOut)
	for _, want := range []string{"Usage: genehost fmt", "-pretty", "-to string", "-from string", "Examples:", "genehost fmt --to json", "Exit codes:"} {
		assert.Contains(t, help, want)
	}

	var listing bytes.Buffer
	require.Equal(t, 0, run([]string{"help"}, nil, &listing, io.Discard))
	assert.Contains(t, listing.String(), "fmt ")
}

// TestFmtStreams checks that fmt writes each value as soon as it is
// complete, while its input stays open.
func TestFmtStreams(t *testing.T) {
	inR, inW, err := os.Pipe()
	require.NoError(t, err)
	outR, outW, err := os.Pipe()
	require.NoError(t, err)
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"fmt"}, inR, outW, io.Discard)
		outW.Close()
	}()
	lines := bufio.NewReader(outR)
	for _, step := range []struct{ in, want string }{
		{"(a\n", ""},
		{"  b) 4", "(a b)\n"},
		{"2 {^x", "42\n"},
		{" 1}\n", "{^x 1}\n"},
	} {
		_, err := inW.Write([]byte(step.in))
		require.NoError(t, err)
		if step.want == "" {
			continue
		}
		got := make(chan string, 1)
		go func() {
			l, _ := lines.ReadString('\n')
			got <- l
		}()
		select {
		case l := <-got:
			require.Equal(t, step.want, l)
		case <-time.After(10 * time.Second):
			t.Fatalf("no output for %q while the input stays open", step.want)
		}
	}
	require.NoError(t, inW.Close())
	require.Equal(t, 0, <-done)
	rest, err := io.ReadAll(lines)
	require.NoError(t, err)
	assert.Empty(t, string(rest))
	inR.Close()
	outR.Close()
}
