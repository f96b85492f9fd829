package host

import (
	"errors"

	"github.com/genehost/genehost/proto"
)

// Errors of the host's public API. Errors that cross the wire carry a
// proto.Code as well; these sentinels are for errors.Is in Go code.
var (
	// ErrNoCredit: TrySend found no credit for the value.
	ErrNoCredit = proto.ErrNoCredit
	// ErrLinkClosed: the link is closed (or closed for sending).
	ErrLinkClosed = proto.ErrLinkClosed
	// ErrUnknownOp: a control operation the interface does not declare.
	ErrUnknownOp = errors.New("host: unknown control operation")
	// ErrServerClosed is returned by Serve and ListenAndServe after
	// Shutdown or Close.
	ErrServerClosed = errors.New("host: server closed")
)
