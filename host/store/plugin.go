package store

import (
	"bytes"
	"errors"
	"fmt"
	"math"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugin"
)

// ForPlugin returns the namespace as the plugin.Store a granted plugin
// gets. It keeps the backend out of the plugin seam: runtimes see
// plugin.Store and plugin.ErrNotFound, never this package's types. Each
// method is one bbolt transaction, so CompareAndSwap and Incr are atomic
// across every instance, version and worker process of the plugin (they
// all end up here, in the host). It is also a plugin.StoreWatcher: every
// write made through a ForPlugin store of the namespace reaches its
// watches once committed, in commit order.
func (n *Namespace) ForPlugin() plugin.Store { return kvStore{n} }

type kvStore struct{ ns *Namespace }

var (
	_ plugin.Store        = kvStore{}
	_ plugin.StoreWatcher = kvStore{}
)

// seamErr makes a backend error match the seam's sentinels too.
func seamErr(err error) error {
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%w: %w", plugin.ErrNotFound, err)
	}
	return err
}

// write runs fn in one transaction and hands the changes it recorded to
// the namespace's watches once it committed, under the database's write
// lock so that watches see changes in commit order.
func (s kvStore) write(fn func(tx *Tx, changed func(plugin.Change)) error) error {
	db := s.ns.db
	db.wmu.Lock()
	defer db.wmu.Unlock()
	var changes []plugin.Change
	err := s.ns.Update(func(tx *Tx) error {
		changes = changes[:0]
		return fn(tx, func(c plugin.Change) { changes = append(changes, c) })
	})
	if err != nil {
		return err
	}
	db.watch.publish(string(s.ns.name), changes)
	return nil
}

func put(key, val []byte) plugin.Change {
	return plugin.Change{Key: bytes.Clone(key), Value: bytes.Clone(val)}
}

func del(key []byte) plugin.Change { return plugin.Change{Key: bytes.Clone(key), Deleted: true} }

func (s kvStore) Get(key []byte) ([]byte, error) {
	v, err := s.ns.Get(key)
	return v, seamErr(err)
}

func (s kvStore) Put(key, val []byte) error {
	return s.write(func(tx *Tx, changed func(plugin.Change)) error {
		if err := tx.Put(key, val); err != nil {
			return err
		}
		changed(put(key, val))
		return nil
	})
}

func (s kvStore) Delete(key []byte) (bool, error) {
	var found bool
	err := s.write(func(tx *Tx, changed func(plugin.Change)) error {
		var err error
		if found, err = tx.Delete(key); found {
			changed(del(key))
		}
		return err
	})
	return found, err
}

func (s kvStore) Scan(prefix, after []byte, limit int, fn func(k, v []byte) bool) error {
	return s.ns.Scan(prefix, after, limit, fn)
}

// Reset deletes the namespace; its watches see one delete per key.
func (s kvStore) Reset() error {
	return s.write(func(tx *Tx, changed func(plugin.Change)) error {
		var keys [][]byte
		if err := tx.Scan(nil, nil, 0, func(k, _ []byte) bool { keys = append(keys, k); return true }); err != nil {
			return err
		}
		for _, k := range keys {
			if _, err := tx.Delete(k); err != nil {
				return err
			}
			changed(plugin.Change{Key: k, Deleted: true})
		}
		return nil
	})
}

func (s kvStore) Batch(ops []plugin.StoreOp) ([]bool, error) {
	done := make([]bool, len(ops))
	err := s.write(func(tx *Tx, changed func(plugin.Change)) error {
		for i, o := range ops {
			if !o.Delete {
				if err := tx.Put(o.Key, o.Value); err != nil {
					return fmt.Errorf("operation %d: %w", i, err)
				}
				done[i] = true
				changed(put(o.Key, o.Value))
				continue
			}
			found, err := tx.Delete(o.Key)
			if err != nil {
				return fmt.Errorf("operation %d: %w", i, err)
			}
			if done[i] = found; found {
				changed(del(o.Key))
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return done, nil
}

func (s kvStore) CompareAndSwap(key, expect, next []byte) (bool, []byte, error) {
	var swapped bool
	var current []byte
	err := s.write(func(tx *Tx, changed func(plugin.Change)) error {
		swapped, current = false, nil
		cur, err := tx.Get(key)
		switch {
		case errors.Is(err, ErrNotFound):
			cur = nil
		case err != nil:
			return err
		}
		present := err == nil
		if present != (expect != nil) || (present && !bytes.Equal(cur, expect)) {
			current = cur
			return nil
		}
		swapped = true
		if next == nil {
			if present {
				changed(del(key))
			}
			_, err = tx.Delete(key)
			return err
		}
		changed(put(key, next))
		return tx.Put(key, next)
	})
	if err != nil {
		return false, nil, err
	}
	return swapped, current, nil
}

func (s kvStore) Incr(key []byte, by int64) (int64, error) {
	var n int64
	err := s.write(func(tx *Tx, changed func(plugin.Change)) error {
		cur, err := tx.Get(key)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		if n, err = AddInt(key, cur, err == nil, by); err != nil {
			return err
		}
		val := gene.AppendBinaryDoc(nil, gene.Int(n))
		changed(put(key, val))
		return tx.Put(key, val)
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// AddInt is the arithmetic of plugin.Store.Incr, shared by the backends:
// cur (present says whether the key exists; absent counts as 0) must be a
// binary Gene document holding an integer, and the sum must fit in an
// int64; otherwise the error matches plugin.ErrNotInteger.
func AddInt(key, cur []byte, present bool, by int64) (int64, error) {
	var n int64
	if present {
		v, _, err := gene.DecodeBinaryDoc(cur, gene.BinaryOptions{})
		if err != nil {
			return 0, fmt.Errorf("%w: key %q holds %d bytes that are not a binary Gene document: %v", plugin.ErrNotInteger, key, len(cur), err)
		}
		var ok bool
		if n, ok = v.AsInt(); !ok {
			return 0, fmt.Errorf("%w: key %q holds a %s", plugin.ErrNotInteger, key, v.Kind())
		}
	}
	if (by > 0 && n > math.MaxInt64-by) || (by < 0 && n < math.MinInt64-by) {
		return 0, fmt.Errorf("%w: %d + %d overflows a 64-bit integer (key %q)", plugin.ErrNotInteger, n, by, key)
	}
	return n + by, nil
}

// Watch implements plugin.StoreWatcher.
func (s kvStore) Watch(prefix []byte, wake func()) (plugin.StoreWatch, error) {
	db, ns := s.ns.db, string(s.ns.name)
	var q *Queue
	q = NewQueue(prefix, wake, func() { db.watch.remove(ns, q) })
	db.watch.add(ns, q)
	return q, nil
}
