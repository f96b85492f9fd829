package c_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/plugin/plugintest"
	"github.com/genehost/genehost/proto"
)

// vectors reads gene's binary test vectors: name and encoding.
func vectors(t *testing.T) (names []string, encs [][]byte) { return vectorsOf(t) }

func vectorsOf(t testing.TB) (names []string, encs [][]byte) {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "..", "gene", "testdata", "binary", "vectors.txt"))
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, _, _ := strings.Cut(line, " | ")
		i := strings.LastIndex(line, " | ")
		b, err := hex.DecodeString(strings.ReplaceAll(line[i+3:], " ", ""))
		require.NoError(t, err, "vector %s", name)
		names, encs = append(names, name), append(encs, b)
	}
	require.NoError(t, sc.Err())
	require.NotEmpty(t, names)
	return names, encs
}

// compositeText nests every kind the readers handle inside every container
// the writers write, mutable and immutable.
const compositeText = `(all ^big 123456789012345678901234567890 ^one 1.0 @doc "every kind" @@flag
  [nil void true false 0 63 64 -1 -32 -33 9223372036854775807 -9223372036854775808
   18446744073709551615 18446744073709551616 -9223372036854775809
   1.0 -0.0 inf -inf 3.25 "" "héllo" "abcdefghijklmnopqrstuvwxyz0123456789" a set! abcdefghijklmnopqrstuvwxyz0123456789
   'a' '😀' #B16#00ff80 #B16#]
  #[1 #[2 #{^a #(x ^p 1 y)}]]
  {^name "Ada" ^age 36 ^^admin}
  {{"k" : 1  2 : [x]  2.0 : "float key"  [1 2] : {^z 0}  nil : nil}}
  [0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16]
  {^a 1 ^b 2 ^c 3 ^d 4 ^e 5 ^f 6 ^g 7 ^h 8 ^i 9 ^j 10 ^k 11 ^l 12 ^m 13 ^n 14 ^o 15 ^p 16}
  () (nil) (void) (f [x] ^p 1) #([f] ^p 1 x)
  #"[a-z]+\d"i 2026-11-24 09:30:15.25+01:00 2026-11-24T09:30:00-05:00[America/New_York])`

// TestRewrite sends values through a guest that decodes each with the
// header's typed readers and encodes it again with its writers: the bytes
// must come back unchanged, which checks both against gene's encoder.
func TestRewrite(t *testing.T) {
	requireToolchain(t)
	h := plugintest.New(t, plugin.Grants{})
	in := instantiate(t, "rewrite", h)
	require.NoError(t, in.Open(t.Context(), plugin.LinkInfo{ID: 1, Interface: "rw", Direction: proto.DirSendRecv}))

	check := func(t *testing.T, want []byte, got gene.Value) {
		t.Helper()
		if b := gene.AppendBinary(nil, got); !bytes.Equal(want, b) {
			t.Fatalf("rewritten\n got % X\nwant % X", b, want)
		}
	}
	names, encs := vectors(t)
	var batch []gene.Value
	for i, name := range names {
		t.Run(name, func(t *testing.T) {
			v, _, err := gene.DecodeBinary(encs[i], gene.BinaryOptions{})
			require.NoError(t, err)
			batch = append(batch, v)
			before := len(h.Sent(1))
			_, err = in.Receive(t.Context(), 1, []gene.Value{v})
			require.NoError(t, err)
			sent := h.Sent(1)
			require.Len(t, sent, before+1)
			check(t, encs[i], sent[before])

			res, err := in.Control(t.Context(), 0, "rewrite", v)
			require.NoError(t, err)
			check(t, encs[i], res)
		})
	}
	t.Run("composite", func(t *testing.T) {
		v := gene.MustParse(compositeText)
		require.NoError(t, in.Open(t.Context(), plugin.LinkInfo{ID: 2, Interface: "rw", Direction: proto.DirSendRecv}))
		_, err := in.Receive(t.Context(), 2, []gene.Value{v})
		require.NoError(t, err)
		check(t, gene.AppendBinary(nil, v), h.Sent(2)[0])
	})
	t.Run("one batch", func(t *testing.T) {
		require.NoError(t, in.Open(t.Context(), plugin.LinkInfo{ID: 3, Interface: "rw", Direction: proto.DirSendRecv}))
		_, err := in.Receive(t.Context(), 3, batch)
		require.NoError(t, err)
		sent := h.Sent(3)
		require.Len(t, sent, len(batch))
		for i := range batch {
			check(t, encs[i], sent[i])
		}
	})
}

