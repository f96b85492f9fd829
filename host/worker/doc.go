// Package worker owns process isolation of plugin code: a plugin.Runtime
// (Runtime) that runs another runtime, JavaScript ("js", host/jsrt) or
// WebAssembly ("wasm", host/wasmrt), in worker processes the host starts
// and supervises, and the worker's side (Serve), which the worker process
// runs with the real runtimes. The package imports neither runtime:
// cmd/genehost hands them to Serve in `genehost worker`, and tests hand
// them in from TestMain (package workertest).
//
// # Processes
//
// One worker process serves one Module, that is one version of one
// plugin, and every instance of it (a pool's and every per-link
// instance alike). Compile starts the process and sends it the
// plugin.Source; the worker compiles it with the inner runtime, whose
// errors come back with their text (file:line) intact. Instantiate
// returns a proxy Instance. When the process dies (it exits, is killed,
// or its pipe breaks) every call pending on its instances, and every
// later one, fails with a *LostError matching plugin.ErrInstanceLost that
// names the reason: the exit status or signal, "over its memory ceiling
// of N MiB" when that is the likely cause, and the tail of its stderr.
// Instances implement plugin.Lost, so the host can replace them before
// using them. The Module keeps working: the next Instantiate starts a new
// worker, after a backoff doubling from 10ms to 5s while deaths follow
// each other, and compiles the source again. Module.Close and
// Runtime.Close stop the workers and reap them.
//
// A worker runs with GOMAXPROCS equal to its number of instances (at
// least 1, at most what the Go runtime gave it at start), unless
// Config.Env sets GOMAXPROCS: one instance's callbacks run one at a time,
// and a second P would only make every hand-off between the worker's
// goroutines wake another thread.
//
// A worker gets only its pipe (descriptor 3), /dev/null for stdin and
// stdout, a stderr the host keeps the tail of, the environment variables
// of the protocol plus Config.Env (nothing of the host's), "/" as its
// directory and a process group of its own. On Linux it gets SIGKILL
// when the host dies (Pdeathsig), and it exits by itself when its pipe
// closes.
//
// # Limits
//
// A callback's deadline is enforced twice: the inner runtime interrupts
// plugin code at Limits.CallTimeout, and the host kills the worker if no
// answer came by CallTimeout + Config.Grace (500ms by default), since a
// goja built-in (a backtracking regular expression, a huge fill) cannot
// be interrupted. That call then fails with an error matching both
// plugin.ErrTimeout and plugin.ErrInstanceLost. A worker asked to close
// an instance whose callback was interrupted and whose code did not stop
// within UnwindTimeout exits (Serve returns ErrStuck), so it is replaced.
//
// Memory: the worker sets RLIMIT_AS on itself before anything else, to
// Config.BaseMemoryMB (DefaultBaseMemoryMB, what an idle Go worker maps)
// plus the plugin's Limits.MemoryMB (default plugin.DefaultMemoryMB), sets
// the Go heap's soft limit (debug.SetMemoryLimit) to MemoryMB + 32 MiB and
// the goroutine stack limit to MemoryMB/4 (at least 8 MiB). The host also
// tries to start it in a cgroup v2 child of its own cgroup with
// memory.max = MemoryMB + 96 MiB; where it may not (no delegated memory
// controller), it logs that at debug level and relies on the rlimit. An
// allocation past the ceiling is fatal to the Go runtime ("fatal error:
// runtime: out of memory"), so the worker dies and only its instances
// are lost.
//
// # Protocol
//
// Host and worker talk over one Unix socketpair in frames:
//
//	len u32 BE | kind u8 | id u64 BE | op u8 | body
//
// len counts the bytes after itself and is bounded (Config.MaxFrameBytes,
// 64 MiB by default) before anything is allocated. kind is request,
// reply, cancel or notify. Either side makes requests (the host:
// compile, instantiate and the six callbacks; the worker: the calls of
// plugin.Host and plugin.Store its plugin code makes), each with an id of
// its own that its reply names, so any number are in flight at once and
// many instances run concurrently in one worker. A request whose caller's
// context ends is followed by a cancel frame; the other side cancels the
// context it serves it under and still replies. Notifications (Log,
// Resume, CancelTimer) have no reply and are served in order. Values
// cross as binary Gene (gene.AppendBinary), a batch of Receive in one
// request; the host decodes what a worker sends with the default
// gene.Limits, since a worker is not trusted. Errors cross as their text,
// the set of sentinels they match (plugin.ErrNoCredit, ErrLinkClosed,
// ErrDirection, ErrNotGranted, ErrNotFound, ErrNotInteger, ErrTimeout,
// ErrInstanceLost, context.Canceled, context.DeadlineExceeded,
// gene.ErrBinary) and the proto code they carry, and come out as a
// *RemoteError on which errors.Is and proto.CodeOf work as on the
// original.
//
// One goroutine at a time reads the pipe. On the worker's end it is the
// pipe's reader goroutine, always. On the host's end, a callback (or any
// request) that finds nobody reading reads the pipe itself until its
// reply comes, dispatching what else arrives (other calls' replies, the
// worker's requests, shipped sends) as the reader goroutine would, and
// then puts the reading down: for the next caller, or to the reader
// goroutine at once when other calls still wait for replies; the reader
// goroutine takes it up again when it has been left for 5ms, so what a
// worker sends between callbacks (rare: plugin code sends in callbacks)
// waits at most that long. A worker's end is noticed by its reaper, not
// by the read. A round trip thus wakes one goroutine on the host, where a
// hand-off from a reader goroutine to the caller woke two and usually a
// second thread.
//
// Both ends read with a short spin (spin.go): a read that finds nothing
// tries again, yielding to the process's other goroutines between tries,
// for up to 100µs before it parks until the socket is readable. A reply
// or the next request usually comes within that, and is then read
// without the thread wake-up a parked reader costs (tens of
// microseconds on a virtual machine, more than a small callback takes).
// The price is up to 100µs of one CPU after each frame; see
// BENCHMARKS.md for what it gives and takes.
//
// A plugin's sends do not wait for the host when the host said there is
// room for them: each callback request carries the room (values, bytes of
// binary Gene, largest value; plugin.RoomHost) of the callback's link and
// of up to seven links the instance sent on lately, and a send's reply
// carries its link's room after it. A Send or TrySend that fits the room
// the worker knows (less what it sent since) succeeds in the worker and
// goes to the host as a one-way frame; the worker's writes of such frames
// wait for its next frame (a callback's reply, any request), at most
// 500µs, so a callback's sends and its reply reach the host in one write.
// A send that does not fit is a request, answered by the host as before
// (ErrNoCredit, a wait for credit, link closed). The host applies shipped
// sends in order on its reader with TrySend; should a link have less room
// than announced (another instance sent on it; a transport window shared
// with other links), the send is not dropped: it waits with Send, under
// the deadline of the callback that made it (so plugindir's SLOW_CONSUMER
// budget applies), on a goroutine of the instance, and what the worker
// sends for the instance after it waits behind it; the callback's answer
// is returned to the host's caller once its sends are applied. A shipped
// send the host cannot apply (its link closed meanwhile) is logged at
// debug level: the plugin has gone on, as a plugin in the host whose send
// went out just before the link closed.
//
// Invariants: every goroutine of the host side belongs to a proc and ends
// when its process has been reaped (stop waits for them); a reply is sent
// for every request, so no caller waits on a live pipe for nothing; the
// host never sends one instance two callbacks at once (its caller,
// host/plugindir, serialises them), while different instances' callbacks
// run concurrently in the worker; the sends of one instance reach its Host
// in the order its plugin code made them, shipped or asked.
package worker
