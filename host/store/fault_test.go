//go:build linux

package store

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/genehost/genehost/tests/testenv"
)

// The fault tests run the faulty side in a child process (this test
// binary re-run with GENEHOST_STORE_FAULT set), so the fault cannot touch
// the rest of the test run: a file-size limit (RLIMIT_FSIZE, the "disk
// full" of one process) or, when the tests run as root, which ignores
// file modes, a child under the unprivileged uid 65534.

const nobody = 65534

// seed writes n keys into a fresh database at path and closes it.
func seed(t *testing.T, path string, n int) {
	t.Helper()
	db, err := Open(path, Options{})
	require.NoError(t, err)
	ns := db.Namespace("kv")
	for i := range n {
		require.NoError(t, ns.Put(fmt.Appendf(nil, "k%04d", i), bytes.Repeat([]byte{byte(i)}, 100)))
	}
	require.NoError(t, db.Close())
}

// verifyIntact reopens path read-write, checks bbolt's own consistency
// check, reads the n seeded keys back, and writes once more.
func verifyIntact(t *testing.T, path string, n int) {
	t.Helper()
	db, err := Open(path, Options{})
	require.NoError(t, err, "reopen read-write after the fault")
	defer db.Close()
	require.NoError(t, db.b.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			return err
		}
		return nil
	}), "bbolt consistency check")
	ns := db.Namespace("kv")
	count := 0
	require.NoError(t, ns.Scan([]byte("k"), nil, 0, func(k, v []byte) bool {
		i, err := strconv.Atoi(string(k[1:]))
		require.NoError(t, err)
		require.Equal(t, bytes.Repeat([]byte{byte(i)}, 100), v, "value of %s", k)
		count++
		return true
	}))
	require.Equal(t, n, count, "every seeded key is still there")
	_, err = ns.Get([]byte("big"))
	require.ErrorIs(t, err, ErrNotFound, "the failed write left nothing behind")
	require.NoError(t, ns.Put([]byte("after"), []byte("ok")), "writable again")
}

// child runs scenario in a child process on path, as uid (-1: ours), and
// returns its report lines.
func child(t *testing.T, scenario, path string, uid int) map[string]string {
	t.Helper()
	bin, err := os.Executable()
	require.NoError(t, err)
	if uid >= 0 {
		// The child must be able to run the binary: copy it where it can.
		dir := filepath.Dir(filepath.Dir(path))
		bin2 := filepath.Join(dir, "store.test")
		copyFile(t, bin, bin2, 0o755)
		bin = bin2
	}
	cmd := exec.Command(bin, "-test.run=^TestFaultChild$", "-test.v")
	cmd.Env = append(os.Environ(), "GENEHOST_STORE_FAULT="+scenario, "GENEHOST_STORE_PATH="+path)
	if uid >= 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
	}
	out, err := cmd.CombinedOutput()
	if err != nil && uid >= 0 && strings.Contains(err.Error(), "operation not permitted") {
		testenv.Skipf(t, "cannot start a process as uid %d here: %v", uid, err)
	}
	require.NoError(t, err, "child:\n%s", out)
	report := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(line, "report "); ok && k == "" {
			key, val, _ := strings.Cut(v, ": ")
			report[key] = val
		}
	}
	return report
}

