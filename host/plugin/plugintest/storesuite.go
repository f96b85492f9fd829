package plugintest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugin"
)

// RunStoreSuite checks that a backend's plugin.Store behaves as the seam
// says, the same on every backend: open returns two stores of one plugin's
// state as two hosts would see them (two connections to a shared backend,
// or one embedded database twice), each empty at first.
func RunStoreSuite(t *testing.T, open func(t *testing.T) (a, b plugin.Store)) {
	t.Run("get put delete", func(t *testing.T) {
		a, b := open(t)
		_, err := a.Get([]byte("k"))
		require.ErrorIs(t, err, plugin.ErrNotFound)
		require.NoError(t, a.Put([]byte("k"), []byte("v1")))
		v, err := b.Get([]byte("k"))
		require.NoError(t, err)
		require.Equal(t, "v1", string(v))
		require.NoError(t, a.Put([]byte("empty"), nil))
		v, err = b.Get([]byte("empty"))
		require.NoError(t, err)
		require.Empty(t, v)
		found, err := b.Delete([]byte("k"))
		require.NoError(t, err)
		require.True(t, found)
		found, err = a.Delete([]byte("k"))
		require.NoError(t, err)
		require.False(t, found)
		_, err = a.Get([]byte("k"))
		require.ErrorIs(t, err, plugin.ErrNotFound)
		require.Error(t, a.Put(nil, []byte("x")), "an empty key")
	})
	t.Run("scan", func(t *testing.T) {
		a, b := open(t)
		keys := []string{"d/user/ada", "d/user/bob", "d/user/", "d/us", "d/users/x", "d/user/ada/x", "e", "d//", "d/\x00\xff", "d/user/\x80"}
		for _, k := range keys {
			require.NoError(t, a.Put([]byte(k), []byte("v:"+k)))
		}
		scan := func(prefix, after string, limit int) []string {
			t.Helper()
			var got []string
			var aft []byte
			if after != "" {
				aft = []byte(after)
			}
			require.NoError(t, b.Scan([]byte(prefix), aft, limit, func(k, v []byte) bool {
				require.Equal(t, "v:"+string(k), string(v))
				got = append(got, string(k))
				return true
			}))
			return got
		}
		require.Equal(t, []string{"d/user/", "d/user/ada", "d/user/ada/x", "d/user/bob", "d/user/\x80"}, scan("d/user/", "", 0))
		require.Equal(t, []string{"d/user/", "d/user/ada", "d/user/ada/x", "d/user/bob", "d/user/\x80", "d/users/x"}, scan("d/user", "", 0))
		require.Equal(t, []string{"d/us", "d/user/", "d/user/ada"}, scan("d/us", "", 3))
		require.Equal(t, []string{"d/user/ada/x", "d/user/bob", "d/user/\x80"}, scan("d/user/", "d/user/ada", 0))
		require.Equal(t, []string{"d/\x00\xff", "d//"}, scan("d/", "", 2))
		require.Len(t, scan("", "", 0), len(keys))
		require.Empty(t, scan("nothing/", "", 0))
		var n int
		require.NoError(t, b.Scan(nil, nil, 0, func(k, v []byte) bool { n++; return n < 3 }))
		require.Equal(t, 3, n, "fn returning false stops the scan")
		require.NoError(t, a.Reset())
		require.Empty(t, scan("", "", 0))
	})
	t.Run("batch", func(t *testing.T) {
		a, b := open(t)
		require.NoError(t, a.Put([]byte("old"), []byte("1")))
		done, err := b.Batch([]plugin.StoreOp{
			{Key: []byte("x"), Value: []byte("1")},
			{Key: []byte("old"), Delete: true},
			{Key: []byte("never"), Delete: true},
			{Key: []byte("x"), Delete: true},
			{Key: []byte("x"), Value: []byte("2")},
		})
		require.NoError(t, err)
		require.Equal(t, []bool{true, true, false, true, true}, done)
		v, err := a.Get([]byte("x"))
		require.NoError(t, err)
		require.Equal(t, "2", string(v))
		_, err = a.Get([]byte("old"))
		require.ErrorIs(t, err, plugin.ErrNotFound)
		// A bad op fails the whole batch: nothing of it is stored.
		_, err = a.Batch([]plugin.StoreOp{{Key: []byte("y"), Value: []byte("1")}, {Key: nil, Value: []byte("bad")}})
		require.Error(t, err)
		_, err = b.Get([]byte("y"))
		require.ErrorIs(t, err, plugin.ErrNotFound)
	})
	t.Run("compare and swap", func(t *testing.T) {
		a, b := open(t)
		ok, cur, err := a.CompareAndSwap([]byte("k"), nil, []byte("1"))
		require.NoError(t, err)
		require.True(t, ok)
		ok, cur, err = b.CompareAndSwap([]byte("k"), nil, []byte("2"))
		require.NoError(t, err)
		require.False(t, ok)
		require.Equal(t, "1", string(cur))
		ok, _, err = b.CompareAndSwap([]byte("k"), []byte("1"), []byte("2"))
		require.NoError(t, err)
		require.True(t, ok)
		ok, _, err = a.CompareAndSwap([]byte("k"), []byte("2"), nil)
		require.NoError(t, err)
		require.True(t, ok, "a nil next deletes")
		ok, cur, err = a.CompareAndSwap([]byte("k"), []byte("2"), []byte("3"))
		require.NoError(t, err)
		require.False(t, ok)
		require.Nil(t, cur, "absent")
		ok, _, err = b.CompareAndSwap([]byte("k"), nil, []byte("after delete"))
		require.NoError(t, err)
		require.True(t, ok, "create after a delete")
	})
	t.Run("incr from two hosts loses nothing", func(t *testing.T) {
		a, b := open(t)
		const each = 40
		var wg sync.WaitGroup
		for _, s := range []plugin.Store{a, b, a, b} {
			wg.Go(func() {
				for range each {
					if _, err := s.Incr([]byte("n"), 1); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		n, err := a.Incr([]byte("n"), 0)
		require.NoError(t, err)
		require.EqualValues(t, 4*each, n)
		require.NoError(t, a.Put([]byte("s"), gene.AppendBinaryDoc(nil, gene.String("x"))))
		_, err = b.Incr([]byte("s"), 1)
		require.ErrorIs(t, err, plugin.ErrNotInteger)
		require.NoError(t, a.Put([]byte("max"), gene.AppendBinaryDoc(nil, gene.Int(1<<63-1))))
		_, err = b.Incr([]byte("max"), 1)
		require.ErrorIs(t, err, plugin.ErrNotInteger)
	})
	t.Run("watch sees the other host's changes", func(t *testing.T) {
		a, b := open(t)
		woken := make(chan struct{}, 1)
		w, err := b.(plugin.StoreWatcher).Watch([]byte("w/"), func() {
			select {
			case woken <- struct{}{}:
			default:
			}
		})
		require.NoError(t, err)
		defer w.Close()
		require.NoError(t, a.Put([]byte("w/1"), []byte("one")))
		require.NoError(t, a.Put([]byte("other"), []byte("not watched")))
		_, err = a.Delete([]byte("w/1"))
		require.NoError(t, err)
		_, err = a.Batch([]plugin.StoreOp{{Key: []byte("w/2"), Value: []byte("two")}})
		require.NoError(t, err)
		_, err = a.Incr([]byte("w/n"), 5)
		require.NoError(t, err)
		want := []string{"put w/1 one", "del w/1", "put w/2 two", "put w/n " + string(gene.AppendBinaryDoc(nil, gene.Int(5)))}
		var got []string
		deadline := time.After(10 * time.Second)
		for len(got) < len(want) {
			select {
			case <-woken:
			case <-deadline:
				t.Fatalf("watch saw %q, want %q", got, want)
			}
			for {
				cs, lost := w.Next(0)
				require.False(t, lost)
				if len(cs) == 0 {
					break
				}
				for _, c := range cs {
					got = append(got, describeChange(c))
				}
			}
		}
		require.Equal(t, want, got)
	})
}

func describeChange(c plugin.Change) string {
	if c.Deleted {
		return "del " + string(c.Key)
	}
	return fmt.Sprintf("put %s %s", c.Key, c.Value)
}
