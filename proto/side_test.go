package proto

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLinkIDParity(t *testing.T) {
	assert.True(t, SideClient.Opened(1))
	assert.False(t, SideClient.Opened(2))
	assert.True(t, SideHost.Opened(2))
	assert.False(t, SideHost.Opened(3))
	assert.False(t, SideClient.Opened(0))
	assert.False(t, SideHost.Opened(0))
	assert.Equal(t, SideHost, SideClient.Peer())
	assert.Equal(t, SideClient, SideHost.Peer())
}

func TestLinkIDs(t *testing.T) {
	c := NewLinkIDs(SideClient)
	for _, want := range []uint32{1, 3, 5} {
		id, err := c.Next()
		require.NoError(t, err)
		assert.Equal(t, want, id)
	}
	assert.True(t, c.Issued(5))
	assert.False(t, c.Issued(7))
	assert.False(t, c.Issued(2))
	h := NewLinkIDs(SideHost)
	assert.False(t, h.Issued(2))
	id, err := h.Next()
	require.NoError(t, err)
	assert.Equal(t, uint32(2), id)

	// Exhaustion: the last ids of each parity, then an error.
	c.next = 1<<32 - 1
	id, err = c.Next()
	require.NoError(t, err)
	assert.Equal(t, uint32(1<<32-1), id)
	_, err = c.Next()
	assert.ErrorContains(t, err, "client has used every link id")
	h.next = 1<<32 - 2
	id, err = h.Next()
	require.NoError(t, err)
	assert.Equal(t, uint32(1<<32-2), id)
	_, err = h.Next()
	assert.Error(t, err)
}

func TestPeerLinks(t *testing.T) {
	p := NewPeerLinks(SideClient) // the host checks the client's OPENs
	require.NoError(t, p.Open(1))
	require.NoError(t, p.Open(7))
	err := p.Open(4)
	require.ErrorIs(t, err, &Error{Code: CodeProtocolError})
	assert.Contains(t, err.Error(), "the client opened link 4, an id of the host's parity")
	err = p.Open(5)
	require.ErrorIs(t, err, &Error{Code: CodeProtocolError})
	assert.Contains(t, err.Error(), "opened link 5 after link 7; ids must increase")
	err = p.Open(7)
	require.ErrorIs(t, err, &Error{Code: CodeProtocolError})
	assert.True(t, p.Seen(5), "5 was skipped: it counts as retired")
	assert.True(t, p.Seen(7))
	assert.False(t, p.Seen(9))
	assert.False(t, p.Seen(2))
	assert.Equal(t, uint32(7), p.Highest())
}

func TestDirections(t *testing.T) {
	for _, c := range []struct {
		d            Direction
		name         string
		host, client bool
	}{
		{DirSend, "send", true, false},
		{DirRecv, "recv", false, true},
		{DirSendRecv, "send+recv", true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseDirection(c.name)
			require.NoError(t, err)
			assert.Equal(t, c.d, got)
			assert.Equal(t, c.name, c.d.String())
			assert.Equal(t, c.host, c.d.Sends(SideHost))
			assert.Equal(t, c.client, c.d.Sends(SideClient))
		})
	}
	_, err := ParseDirection("both")
	assert.ErrorContains(t, err, `direction "both" is not "send", "recv" or "send+recv"`)
	e := WrongDirection(5, DirSend, SideClient)
	assert.Equal(t, CodeWrongDirection, e.Code)
	assert.Equal(t, `link 5 is "send" (host to client only); the client sent a value`, e.Msg)

	s, err := ParseSub("control")
	require.NoError(t, err)
	assert.Equal(t, SubControl, s)
	_, err = ParseSub("admin")
	assert.ErrorIs(t, err, &Error{Code: CodeUnknownSubInterface})
}

func TestLimits(t *testing.T) {
	d := Limits{}.WithDefaults()
	assert.Equal(t, DefaultMaxFrameBytes, d.MaxFrameBytes)
	assert.Equal(t, DefaultMaxMessageBytes, d.MaxMessageBytes)
	assert.Equal(t, 256, d.MaxDepth)
	require.NoError(t, d.Validate())
	require.NoError(t, Limits{}.Validate())

	err := Limits{MaxFrameBytes: 100}.Validate()
	assert.ErrorContains(t, err, "limit max-frame-bytes is 100; it must be between 4096 and 16777216")
	assert.Error(t, Limits{MaxDepth: -1}.Validate())
	assert.Error(t, Limits{MaxMessageBytes: 1<<30 + 1}.Validate())

	m := Limits{MaxFrameBytes: 8192, MaxLinks: 10}.Min(Limits{MaxFrameBytes: 16384, MaxLinks: 5, MaxDepth: 9})
	assert.Equal(t, Limits{MaxFrameBytes: 8192, MaxLinks: 5, MaxDepth: 9}, m)

	g := d.Gene()
	assert.Equal(t, d.MaxMessageBytes, g.MaxValueBytes)
	assert.Equal(t, d.MaxIntDigits, g.MaxIntDigits)
}

func TestConfig(t *testing.T) {
	c := Config{}.WithDefaults()
	require.NoError(t, c.Validate())
	assert.Equal(t, []Encoding{EncodingBinary, EncodingText}, c.Encodings)
	assert.Equal(t, DefaultKeepalive, c.Keepalive)
	assert.Equal(t, DefaultWindowBytes, c.DataWindow.InitialBytes)
	assert.GreaterOrEqual(t, c.ControlWindow.MaxBytes, c.ControlWindow.InitialBytes)

	bad := Config{Encodings: []Encoding{"json/1"}, TransportWindow: 10, LinkQueue: -1,
		DataWindow: WindowConfig{InitialBytes: -5}}
	err := bad.Validate()
	require.Error(t, err)
	for _, want := range []string{`unknown encoding "json/1"`, "TransportWindow is 10", "LinkQueue is -1", "DataWindow: proto: window InitialBytes is -5"} {
		assert.Contains(t, err.Error(), want)
	}
	w := WindowConfig{InitialBytes: 100 << 20}.WithDefaults()
	assert.Equal(t, 100<<20, w.MaxBytes, "max is raised to initial")
}
