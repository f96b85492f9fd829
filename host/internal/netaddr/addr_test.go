package netaddr

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Addr
		err  string
	}{
		{in: "unix:///run/g.sock", want: Addr{Scheme: Unix, Path: "/run/g.sock"}},
		{in: "unix://rel.sock", want: Addr{Scheme: Unix, Path: "rel.sock"}},
		{in: "tcp://127.0.0.1:7070", want: Addr{Scheme: TCP, Host: "127.0.0.1", Port: 7070}},
		{in: "tcp://[::1]:0", want: Addr{Scheme: TCP, Host: "::1", Port: 0}},
		{in: "tls://example.org:7443", want: Addr{Scheme: TLS, Host: "example.org", Port: 7443}},
		{in: "tcp://:7070", want: Addr{Scheme: TCP, Host: "", Port: 7070}},
		{in: "127.0.0.1:7070", err: "want unix:///path"},
		{in: "unix://", err: "empty socket path"},
		{in: "tcp://localhost", err: "missing port"},
		{in: "tcp://h:99999", err: "port \"99999\""},
		{in: "http://h:80", err: "unknown scheme \"http\""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				require.True(t, errors.Is(err, ErrAddress))
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
			require.Equal(t, tt.in, got.String())
		})
	}
}

func TestIsLoopback(t *testing.T) {
	for in, want := range map[string]bool{
		"unix:///x":         true,
		"tcp://127.0.0.1:1": true,
		"tcp://[::1]:1":     true,
		"tcp://localhost:1": true,
		"tcp://0.0.0.0:1":   false,
		"tcp://:1":          false,
		"tls://10.0.0.1:1":  false,
	} {
		a, err := Parse(in)
		require.NoError(t, err)
		require.Equal(t, want, a.IsLoopback(), in)
	}
}
