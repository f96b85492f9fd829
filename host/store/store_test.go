package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func open(t *testing.T, path string) *DB {
	t.Helper()
	db, err := Open(path, Options{})
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

func TestDurableAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "genehost.db")
	db := open(t, path)
	ns := db.Namespace("kv")
	require.NoError(t, ns.Put([]byte("a"), []byte("1")))
	require.NoError(t, ns.Put([]byte("empty"), nil))
	require.NoError(t, db.Close())

	db = open(t, path)
	got, err := db.Namespace("kv").Get([]byte("a"))
	require.NoError(t, err)
	require.Equal(t, "1", string(got))
	got, err = db.Namespace("kv").Get([]byte("empty"))
	require.NoError(t, err, "an empty value is present, not absent")
	require.Empty(t, got)
	_, err = db.Namespace("other").Get([]byte("a"))
	require.ErrorIs(t, err, ErrNotFound, "namespaces are separate")
}

func TestScanPrefixAfterLimit(t *testing.T) {
	ns := open(t, filepath.Join(t.TempDir(), "g.db")).Namespace("q")
	for _, k := range []string{"user/3", "user/1", "users", "user/2", "admin/1", "user/10"} {
		require.NoError(t, ns.Put([]byte(k), []byte("v:"+k)))
	}
	scan := func(prefix, after string, limit int) []string {
		var keys []string
		var a []byte
		if after != "" {
			a = []byte(after)
		}
		require.NoError(t, ns.Scan([]byte(prefix), a, limit, func(k, v []byte) bool {
			require.Equal(t, "v:"+string(k), string(v))
			keys = append(keys, string(k))
			return true
		}))
		return keys
	}
	require.Equal(t, []string{"user/1", "user/10", "user/2", "user/3"}, scan("user/", "", 0))
	require.Equal(t, []string{"user/1", "user/10"}, scan("user/", "", 2))
	require.Equal(t, []string{"user/2", "user/3"}, scan("user/", "user/10", 0), "after is exclusive")
	require.Equal(t, []string{"admin/1", "user/1", "user/10", "user/2", "user/3", "users"}, scan("", "", 0))
	require.Empty(t, scan("zzz", "", 0))
	require.Empty(t, scan("user/", "user/3", 0))

	var n int
	require.NoError(t, ns.Scan(nil, nil, 0, func(k, v []byte) bool { n++; return n < 3 }))
	require.Equal(t, 3, n, "fn returning false stops the scan")
}

func TestUpdateIsAtomic(t *testing.T) {
	ns := open(t, filepath.Join(t.TempDir(), "g.db")).Namespace("q")
	require.NoError(t, ns.Put([]byte("head"), []byte("0")))
	boom := errors.New("boom")
	err := ns.Update(func(tx *Tx) error {
		require.NoError(t, tx.Put([]byte("head"), []byte("1")))
		require.NoError(t, tx.Put([]byte("msg/1"), []byte("x")))
		return boom
	})
	require.ErrorIs(t, err, boom)
	v, err := ns.Get([]byte("head"))
	require.NoError(t, err)
	require.Equal(t, "0", string(v), "failed transaction rolled back")
	_, err = ns.Get([]byte("msg/1"))
	require.ErrorIs(t, err, ErrNotFound)
}

func TestDeleteAndReset(t *testing.T) {
	ns := open(t, filepath.Join(t.TempDir(), "g.db")).Namespace("kv")
	require.NoError(t, ns.Reset(), "reset of an absent namespace is fine")
	require.NoError(t, ns.Put([]byte("a"), []byte("1")))
	found, err := ns.Delete([]byte("a"))
	require.NoError(t, err)
	require.True(t, found)
	found, err = ns.Delete([]byte("a"))
	require.NoError(t, err)
	require.False(t, found)
	for i := range 10 {
		require.NoError(t, ns.Put(fmt.Appendf(nil, "k%d", i), []byte("v")))
	}
	require.NoError(t, ns.Reset())
	var n int
	require.NoError(t, ns.Scan(nil, nil, 0, func(k, v []byte) bool { n++; return true }))
	require.Zero(t, n)
}

func TestBadKeysAndValues(t *testing.T) {
	ns := open(t, filepath.Join(t.TempDir(), "g.db")).Namespace("kv")
	require.ErrorIs(t, ns.Put(nil, []byte("x")), ErrKey)
	require.ErrorIs(t, ns.Put([]byte(strings.Repeat("k", MaxKeyBytes+1)), []byte("x")), ErrKey)
	_, err := ns.Get([]byte{})
	require.ErrorContains(t, err, "empty key")
}

func TestLockedByAnotherOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "g.db")
	open(t, path)
	start := time.Now()
	_, err := Open(path, Options{LockTimeout: 100 * time.Millisecond})
	require.ErrorIs(t, err, ErrLocked)
	require.ErrorContains(t, err, "another genehost")
	require.Less(t, time.Since(start), 5*time.Second)
}

func TestReadOnlyAndClosed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "g.db")
	db := open(t, path)
	require.NoError(t, db.Namespace("kv").Put([]byte("a"), []byte("1")))
	require.NoError(t, db.Close())
	require.ErrorIs(t, db.Namespace("kv").Put([]byte("a"), []byte("2")), ErrClosed)

	ro, err := Open(path, Options{ReadOnly: true})
	require.NoError(t, err)
	defer ro.Close()
	err = ro.Namespace("kv").Put([]byte("a"), []byte("2"))
	require.ErrorContains(t, err, "read-only")
	v, err := ro.Namespace("kv").Get([]byte("a"))
	require.NoError(t, err)
	require.Equal(t, "1", string(v))
	names, err := ro.Namespaces()
	require.NoError(t, err)
	require.Equal(t, []string{"kv"}, names)
}
