package store_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/plugin/plugintest"
	"github.com/genehost/genehost/host/store"
)

// TestStoreSuite runs the store behaviour suite on the embedded database:
// two stores of one namespace stand for two hosts (which on this backend
// are instances of one host).
func TestStoreSuite(t *testing.T) {
	plugintest.RunStoreSuite(t, func(t *testing.T) (plugin.Store, plugin.Store) {
		db, err := store.Open(filepath.Join(t.TempDir(), "genehost.db"), store.Options{})
		require.NoError(t, err)
		t.Cleanup(func() { db.Close() })
		a, err := db.PluginKV("p")
		require.NoError(t, err)
		b, err := db.PluginKV("p")
		require.NoError(t, err)
		return a, b
	})
}
