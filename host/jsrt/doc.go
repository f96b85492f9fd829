// Package jsrt is the JavaScript plugin runtime: it implements
// plugin.Runtime (name "js") on goja, with goja_nodejs's event loop,
// require and console.
//
// A plugin is a CommonJS module, handler.js, whose module.exports holds
// the handler functions (open, values or value, control, close, timer);
// sdk/js/README.md is the guide for handler authors and sdk/js/genehost.d.ts
// declares the API and the mapping of Gene values to JavaScript values.
//
// # Compilation and instances
//
// Compile parses handler.js once per version into a *goja.Program shared by
// every instance; files it requires are compiled once per version too.
// Each Instance owns one goja runtime driven by one event-loop goroutine:
// a host callback is handed to the loop as a job and the calling goroutine
// waits for it. Interrupt is the only call made on a runtime from another
// goroutine.
//
// # Limits and failures
//
// Every callback, and the module's top-level code at Instantiate, runs
// under Limits.CallTimeout and the callback's context. At the deadline the
// runtime is interrupted, the call fails with a *HandlerError matching
// plugin.ErrTimeout, and the instance is broken: every later call fails
// with ErrBroken and the host must instantiate the module again. Nothing
// else bounds a handler's memory: an allocation loop is stopped by the
// deadline (JavaScript cannot be capped per instance the way Wasm linear
// memory is), so keep CallTimeout short for untrusted code. A value whose
// binary Gene encoding is larger than Limits.MaxInputBytes is refused
// before it is converted, with a *gene.LimitError.
//
// An exception thrown (or a promise rejected) by a handler becomes a
// *HandlerError naming the plugin, the handler function, the link and the
// file:line of the throw; the instance stays usable.
//
// # Sandbox
//
// A handler sees no file system, network, process or environment:
// require loads only files inside the plugin folder and refuses host
// modules ("fs", "net", ...) with a clear error. setTimeout and
// clearTimeout are built on Host.SetTimer, so they work only with the
// Timers grant and fire as Timer callbacks; setInterval and setImmediate
// do not exist. Without the Clock grant, Date.now() and new Date() see the
// fixed instant 1970-01-01T00:00:00Z. genehost.kv works only with the KV
// grant.
package jsrt
