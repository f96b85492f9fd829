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
// all end up here, in the host).
func (n *Namespace) ForPlugin() plugin.Store { return kvStore{n} }

type kvStore struct{ ns *Namespace }

var _ plugin.Store = kvStore{}

// seamErr makes a backend error match the seam's sentinels too.
func seamErr(err error) error {
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%w: %w", plugin.ErrNotFound, err)
	}
	return err
}

func (s kvStore) Get(key []byte) ([]byte, error) {
	v, err := s.ns.Get(key)
	return v, seamErr(err)
}

func (s kvStore) Put(key, val []byte) error { return s.ns.Put(key, val) }

func (s kvStore) Delete(key []byte) (bool, error) { return s.ns.Delete(key) }

func (s kvStore) Scan(prefix, after []byte, limit int, fn func(k, v []byte) bool) error {
	return s.ns.Scan(prefix, after, limit, fn)
}

func (s kvStore) Reset() error { return s.ns.Reset() }

func (s kvStore) Batch(ops []plugin.StoreOp) ([]bool, error) {
	done := make([]bool, len(ops))
	err := s.ns.Update(func(tx *Tx) error {
		for i, o := range ops {
			if !o.Delete {
				if err := tx.Put(o.Key, o.Value); err != nil {
					return fmt.Errorf("operation %d: %w", i, err)
				}
				done[i] = true
				continue
			}
			found, err := tx.Delete(o.Key)
			if err != nil {
				return fmt.Errorf("operation %d: %w", i, err)
			}
			done[i] = found
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
	err := s.ns.Update(func(tx *Tx) error {
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
			_, err = tx.Delete(key)
			return err
		}
		return tx.Put(key, next)
	})
	if err != nil {
		return false, nil, err
	}
	return swapped, current, nil
}

func (s kvStore) Incr(key []byte, by int64) (int64, error) {
	var n int64
	err := s.ns.Update(func(tx *Tx) error {
		cur, err := tx.Get(key)
		switch {
		case errors.Is(err, ErrNotFound):
			n = 0
		case err != nil:
			return err
		default:
			v, _, err := gene.DecodeBinaryDoc(cur, gene.BinaryOptions{})
			if err != nil {
				return fmt.Errorf("%w: key %q holds %d bytes that are not a binary Gene document: %v", plugin.ErrNotInteger, key, len(cur), err)
			}
			var ok bool
			if n, ok = v.AsInt(); !ok {
				return fmt.Errorf("%w: key %q holds a %s", plugin.ErrNotInteger, key, v.Kind())
			}
		}
		if (by > 0 && n > math.MaxInt64-by) || (by < 0 && n < math.MinInt64-by) {
			return fmt.Errorf("%w: %d + %d overflows a 64-bit integer (key %q)", plugin.ErrNotInteger, n, by, key)
		}
		n += by
		return tx.Put(key, gene.AppendBinaryDoc(nil, gene.Int(n)))
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
