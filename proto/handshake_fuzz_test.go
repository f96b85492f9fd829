package proto

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/genehost/genehost/gene"
)

// The parsers FuzzControlPayload drives, chosen by the first fuzz
// argument (modulo their number).
const (
	fzHello = iota
	fzWelcome
	fzOpenByClient
	fzOpenByHost
	fzAccept
	fzAcceptNoRecv
	fzCredit
	fzGoAway
	fzReason
	fzPing
	fzKinds
)

// seedPayloads adds the payload of every frame in the test vectors, each
// with the parser of its type.
func seedPayloads(f *testing.F) {
	entries, err := os.ReadDir(filepath.Join("testdata", "vectors"))
	if err != nil {
		f.Fatal(err)
	}
	kindOf := map[Type][]uint8{
		TypeHello: {fzHello}, TypeWelcome: {fzWelcome}, TypeOpen: {fzOpenByClient, fzOpenByHost},
		TypeAccept: {fzAccept, fzAcceptNoRecv}, TypeCredit: {fzCredit}, TypeGoAway: {fzGoAway},
		TypeReject: {fzReason}, TypeReset: {fzReason}, TypePing: {fzPing}, TypePong: {fzPing},
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join("testdata", "vectors", e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		b := parseHexF(data)
		for len(b) > 0 {
			if bytes.HasPrefix(b, Preface[:]) {
				b = b[len(Preface):]
				continue
			}
			h, err := ParseHeader(b)
			if err != nil || len(b) < HeaderSize+int(h.Length) {
				break
			}
			for _, k := range kindOf[h.Type] {
				f.Add(k, b[HeaderSize:HeaderSize+int(h.Length)])
			}
			b = b[HeaderSize+int(h.Length):]
		}
	}
	f.Add(uint8(fzHello), []byte(`{^version 1 ^encodings ["gene-binary/1"] ^window 65536 ^limits {^max-frame-bytes 0}}`))
	f.Add(uint8(fzOpenByClient), []byte(`{^interface "kv" ^direction "send+recv" ^msgs 1 ^bytes 99999999999999999999 ^meta {^token "t"}}`))
	f.Add(uint8(fzGoAway), []byte("\x00\x00\x00\x01\x00\x0a\xff\xfe bye"))
}

// checkErr fails unless err is an *Error carrying a known, non-zero code.
func checkErr(t *testing.T, what string, err error) {
	t.Helper()
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("%s: error %T is not a *proto.Error: %v", what, err, err)
	}
	if pe.Code == CodeNoError || !pe.Code.Known() {
		t.Fatalf("%s: error with code %v: %v", what, pe.Code, err)
	}
	if !utf8.ValidString(pe.Msg) {
		t.Fatalf("%s: error text is not UTF-8: %q", what, pe.Msg)
	}
}

// payloadOf returns the payload of the single frame in b.
func payloadOf(t *testing.T, b []byte) []byte {
	t.Helper()
	h, err := ParseHeader(b)
	if err != nil || int(h.Length) != len(b)-HeaderSize {
		t.Fatalf("encoder wrote a bad frame % x: %v", b, err)
	}
	return b[HeaderSize:]
}

// FuzzControlPayload feeds arbitrary payloads to the handshake and control
// frame parsers. None may panic; every error is a *proto.Error with a
// known code; every payload a parser accepts re-encodes to one that
// parses to the same content; a HELLO the host accepts yields a WELCOME
// that the client's own check accepts.
func FuzzControlPayload(f *testing.F) {
	seedPayloads(f)
	f.Fuzz(func(t *testing.T, kind uint8, p []byte) {
		switch kind % fzKinds {
		case fzHello:
			h, err := ParseHello(p)
			if err != nil {
				checkErr(t, "HELLO", err)
				return
			}
			again, err := ParseHello(payloadOf(t, AppendHelloFrame(nil, h)))
			if err != nil || !reflect.DeepEqual(h, again) {
				t.Fatalf("HELLO round trip: %+v became %+v (%v)", h, again, err)
			}
			w, err := Negotiate(h, Config{})
			if err != nil {
				checkErr(t, "Negotiate", err)
				if c := CodeOf(err); c != CodeUnsupportedEncoding {
					t.Fatalf("Negotiate refused a parsed HELLO with %v: %v", c, err)
				}
				return
			}
			if err := w.Check(h); err != nil {
				t.Fatalf("the host's WELCOME %+v fails the client's check of HELLO %+v: %v", w, h, err)
			}
		case fzWelcome:
			w, err := ParseWelcome(p)
			if err != nil {
				checkErr(t, "WELCOME", err)
				return
			}
			again, err := ParseWelcome(payloadOf(t, AppendWelcomeFrame(nil, w)))
			if err != nil || !reflect.DeepEqual(w, again) {
				t.Fatalf("WELCOME round trip: %+v became %+v (%v)", w, again, err)
			}
		case fzOpenByClient, fzOpenByHost:
			side := SideClient
			if kind%fzKinds == fzOpenByHost {
				side = SideHost
			}
			o, err := ParseOpen(p, side)
			if err != nil {
				checkErr(t, "OPEN", err)
				return
			}
			b, err := AppendOpenFrame(nil, 1, o)
			if err != nil {
				return // metadata with no Gene text form (documented)
			}
			again, err := ParseOpen(payloadOf(t, b), side)
			if err != nil || !openEqual(o, again) {
				t.Fatalf("OPEN round trip: %+v became %+v (%v)", o, again, err)
			}
		case fzAccept, fzAcceptNoRecv:
			recv := kind%fzKinds == fzAccept
			a, err := ParseAccept(p, recv)
			if err != nil {
				checkErr(t, "ACCEPT", err)
				return
			}
			again, err := ParseAccept(payloadOf(t, AppendAcceptFrame(nil, 1, a)), recv)
			if err != nil || a != again {
				t.Fatalf("ACCEPT round trip: %+v became %+v (%v)", a, again, err)
			}
		case fzCredit:
			g, err := ParseCredit(p)
			if err != nil {
				checkErr(t, "CREDIT", err)
				return
			}
			again, err := ParseCredit(payloadOf(t, AppendCreditFrame(nil, 1, g)))
			if err != nil || g != again {
				t.Fatalf("CREDIT round trip: %+v became %+v (%v)", g, again, err)
			}
		case fzGoAway:
			g, err := ParseGoAway(p)
			if err != nil {
				checkErr(t, "GOAWAY", err)
				return
			}
			if !utf8.ValidString(g.Text) {
				t.Fatalf("GOAWAY text is not UTF-8: %q", g.Text)
			}
			again, err := ParseGoAway(payloadOf(t, AppendGoAwayFrame(nil, g)))
			if err != nil || again.Last != g.Last || again.Code != g.Code || !isPrefix(again.Text, g.Text) {
				t.Fatalf("GOAWAY round trip: %+v became %+v (%v)", g, again, err)
			}
		case fzReason:
			e, err := ParseReason(p)
			if err != nil {
				checkErr(t, "REJECT/RESET", err)
				return
			}
			if !utf8.ValidString(e.Msg) {
				t.Fatalf("reason text is not UTF-8: %q", e.Msg)
			}
			again, err := ParseReason(payloadOf(t, AppendResetFrame(nil, 1, e)))
			if err != nil || again.Code != e.Code || !isPrefix(again.Msg, e.Msg) {
				t.Fatalf("RESET round trip: %+v became %+v (%v)", e, again, err)
			}
		case fzPing:
			d, err := ParsePing(p)
			if err != nil {
				checkErr(t, "PING", err)
				return
			}
			if !bytes.Equal(d[:], p) {
				t.Fatalf("PING data % x, payload % x", d, p)
			}
		}
	})
}

