package abi

import (
	"errors"
	"strconv"
)

// Status is a result code of a callback or a host function (ABI.md
// section 3). The table is append-only: a number never changes meaning.
type Status int32

// The status codes of ABI 1.0.
const (
	OK          Status = 0
	Pause       Status = 1
	Error       Status = 2
	NoCredit    Status = 3
	LinkClosed  Status = 4
	Direction   Status = 5
	NotGranted  Status = 6
	NotFound    Status = 7
	BadValue    Status = 8
	Timeout     Status = 9
	ShortBuffer Status = 10
	// Since 1.3 (streams).
	NotDelivered Status = 11
	BadName      Status = 12
	numStatus           = 13
)

var statusNames = [numStatus]string{
	"OK", "PAUSE", "ERROR", "NO_CREDIT", "LINK_CLOSED", "DIRECTION",
	"NOT_GRANTED", "NOT_FOUND", "BAD_VALUE", "TIMEOUT", "SHORT_BUFFER",
	"NOT_DELIVERED", "BAD_NAME",
}

// String returns the name ABI.md uses ("NO_CREDIT"), or "STATUS(n)".
func (s Status) String() string {
	if s >= 0 && s < numStatus {
		return statusNames[s]
	}
	return "STATUS(" + strconv.Itoa(int(s)) + ")"
}

// Known reports whether s is in the table of this version.
func (s Status) Known() bool { return s >= 0 && s < numStatus }

// Sentinel errors, one per failure status, for guests (and hosts) that
// turn a status into a Go error. A guest SDK wraps them with the host's
// message; callers test with errors.Is.
var (
	ErrFailed      = errors.New("genehost: host call failed")
	ErrNoCredit    = errors.New("genehost: no credit: the peer has not granted room for this value")
	ErrLinkClosed  = errors.New("genehost: link is closed")
	ErrDirection   = errors.New("genehost: link direction does not allow sending")
	ErrNotGranted  = errors.New("genehost: capability not granted")
	ErrNotFound    = errors.New("genehost: key not found")
	ErrBadValue    = errors.New("genehost: bad value")
	ErrTimeout     = errors.New("genehost: deadline passed")
	ErrShortBuffer = errors.New("genehost: output does not fit in the buffer")
	// ErrNotDelivered: a stream ack of a message the group was never sent.
	ErrNotDelivered = errors.New("genehost: the message has not been delivered to the group")
	// ErrBadName: a stream, group or topic name outside 1 to 128 of
	// A-Z a-z 0-9 _ . -.
	ErrBadName = errors.New("genehost: invalid stream, group or topic name")
)

// Err returns the sentinel error of a failure status, nil for OK and
// Pause, and ErrFailed for Error and unknown codes.
func (s Status) Err() error {
	switch s {
	case OK, Pause:
		return nil
	case NoCredit:
		return ErrNoCredit
	case LinkClosed:
		return ErrLinkClosed
	case Direction:
		return ErrDirection
	case NotGranted:
		return ErrNotGranted
	case NotFound:
		return ErrNotFound
	case BadValue:
		return ErrBadValue
	case Timeout:
		return ErrTimeout
	case ShortBuffer:
		return ErrShortBuffer
	case NotDelivered:
		return ErrNotDelivered
	case BadName:
		return ErrBadName
	}
	return ErrFailed
}
