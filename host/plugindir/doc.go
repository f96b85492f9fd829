// Package plugindir owns a plugin directory: it finds the plugin folders,
// reads their configs (plugin.gene, see the "Plugin format" section of
// plugins/README.md), builds Go source to WebAssembly, compiles each
// plugin with its runtime (host/jsrt, host/wasmrt: handed in by name
// through Options.Runtimes), instantiates it per its instance model,
// adapts it to host.Handler and host.Controller, registers it with a
// Registry (*host.Server), watches the directory and hot-reloads what
// changes, and handles crashes.
//
// # Instance models
//
// PerLink ("per-link", the default): every data link gets its own
// instance, made when the link opens and closed when it closes, so a
// handler may keep per-link state in memory. One more instance per
// version serves interface-wide control operations.
//
// Pool ("pool"): a fixed set of instances (^pool N, default GOMAXPROCS)
// shared by all links. A link's batches are handed, in order, to whichever
// instance is free; the host delivers one batch of a link at a time, so a
// link's values never run concurrently. open() runs on one instance;
// close() runs on every instance that handled the link, so each may drop
// what it kept for it. Handlers must not rely on memory across batches.
//
// An instance is called by one goroutine at a time (its lock is held
// across every callback, timer callbacks included); its timers stop when
// it closes.
//
// # Hot reload
//
// Run watches the directory (host/internal/watch: debounced, editors that
// save by rename, added and removed folders). A changed folder is loaded
// as a new version: config read, Go built, module compiled, and the first
// instance made (the test instantiate). Only then is it swapped in with
// Registry.Replace, so links opened from then on get the new version.
// Open links keep the version they opened with until they close (the
// version is retired and shut down when its last link is gone), so values
// in flight are never lost and per-link state stays consistent. A version
// that fails to load leaves the last good one serving; the error is logged,
// kept in the stats (^reload-error) and pushed as
// (event ^type "reload-failed" ^interface N ^error "...") on the
// interface's control links; success pushes (event ^type "reloaded"
// ^interface N ^generation G). A folder whose content hash did not change
// is not reloaded.
//
// # Crashes
//
// A callback that fails while handling a link's values (a trap, an
// exception, a Go panic, a deadline) is a crash: the link is reset with
// PLUGIN_FAILED and a reason naming plugin, generation, callback and link;
// the instance is discarded (a pool rebuilds it in the background, a
// PerLink link's instance goes with the link). A pool instance takes with
// it what it kept for every link it served, so each other link it handled
// that is still open is reset too, with PLUGIN_FAILED and a reason saying
// that the instance serving the link crashed while serving link N (or a
// control operation); a PerLink crash touches only its own link.
// Instances are rebuilt after a backoff that doubles with each crash in
// the window (10ms to 5s).
//
// A link going away (the client resets it or closes its transport) never
// interrupts plugin code: callbacks run under the link's context without
// its cancellation, bounded by their deadline, so no instance breaks and
// no pool state is lost because a client was impatient. A callback that
// fails after its link went away (typically a send on it) is not a crash:
// it is not counted and is logged at debug level only; nor is an
// instantiation the departed link no longer needs. A deadline still is.
// CrashLimit crashes within CrashWindow mark the interface failed: Health
// reports it, (event ^type "failed" ^interface N ^generation G ^reason R)
// is pushed on its control links, and new links are refused with
// PLUGIN_FAILED until the window has passed or a new version loads. A failing control operation is an
// answer to its caller, not a crash, unless it hit its deadline.
//
// # Capabilities
//
// Sending on the plugin's own links and logging are always allowed. The
// key-value store (namespace "plugin/NAME" of Options.Store) and timers
// need ^grants {^kv true} and {^timers true}; without them the calls fail
// with an error matching plugin.ErrNotGranted that names the plugin, the
// config file and the grant to add.
package plugindir
