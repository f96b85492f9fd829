package plugin

import "errors"

// Store is the key-value capability a plugin is granted with ^grants
// {^kv true}: ordered byte keys in the plugin's own namespace, durable
// writes. The host implements it over its storage backend (host/store's
// embedded database by default); runtimes and the worker process see only
// this interface, so nothing of the backend leaks into plugin code.
//
// Every write is its own durable commit unless grouped with Batch. Every
// method is atomic with respect to every other caller of the same
// namespace: other instances, other versions of the plugin during a hot
// reload, and plugin instances in worker processes (their calls are
// served by the host).
//
// Values are opaque bytes to the store except for Incr, which reads and
// writes a binary Gene document holding an integer (the way the
// JavaScript runtime stores every value, so genehost.kv.get reads an
// incremented counter back as a number).
type Store interface {
	// Get returns a copy of the value under key, or an error matching
	// ErrNotFound when it is absent.
	Get(key []byte) ([]byte, error)
	Put(key, val []byte) error
	// Delete removes key and reports whether it was present.
	Delete(key []byte) (bool, error)
	// Scan calls fn for each key with prefix that sorts after `after`
	// (nil: from the first), in key order, until fn returns false or
	// limit entries were visited (limit <= 0: no limit).
	Scan(prefix, after []byte, limit int, fn func(k, v []byte) bool) error
	// Reset deletes every key of the namespace.
	Reset() error
	// Batch applies ops in one transaction: all of them commit together,
	// durably, or none does. It returns one boolean per op: true for a
	// put, whether the key was present for a delete.
	Batch(ops []StoreOp) ([]bool, error)
	// CompareAndSwap sets key to next when its current value is expect,
	// compared byte for byte; a nil expect means "absent", a nil next
	// deletes the key. It reports whether it applied and, when it did not,
	// the current value (nil when absent).
	CompareAndSwap(key, expect, next []byte) (swapped bool, current []byte, err error)
	// Incr adds by to the integer stored under key (absent counts as 0)
	// and returns the new value. The stored value must be a binary Gene
	// document holding an integer; anything else fails with ErrNotInteger
	// and is left as it was. Overflow past int64 fails the same way.
	Incr(key []byte, by int64) (int64, error)
}

// StoreOp is one write of Store.Batch: a put of Value under Key, or a
// delete of Key.
type StoreOp struct {
	Key, Value []byte
	Delete     bool
}

// Store errors. A backend's own errors are wrapped so that errors.Is
// matches these.
var (
	ErrNotFound   = errors.New("plugin: key not found")
	ErrNotInteger = errors.New("plugin: the stored value is not an integer")
)
