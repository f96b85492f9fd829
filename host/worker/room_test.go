package worker_test

import (
	"context"
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/internal/leakcheck"
	"github.com/genehost/genehost/host/plugin"
)

// staleHost announces unlimited room on every link, but its links have
// no credit until open is closed: every send the worker ships finds less
// room than announced. It records sends and closes in the order they
// reach it.
type staleHost struct {
	discardHost
	open chan struct{}

	mu     sync.Mutex
	events []string
}

func (h *staleHost) record(ev string) {
	h.mu.Lock()
	h.events = append(h.events, ev)
	h.mu.Unlock()
}

func (h *staleHost) Events() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.events...)
}

func (h *staleHost) credit() bool {
	select {
	case <-h.open:
		return true
	default:
		return false
	}
}

func (h *staleHost) Room(plugin.LinkID) (plugin.Room, bool) {
	return plugin.Room{Values: math.MaxUint64, Bytes: math.MaxUint64, MaxValue: math.MaxUint64}, true
}

func (h *staleHost) TrySend(_ plugin.LinkID, v gene.Value) error {
	if !h.credit() {
		return plugin.ErrNoCredit
	}
	h.record(gene.Format(v))
	return nil
}

func (h *staleHost) Send(ctx context.Context, _ plugin.LinkID, v gene.Value) error {
	select {
	case <-h.open:
	case <-ctx.Done():
		return ctx.Err()
	}
	h.record(gene.Format(v))
	return nil
}

func (h *staleHost) CloseLink(_ plugin.LinkID, reason string) error {
	h.record("close " + reason)
	return nil
}

// TestShippedSendsWaitForCredit: sends the worker accepted against the
// room the host announced are never dropped when the host finds less
// room: they wait for credit in order, the call the plugin makes after
// them (CloseLink) waits behind them, and the callback's answer comes
// once all are applied.
func TestShippedSendsWaitForCredit(t *testing.T) {
	leakcheck.Verify(t)
	for _, name := range []string{"send", "trySend"} {
		t.Run(name, func(t *testing.T) {
			rt := newRuntime(t, "js")
			send := "link.send(v)"
			if name == "send" {
				send = "await link.sendAsync(v)"
			}
			m := compile(t, rt, jsSource(t, "ship", `module.exports = {
  async values(link, values) {
    for (const v of values) { `+send+`; }
    link.close('done');
  },
};`, plugin.Limits{}, plugin.Grants{}))
			h := &staleHost{open: make(chan struct{})}
			in := instantiate(t, m, h)
			openLink(t, in, 1)
			done := make(chan error, 1)
			go func() {
				_, err := in.Receive(t.Context(), 1, []gene.Value{gene.Int(1), gene.Int(2), gene.Int(3)})
				done <- err
			}()
			select {
			case err := <-done:
				t.Fatalf("Receive returned before its sends had credit: %v", err)
			case <-time.After(200 * time.Millisecond):
			}
			require.Empty(t, h.Events())
			close(h.open)
			select {
			case err := <-done:
				require.NoError(t, err)
			case <-time.After(10 * time.Second):
				t.Fatal("Receive did not return once credit came")
			}
			require.Equal(t, []string{"1", "2", "3", "close done"}, h.Events())
		})
	}
}

// TestShippedSendWithoutCreditEndsWithItsCallback: a shipped send that
// never gets credit gives up when the callback's deadline would, and the
// callback's answer still comes (the plugin was told the send went).
func TestShippedSendWithoutCreditEndsWithItsCallback(t *testing.T) {
	leakcheck.Verify(t)
	rt := newRuntime(t, "js")
	m := compile(t, rt, jsSource(t, "ship", `module.exports = {
  values(link, values) { for (const v of values) link.send(v); },
};`, plugin.Limits{CallTimeout: 300 * time.Millisecond}, plugin.Grants{}))
	h := &staleHost{open: make(chan struct{})}
	in := instantiate(t, m, h)
	openLink(t, in, 1)
	start := time.Now()
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	_, err := in.Receive(ctx, 1, []gene.Value{gene.Int(1)})
	require.True(t, err == nil || errors.Is(err, context.DeadlineExceeded), "Receive: %v", err)
	require.Less(t, time.Since(start), 2*time.Second)
	require.Empty(t, h.Events())
}
