package proto

import (
	"github.com/genehost/genehost/gene"
)

// maxInterfaceBytes bounds interface names.
const maxInterfaceBytes = 256

// Open is the content of an OPEN frame (PROTOCOL.md section 4.1).
type Open struct {
	// Interface is the interface name, 1 to 256 bytes.
	Interface string
	// Sub is the sub-interface; zero means SubData.
	Sub Sub
	// Direction is what the link carries, named from the host's side.
	Direction Direction
	// Credit is the initial credit of the opener's receiving direction;
	// zero when the opener does not receive on this link.
	Credit Grant
	// Meta is free metadata for the acceptor (an auth token, ...).
	Meta gene.Props
}

// Receives reports whether side s (the opener or the acceptor) receives
// values on a link of o's direction.
func (o Open) Receives(s Side) bool { return o.Direction.Sends(s.Peer()) }

// AppendOpenFrame appends the OPEN frame for link. It fails only when
// o.Meta holds a value with no Gene text form (see gene.AppendTextStrict).
func AppendOpenFrame(dst []byte, link uint32, o Open) ([]byte, error) {
	var pb propsBuilder
	pb.str("interface", o.Interface)
	sub := o.Sub
	if sub == 0 {
		sub = SubData
	}
	pb.str("sub", sub.String())
	pb.str("direction", o.Direction.String())
	if o.Credit != (Grant{}) {
		pb.int("msgs", int64(o.Credit.Msgs))
		pb.int("bytes", int64(o.Credit.Bytes))
	}
	if len(o.Meta) > 0 {
		pb.value("meta", gene.PropMap(o.Meta...))
	}
	return appendTextFrame(dst, TypeOpen, link, pb.build(), true)
}

// ParseOpen decodes an OPEN payload sent by opener. ^msgs and ^bytes are
// required when the opener receives on the link and are dropped
// otherwise. Errors are *Error values to REJECT with: CodeProtocolError
// naming the key, or CodeUnknownSubInterface.
func ParseOpen(p []byte, opener Side) (Open, error) {
	tp := parseTextPayload("OPEN", p)
	var o Open
	o.Interface = tp.str("interface", true, maxInterfaceBytes)
	if tp.err == nil && o.Interface == "" {
		tp.fail("^interface is empty")
	}
	o.Sub = SubData
	if s := tp.str("sub", false, 64); tp.err == nil && s != "" {
		sub, err := ParseSub(s)
		if err != nil {
			return Open{}, err
		}
		o.Sub = sub
	}
	if d := tp.str("direction", true, 64); tp.err == nil {
		dir, err := ParseDirection(d)
		if err != nil {
			tp.fail("%s", err.(*Error).Msg)
		}
		o.Direction = dir
	}
	o.Credit = tp.credit(tp.err == nil && o.Receives(opener))
	o.Meta, _ = tp.propMap("meta")
	if tp.err != nil {
		return Open{}, tp.err
	}
	return o, nil
}

// Accept is the content of an ACCEPT frame (PROTOCOL.md section 4.2).
type Accept struct {
	// Credit is the initial credit of the acceptor's receiving direction;
	// zero when the acceptor does not receive on this link.
	Credit Grant
	// ManifestHash is the content hash of the interface's manifest
	// ("sha256:..."), or "".
	ManifestHash string
}

// AppendAcceptFrame appends the ACCEPT frame for link.
func AppendAcceptFrame(dst []byte, link uint32, a Accept) []byte {
	var pb propsBuilder
	if a.Credit != (Grant{}) {
		pb.int("msgs", int64(a.Credit.Msgs))
		pb.int("bytes", int64(a.Credit.Bytes))
	}
	if a.ManifestHash != "" {
		pb.str("manifest-hash", a.ManifestHash)
	}
	dst, _ = appendTextFrame(dst, TypeAccept, link, pb.build(), false)
	return dst
}

// ParseAccept decodes an ACCEPT payload; receives tells whether the
// acceptor receives on the link (then ^msgs and ^bytes are required).
// Errors are PROTOCOL_ERROR *Error values: the opener resets the link.
func ParseAccept(p []byte, receives bool) (Accept, error) {
	tp := parseTextPayload("ACCEPT", p)
	var a Accept
	a.Credit = tp.credit(receives)
	a.ManifestHash = tp.str("manifest-hash", false, 1024)
	if tp.err != nil {
		return Accept{}, tp.err
	}
	return a, nil
}
