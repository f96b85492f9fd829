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
// waits for it. A runtime made with Config.KilledOnOverrun, for a worker
// process whose host kills it when a callback overruns, runs callbacks on
// the calling goroutine instead, with a watchdog timer keeping the
// deadline. Interrupt is the only call made on a runtime from another
// goroutine.
//
// # Limits and failures
//
// Every callback runs under Limits.CallTimeout and the callback's context;
// the module's top-level code at Instantiate under the larger of
// CallTimeout and MinInitTimeout. At the deadline the
// runtime is interrupted, the call fails with a *HandlerError matching
// plugin.ErrTimeout, and the instance is broken: every later call fails
// with ErrBroken and the host must instantiate the module again. goja
// checks for the interrupt between JavaScript instructions only, so a
// built-in running in Go finishes first; the call returns at most a second
// after its deadline (unwindGrace) either way, except with
// Config.KilledOnOverrun, where it returns when the built-in does (the
// process is killed first if that is too late). A value whose binary Gene
// encoding is larger than Limits.MaxInputBytes is refused before it is
// converted, with a *gene.LimitError.
//
// goja has no allocation limit and recurses in Go where data nests, so
// one line of a script could kill the process ("fatal error: out of
// memory", "fatal error: stack overflow") or keep a built-in busy in Go
// for minutes. guards.go wraps the built-ins that allocate or walk by a
// number the script chooses and refuses, before they start, requests over
// Limits.MemoryMB (^limits {^memory-mb N}, default 64): ArrayBuffer,
// typed arrays (length and array-like forms, subclasses, from), Array(n)
// and every Array.prototype method walking a length, String.prototype
// repeat, padStart, padEnd and concat, Array.prototype join, concat and
// fill, typed array join, Function.prototype.apply and Reflect.apply and
// construct over an array-like, JSON.stringify visiting more values than
// that. Strings count 2 bytes a character, array elements and arguments
// 16 bytes. Nesting is refused past 10000 levels for JSON.parse (the text
// is scanned first), JSON.stringify and flat, past 1000 for arrays joined
// in arrays and chains of bind, and goja's call depth is 5000 frames. The
// call fails with a RangeError naming the built-in, the size and the
// limit; the instance stays usable. A backtracking regular expression
// (backreferences, lookaround: goja runs those with regexp2) is stopped
// after one second of matching (set process-wide by New); test, match,
// replace, search and split then throw a RangeError, a direct exec or a
// matchAll iterator returns null.
//
// These bound each request, not their sum: a loop that keeps many
// allocations within the limit, or doubles a string with s += s, grows
// the host's heap until the deadline stops it, and a spread (f(...a)) or
// a Proxy nested a million deep is not checked. In-host ("none")
// isolation is for trusted code; untrusted JavaScript runs in a worker
// process (^isolation "process", the default for JavaScript), where the
// same guards turn a runaway into a clean error instead of the worker's
// death, and the process's memory ceiling bounds the sum.
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
