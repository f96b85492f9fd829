package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDefaultListeners: the default socket stays beside --listen
// addresses that are not Unix sockets, unless --no-unix.
func TestDefaultListeners(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	sock := "unix://" + DefaultSocket()
	tcp := "tcp://127.0.0.1:7470"
	for _, c := range []struct {
		listens []string
		noUnix  bool
		want    []string
	}{
		{nil, false, []string{sock, tcp}},
		{nil, true, []string{tcp}},
		{[]string{"tcp://127.0.0.1:9000"}, false, []string{sock, "tcp://127.0.0.1:9000"}},
		{[]string{"127.0.0.1:9000"}, false, []string{sock, "127.0.0.1:9000"}},
		{[]string{"tcp://127.0.0.1:9000"}, true, []string{"tcp://127.0.0.1:9000"}},
		{[]string{"unix:///tmp/x.sock", "tcp://127.0.0.1:9000"}, false, []string{"unix:///tmp/x.sock", "tcp://127.0.0.1:9000"}},
		{[]string{"./x.sock"}, false, []string{"./x.sock"}},
	} {
		got, extra, err := defaultListeners(c.listens, c.noUnix)
		require.NoError(t, err)
		assert.Equal(t, c.want, got, "%v --no-unix=%v", c.listens, c.noUnix)
		if len(c.listens) > 0 && got[0] == sock {
			assert.Equal(t, sock, extra, "added beside --listen: optional")
		} else {
			assert.Empty(t, extra, "%v", c.listens)
		}
	}
	assert.DirExists(t, filepath.Dir(DefaultSocket()), "the default socket's directory is made")
}

func TestShellQuote(t *testing.T) {
	assert.Equal(t, "tcp://127.0.0.1:7470", shellQuote("tcp://127.0.0.1:7470"))
	assert.Equal(t, `'unix:///tmp/a b.sock'`, shellQuote("unix:///tmp/a b.sock"))
	assert.Equal(t, `'it'\''s'`, shellQuote("it's"))
}
