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

// Change is one change of a watched key: a put of Value under Key, or,
// with Deleted, its deletion (Value nil).
type Change struct {
	Key, Value []byte
	Deleted    bool
}

// StoreWatcher is implemented by a Store whose backend reports changes:
// both of host/store's backends do. A watch sees every change committed
// after Watch returns by any writer of the namespace: other instances,
// other versions, and, on a shared backend (NATS JetStream), other hosts.
// Runtimes do not call it: the host (host/plugindir) does, on behalf of an
// instance, through WatchHost.
type StoreWatcher interface {
	// Watch starts reporting the changes of keys that start with prefix
	// (empty: every key). wake is called, on any goroutine and with no
	// lock of the store held, when changes are waiting and Next has not
	// been called since the last wake; it must not block.
	Watch(prefix []byte, wake func()) (StoreWatch, error)
}

// StoreWatch is one open watch of a StoreWatcher.
type StoreWatch interface {
	// Next returns up to max waiting changes (max <= 0: all), oldest
	// first, in the order the backend committed them. lost is true when
	// changes were dropped since the last call because the watcher fell
	// more than WatchBuffer changes behind: re-read what it watches.
	// Call it until it returns no change and lost false; a later change
	// wakes the watcher again.
	Next(max int) (changes []Change, lost bool)
	// Close ends the watch; no wake follows once it returns.
	Close()
}

// WatchBuffer is how many changes a watch holds for a watcher that has
// not read them; past it they are dropped and Next reports lost.
const WatchBuffer = 4096

// WatchHost is implemented by a Host that delivers store watches to its
// instance (host/plugindir's, and the worker process's, which forwards
// them). The runtimes offer it to plugin code: genehost.kv.watch in
// JavaScript, gh_kv_watch for WebAssembly (ABI.md).
type WatchHost interface {
	// Watch opens a watch of the plugin's store (Store, StoreWatcher) for
	// keys starting with prefix. When changes are waiting the host calls
	// the instance's Timer with the returned id (ids are shared with
	// timers, so a Timer id names one or the other); the instance then
	// reads them with WatchNext until it returns none. It fails with
	// ErrNotGranted without the kv grant. The watch dies with the
	// instance.
	Watch(prefix []byte) (id uint64, err error)
	// WatchNext is StoreWatch.Next of the watch id; it fails for an id
	// that is not an open watch of this instance.
	WatchNext(id uint64, max int) (changes []Change, lost bool, err error)
	// Unwatch closes the watch id (no effect when it is not open).
	Unwatch(id uint64)
}
