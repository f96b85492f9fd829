package worker_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/plugin/plugintest"
	"github.com/genehost/genehost/host/worker"
	"github.com/genehost/genehost/host/worker/workertest"
)

// newRuntime returns a worker runtime for name running this test binary.
func newRuntime(t *testing.T, name string) *worker.Runtime {
	t.Helper()
	rt, err := worker.New(workertest.Config(t, name))
	require.NoError(t, err)
	t.Cleanup(func() { rt.Close(context.Background()) })
	return rt
}

// The behaviour suite every runtime passes in the host passes through
// workers too.
func TestSuite(t *testing.T) {
	t.Run("js", func(t *testing.T) {
		plugintest.RunSuite(t, newRuntime(t, "js"), jsFixture)
	})
	t.Run("wasm", func(t *testing.T) {
		plugintest.RunSuite(t, newRuntime(t, "wasm"), wasmFixture)
	})
	_ = plugin.ErrInstanceLost
}

// TestStreamsSuite: a plugin's stream calls, made in a worker process,
// are served by the host.
func TestStreamsSuite(t *testing.T) {
	plugintest.RunStreamsPluginSuite(t, newRuntime(t, "js"), jsFixture)
}
