//go:build linux

package host

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/host/internal/leakcheck"
	"github.com/genehost/genehost/tests/testenv"
)

// warnLog records the refusals a listener logs.
type warnLog struct {
	mu    sync.Mutex
	lines []string
}

func (w *warnLog) warn(msg string, args ...any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.lines = append(w.lines, fmt.Sprint(append([]any{msg}, args...)...))
}

func (w *warnLog) all() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.lines...)
}

// acceptAll accepts until l closes, writing "ok" to each connection and
// closing it; it reports each accepted peer's credentials. (Peers only
// read: a socket closed with unread input would reset the peer instead of
// giving it EOF.)
func acceptAll(t *testing.T, l net.Listener) (<-chan PeerCredentials, <-chan error) {
	t.Helper()
	peers := make(chan PeerCredentials, 8)
	done := make(chan error, 1)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				done <- err
				return
			}
			cred, err := PeerCred(c)
			if err != nil {
				done <- err
				c.Close()
				return
			}
			peers <- cred
			c.Write([]byte("ok"))
			c.Close()
		}
	}()
	return peers, done
}

// talk dials path and returns everything read until EOF.
func talk(t *testing.T, path string) (string, error) {
	t.Helper()
	c, err := net.Dial("unix", path)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(c)
	return string(b), err
}

func TestListenUnixPeerAllowList(t *testing.T) {
	me := PeerCredentials{PID: os.Getpid(), UID: os.Getuid(), GID: os.Getgid()}
	other := me.UID + 4242 // an id that is not ours
	cases := []struct {
		name        string
		uids, gids  []int
		wantAllowed bool
	}{
		{"uid not listed", []int{other}, nil, false},
		{"gid not listed", nil, []int{me.GID + 4242}, false},
		{"uid listed", []int{other, me.UID}, nil, true},
		{"gid listed", []int{other}, []int{me.GID}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			leakcheck.Verify(t) // a refused peer's socket is closed, Accept's goroutine ends
			var log warnLog
			path := filepath.Join(t.TempDir(), "g.sock")
			l, err := Listen(ListenerConfig{Address: "unix://" + path, AllowUIDs: tc.uids, AllowGIDs: tc.gids, Warn: log.warn})
			require.NoError(t, err)
			peers, done := acceptAll(t, l)

			got, err := talk(t, path)
			if tc.wantAllowed {
				require.NoError(t, err)
				require.Equal(t, "ok", got)
				require.Equal(t, me, <-peers)
				require.Empty(t, log.all())
			} else {
				// The refused peer is closed at once without a byte of
				// answer (EOF, not a timeout), and Accept never returned it.
				require.NoError(t, err)
				require.Equal(t, "", got)
				require.Empty(t, peers)
				lines := log.all()
				require.Len(t, lines, 1)
				require.Contains(t, lines[0], "refused a peer not in the socket's allow-list")
				for _, want := range []string{"uid" + strconv.Itoa(me.UID), "gid" + strconv.Itoa(me.GID), "pid" + strconv.Itoa(me.PID)} {
					require.Contains(t, strings.ReplaceAll(lines[0], " ", ""), want)
				}
				// Accept is still waiting: a refusal is not an error that
				// would stop a Serve loop.
				select {
				case err := <-done:
					t.Fatalf("Accept returned after a refusal: %v", err)
				case <-time.After(50 * time.Millisecond):
				}
			}
			require.NoError(t, l.Close())
			require.ErrorIs(t, <-done, net.ErrClosed)
		})
	}
}

