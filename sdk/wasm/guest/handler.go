package guest

import (
	"errors"
	"fmt"

	"github.com/genehost/genehost/abi"
	"github.com/genehost/genehost/gene"
)

// Flow is what a handler asks of the host after consuming values.
type Flow uint8

const (
	// Continue keeps values coming on the link.
	Continue Flow = iota
	// Pause stops deliveries on the link until Link.Resume is called; the
	// peer is held back by flow control meanwhile.
	Pause
)

// Handler is the behaviour of a plugin. The host calls, per link, Open,
// then Values any number of times, then Close; Control and Timer may come
// at any time. Embed Base to implement only the methods you need.
type Handler interface {
	// Open is called when a data link opens; an error rejects the link.
	Open(l Link) error
	// Values delivers one or more values received on l, in order. The
	// slice is reused after Values returns: keep the values, not the
	// slice.
	Values(l Link, vs []gene.Value) (Flow, error)
	// Control runs a control operation; l is the data link it names, or
	// the zero Link for interface-wide operations.
	Control(l Link, op string, arg gene.Value) (gene.Value, error)
	// Close is called when a data link closes; reason is "" for an
	// orderly close.
	Close(l Link, reason string)
	// Timer is called when a timer set with SetTimer fires.
	Timer(id uint64)
}

// Base implements Handler with defaults, for embedding: Open accepts every
// link, Values drops values, Control fails with "unknown op NAME", Close
// and Timer do nothing.
type Base struct{}

// Open accepts the link.
func (Base) Open(Link) error { return nil }

// Values drops the values.
func (Base) Values(Link, []gene.Value) (Flow, error) { return Continue, nil }

// Control fails with "unknown op NAME".
func (Base) Control(_ Link, op string, _ gene.Value) (gene.Value, error) {
	return gene.Nil(), fmt.Errorf("unknown op %s", op)
}

// Close does nothing.
func (Base) Close(Link, string) {}

// Timer does nothing.
func (Base) Timer(uint64) {}

var handler Handler

// Register sets the plugin's handler. Call it from an init function of the
// main package: the host runs package initialisation (_initialize) before
// any callback, and never runs main.
func Register(h Handler) { handler = h }

// LinkInfo describes a link: its id, interface, direction ("send",
// "recv" or "send+recv", from the server's side), peer address and the
// metadata the client sent.
type LinkInfo = abi.LinkInfo

// Link is a data link of this instance. The zero Link stands for "no
// link" (interface-wide control operations).
type Link struct {
	id   uint64
	info *LinkInfo
}

// links holds what Open was told, until Close returns.
var links = map[uint64]*LinkInfo{}

func linkOf(id uint64) Link {
	if id == 0 {
		return Link{}
	}
	return Link{id: id, info: links[id]}
}

// ID returns the link id (0 for the zero Link).
func (l Link) ID() uint64 { return l.id }

// Info returns what the host said about the link when it opened; only the
// ID is set when the link was opened before this instance existed (after
// the host replaced a failed instance).
func (l Link) Info() LinkInfo {
	if l.info == nil {
		return LinkInfo{ID: l.id}
	}
	return *l.info
}

// HostError is a failed host call: the status the host returned and its
// message (which names the call). It matches the abi sentinel of its
// status with errors.Is, for example abi.ErrNoCredit.
type HostError struct {
	Status abi.Status
	Msg    string
}

func (e *HostError) Error() string {
	if e.Msg == "" {
		return e.Status.Err().Error()
	}
	return e.Msg
}

// Is reports whether target is the sentinel of e's status.
func (e *HostError) Is(target error) bool { return target == e.Status.Err() }

// ErrNotWasm is returned by every host call outside a wasip1 build.
var ErrNotWasm = errors.New("guest: host calls need a GOOS=wasip1 build")

// Sentinels, re-exported for convenience.
var (
	ErrNoCredit   = abi.ErrNoCredit
	ErrLinkClosed = abi.ErrLinkClosed
	ErrNotGranted = abi.ErrNotGranted
	ErrNotFound   = abi.ErrNotFound
	// Since ABI 1.3: a stream ack of a message the group was never sent,
	// and a stream, group or topic name outside 1 to 128 of
	// A-Z a-z 0-9 _ . -.
	ErrNotDelivered = abi.ErrNotDelivered
	ErrBadName      = abi.ErrBadName
)
