package proto

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/genehost/genehost/gene"
)

// Hello is the client's handshake (PROTOCOL.md section 5.1).
type Hello struct {
	// Version is the protocol version: Version.
	Version int
	// Encodings are the payload encodings offered, most preferred first.
	// Names this package does not know are kept (a host skips them).
	Encodings []Encoding
	// Name is the client software and version, for logs (at most 256
	// bytes); "" leaves it out.
	Name string
	// Keepalive is the interval the client wants, in whole milliseconds; 0
	// means no preference.
	Keepalive time.Duration
	// Window is the client's initial transport window in bytes: what the
	// host may send on data links before the first CREDIT on link 0.
	Window uint64
	// Limits are the largest limits the client accepts; zero fields mean
	// no preference.
	Limits Limits
}

// Welcome is the host's answer (PROTOCOL.md section 5.2): the terms in
// force on the transport.
type Welcome struct {
	Version  int
	Encoding Encoding // the DATA encoding for this transport
	Name     string   // host software and version
	// Keepalive is the interval in force; 0 disables keepalive.
	Keepalive time.Duration
	// Window is the host's initial transport window in bytes: what the
	// client may send on data links before the first CREDIT on link 0.
	Window uint64
	// Limits are every limit in force; no field is zero.
	Limits Limits
}

// NewHello returns the HELLO a client with settings c sends: c's
// encodings, name and transport window (defaults applied), its keepalive
// unless negative, and only the limits c sets (zero fields stay "no
// preference").
func NewHello(c Config) Hello {
	d := c.WithDefaults()
	h := Hello{
		Version:   Version,
		Encodings: d.Encodings,
		Name:      c.Name,
		Window:    uint64(d.TransportWindow),
		Limits:    c.Limits,
	}
	if d.Keepalive > 0 {
		h.Keepalive = d.Keepalive
	}
	return h
}

func appendLimits(pb *propsBuilder, l Limits, all bool) {
	var lp propsBuilder
	for _, f := range limitFields {
		if v := *f.get(&l); v != 0 || all {
			lp.int(f.key, int64(v))
		}
	}
	if len(lp) > 0 || all {
		pb.value("limits", lp.build())
	}
}

// AppendHelloFrame appends the HELLO frame for h.
func AppendHelloFrame(dst []byte, h Hello) []byte {
	var pb propsBuilder
	pb.int("version", int64(h.Version))
	encs := make([]gene.Value, len(h.Encodings))
	for i, e := range h.Encodings {
		encs[i] = gene.String(string(e))
	}
	pb.value("encodings", gene.List(encs...))
	if h.Name != "" {
		pb.str("name", h.Name)
	}
	if h.Keepalive > 0 {
		pb.int("keepalive", h.Keepalive.Milliseconds())
	}
	pb.int("window", int64(h.Window))
	appendLimits(&pb, h.Limits, false)
	dst, _ = appendTextFrame(dst, TypeHello, 0, pb.build(), false)
	return dst
}

// AppendWelcomeFrame appends the WELCOME frame for w.
func AppendWelcomeFrame(dst []byte, w Welcome) []byte {
	var pb propsBuilder
	pb.int("version", int64(w.Version))
	pb.str("encoding", string(w.Encoding))
	if w.Name != "" {
		pb.str("name", w.Name)
	}
	pb.int("keepalive", w.Keepalive.Milliseconds())
	pb.int("window", int64(w.Window))
	appendLimits(&pb, w.Limits, true)
	dst, _ = appendTextFrame(dst, TypeWelcome, 0, pb.build(), false)
	return dst
}

// readLimits reads ^limits; every key is required when all is set.
func (tp *textPayload) limits(all bool) Limits {
	var l Limits
	lp, ok := tp.propMap("limits")
	if !ok {
		if all {
			tp.get("limits", true)
		}
		return l
	}
	sub := &textPayload{frame: tp.frame + " ^limits", props: lp}
	for _, f := range limitFields {
		if n, ok := sub.integer(f.key, all, int64(f.min), int64(f.max)); ok {
			*f.get(&l) = int(n)
		}
	}
	if tp.err == nil {
		tp.err = sub.err
	}
	return l
}

// maxKeepaliveMs bounds keepalive values on the wire: one day.
const maxKeepaliveMs = 24 * 3600 * 1000

