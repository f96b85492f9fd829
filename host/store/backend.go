package store

import "github.com/genehost/genehost/host/plugin"

// Backend is where the host keeps plugin state: opened once per process by
// 'genehost serve' and handed to the plugin directory. Two implement it:
// the embedded default, a *DB (one bbolt file in the data directory,
// nothing to start), and host/store/natsstore (NATS JetStream, shared by
// every host connected to the same servers). Plugin code cannot tell them
// apart: both hand out a plugin.Store that is also a plugin.StoreWatcher,
// and the plugin conformance suite runs on both.
type Backend interface {
	// PluginKV returns the key-value store of the plugin called name.
	PluginKV(name string) (plugin.Store, error)
	// String names the backend for logs: the database file, or the NATS
	// servers.
	String() string
	// Close releases the backend; stores it handed out fail afterwards.
	Close() error
}

var _ Backend = (*DB)(nil)

// PluginNamespace is the namespace of the plugin called name in the
// embedded database.
func PluginNamespace(name string) string { return "plugin/" + name }

// PluginKV implements Backend: the namespace PluginNamespace(name).
func (db *DB) PluginKV(name string) (plugin.Store, error) {
	return db.Namespace(PluginNamespace(name)).ForPlugin(), nil
}

// String implements Backend.
func (db *DB) String() string { return "embedded database " + db.path }
