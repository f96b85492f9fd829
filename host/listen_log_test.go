//go:build linux

package host

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/require"
)

// syncBuffer is a bytes.Buffer a logger and a test share.
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

// TestServerListenLogsRefusalsWithItsLogger checks that a listener opened
// by Server.Listen logs a refused peer through the server's hclog logger
// (with its name), not through a default logger of its own.
func TestServerListenLogsRefusalsWithItsLogger(t *testing.T) {
	var out syncBuffer
	srv := New(Config{Logger: hclog.New(&hclog.LoggerOptions{Name: "thehost", Output: &out, Level: hclog.Warn})})
	defer srv.Close()
	path := filepath.Join(t.TempDir(), "g.sock")
	_, err := srv.Listen(ListenerConfig{Address: "unix://" + path, AllowUIDs: []int{os.Getuid() + 4242}})
	require.NoError(t, err)

	c, err := net.Dial("unix", path)
	require.NoError(t, err)
	defer c.Close()
	require.Eventually(t, func() bool {
		return bytes.Contains([]byte(out.String()), []byte("refused a peer not in the socket's allow-list"))
	}, 5*time.Second, 10*time.Millisecond, "log: %s", out.String())
	line := out.String()
	require.Contains(t, line, "[WARN]  thehost: refused a peer not in the socket's allow-list")
	require.Contains(t, line, "uid="+strconv.Itoa(os.Getuid()))
}