// ParseHello decodes and checks a HELLO payload. Errors are *Error values
// with the code of the refusal to send: CodeUnsupportedVersion for another
// version, CodeProtocolError (naming the key) for anything malformed.
func ParseHello(p []byte) (Hello, error) {
	tp := parseTextPayload("HELLO", p)
	var h Hello
	v, _ := tp.integer("version", true, 0, 1<<31-1)
	h.Version = int(v)
	if tp.err == nil && h.Version != Version {
		return Hello{}, Errorf(CodeUnsupportedVersion, "the client speaks protocol version %d; this host speaks %d", h.Version, Version)
	}
	for _, e := range tp.strings("encodings", true) {
		h.Encodings = append(h.Encodings, Encoding(e))
	}
	if tp.err == nil && len(h.Encodings) == 0 {
		tp.fail("^encodings is empty")
	}
	h.Name = tp.str("name", false, maxNameBytes)
	k, _ := tp.integer("keepalive", false, 0, maxKeepaliveMs)
	h.Keepalive = time.Duration(k) * time.Millisecond
	w, _ := tp.integer("window", true, MinWindow, maxWindow)
	h.Window = uint64(w)
	h.Limits = tp.limits(false)
	if tp.err != nil {
		return Hello{}, tp.err
	}
	return h, nil
}

// ParseWelcome decodes a WELCOME payload. It checks the form only; the
// client checks the terms against its HELLO with Welcome.Check.
func ParseWelcome(p []byte) (Welcome, error) {
	tp := parseTextPayload("WELCOME", p)
	var w Welcome
	v, _ := tp.integer("version", true, 0, 1<<31-1)
	w.Version = int(v)
	w.Encoding = Encoding(tp.str("encoding", true, 64))
	w.Name = tp.str("name", false, maxNameBytes)
	k, _ := tp.integer("keepalive", true, 0, maxKeepaliveMs)
	w.Keepalive = time.Duration(k) * time.Millisecond
	win, _ := tp.integer("window", true, MinWindow, maxWindow)
	w.Window = uint64(win)
	w.Limits = tp.limits(true)
	if tp.err != nil {
		return Welcome{}, tp.err
	}
	return w, nil
}

// Negotiate settles the handshake on the host (PROTOCOL.md section 5.2):
// from the client's HELLO and the host's settings it returns the WELCOME
// to send, or an *Error to refuse with (in a GOAWAY):
// CodeUnsupportedVersion or CodeUnsupportedEncoding.
func Negotiate(h Hello, host Config) (Welcome, error) {
	c := host.WithDefaults()
	if h.Version != Version {
		return Welcome{}, Errorf(CodeUnsupportedVersion, "the client speaks protocol version %d; this host speaks %d", h.Version, Version)
	}
	w := Welcome{Version: Version, Name: c.Name, Window: uint64(c.TransportWindow)}
	for _, e := range h.Encodings {
		if slices.Contains(c.Encodings, e) {
			w.Encoding = e
			break
		}
	}
	if w.Encoding == "" {
		return Welcome{}, Errorf(CodeUnsupportedEncoding, "the client offers %q; this host supports %q", h.Encodings, c.Encodings)
	}
	w.Limits = c.Limits.Min(h.Limits)
	// A largest value must fit both transport windows (section 8.4).
	w.Limits.MaxMessageBytes = int(min(uint64(w.Limits.MaxMessageBytes), h.Window, w.Window))
	w.Keepalive = negotiateKeepalive(max(c.Keepalive, 0), h.Keepalive)
	return w, nil
}

// negotiateKeepalive applies the rule of section 5.2: with host setting
// hk (0 = none) and client wish ck (0 = none), K = hk if ck = 0, else
// max(1s, ck) if hk = 0, else max(1s, min(ck, hk)).
func negotiateKeepalive(hk, ck time.Duration) time.Duration {
	switch {
	case ck <= 0:
		return hk
	case hk <= 0:
		return max(minKeepalive, ck)
	}
	return max(minKeepalive, min(ck, hk))
}

// Check verifies a WELCOME against the HELLO the client sent: version,
// an encoding it offered, limits in range and not above its wishes,
// max-message-bytes within both windows. An error is a PROTOCOL_ERROR.
func (w Welcome) Check(h Hello) error {
	if w.Version != Version {
		return protoErr("WELCOME: the host answered with protocol version %d; this client speaks %d", w.Version, Version)
	}
	if !slices.Contains(h.Encodings, w.Encoding) {
		return protoErr("WELCOME: the host chose encoding %q, which the client did not offer (%q)", w.Encoding, h.Encodings)
	}
	if !w.Encoding.Known() {
		return protoErr("WELCOME: encoding %q is not implemented here", w.Encoding)
	}
	for _, f := range limitFields {
		got, wish := *f.get(&w.Limits), *f.get(&h.Limits)
		if got < f.min || got > f.max {
			return protoErr("WELCOME: limit %s is %d; it must be between %d and %d", f.key, got, f.min, f.max)
		}
		if wish != 0 && got > wish {
			return protoErr("WELCOME: limit %s is %d, above the %d the client asked for", f.key, got, wish)
		}
	}
	if m := uint64(w.Limits.MaxMessageBytes); m > w.Window || m > h.Window {
		return protoErr("WELCOME: max-message-bytes %d exceeds a transport window (host %d, client %d)", m, w.Window, h.Window)
	}
	if w.Keepalive < 0 {
		return protoErr("WELCOME: negative keepalive")
	}
	return nil
}

