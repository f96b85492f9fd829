// Package plugin owns the seam between the host and plugin code: the
// Runtime, Module and Instance interfaces that the JavaScript (host/jsrt)
// and WebAssembly (host/wasmrt) runtimes implement, the Host interface
// through which plugin code reaches back into genehost (send, log, the
// key-value store, timers), and the grants and limits an operator sets per
// plugin.
//
// The host core does not import any runtime: cmd/genehost hands the
// runtimes to the plugin loader by name.
//
// # Call discipline
//
// The host never calls one Instance from two goroutines at once, and
// delivers the values of one link in order. An Instance may call Host
// methods from inside any of its callbacks; it must not retain the ctx of
// a callback after returning. A callback that exceeds Limits.CallTimeout
// is interrupted and fails with ErrTimeout; the runtime then treats the
// instance as broken (a Wasm instance is replaced).
package plugin

import (
	"context"
	"errors"
	"time"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/proto"
)

// LinkID identifies a link within one host process (unique across
// transports for the life of the process).
type LinkID uint64

// LinkInfo describes a link to a plugin when it opens.
type LinkInfo struct {
	ID        LinkID
	Interface string
	// Direction is what the link carries, named from the server's side
	// (proto.DirSend, DirRecv or DirSendRecv; see PROTOCOL.md).
	Direction proto.Direction
	// Peer is the remote address, for logs.
	Peer string
	// Meta is the metadata the client sent when opening (a prop map, or
	// nil).
	Meta gene.Value
}

// Flow is what an instance asks of the host after consuming values.
type Flow uint8

const (
	// Continue: keep delivering values on this link.
	Continue Flow = iota
	// Pause: deliver nothing more on this link until the instance calls
	// Host.Resume. Credit is not returned meanwhile, so the peer is held
	// back by flow control rather than by a growing queue.
	Pause
)

// Instance is one instantiated copy of a plugin's code. Depending on the
// plugin's instance model it serves one link, all links, or any link of a
// pool. Errors returned from callbacks are reported to the peer of the
// link concerned as a HANDLER_ERROR reset naming plugin, handler and link.
type Instance interface {
	// Open is called when a data link opens. An error rejects the link.
	Open(ctx context.Context, link LinkInfo) error
	// Receive delivers one or more values received on a data link, in
	// order. Returning means they were consumed (their credit goes back to
	// the peer) unless Flow is Pause.
	Receive(ctx context.Context, link LinkID, values []gene.Value) (Flow, error)
	// Control runs a plugin-declared control operation. link is the data
	// link the operation names, or 0 for interface-wide operations.
	Control(ctx context.Context, link LinkID, op string, arg gene.Value) (gene.Value, error)
	// Closed is called when a data link closes, for any reason. err is nil
	// for an orderly close; otherwise it says why (errors.Is and
	// proto.CodeOf work on it: a client's RESET, the plugin's own close).
	Closed(ctx context.Context, link LinkID, err error)
	// Timer is called when a timer set with Host.SetTimer fires.
	Timer(ctx context.Context, id uint64)
	// Close frees the instance. No callback follows.
	Close(ctx context.Context) error
}

// Lost is implemented by instances that can become unusable between
// callbacks, as an instance in a worker process that died: Lost returns
// why once that happened, nil before. The host checks it before handing
// the instance a callback and replaces a lost instance without failing
// the callback it was about to run.
type Lost interface {
	Lost() error
}

// Host is the part of genehost a plugin instance can reach. Every method
// is safe to call from inside a callback; calls outside callbacks are not
// allowed (the runtime serialises them through the instance's owner).
type Host interface {
	// Send queues v on link toward the client, blocking until the link has
	// credit or ctx is done. Sending on a link whose direction forbids it,
	// or on a closed link, fails.
	Send(ctx context.Context, link LinkID, v gene.Value) error
	// TrySend is Send without blocking: it fails with ErrNoCredit when the
	// peer has not granted room for v.
	TrySend(link LinkID, v gene.Value) error
	// CloseLink closes a data link (reason "" for orderly).
	CloseLink(link LinkID, reason string) error
	// Resume undoes a Pause returned from Receive.
	Resume(link LinkID)
	// Log writes to the host log, tagged with plugin, version and link.
	// level is one of "trace", "debug", "info", "warn", "error".
	Log(level string, link LinkID, msg string)
	// Store returns the plugin's durable key-value namespace, or
	// ErrNotGranted.
	Store() (Store, error)
	// SetTimer arranges for Timer(id) after d; it fails with
	// ErrNotGranted unless timers are granted. CancelTimer stops it.
	SetTimer(d time.Duration) (id uint64, err error)
	CancelTimer(id uint64)
}

