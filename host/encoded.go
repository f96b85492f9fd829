package host

import (
	"context"

	"github.com/genehost/genehost/proto"
)

// EncodedLink is implemented by the host's links: a value already encoded
// in the link's transport encoding is sent as it is, so that one encoding
// serves many links (the streams fan-out of host/plugindir). Both follow
// Send and TrySend: the interface's overflow policy, stall timeout and
// max-message-bytes apply. The payload must not be modified afterwards.
type EncodedLink interface {
	Encoding() proto.Encoding
	SendEncoded(ctx context.Context, p []byte) error
	TrySendEncoded(p []byte) error
}

var _ EncodedLink = (*link)(nil)

// Encoding implements EncodedLink.
func (l *link) Encoding() proto.Encoding { return l.sl.Session().Terms().Encoding }

// SendEncoded implements EncodedLink.
func (l *link) SendEncoded(ctx context.Context, p []byte) error {
	if err := l.checkEncoded(p); err != nil {
		return err
	}
	return l.sendPayload(ctx, p)
}

// TrySendEncoded implements EncodedLink.
func (l *link) TrySendEncoded(p []byte) error {
	if err := l.checkEncoded(p); err != nil {
		return err
	}
	return l.trySendPayload(p)
}

func (l *link) checkEncoded(p []byte) error {
	if !l.sl.Sends() {
		return proto.WrongDirection(l.sl.ID(), l.Direction(), proto.SideHost)
	}
	return l.tooLarge(len(p))
}

// tooLarge fails for a value of n encoded bytes past the interface's
// max-message-bytes.
func (l *link) tooLarge(n int) error {
	if max := l.m.Flow.MaxMessageBytes; max > 0 && n > max {
		return proto.Errorf(proto.CodeMessageTooLarge, "link %d: value of %d bytes exceeds the interface's max-message-bytes %d", l.sl.ID(), n, max)
	}
	return nil
}
