package natsstore_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/plugin/plugintest"
	"github.com/genehost/genehost/host/store/natsstore"
	"github.com/genehost/genehost/host/store/natsstore/natstest"
)

func open(t *testing.T, url string) *natsstore.Backend {
	t.Helper()
	b, err := natsstore.Open(t.Context(), natsstore.Config{Servers: []string{url}})
	require.NoError(t, err)
	t.Cleanup(func() { b.Close() })
	return b
}

// TestStoreSuite runs the store behaviour suite with two connections to
// one JetStream server, as two hosts.
func TestStoreSuite(t *testing.T) {
	srv := natstest.Start(t)
	n := 0
	plugintest.RunStoreSuite(t, func(t *testing.T) (plugin.Store, plugin.Store) {
		n++
		name := "p" + string(rune('a'+n))
		a, err := open(t, srv.URL()).PluginKV(name)
		require.NoError(t, err)
		b, err := open(t, srv.URL()).PluginKV(name)
		require.NoError(t, err)
		return a, b
	})
}

func TestKeyEncoding(t *testing.T) {
	for _, k := range []string{"a", "d/user/ada", "/", "//x", "a/", "\x00.*>", "ü/ñ"} {
		enc, err := natsstore.EncodeKey([]byte(k))
		require.NoError(t, err)
		require.Regexp(t, `^[0-9a-f]+(\.[0-9a-f]+)*$`, enc)
		dec, err := natsstore.DecodeKey(enc)
		require.NoError(t, err)
		require.Equal(t, k, string(dec))
	}
	enc, _ := natsstore.EncodeKey([]byte("d/user/ada"))
	require.Equal(t, "642f.757365722f.616461", enc)
	_, err := natsstore.EncodeKey(make([]byte, natsstore.MaxKeyBytes+1))
	require.Error(t, err)
	_, err = natsstore.EncodeKey(nil)
	require.Error(t, err)
}

func TestNames(t *testing.T) {
	require.Equal(t, "genehost_kv_kv", natsstore.Bucket("kv"))
	require.Equal(t, "genehost_kv_my_2eplugin_5fx", natsstore.Bucket("my.plugin_x"))
}

func TestOpenFails(t *testing.T) {
	_, err := natsstore.Open(t.Context(), natsstore.Config{Servers: []string{"nats://127.0.0.1:1"}})
	require.ErrorContains(t, err, "nats://127.0.0.1:1")
	_, err = natsstore.Open(t.Context(), natsstore.Config{})
	require.Error(t, err)
}