// TestFaultChild is the child process of the fault tests.
func TestFaultChild(t *testing.T) {
	scenario, path := os.Getenv("GENEHOST_STORE_FAULT"), os.Getenv("GENEHOST_STORE_PATH")
	if scenario == "" {
		t.Skip("child process of the store fault tests")
	}
	report := func(k string, v any) { fmt.Printf("report %s: %v\n", k, v) }
	errText := func(err error) string {
		if err == nil {
			return "ok"
		}
		return err.Error()
	}
	switch scenario {
	case "read-only":
		_, err := Open(path, Options{})
		report("open", errText(err))
		_, err = Open(filepath.Join(filepath.Dir(path), "new", "genehost.db"), Options{})
		report("create", errText(err))
		db, err := Open(path, Options{ReadOnly: true})
		report("open-read-only", errText(err))
		if err == nil {
			n := 0
			report("scan", errText(db.Namespace("kv").Scan(nil, nil, 0, func(k, v []byte) bool { n++; return true })))
			report("keys", n)
			report("put-read-only", errText(db.Namespace("kv").Put([]byte("x"), []byte("y"))))
			db.Close()
		}
	case "disk-full":
		db, err := Open(path, Options{})
		if err != nil {
			report("open", errText(err))
			return
		}
		fi, err := os.Stat(path)
		if err != nil {
			report("stat", errText(err))
			return
		}
		// The file may not grow any more: the disk is full for us.
		lim := uint64(fi.Size())
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: lim, Max: lim}); err != nil {
			report("setrlimit", errText(err))
			return
		}
		ns := db.Namespace("kv")
		report("put", errText(ns.Put([]byte("big"), bytes.Repeat([]byte("x"), 1<<20))))
		v, err := ns.Get([]byte("k0001"))
		report("get-after", errText(err))
		report("value-after", bytes.Equal(v, bytes.Repeat([]byte{1}, 100)))
		// A small write may still fit in the file's free pages; either way
		// the database must stay consistent.
		report("small-put-after", errText(ns.Put([]byte("small"), []byte("s"))))
		report("close", errText(db.Close()))
	}
}

func TestReadOnlyDataDirectory(t *testing.T) {
	base := t.TempDir()
	// The child may enter the test's directories.
	require.NoError(t, os.Chmod(filepath.Dir(base), 0o755))
	require.NoError(t, os.Chmod(base, 0o755))
	dataDir := filepath.Join(base, "data")
	path := filepath.Join(dataDir, "genehost.db")
	const n = 50
	seed(t, path, n)
	before, err := os.ReadFile(path)
	require.NoError(t, err)

	uid := -1
	if os.Geteuid() == 0 {
		// Root ignores file modes: the child runs as nobody, who owns the
		// data as a daemon user would.
		uid = nobody
		for _, p := range []string{dataDir, path} {
			require.NoError(t, os.Chown(p, nobody, nobody))
		}
	}
	require.NoError(t, os.Chmod(path, 0o444))
	require.NoError(t, os.Chmod(dataDir, 0o555))
	t.Cleanup(func() { os.Chmod(dataDir, 0o755); os.Chmod(path, 0o644) })

	r := child(t, "read-only", path, uid)
	require.Contains(t, r["open"], "store: open "+path, "the error names the file")
	require.Contains(t, r["open"], "permission denied")
	require.Contains(t, r["create"], "store: open "+filepath.Join(dataDir, "new", "genehost.db"))
	require.Contains(t, r["create"], "permission denied")
	require.Equal(t, "ok", r["open-read-only"], "a read-only data directory can still be read")
	require.Equal(t, "ok", r["scan"])
	require.Equal(t, strconv.Itoa(n), r["keys"])
	require.Contains(t, r["put-read-only"], "store: database is read-only")

	after, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, before, after, "the failed opens did not change a byte")
	require.NoError(t, os.Chmod(dataDir, 0o755))
	require.NoError(t, os.Chmod(path, 0o644))
	verifyIntact(t, path, n)
}

func TestDiskFull(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "genehost.db")
	const n = 50
	seed(t, path, n)

	r := child(t, "disk-full", path, -1)
	require.NotContains(t, r, "setrlimit")
	require.Contains(t, r["put"], "store: write "+path, "the error names the file")
	require.Contains(t, r["put"], "file too large")
	require.Equal(t, "ok", r["get-after"], "the database stays readable after the failed write")
	require.Equal(t, "true", r["value-after"])
	require.Equal(t, "ok", r["close"])
	t.Logf("failed write: %s; small write after it: %s", r["put"], r["small-put-after"])
	if r["small-put-after"] == "ok" {
		db, err := Open(path, Options{ReadOnly: true})
		require.NoError(t, err)
		v, err := db.Namespace("kv").Get([]byte("small"))
		require.NoError(t, err, "an acknowledged write after the failure is durable")
		require.Equal(t, "s", string(v))
		require.NoError(t, db.Close())
	} else {
		require.Contains(t, r["small-put-after"], "store: write "+path)
	}
	verifyIntact(t, path, n)
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
