package tests

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestServeAccessControl: the socket's mode, the peer allow-list and the
// per-interface token, set by serve's flags, through the real binary.
func TestServeAccessControl(t *testing.T) {
	tokenFile := filepath.Join(t.TempDir(), "echo.token")
	require.NoError(t, os.WriteFile(tokenFile, []byte("s3cret\n"), 0o600))
	d := serve(t, serveOpts{args: []string{"--socket-mode", "0660", "--token", "echo=@" + tokenFile,
		"--allow-uid", "4242", "--allow-uid", "0", "--allow-uid", itoa(os.Getuid())}})

	st, err := os.Stat(strings.TrimPrefix(d.Unix, "unix://"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o660), st.Mode().Perm(), "--socket-mode")

	// The token: refused without it or with a wrong one, over both sockets.
	for _, addr := range []string{d.Unix, d.TCP} {
		r := gh(t, d, "", "call", addr, "echo", `(hello)`)
		assert.Equal(t, 1, r.code, "%s", r.err)
		assert.Contains(t, r.err, "UNAUTHORIZED")
		assert.Contains(t, r.err, "requires ^token")
		r = gh(t, d, "", "call", "--meta", `{^token "guess"}`, addr, "echo", `(hello)`)
		assert.Contains(t, r.err, "wrong ^token")
		out := ok(t, d, "", "call", "--meta", `{^token "s3cret"}`, addr, "echo", `(hello)`)
		assert.Equal(t, "(hello)\n", out)
	}
	// Other interfaces need no token.
	assert.Equal(t, "(ok ^key \"a\")\n", ok(t, d, "", "call", d.Unix, "kv", `(set ^key "a" ^value 1)`))
	// Bad flag values are usage errors.
	r := gh(t, nil, "", "serve", "--socket-mode", "rw", "--plugins", t.TempDir())
	assert.Equal(t, 2, r.code, "%s", r.err)
	r = gh(t, nil, "", "serve", "--token", "echo", "--plugins", t.TempDir())
	assert.Equal(t, 2, r.code, "%s", r.err)
}

// TestServeAllowListRefusesOtherPeers: with an allow-list that does not
// name this process's uid, the Unix socket closes the connection; TCP is
// not affected by it.
func TestServeAllowListRefusesOtherPeers(t *testing.T) {
	d := serve(t, serveOpts{args: []string{"--allow-uid", "4242"}})
	r := gh(t, d, "", "call", "--timeout", "5s", d.Unix, "echo", `(hello)`)
	assert.NotEqual(t, 0, r.code, "refused: %s", r.err)
	assert.True(t, d.WaitLog("uid=0", 5*time.Second) || d.WaitLog("uid="+itoa(os.Getuid()), time.Second), "the refusal names the peer:\n%s", d.Log.String())
	assert.Equal(t, "(hello)\n", ok(t, d, "", "call", d.TCP, "echo", `(hello)`))
}

func itoa(i int) string { return strconv.Itoa(i) }
