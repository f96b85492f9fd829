package jsrt

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/plugin/plugintest"
)

// TestKilledOnOverrunDeadlines: with callbacks run on the caller's
// goroutine, calls that end in time leave no interrupt behind, the
// deadline and the context's end still interrupt a callback that does not
// return, and the instance is broken after.
func TestKilledOnOverrunDeadlines(t *testing.T) {
	const timeout = 200 * time.Millisecond
	code := `module.exports = {
  values(link, vs) {
    if (gene.is(vs[0], 'spin')) for (;;) {}
    link.send(vs[0]);
  },
};`
	rt := NewWith(Config{KilledOnOverrun: true})
	m, err := rt.Compile(t.Context(), source(t, files(t, map[string]string{"handler.js": code}), plugin.Limits{CallTimeout: timeout}, plugin.Grants{}))
	require.NoError(t, err)
	instance := func(t *testing.T) plugin.Instance {
		in, err := m.Instantiate(t.Context(), plugintest.New(t, plugin.Grants{}))
		require.NoError(t, err)
		t.Cleanup(func() { in.Close(context.Background()) })
		return in
	}
	values := func(s string) []gene.Value { return []gene.Value{gene.MustParse(s)} }

	in := instance(t)
	for range 50 {
		_, err := in.Receive(t.Context(), 1, values("(ping)"))
		require.NoError(t, err)
	}
	start := time.Now()
	_, err = in.Receive(t.Context(), 1, values("(spin)"))
	require.ErrorIs(t, err, plugin.ErrTimeout)
	assert.Contains(t, err.Error(), "values() on link 1: interrupted after CallTimeout 200ms")
	assert.GreaterOrEqual(t, time.Since(start), timeout)
	_, err = in.Receive(t.Context(), 1, values("(ping)"))
	require.ErrorIs(t, err, ErrBroken)

	t.Run("context", func(t *testing.T) {
		in := instance(t)
		// Ended before the call: the watchdog learns it at once.
		ctx, cancel := context.WithCancelCause(t.Context())
		cancel(errTestCancel)
		start := time.Now()
		_, err := in.Receive(ctx, 1, values("(spin)"))
		assert.Less(t, time.Since(start), timeout, "interrupted by the context, before the deadline")
		require.ErrorIs(t, err, plugin.ErrTimeout)
		require.ErrorIs(t, err, errTestCancel)
		assert.Contains(t, err.Error(), "interrupted: ")
	})
}

var errTestCancel = errors.New("the test cancelled it")
