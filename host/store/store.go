// Package store owns genehost's durable state: one embedded bbolt database
// file in the data directory, divided into namespaces (one per plugin or
// capability) with ordered byte keys, so prefix scans are cheap. It backs
// the key-value capability that plugins are granted; state kept here
// survives restarts and plugin reloads.
//
// Every operation is its own transaction unless grouped with Update. A DB
// is safe for concurrent use. Writes are durable when they return (bbolt
// fsyncs on commit).
package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Sentinel errors.
var (
	ErrNotFound = errors.New("store: key not found")
	ErrKey      = errors.New("store: invalid key")
	ErrValue    = errors.New("store: invalid value")
	ErrLocked   = errors.New("store: database is locked by another process")
	ErrClosed   = errors.New("store: database is closed")
)

// Limits of bbolt, checked up front so callers get a clear error.
const (
	MaxKeyBytes   = bolt.MaxKeySize
	MaxValueBytes = bolt.MaxValueSize
)

// DB is an open database file.
type DB struct {
	b    *bolt.DB
	path string
	// wmu orders the plugin.Store writes with the changes their watches
	// see: a write commits and publishes under it (plugin.go).
	wmu   sync.Mutex
	watch hub
}

// Options configure Open. Zero means default.
type Options struct {
	// LockTimeout is how long to wait for another process to release the
	// file. Default 2s.
	LockTimeout time.Duration
	// ReadOnly opens the database for reading only.
	ReadOnly bool
}

// Open opens or creates the database file at path, creating its directory
// (mode 0700) if needed.
func Open(path string, o Options) (*DB, error) {
	if o.LockTimeout == 0 {
		o.LockTimeout = 2 * time.Second
	}
	if !o.ReadOnly {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("store: open %s: %w", path, err)
		}
	}
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: o.LockTimeout, ReadOnly: o.ReadOnly})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("%w: %s (is another genehost using this data directory?)", ErrLocked, path)
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return &DB{b: b, path: path}, nil
}

// Path returns the database file path.
func (db *DB) Path() string { return db.path }

// Close closes the database. Further operations fail with ErrClosed.
func (db *DB) Close() error { return db.b.Close() }

// Namespace returns the namespace called name. Namespaces are created on
// first write; reading an absent one finds nothing.
func (db *DB) Namespace(name string) *Namespace {
	return &Namespace{db: db, name: []byte(name)}
}

// Namespaces lists the names of namespaces that hold data, in order.
func (db *DB) Namespaces() ([]string, error) {
	var names []string
	err := db.view(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			names = append(names, string(name))
			return nil
		})
	})
	return names, err
}

func (db *DB) view(fn func(*bolt.Tx) error) error { return wrap(db.b.View(fn)) }

// update runs fn in a read-write transaction. A failure of the commit
// itself (the disk is full, the file cannot grow, an I/O error) names the
// database file; the transaction is rolled back and earlier data is
// untouched.
func (db *DB) update(fn func(*bolt.Tx) error) error {
	var fnErr error
	err := db.b.Update(func(tx *bolt.Tx) error {
		fnErr = fn(tx)
		return fnErr
	})
	if err != nil && fnErr == nil && !errors.Is(err, berrors.ErrDatabaseNotOpen) && !errors.Is(err, berrors.ErrDatabaseReadOnly) {
		return fmt.Errorf("store: write %s: %w", db.path, err)
	}
	return wrap(err)
}

func wrap(err error) error {
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	if errors.Is(err, berrors.ErrDatabaseReadOnly) {
		return fmt.Errorf("store: database is read-only: %w", err)
	}
	return err
}

// Namespace is one plugin's or capability's part of the database.
type Namespace struct {
	db   *DB
	name []byte
}

// Name returns the namespace name.
func (n *Namespace) Name() string { return string(n.name) }

// Get returns a copy of the value stored under key, or ErrNotFound.
func (n *Namespace) Get(key []byte) ([]byte, error) {
	var out []byte
	err := n.View(func(tx *Tx) error {
		v, err := tx.Get(key)
		out = v
		return err
	})
	return out, err
}