// readHandshakeFrame reads the first frame after the peer's preface,
// which must be want, or a GOAWAY (returned as its *Error).
func readHandshakeFrame(r *Reader, want Type) (Frame, error) {
	f, err := r.ReadFrame()
	if err != nil {
		return Frame{}, err
	}
	switch f.Type {
	case want:
		return f, nil
	case TypeGoAway:
		g, err := ParseGoAway(f.Payload)
		if err != nil {
			return Frame{}, err
		}
		if g.Code == CodeNoError {
			g.Code = CodeShutdown
		}
		return Frame{}, &Error{Code: g.Code, Msg: "refused by the peer: " + g.Text}
	}
	return Frame{}, protoErr("expected %s during the handshake, got %s", want, f.Header)
}

// ClientHandshake runs the client's side of the handshake on a new
// stream: it writes the preface and HELLO to w, reads the host's preface
// and WELCOME from r, checks the WELCOME against h, and sets r's frame
// limit to the max-frame-bytes in force. A refusal is returned as an
// *Error with the GOAWAY's code; a peer that is not a genehost host gives
// an error matching ErrBadPreface. The caller sets a deadline on the
// connection: the handshake does not time out by itself.
func ClientHandshake(r *Reader, w io.Writer, h Hello) (Welcome, error) {
	out := append(Preface[:len(Preface):len(Preface)], AppendHelloFrame(nil, h)...)
	if _, err := w.Write(out); err != nil {
		return Welcome{}, fmt.Errorf("proto: writing HELLO: %w", err)
	}
	v, err := r.ReadPreface()
	if err != nil {
		return Welcome{}, err
	}
	f, err := readHandshakeFrame(r, TypeWelcome)
	if err != nil {
		if v != Version {
			return Welcome{}, fmt.Errorf("proto: the host speaks protocol version %d, this client %d: %w", v, Version, err)
		}
		return Welcome{}, err
	}
	if v != Version {
		return Welcome{}, Errorf(CodeUnsupportedVersion, "the host speaks protocol version %d; this client speaks %d", v, Version)
	}
	wel, err := ParseWelcome(f.Payload)
	if err != nil {
		return Welcome{}, err
	}
	if err := wel.Check(h); err != nil {
		return Welcome{}, err
	}
	r.SetMaxFrameBytes(wel.Limits.MaxFrameBytes)
	return wel, nil
}

// HostHandshake runs the host's side of the handshake on an accepted
// stream: it reads the client's preface and HELLO from r, settles the
// terms with Negotiate, writes the host's preface and WELCOME to w, and
// sets r's frame limit. On failure it answers as PROTOCOL.md section 2 and
// 5 say (the plain-text refusal for a bad preface, otherwise the preface
// and a GOAWAY) and returns the error; the caller closes the stream. The
// caller sets a deadline on the connection.
func HostHandshake(r *Reader, w io.Writer, cfg Config) (Hello, Welcome, error) {
	v, err := r.ReadPreface()
	if err != nil {
		if errors.Is(err, ErrBadPreface) {
			_, _ = io.WriteString(w, BadPrefaceReply)
		}
		return Hello{}, Welcome{}, err
	}
	refuse := func(e error) (Hello, Welcome, error) {
		code := CodeOf(e)
		out := append(Preface[:len(Preface):len(Preface)], AppendGoAwayFrame(nil, GoAway{Code: code, Text: errorText(e)})...)
		if _, werr := w.Write(out); werr != nil {
			return Hello{}, Welcome{}, errors.Join(e, fmt.Errorf("proto: writing GOAWAY: %w", werr))
		}
		return Hello{}, Welcome{}, e
	}
	if v != Version {
		return refuse(Errorf(CodeUnsupportedVersion, "the client speaks protocol version %d; this host speaks %d", v, Version))
	}
	f, err := readHandshakeFrame(r, TypeHello)
	if err != nil {
		var pe *Error
		if errors.As(err, &pe) {
			return refuse(err)
		}
		return Hello{}, Welcome{}, err
	}
	h, err := ParseHello(f.Payload)
	if err != nil {
		return refuse(err)
	}
	wel, err := Negotiate(h, cfg)
	if err != nil {
		return refuse(err)
	}
	out := append(Preface[:len(Preface):len(Preface)], AppendWelcomeFrame(nil, wel)...)
	if _, err := w.Write(out); err != nil {
		return Hello{}, Welcome{}, fmt.Errorf("proto: writing WELCOME: %w", err)
	}
	r.SetMaxFrameBytes(wel.Limits.MaxFrameBytes)
	return h, wel, nil
}

// errorText is the text to send for err: an *Error's message, or the
// error's text.
func errorText(err error) string {
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Msg
	}
	return err.Error()
}
