package main

import (
	"bytes"
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host"
	"github.com/genehost/genehost/host/client"
)

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestWatchEvents: watchEvents prints the events of every control link
// in order of arrival, stops after count, and reports links that end,
// failing once none is left.
func TestWatchEvents(t *testing.T) {
	srv := host.New(host.Config{Logger: hclog.NewNullLogger()})
	t.Cleanup(func() { srv.Close() })
	m, err := host.ParseManifest(gene.MustParse(`{^name "echo" ^direction "send+recv"}`))
	require.NoError(t, err)
	require.NoError(t, srv.Register(m, host.Echo))
	addr, err := srv.Listen(host.ListenerConfig{Address: "unix://" + filepath.Join(t.TempDir(), "g.sock")})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := client.Dial(ctx, addr, client.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	open := func(name string) *client.Control {
		ctl, err := conn.Control(ctx, name, client.LinkOptions{})
		require.NoError(t, err)
		_, err = ctl.Ping(ctx) // answered: the host has the link registered
		require.NoError(t, err)
		return ctl
	}

	// Two events on $sys, one about echo and one about a removed name.
	var out syncBuffer
	done := make(chan error, 1)
	sys := open(host.SysInterface)
	go func() {
		done <- watchEvents(ctx, []*client.Control{sys}, nil, 2, printer{w: &out, format: "gene"}, func(string, error) {})
	}()
	srv.Emit("echo", gene.MustParse(`(event ^type "reloaded" ^interface "echo" ^generation 2)`))
	srv.Emit("gone", gene.MustParse(`(event ^type "removed" ^interface "gone")`))
	require.NoError(t, <-done)
	require.Equal(t, "(event ^type \"reloaded\" ^interface \"echo\" ^generation 2)\n(event ^type \"removed\" ^interface \"gone\")\n", out.String())

	// The interface goes away: its link ends, and with no link left
	// watchEvents fails after printing what came before.
	out = syncBuffer{}
	echo := open("echo")
	var ended []string
	go func() {
		done <- watchEvents(ctx, []*client.Control{echo}, nil, 0, printer{w: &out, format: "gene"}, func(iface string, err error) {
			ended = append(ended, iface+": "+err.Error())
		})
	}()
	srv.Emit("echo", gene.MustParse(`(event ^type "reload-failed" ^interface "echo" ^error "x")`))
	require.Eventually(t, func() bool { return out.String() != "" }, 10*time.Second, 5*time.Millisecond)
	require.NoError(t, srv.Unregister("echo"))
	err = <-done
	require.ErrorContains(t, err, "no control link left to watch")
	require.Len(t, ended, 1)
	require.Contains(t, ended[0], "echo: ")
	require.Contains(t, ended[0], "UNAVAILABLE")
	require.Equal(t, "(event ^type \"reload-failed\" ^interface \"echo\" ^error \"x\")\n", out.String())
}