// Source is one version of a plugin's code, as found in the plugin
// directory.
type Source struct {
	// Name is the interface name (the plugin folder name).
	Name string
	// Dir is the plugin folder.
	Dir string
	// Entry is the file the runtime loads (handler.js, a .wasm module).
	Entry string
	// Code is the content of Entry.
	Code []byte
	// Hash is the hex SHA-256 of everything that makes up this version
	// (config and code); it keys the compilation cache.
	Hash   string
	Limits Limits
	Grants Grants
}

// Runtime compiles plugin code of one kind.
type Runtime interface {
	// Name is the runtime's name in plugin configs: "js" or "wasm".
	Name() string
	// Compile validates and compiles one version of a plugin. Errors name
	// the file and, where the runtime knows it, the line.
	Compile(ctx context.Context, src *Source) (Module, error)
	// Close frees the runtime and its caches.
	Close(ctx context.Context) error
}

// Module is compiled plugin code, ready to instantiate any number of
// times.
type Module interface {
	// Instantiate creates an instance bound to h.
	Instantiate(ctx context.Context, h Host) (Instance, error)
	Close(ctx context.Context) error
}

// Limits bound a plugin's resources. Zero means the default.
type Limits struct {
	// MemoryMB is the plugin's memory budget in MiB (^limits
	// {^memory-mb N}), default DefaultMemoryMB. For a Wasm guest, when
	// given, it is the ceiling of each instance's linear memory (unless
	// MemoryPages is set; the Wasm default stays DefaultMemoryPages); for
	// JavaScript in the host it bounds the size of any one
	// buffer, string or array a script can ask a built-in for; in a worker
	// process it is the process's memory ceiling on top of its own base
	// (see SECURITY.md).
	MemoryMB int
	// MemoryPages caps a Wasm instance's linear memory in 64 KiB pages,
	// the older spelling of MemoryMB for Wasm. Default: MemoryMB's worth
	// when MemoryMB is given, else DefaultMemoryPages (16 MiB).
	MemoryPages uint32
	// CallTimeout bounds one callback. Default 5s.
	CallTimeout time.Duration
	// MaxInputBytes caps the encoded size of one value handed to a
	// JavaScript handler. Default 1 MiB.
	MaxInputBytes int
}

// Defaults.
const (
	DefaultMemoryMB      = 64
	DefaultMemoryPages   = 256
	DefaultCallTimeout   = 5 * time.Second
	DefaultMaxInputBytes = 1 << 20
)

// WithDefaults fills zero fields.
func (l Limits) WithDefaults() Limits {
	if l.MemoryPages == 0 && l.MemoryMB > 0 {
		l.MemoryPages = uint32(l.MemoryMB * 16)
	}
	if l.MemoryMB == 0 {
		l.MemoryMB = DefaultMemoryMB
	}
	if l.MemoryPages == 0 {
		l.MemoryPages = DefaultMemoryPages
	}
	if l.CallTimeout == 0 {
		l.CallTimeout = DefaultCallTimeout
	}
	if l.MaxInputBytes == 0 {
		l.MaxInputBytes = DefaultMaxInputBytes
	}
	return l
}

// Grants are the capabilities an operator gives a plugin in its config.
// Sending on the plugin's own links and logging are always allowed;
// everything else is off unless granted.
type Grants struct {
	KV bool // the durable key-value store
	// Streams: durable streams with consumer groups and topics, fanned
	// out by the host (Streams, StreamsHost).
	Streams bool
	Timers  bool              // SetTimer / setTimeout
	Clock   bool              // the real wall clock (otherwise a fixed epoch for Wasm)
	Env     map[string]string // environment variables visible to a Wasm guest
	// Dirs maps guest paths to host directories a Wasm guest may read
	// (read-only).
	Dirs map[string]string
}

// Sentinel errors.
var (
	ErrNoCredit   = errors.New("plugin: no credit: the peer has not granted room for this value")
	ErrNotGranted = errors.New("plugin: capability not granted")
	ErrTimeout    = errors.New("plugin: callback exceeded its deadline")
	ErrLinkClosed = errors.New("plugin: link is closed")
	ErrDirection  = errors.New("plugin: link direction does not allow sending")
	// ErrHandler matches a callback that failed by the plugin's own
	// doing while the instance stays intact: an exception thrown by
	// JavaScript, an error returned by a Go or C guest, a value it
	// produced that has no Gene form. The host answers it on the link
	// concerned (HANDLER_ERROR) and keeps the instance and its state.
	// Every other callback failure leaves the instance unusable (a trap, a
	// deadline, a lost worker): a crash, and the instance is replaced.
	ErrHandler = errors.New("plugin: handler failed")
	// ErrInstanceLost: the instance is gone with what ran it (its worker
	// process died or was killed); the host replaces it.
	ErrInstanceLost = errors.New("plugin: instance lost")
)
