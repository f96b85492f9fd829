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
// A folder that does not load and has no good version (a new folder, or
// one that never loaded) is registered as a failed interface of its name
// (failed.go): its health is failed with the load error as the reason,
// data links are refused with PLUGIN_FAILED and that error, and it pushes
// (event ^type "load-failed" ^interface N ^error "..."). When it loads,
// it replaces the failed interface and pushes (event ^type "loaded"
// ^interface N ^generation G ^version V); a removed folder is
// unregistered with (event ^type "removed" ^interface N). Every event
// goes to the interface's control links and to those of $sys (see
// host.Server.Emit), so a failed or removed plugin can be followed too.
//
// # Faults
//
// A fault stays where it starts. Clients are treated as hostile: nothing
// a client does can make an interface failed.
//
// A handler's own error (plugin.ErrHandler: an exception thrown by
// JavaScript, an error returned by a Go or C guest) ends that link only:
// it is reset with HANDLER_ERROR carrying the handler's message and, for
// JavaScript, the file:line of the throw. The instance and its state are
// kept; the error is counted in the stats (^handler-errors) and logged at
// debug level only. A handler that wants to answer a bad request and go
// on sends the standard error reply (error ^code C ^message M ^id X)
// instead of throwing. A refused open() and a failing control operation
// are answers too.
//
// A plugin's blocking send waits for the client's credit only until
// shortly before its callback's deadline: a client that returns no credit
// for that long has its link reset SLOW_CONSUMER, the send fails with
// plugin.ErrLinkClosed, and the handler goes on. A client that does not
// read costs only its own link.
//
// A crash is a callback that leaves its instance unusable: a Wasm trap, a
// deadline, a lost worker process, a Go panic in a runtime. The link is
// reset with PLUGIN_FAILED and a reason naming plugin, generation,
// callback and link; the instance is discarded (a pool rebuilds it in the
// background after a backoff that doubles with each crash in CrashWindow,
// 10ms to 1s; a PerLink link's instance goes with the link). A pool
// instance takes with it what it kept for every link it served, so each
// other link it handled that is still open is reset too, with
// PLUGIN_FAILED and a reason saying that the instance serving the link
// crashed while serving another link (or a control operation); a PerLink crash
// touches only its own link. A pool instance found lost between callbacks
// (its worker died) is replaced before it is handed a callback.
//
// A link going away (the client resets it or closes its transport) never
// interrupts plugin code: callbacks run under the link's context without
// its cancellation, bounded by their deadline, so no instance breaks and
// no pool state is lost because a client was impatient. A callback that
// fails after its link went away (typically a send on it) is neither a
// crash nor a handler error: it is logged at debug level only.
//
// Only a module that cannot be instantiated makes an interface failed:
// CrashLimit instantiations in a row that fail by the module's own doing
// (its top level throws; not a lost worker or a deadline, which load can
// cause), the last within CrashWindow. Health then reports failed,
// (event ^type "failed" ^interface N ^generation G ^reason R) is pushed on
// its control links, and new links are refused with PLUGIN_FAILED until
// the window has passed or a new version loads. Instantiations after a
// failed one wait a backoff (10ms doubling to 5s).
//
// # Isolation
//
// A plugin whose config says ^isolation "process" (JavaScript's default)
// is compiled with the runtime of Options.Isolated, a worker runtime
// (host/worker): each version runs in a worker process the host
// supervises, serving all its instances. When the worker dies its
// instances report plugin.ErrInstanceLost (plugin.Lost): the callback
// in progress is a crash, and lost instances are replaced. A process
// plugin whose runtime is missing from Options.Isolated does not load (the
// error names its config and the two ways out); it never runs in the host
// instead.
//
// # Capabilities
//
// Sending on the plugin's own links and logging are always allowed. The
// key-value store (Options.Store's PluginKV(NAME), with its watches) and timers
// need ^grants {^kv true} and {^timers true}; without them the calls fail
// with an error matching plugin.ErrNotGranted that names the plugin, the
// config file and the grant to add.
package plugindir