func TestPeerCred(t *testing.T) {
	path := filepath.Join(t.TempDir(), "g.sock")
	l, err := Listen(ListenerConfig{Address: "unix://" + path})
	require.NoError(t, err)
	defer l.Close()
	client, err := net.Dial("unix", path)
	require.NoError(t, err)
	defer client.Close()
	server, err := l.Accept()
	require.NoError(t, err)
	defer server.Close()
	want := PeerCredentials{PID: os.Getpid(), UID: os.Getuid(), GID: os.Getgid()}
	for _, c := range []net.Conn{server, client} {
		got, err := PeerCred(c)
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
	require.Equal(t, fmt.Sprintf("uid=%d gid=%d pid=%d", want.UID, want.GID, want.PID), want.String())

	tl, err := Listen(ListenerConfig{Address: "tcp://127.0.0.1:0"})
	require.NoError(t, err)
	defer tl.Close()
	tc, err := net.Dial("tcp", tl.Addr().String())
	require.NoError(t, err)
	defer tc.Close()
	_, err = PeerCred(tc)
	require.ErrorIs(t, err, ErrNoPeerCred)
}

func TestListenConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    ListenerConfig
		want string
	}{
		{"allow-list on tcp", ListenerConfig{Address: "tcp://127.0.0.1:0", AllowUIDs: []int{0}}, "unix:// addresses only"},
		{"owner on tcp", ListenerConfig{Address: "tcp://127.0.0.1:0", SocketOwner: "root"}, "unix:// addresses only"},
		{"negative uid", ListenerConfig{Address: "unix:///tmp/x.sock", AllowUIDs: []int{-1}}, "allowed uid -1 is out of range"},
		{"mode with type bits", ListenerConfig{Address: "unix:///tmp/x.sock", SocketMode: os.ModeSetuid | 0o600}, "bits other than permissions"},
		{"unknown owner", ListenerConfig{Address: "unix://" + filepath.Join(t.TempDir(), "g.sock"), SocketOwner: "no-such-user-genehost"}, `socket owner "no-such-user-genehost"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Listen(tc.c)
			require.ErrorIs(t, err, ErrListen)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestListenUnixOwnerGroup(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "g.sock")
	stat := func() *syscall.Stat_t {
		fi, err := os.Lstat(path)
		require.NoError(t, err)
		return fi.Sys().(*syscall.Stat_t)
	}

	// Our own group (by number) is always permitted.
	gid := os.Getgid()
	l, err := Listen(ListenerConfig{Address: "unix://" + path, SocketGroup: strconv.Itoa(gid)})
	require.NoError(t, err)
	require.Equal(t, uint32(gid), stat().Gid)
	require.NoError(t, l.Close())

	if os.Geteuid() != 0 {
		// Without privilege, giving the socket away fails Listen and leaves
		// no file behind.
		_, err := Listen(ListenerConfig{Address: "unix://" + path, SocketOwner: strconv.Itoa(os.Getuid() + 4242)})
		require.ErrorIs(t, err, ErrListen)
		require.ErrorContains(t, err, "set owner")
		entries, _ := os.ReadDir(dir)
		require.Empty(t, entries)
		return
	}
	l, err = Listen(ListenerConfig{Address: "unix://" + path, SocketOwner: "65534", SocketGroup: "65534", SocketMode: 0o660})
	require.NoError(t, err)
	defer l.Close()
	st := stat()
	require.Equal(t, uint32(65534), st.Uid)
	require.Equal(t, uint32(65534), st.Gid)
	require.Equal(t, uint32(0o660), st.Mode&0o777)
}

// TestListenUnixOtherUser connects as another user (uid and gid 65534,
// "nobody") from a child process, so the file mode and the allow-list are
// checked against a real foreign peer. It needs root to start the child
// under another uid.
func TestListenUnixOtherUser(t *testing.T) {
	testenv.NeedRoot(t, "starting a client under another uid needs root; the same-user cases are covered by TestListenUnixPeerAllowList")
	const nobody = 65534
	dir := shareableDir(t)
	bin := filepath.Join(dir, "dialer")
	self, err := os.Executable()
	require.NoError(t, err)
	copyFile(t, self, bin, 0o755)

	dialAs := func(t *testing.T, path string) string {
		cmd := exec.Command(bin, "-test.run=^TestHelperDialer$")
		cmd.Env = append(os.Environ(), "GENEHOST_DIAL="+path)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
		out, err := cmd.CombinedOutput()
		if err != nil && strings.Contains(err.Error(), "operation not permitted") {
			testenv.Skipf(t, "cannot start a process as uid %d here: %v", nobody, err)
		}
		require.NoError(t, err, "%s", out)
		i := strings.Index(string(out), "dial-result:")
		require.GreaterOrEqual(t, i, 0, "%s", out)
		return strings.TrimSpace(strings.SplitN(string(out[i+len("dial-result:"):]), "\n", 2)[0])
	}

	t.Run("mode 0600 keeps other users out", func(t *testing.T) {
		path := filepath.Join(dir, "private.sock")
		l, err := Listen(ListenerConfig{Address: "unix://" + path})
		require.NoError(t, err)
		defer l.Close()
		require.Contains(t, dialAs(t, path), "permission denied")
	})
	t.Run("allow-list refuses a foreign uid", func(t *testing.T) {
		var log warnLog
		path := filepath.Join(dir, "open.sock")
		l, err := Listen(ListenerConfig{Address: "unix://" + path, SocketMode: 0o666, AllowUIDs: []int{0}, Warn: log.warn})
		require.NoError(t, err)
		peers, done := acceptAll(t, l)
		require.Equal(t, `read ""`, dialAs(t, path))
		require.Empty(t, peers)
		lines := log.all()
		require.Len(t, lines, 1)
		require.Contains(t, strings.ReplaceAll(lines[0], " ", ""), "uid65534gid65534pid")
		require.NoError(t, l.Close())
		require.ErrorIs(t, <-done, net.ErrClosed)
	})
	t.Run("allow-list admits a listed gid", func(t *testing.T) {
		path := filepath.Join(dir, "group.sock")
		l, err := Listen(ListenerConfig{Address: "unix://" + path, SocketMode: 0o666, AllowUIDs: []int{0}, AllowGIDs: []int{nobody}})
		require.NoError(t, err)
		peers, done := acceptAll(t, l)
		require.Equal(t, `read "ok"`, dialAs(t, path))
		cred := <-peers
		require.Equal(t, nobody, cred.UID)
		require.Equal(t, nobody, cred.GID)
		require.NotEqual(t, os.Getpid(), cred.PID)
		require.NoError(t, l.Close())
		require.ErrorIs(t, <-done, net.ErrClosed)
	})
}

// TestHelperDialer is the child process of TestListenUnixOtherUser: it
// dials $GENEHOST_DIAL and prints what it read until EOF.
func TestHelperDialer(t *testing.T) {
	path := os.Getenv("GENEHOST_DIAL")
	if path == "" {
		t.Skip("helper process for TestListenUnixOtherUser")
	}
	c, err := net.Dial("unix", path)
	if err != nil {
		fmt.Printf("dial-result: dial error: %v\n", err)
		return
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(c)
	if err != nil {
		fmt.Printf("dial-result: read error: %v\n", err)
		return
	}
	fmt.Printf("dial-result: read %q\n", b)
}

// shareableDir returns a temporary directory that other users may enter.
func shareableDir(t *testing.T) string {
	dir := t.TempDir()
	for d := dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		if strings.HasPrefix(filepath.Base(d), "Test") || d == dir {
			require.NoError(t, os.Chmod(d, 0o755))
		}
	}
	return dir
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	in, err := os.Open(from)
	require.NoError(t, err)
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	require.NoError(t, err)
	_, err = io.Copy(out, in)
	require.NoError(t, err)
	require.NoError(t, out.Close())
}
