package c_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/abi"
	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/plugin/plugintest"
	"github.com/genehost/genehost/proto"
)

// TestStreamsSuite: a C guest's streams and topics through genehost.h
// (ABI 1.3) pass the behaviour suite the JavaScript and Go APIs pass:
// publish, batches, attach with prefetch and host-pushed deliveries, ack
// and not-delivered, detach, info, topics, bad names, and the refusal
// without the grant.
func TestStreamsSuite(t *testing.T) {
	requireToolchain(t)
	plugintest.RunStreamsPluginSuite(t, newRuntime(t), func(t *testing.T, name string, l plugin.Limits, g plugin.Grants) *plugin.Source {
		return source(t, name, l, g)
	})
}

// TestStreamsResetTrim: the calls the suite does not make (reset, trim,
// unsubscribe), from C.
func TestStreamsResetTrim(t *testing.T) {
	requireToolchain(t)
	g := plugin.Grants{Streams: true}
	h := plugintest.NewStreamsHost(t, g)
	in := plugintest.Start(t, newRuntime(t), source(t, "streams", plugin.Limits{}, g), h)
	ask := func(req string) string {
		t.Helper()
		before := len(h.Sent(1))
		_, err := in.Receive(t.Context(), 1, []gene.Value{gene.MustParse(req)})
		require.NoError(t, err, req)
		got := h.Sent(1)
		require.Len(t, got, before+1, "one reply to %s: %v", req, got)
		return gene.Format(got[before])
	}
	require.Equal(t, "(published 1 2 3 4 5)", ask(`(publish-batch ^entries [{^stream "s" ^value 1} {^stream "s" ^value 2} {^stream "s" ^value 3} {^stream "s" ^value 4} {^stream "s" ^value 5}])`))
	require.Equal(t, "(reset 4)", ask(`(reset ^stream "s" ^group "g" ^seq 4)`))
	require.Equal(t, "(reset 6)", ask(`(reset ^stream "s" ^group "h" ^seq 99)`), "clamped to one past the last")
	require.Equal(t, "(trimmed 3 3)", ask(`(trim ^stream "s" ^through 5)`), "never past group g's position")
	require.Equal(t, `(info [{^stream "s" ^head 5 ^groups [{^group "g" ^acked 3 ^consumers 0 ^unacked 0} {^group "h" ^acked 5 ^consumers 0 ^unacked 0}]}])`,
		ask(`(info)`))
	require.Equal(t, "(listening)", ask(`(listen ^topic "t")`))
	require.Equal(t, "(unlistened true)", ask(`(unlisten ^topic "t")`))
	require.Equal(t, "(unlistened false)", ask(`(unlisten ^topic "t")`))
	require.Equal(t, "(sent 0)", ask(`(broadcast ^topic "t" ^value 1)`))
	require.Contains(t, ask(`(publish-raw ^stream "s" ^bytes #B16#c0c0)`), `(error "bad-value" "gh_stream_publish: stream \"s\": gene: `,
		"bytes that are not one encoded value are refused")
}

// TestABI12GuestServed: a guest built for ABI 1.2 (the echo example with
// its marker renamed, which imports none of 1.3's functions) still loads
// and runs on this 1.3 host.
func TestABI12GuestServed(t *testing.T) {
	requireToolchain(t)
	cur, old := []byte(abi.MarkerName(abi.Major, abi.Minor)), []byte(abi.MarkerName(1, 2))
	require.Len(t, old, len(cur))
	code := bytes.Clone(buildC(t, "echo"))
	require.Equal(t, 1, bytes.Count(code, cur), "the example's marker, once")
	code = bytes.Replace(code, cur, old, 1)
	sum := sha256.Sum256(code)
	m, err := newRuntime(t).Compile(t.Context(), &plugin.Source{Name: "echo12", Entry: "echo12.wasm", Code: code, Hash: hex.EncodeToString(sum[:])})
	require.NoError(t, err)
	t.Cleanup(func() { m.Close(t.Context()) })
	h := plugintest.New(t, plugin.Grants{})
	in, err := m.Instantiate(t.Context(), h)
	require.NoError(t, err)
	t.Cleanup(func() { in.Close(t.Context()) })
	require.NoError(t, in.Open(t.Context(), plugin.LinkInfo{ID: 1, Interface: "echo", Direction: proto.DirSendRecv}))
	_, err = in.Receive(t.Context(), 1, []gene.Value{gene.MustParse(`(hello "1.2")`)})
	require.NoError(t, err)
	require.Equal(t, `(hello "1.2")`, texts(h.Sent(1)))
}