// TestLinkInfo checks gh_read_link_info on what the host sends gh_on_open.
func TestLinkInfo(t *testing.T) {
	requireToolchain(t)
	in := instantiate(t, "rewrite", plugintest.New(t, plugin.Grants{}))
	for _, c := range []struct {
		name string
		info plugin.LinkInfo
		want string
	}{
		{"full", plugin.LinkInfo{ID: 7, Interface: "kv", Direction: proto.DirSendRecv, Peer: "unix:@", Meta: gene.MustParse(`{^client "cli"}`)},
			`{^id 7 ^interface "kv" ^direction "send+recv" ^peer "unix:@" ^meta {^client "cli"}}`},
		{"largest id, no meta", plugin.LinkInfo{ID: 1<<64 - 1, Interface: "feed", Direction: proto.DirSend},
			`{^id 18446744073709551615 ^interface "feed" ^direction "send" ^peer "" ^meta nil}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			require.NoError(t, in.Open(t.Context(), c.info))
			v, err := in.Control(t.Context(), 0, "link", gene.Nil())
			require.NoError(t, err)
			require.True(t, gene.Equal(gene.MustParse(c.want), v), "got %s", v)
		})
	}
}

// FuzzReader runs the header's readers on arbitrary bytes inside the
// guest. They must never trap or read out of bounds, must agree with
// gene's decoder on where a valid value ends, must refuse input that ends
// inside a value, and must rewrite a valid value to the same bytes.
func FuzzReader(f *testing.F) {
	requireToolchain(f)
	_, encs := vectorsOf(f)
	for _, b := range encs {
		f.Add(b)
		if len(b) > 1 {
			f.Add(b[:len(b)-1])
		}
	}
	f.Add(gene.AppendBinary(nil, gene.MustParse(compositeText)))
	// The deepest value gene accepts, and one level more.
	deep := func(n int) []byte {
		return append(append(bytes.Repeat([]byte{0x81}, n-1), 0x91, 0x01, 'k'), 0x2A)
	}
	f.Add(deep(gene.DefaultMaxDepth))
	f.Add(deep(gene.DefaultMaxDepth + 1))
	h := plugintest.New(f, plugin.Grants{})
	rt := newRuntime(f)
	m, err := rt.Compile(f.Context(), source(f, "rewrite", plugin.Limits{}, plugin.Grants{}))
	require.NoError(f, err)
	f.Cleanup(func() { m.Close(context.Background()) })
	in, err := m.Instantiate(f.Context(), h)
	require.NoError(f, err)
	f.Cleanup(func() { in.Close(context.Background()) })

	f.Fuzz(func(t *testing.T, b []byte) {
		res, err := in.Control(t.Context(), 0, "parse", gene.Bytes(b))
		require.NoError(t, err, "input % X", b)
		l := res.List()
		require.Len(t, l, 2)
		skipped, _ := l[0].AsInt()
		v, n, derr := gene.DecodeBinary(b, gene.BinaryOptions{})
		switch {
		case derr == nil:
			require.Equal(t, int64(n), skipped, "gh_skip on % X", b)
			require.Equal(t, gene.KindBytes, l[1].Kind(), "the typed readers refused % X (%s)", b, v)
			require.Equal(t, b[:n], l[1].Bytes(), "rewritten")
		case errors.Is(derr, gene.ErrIncomplete):
			require.Equal(t, int64(-1), skipped, "gh_skip accepted % X, which ends inside a value (%v)", b, derr)
			require.True(t, l[1].IsNil(), "the typed readers accepted % X, which ends inside a value", b)
		default:
			require.LessOrEqual(t, skipped, int64(len(b)))
		}
	})
}
