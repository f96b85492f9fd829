package wasmrt

import (
	"errors"
	"strconv"

	"github.com/genehost/genehost/host/plugin"
)

// Sentinel errors; a *CallError matches one of them (or plugin.ErrTimeout)
// with errors.Is.
var (
	// ErrInvalidModule matches every error Compile returns for a module
	// that does not follow the ABI (including an unknown ABI version).
	ErrInvalidModule = errors.New("wasmrt: invalid plugin module")
	// ErrGuest matches a callback that returned ERROR.
	ErrGuest = errors.New("wasmrt: the guest reported an error")
	// ErrTrap matches a callback ended by a trap or by the guest exiting
	// (a Go panic exits); the guest instance was discarded.
	ErrTrap = errors.New("wasmrt: the guest trapped or exited")
	// ErrProtocol matches a guest that broke the ABI during a call: a bad
	// status, an out-of-range buffer, an undecodable result.
	ErrProtocol = errors.New("wasmrt: the guest broke the ABI")
	// ErrClosed matches calls on a closed Runtime, Module or Instance.
	ErrClosed = errors.New("wasmrt: closed")
)

// ModuleError is a module Compile refused: not WebAssembly, or not
// following the ABI (an unknown version, missing or mistyped exports,
// foreign imports). It matches ErrInvalidModule with errors.Is.
type ModuleError struct {
	Plugin string
	File   string // base name of the module file
	Err    error  // what is wrong, listing every problem found
}

func (e *ModuleError) Error() string {
	return "wasmrt: plugin " + strconv.Quote(e.Plugin) + " (" + e.File + "): " + e.Err.Error()
}

// Is makes errors.Is(err, ErrInvalidModule) true.
func (e *ModuleError) Is(target error) bool { return target == ErrInvalidModule }

// Unwrap returns the cause.
func (e *ModuleError) Unwrap() error { return e.Err }

// CallError is a failed callback. It names the plugin, the callback (as
// the plugin.Instance method: "Receive") and the link (0 when none).
// errors.Is matches Kind (ErrGuest, ErrTrap, ErrProtocol, ErrClosed or
// plugin.ErrTimeout) and the underlying cause, if any.
type CallError struct {
	Plugin   string
	Callback string
	Link     plugin.LinkID
	Kind     error
	// Msg is what went wrong, for people: the guest's message, the trap,
	// the first stderr line of a panic.
	Msg   string
	Cause error
}

func (e *CallError) Error() string {
	s := "wasmrt: plugin " + strconv.Quote(e.Plugin) + " " + e.Callback
	if e.Link != 0 {
		s += " link " + strconv.FormatUint(uint64(e.Link), 10)
	}
	return s + ": " + e.Msg
}

// Is makes a guest's own error (ErrGuest: the callback returned ERROR,
// the guest instance intact) match plugin.ErrHandler.
func (e *CallError) Is(target error) bool {
	return target == plugin.ErrHandler && e.Kind == ErrGuest
}

// Unwrap returns Kind and Cause.
func (e *CallError) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Cause}
}