// Put stores val under key.
func (n *Namespace) Put(key, val []byte) error {
	return n.Update(func(tx *Tx) error { return tx.Put(key, val) })
}

// Delete removes key and reports whether it was present.
func (n *Namespace) Delete(key []byte) (bool, error) {
	var found bool
	err := n.Update(func(tx *Tx) error {
		var err error
		found, err = tx.Delete(key)
		return err
	})
	return found, err
}

// Scan calls fn for each key with the given prefix that sorts after
// `after` (nil: from the first), in key order, until fn returns false or
// limit entries were visited (limit <= 0: no limit). k and v are copies.
func (n *Namespace) Scan(prefix, after []byte, limit int, fn func(k, v []byte) bool) error {
	return n.View(func(tx *Tx) error { return tx.Scan(prefix, after, limit, fn) })
}

// Reset deletes every key in the namespace.
func (n *Namespace) Reset() error {
	return n.db.update(func(tx *bolt.Tx) error {
		err := tx.DeleteBucket(n.name)
		if errors.Is(err, berrors.ErrBucketNotFound) {
			return nil
		}
		return err
	})
}

// View runs fn in a read-only transaction.
func (n *Namespace) View(fn func(*Tx) error) error {
	return n.db.view(func(btx *bolt.Tx) error { return fn(&Tx{b: btx.Bucket(n.name)}) })
}

// Update runs fn in a read-write transaction: all its writes commit
// together, durably, or none do if fn (or the commit) fails.
func (n *Namespace) Update(fn func(*Tx) error) error {
	return n.db.update(func(btx *bolt.Tx) error {
		b, err := btx.CreateBucketIfNotExists(n.name)
		if err != nil {
			return fmt.Errorf("store: namespace %q: %w", n.name, err)
		}
		return fn(&Tx{b: b, writable: true})
	})
}

// Tx is a transaction on one namespace. It is valid only inside the
// function it was passed to.
type Tx struct {
	b        *bolt.Bucket // nil when the namespace does not exist yet (read-only)
	writable bool
}

// Get returns a copy of the value under key, or ErrNotFound.
func (tx *Tx) Get(key []byte) ([]byte, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	if tx.b == nil {
		return nil, ErrNotFound
	}
	v := tx.b.Get(key)
	if v == nil {
		return nil, ErrNotFound
	}
	return bytes.Clone(v), nil
}

// Put stores val under key.
func (tx *Tx) Put(key, val []byte) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if len(val) > MaxValueBytes {
		return fmt.Errorf("%w: %d bytes, more than the %d allowed", ErrValue, len(val), MaxValueBytes)
	}
	if val == nil {
		val = []byte{} // bbolt distinguishes nil (absent) from empty
	}
	return tx.b.Put(key, val)
}

// Delete removes key and reports whether it was present.
func (tx *Tx) Delete(key []byte) (bool, error) {
	if err := checkKey(key); err != nil {
		return false, err
	}
	if tx.b.Get(key) == nil {
		return false, nil
	}
	return true, tx.b.Delete(key)
}

// Scan is Namespace.Scan inside a transaction.
func (tx *Tx) Scan(prefix, after []byte, limit int, fn func(k, v []byte) bool) error {
	if tx.b == nil {
		return nil
	}
	c := tx.b.Cursor()
	var k, v []byte
	if after != nil && bytes.Compare(after, prefix) >= 0 {
		k, v = c.Seek(after)
		if k != nil && bytes.Equal(k, after) {
			k, v = c.Next()
		}
	} else {
		k, v = c.Seek(prefix)
	}
	for n := 0; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if limit > 0 && n == limit {
			break
		}
		n++
		if !fn(bytes.Clone(k), bytes.Clone(v)) {
			break
		}
	}
	return nil
}

func checkKey(key []byte) error {
	switch {
	case len(key) == 0:
		return fmt.Errorf("%w: empty key", ErrKey)
	case len(key) > MaxKeyBytes:
		return fmt.Errorf("%w: %d bytes, more than the %d allowed", ErrKey, len(key), MaxKeyBytes)
	}
	return nil
}
