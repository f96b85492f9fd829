// Package wasmrt is genehost's WebAssembly plugin runtime: it implements
// plugin.Runtime (name "wasm") on wazero, for guests that follow the ABI
// of ABI.md (constants in package abi; the Go guest SDK is
// sdk/wasm/guest).
//
// # Compilation
//
// Compile validates a module against the ABI before any guest code runs:
// the version marker (an unknown major version is refused with a message
// naming the plugin, the version found and the one supported), the
// reactor entry point, the exports and their types, and the imports (only
// module "genehost" and WASI). It then compiles to native code with
// wazero's compiler (the interpreter on platforms the compiler does not
// support), one module at a time so that a directory of plugins loading
// at once does not multiply peak memory, through one compilation cache
// that Config.CacheDir keeps on disk across restarts.
//
// Each compiled plugin gets its own wazero runtime, so its
// Limits.MemoryPages is enforced on every instance; instantiating is cheap
// (the compiled code is shared) and runs the guest's _initialize.
//
// # Calls
//
// An Instance caches the guest's exported functions, its exchange buffer
// and an encode buffer, so delivering values allocates nothing on the
// host side beyond what wazero needs to watch the deadline. Every callback
// runs under Limits.CallTimeout (and the caller's deadline, if earlier):
// when it passes, wazero stops the guest (compiled code checks at loop
// heads and calls) and the callback fails with an error matching
// plugin.ErrTimeout, also when the guest returned only as the deadline
// passed (gh_send gave up and the guest returned its own error). The
// caller's context being cancelled (its link went away) does not stop
// the guest, which would lose its memory: it makes blocking host calls
// give up with TIMEOUT, and a callback that then fails matches the
// context's error. Instantiation (_initialize) runs under the larger of
// CallTimeout and MinInitTimeout, and stops when the caller's context
// ends. In a worker process (Config.KilledOnOverrun) wazero does not
// stop the guest: the host kills the worker at CallTimeout plus a grace
// instead, and guest code runs without the checks at loop heads.
//
// # Failure
//
// A callback that fails by returning an error leaves the instance as it
// is. A trap, a guest exit (a Go panic), or a deadline discards the guest
// instance; the next callback on the same Instance transparently runs on a
// fresh instance of the same module (its _initialize runs again; state in
// guest memory is lost). Every error names plugin, callback and link
// (*CallError).
//
// # Sandbox
//
// Guests get WASI with no files, no environment, no sockets and fake
// clocks unless plugin.Grants say otherwise; stdout and stderr go to
// Host.Log line by line.
package wasmrt
