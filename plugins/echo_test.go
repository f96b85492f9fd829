package plugins_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugin"
)

func TestEcho(t *testing.T) {
	p, m := compile(t, "echo")
	r := newRig(t, p, m, nil)
	r.open(1)
	const values = `(hello ^to "world" @trace 1) 42 1.0 -98765432109876543210 "s" 'c' sym nil
		[1 #[2] {^a #{^b 3}}] {{1 : [x]}} #B16#00ff #"a+"i 2026-11-24T09:30:00Z (() 1 2)`
	r.send(1, values)
	r.send(1, `(second ^batch true)`)
	requireValues(t, values+` (second ^batch true)`, r.sent(1))
	want, err := gene.ParseAll([]byte(values), gene.ReadOptions{})
	require.NoError(t, err)
	for i, v := range want {
		require.Equal(t, gene.Format(v), gene.Format(r.h.Sent(1)[i]), "value %d unchanged, meta included", i)
	}
}

func TestEchoWaitsForCredit(t *testing.T) {
	p, m := compile(t, "echo")
	r := newRig(t, p, m, nil)
	r.open(1)
	r.h.SetCredit(1, 1)
	go func() {
		time.Sleep(50 * time.Millisecond)
		r.h.SetCredit(1, -1)
	}()
	r.send(1, `1 2 3`)
	requireValues(t, `1 2 3`, r.sent(1))
}

func TestEchoGivesUpAtTheDeadline(t *testing.T) {
	p, m := compile(t, "echo")
	r := newRig(t, p, m, nil)
	r.open(1)
	r.h.SetCredit(1, 0)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err := r.in.Receive(ctx, 1, []gene.Value{gene.Int(1)})
	require.Error(t, err)
	require.True(t, errors.Is(err, plugin.ErrTimeout), "%v", err)
}