// isPrefix reports whether clipped is text cut at most to MaxReasonBytes.
func isPrefix(clipped, text string) bool {
	if len(text) <= MaxReasonBytes {
		return clipped == text
	}
	return len(clipped) <= MaxReasonBytes && len(clipped) > MaxReasonBytes-utf8.UTFMax && text[:len(clipped)] == clipped
}

func openEqual(a, b Open) bool {
	return a.Interface == b.Interface && a.Sub == b.Sub && a.Direction == b.Direction && a.Credit == b.Credit &&
		bytes.Equal(gene.AppendBinary(nil, gene.PropMap(a.Meta...)), gene.AppendBinary(nil, gene.PropMap(b.Meta...))) // NaN too
}

// FuzzHostHandshake runs the host's side of the handshake on an arbitrary
// stream after a valid preface, cut at arbitrary points. It must not
// panic; errors are *proto.Error values or I/O errors; a refusal written
// back is a well-formed preface and GOAWAY; and when the host accepts,
// the client's side of the handshake accepts what the host wrote.
func FuzzHostHandshake(f *testing.F) {
	f.Add(AppendHelloFrame(nil, vecHello), []byte{})
	f.Add(AppendHelloFrame(nil, vecHello), []byte{1, 7, 3})
	f.Add(AppendHelloFrame(nil, Hello{Version: 2, Encodings: []Encoding{"x"}, Window: MinWindow}), []byte{})
	f.Add(AppendWelcomeFrame(nil, Welcome{Version: 1}), []byte{})
	f.Add(AppendGoAwayFrame(nil, GoAway{Code: CodeShutdown, Text: "bye"}), []byte{2})
	f.Fuzz(func(t *testing.T, data, splits []byte) {
		in := append(Preface[:len(Preface):len(Preface)], data...)
		var out bytes.Buffer
		h, w, err := HostHandshake(NewReader(&splitReader{data: in, splits: splits}), &out, Config{})
		if err != nil {
			var pe *Error
			if errors.As(err, &pe) {
				if !strings.Contains(pe.Msg, "refused by the peer") {
					// A client's GOAWAY keeps its own code, known or not.
					checkErr(t, "HostHandshake", err)
				}
				r := NewReader(bytes.NewReader(out.Bytes()))
				if _, perr := r.ReadPreface(); perr != nil {
					t.Fatalf("refusal without a preface: % x", out.Bytes())
				}
				fr, ferr := r.ReadFrame()
				if ferr != nil || fr.Type != TypeGoAway {
					t.Fatalf("refusal is not a GOAWAY: %v %v", fr.Header, ferr)
				}
				g, gerr := ParseGoAway(fr.Payload)
				if gerr != nil || g.Code != pe.Code {
					t.Fatalf("GOAWAY %+v for error %v (%v)", g, err, gerr)
				}
			}
			return
		}
		var discard bytes.Buffer
		got, err := ClientHandshake(NewReader(bytes.NewReader(out.Bytes())), &discard, h)
		if err != nil {
			t.Fatalf("the client refuses the host's answer to its own HELLO %+v: %v", h, err)
		}
		if !reflect.DeepEqual(got, w) {
			t.Fatalf("client read WELCOME %+v, host sent %+v", got, w)
		}
	})
}
