package flow

import (
	"time"

	"github.com/genehost/genehost/proto"
)

// ControlLimiter is the token bucket that rate-limits the control frames a
// transport receives (PROTOCOL.md section 9): every frame other than DATA,
// the handshake frames and a free CREDIT (Credit.Receive) takes one token;
// a peer that runs out is flooding and the transport closes with proto.CodeCalm.
//
// A ControlLimiter is used by the transport's reader goroutine only.
type ControlLimiter struct {
	rate   float64 // tokens per second
	burst  float64
	tokens float64
	last   time.Time
}

// NewControlLimiter returns a full bucket of burst tokens refilled at
// perSecond tokens per second. Zero values mean proto.DefaultControlRate and
// proto.DefaultControlBurst.
func NewControlLimiter(perSecond, burst int) *ControlLimiter {
	if perSecond <= 0 {
		perSecond = proto.DefaultControlRate
	}
	if burst <= 0 {
		burst = proto.DefaultControlBurst
	}
	return &ControlLimiter{rate: float64(perSecond), burst: float64(burst), tokens: float64(burst)}
}

// Counts reports whether a received frame of type t takes a token. A
// CREDIT takes one only when it is not free (free is what Credit.Receive
// returned); it is ignored for other types.
func Counts(t proto.Type, free bool) bool {
	switch t {
	case proto.TypeData, proto.TypeHello, proto.TypeWelcome:
		return false
	case proto.TypeCredit:
		return !free
	}
	return true
}

// Take takes one token at time now. It returns an *proto.Error with proto.CodeCalm
// when the bucket is empty.
func (l *ControlLimiter) Take(now time.Time) error {
	if !l.last.IsZero() {
		if dt := now.Sub(l.last).Seconds(); dt > 0 {
			l.tokens = min(l.burst, l.tokens+dt*l.rate)
		}
	}
	l.last = now
	if l.tokens < 1 {
		return proto.Errorf(proto.CodeCalm, "control frames arrive faster than %g per second (burst %g)", l.rate, l.burst)
	}
	l.tokens--
	return nil
}
