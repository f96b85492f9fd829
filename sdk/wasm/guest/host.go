package guest

import (
	"time"

	"github.com/genehost/genehost/abi"
	"github.com/genehost/genehost/gene"
)

// outbuf holds the encoding of the value being sent; reused, so a send
// allocates nothing once it has grown.
var outbuf []byte

// errbuf receives host error messages.
var errbuf = make([]byte, 256)

// hostErr turns a failure status into a *HostError carrying the host's
// message for the call that just failed.
func hostErr(st abi.Status) error {
	if st == abi.OK {
		return nil
	}
	if !isWasm && !testHostActive() {
		return ErrNotWasm
	}
	n := callError(errbuf)
	if n > len(errbuf) {
		errbuf = make([]byte, n)
		n = callError(errbuf)
	}
	if n > len(errbuf) {
		n = len(errbuf)
	}
	return &HostError{Status: st, Msg: string(errbuf[:n])}
}

// Send sends v toward the client, waiting for credit until the callback's
// deadline. It fails with an error matching abi.ErrLinkClosed,
// abi.ErrDirection, abi.ErrTimeout or abi.ErrBadValue.
//
// A value received in the batch that Handler.Values is handling, sent
// during that call, goes back as the bytes it arrived in rather than
// being encoded again (an echo costs a copy, not an encode).
func (l Link) Send(v gene.Value) error {
	return hostErr(callSend(l.id, encode(v), false))
}

// TrySend sends v without waiting; it fails with an error matching
// abi.ErrNoCredit when the peer has not granted room for it. Like Send,
// it reuses the bytes of a value received in the current batch.
func (l Link) TrySend(v gene.Value) error {
	return hostErr(callSend(l.id, encode(v), true))
}

// encode returns the binary encoding of v: the bytes it arrived in when v
// is a value of the batch being handled, else outbuf encoded afresh.
func encode(v gene.Value) []byte {
	if b := received.bytesOf(v); b != nil {
		return b
	}
	outbuf = gene.AppendBinary(outbuf[:0], v)
	return outbuf
}

// Close closes the link; reason "" is an orderly close.
func (l Link) Close(reason string) error { return hostErr(callCloseLink(l.id, reason)) }

// Resume undoes a Pause returned from Values for this link.
func (l Link) Resume() { callResume(l.id) }

// Log writes msg to the host log tagged with this link. level is "trace",
// "debug", "info", "warn" or "error".
func (l Link) Log(level, msg string) { callLog(abi.LevelOf(level), l.id, msg) }

// Log writes msg to the host log, tagged with the plugin but no link.
// level is "trace", "debug", "info", "warn" or "error" (others: info).
func Log(level, msg string) { callLog(abi.LevelOf(level), 0, msg) }

// SetTimer arranges for Handler.Timer(id) after d. It fails with an error
// matching abi.ErrNotGranted unless the operator granted timers.
func SetTimer(d time.Duration) (uint64, error) {
	id := callTimerSet(int64(d))
	if id < 0 {
		return 0, hostErr(abi.Status(-id))
	}
	return uint64(id), nil
}

// CancelTimer cancels a timer; it has no effect when it fired already.
func CancelTimer(id uint64) { callTimerCancel(id) }
