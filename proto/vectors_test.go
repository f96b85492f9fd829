package proto

import (
	"bytes"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/genehost/genehost/gene"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite testdata/vectors and the vector section of PROTOCOL.md from the encoder")

// vecPart is one frame (or the preface) of a vector: the bytes the encoder
// makes, and what the decoder must make of them.
type vecPart struct {
	what  string // comment on the header line
	bytes []byte
	// typed is what the payload decodes to (Grant, *Error, GoAway, Hello,
	// ...); nil means the payload is checked as raw bytes only.
	typed any
	text  bool   // the payload is UTF-8 text: show it beside the hex
	note  string // comment on the first payload line of a binary payload
	// value, when set, is the Gene text of the value that this DATA frame
	// completes, decoded with enc.
	value string
	enc   Encoding
}

type vector struct {
	name string
	doc  string // a sentence for PROTOCOL.md
	// preface is true when the vector starts with the 8-byte preface.
	preface bool
	parts   []vecPart
}

func frameBytes(f func([]byte) []byte) []byte { return f(nil) }

// frameVectors are the vectors that need nothing but this file's code;
// handshake and value vectors add more in their own files.
var frameVectors = []vector{
	{
		name: "preface", doc: "The preface each side sends first (protocol version 1).",
		preface: true,
		parts:   []vecPart{{what: "preface: 0x89 GENE CR LF, version 1", bytes: Preface[:]}},
	},
	{
		name: "reject", doc: "The host refuses link 3: REJECT with code 12 (UNKNOWN_INTERFACE) and a text.",
		parts: []vecPart{{
			what:  "REJECT link 3: UNKNOWN_INTERFACE",
			bytes: AppendRejectFrame(nil, 3, Errorf(CodeUnknownInterface, `no interface "kv2"`)),
			typed: Errorf(CodeUnknownInterface, `no interface "kv2"`),
			text:  true,
		}},
	},
	{
		name: "data-fragmented", doc: "One Gene text value, `[\"fragmented\" \"value\"]`, on link 1 in three DATA frames: MORE, MORE, then END (the client's last value: its direction ends with it).",
		parts: []vecPart{
			{what: "DATA link 1, MORE", bytes: AppendFrame(nil, TypeData, FlagMore, 1, []byte(`["fragm`)), text: true},
			{what: "DATA link 1, MORE", bytes: AppendFrame(nil, TypeData, FlagMore, 1, []byte(`ented" "va`)), text: true},
			{what: "DATA link 1, END", bytes: AppendFrame(nil, TypeData, FlagEnd, 1, []byte(`lue"]`)), text: true,
				enc: EncodingText, value: `["fragmented" "value"]`},
		},
	},
	{
		name: "end", doc: "The host ends its direction of link 2 without a value: an empty DATA frame with END.",
		parts: []vecPart{{what: "DATA link 2, END, empty", bytes: AppendEndFrame(nil, 2)}},
	},
	{
		name: "credit", doc: "The client grants on link 1: up to 512 values and 33554432 bytes in total (absolute limits).",
		parts: []vecPart{{what: "CREDIT link 1", bytes: AppendCreditFrame(nil, 1, Grant{Msgs: 512, Bytes: 32 << 20}), typed: Grant{Msgs: 512, Bytes: 32 << 20},
			note: "messages 512 (u64), bytes 33554432 (u64)"}},
	},
	{
		name: "window", doc: "The host raises the client's transport window to 134217728 bytes in total: CREDIT on link 0.",
		parts: []vecPart{{what: "CREDIT link 0 (transport window)", bytes: AppendCreditFrame(nil, 0, Grant{Bytes: 128 << 20}), typed: Grant{Bytes: 128 << 20},
			note: "messages 0 (ignored), bytes 134217728"}},
	},
	{
		name: "reset", doc: "The host resets link 1 with code 7 (FLOW_CONTROL).",
		parts: []vecPart{{
			what:  "RESET link 1: FLOW_CONTROL",
			bytes: AppendResetFrame(nil, 1, Errorf(CodeFlowControl, "link 1: value 65 exceeds the message limit 64")),
			typed: Errorf(CodeFlowControl, "link 1: value 65 exceeds the message limit 64"),
			text:  true,
		}},
	},
	{
		name: "ping", doc: "A PING and the PONG that answers it.",
		parts: []vecPart{
			{what: "PING", bytes: AppendPingFrame(nil, [8]byte{0, 0, 0, 0, 0, 0, 0x30, 0x39}), typed: [8]byte{0, 0, 0, 0, 0, 0, 0x30, 0x39}, note: "8 opaque bytes"},
			{what: "PONG", bytes: AppendPongFrame(nil, [8]byte{0, 0, 0, 0, 0, 0, 0x30, 0x39}), typed: [8]byte{0, 0, 0, 0, 0, 0, 0x30, 0x39}, note: "the PING's 8 bytes"},
		},
	},
	{
		name: "goaway", doc: "The host starts a graceful drain: GOAWAY, last link 7, code 10 (SHUTDOWN).",
		parts: []vecPart{{
			what:  "GOAWAY last 7: SHUTDOWN",
			bytes: AppendGoAwayFrame(nil, GoAway{Last: 7, Code: CodeShutdown, Text: "host shutting down"}),
			typed: GoAway{Last: 7, Code: CodeShutdown, Text: "host shutting down"},
			text:  true,
		}},
	},
	{
		name: "ignorable", doc: "A frame of a type this version does not know (0x40) with the IGNORABLE flag: a receiver skips it.",
		parts: []vecPart{{what: "TYPE(0x40) IGNORABLE, link 0", bytes: AppendFrame(nil, 0x40, FlagIgnorable, 0, []byte{1, 2, 3})}},
	},
}

// allVectors is every vector in the order PROTOCOL.md shows them; files
// that add vectors append to extraVectors in init.
var extraVectors []vector

func allVectors() []vector {
	order := []string{"preface", "client-hello", "host-welcome", "host-refusal", "open", "accept", "reject",
		"data-text", "data-binary", "data-fragmented", "end", "credit", "window", "reset", "ping", "goaway", "ignorable"}
	byName := map[string]vector{}
	for _, v := range append(append([]vector{}, frameVectors...), extraVectors...) {
		byName[v.name] = v
	}
	var out []vector
	for _, n := range order {
		if v, ok := byName[n]; ok {
			out = append(out, v)
			delete(byName, n)
		}
	}
	for _, v := range append(append([]vector{}, frameVectors...), extraVectors...) {
		if _, ok := byName[v.name]; ok {
			out = append(out, v)
		}
	}
	return out
}

func (v vector) bytes() []byte {
	var b []byte
	for _, p := range v.parts {
		b = append(b, p.bytes...)
	}
	return b
}

// render writes the annotated hex of v: one header line per frame, then
// the payload 16 bytes a line, with the text beside it for text payloads.
func (v vector) render() string {
	var sb strings.Builder
	for i, p := range v.parts {
		if v.preface && i == 0 {
			fmt.Fprintf(&sb, "%s  # %s\n", hexBytes(p.bytes), p.what)
			continue
		}
		h, _ := ParseHeader(p.bytes)
		fmt.Fprintf(&sb, "%s  # %s (type %s, flags %s, link %d, length %d)\n",
			hexBytes(p.bytes[:HeaderSize]), p.what, h.Type, h.Flags, h.Link, h.Length)
		payload := p.bytes[HeaderSize:]
		if p.text && len(payload) > 16 && isText(payload) {
			fmt.Fprintf(&sb, "# payload: %s\n", payload)
		}
		for len(payload) > 0 {
			n := min(16, len(payload))
			line := hexBytes(payload[:n])
			switch {
			case p.text:
				line = fmt.Sprintf("%-47s  # %s", line, printable(payload[:n]))
			case p.note != "":
				line = fmt.Sprintf("%-47s  # %s", line, p.note)
				p.note = ""
			}
			sb.WriteString(line + "\n")
			payload = payload[n:]
		}
	}
	return sb.String()
}

func hexBytes(b []byte) string {
	s := make([]string, len(b))
	for i, c := range b {
		s[i] = fmt.Sprintf("%02x", c)
	}
	return strings.Join(s, " ")
}

// isText reports whether b is printable ASCII, so it can be shown whole.
func isText(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

func printable(b []byte) string {
	r := []byte(string(b))
	for i, c := range r {
		if c < 0x20 || c > 0x7e {
			r[i] = '.'
		}
	}
	return string(r)
}

// parseHex reads the vector format: hex byte pairs separated by spaces,
// '#' to the end of the line is a comment.
func parseHex(t *testing.T, s string) []byte {
	t.Helper()
	var out []byte
	for i, line := range strings.Split(s, "\n") {
		if j := strings.IndexByte(line, '#'); j >= 0 {
			line = line[:j]
		}
		for _, tok := range strings.Fields(line) {
			b, err := hex.DecodeString(tok)
			require.NoError(t, err, "line %d: token %q", i+1, tok)
			out = append(out, b...)
		}
	}
	return out
}

func vectorPath(name string) string { return filepath.Join("testdata", "vectors", name+".hex") }

func TestVectorsEncode(t *testing.T) {
	if *update {
		writeVectors(t)
	}
	for _, v := range allVectors() {
		t.Run(v.name, func(t *testing.T) {
			data, err := os.ReadFile(vectorPath(v.name))
			require.NoError(t, err)
			require.Equal(t, hexBytes(parseHex(t, string(data))), hexBytes(v.bytes()), "encoder output differs from %s", vectorPath(v.name))
		})
	}
}

func TestVectorsDecode(t *testing.T) {
	for _, v := range allVectors() {
		t.Run(v.name, func(t *testing.T) {
			data, err := os.ReadFile(vectorPath(v.name))
			require.NoError(t, err)
			r := NewReader(bytes.NewReader(parseHex(t, string(data))))
			parts := v.parts
			if v.preface {
				ver, err := r.ReadPreface()
				require.NoError(t, err)
				require.Equal(t, Version, ver)
				parts = parts[1:]
			}
			var asm Assembler
			for i, p := range parts {
				f, err := r.ReadFrame()
				require.NoError(t, err, "frame %d", i)
				want, err := ParseHeader(p.bytes)
				require.NoError(t, err)
				require.Equal(t, want, f.Header, "frame %d", i)
				require.Equal(t, p.bytes[HeaderSize:], append([]byte{}, f.Payload...), "frame %d payload", i)
				if p.typed != nil {
					got, err := decodeTyped(f)
					require.NoError(t, err, "frame %d", i)
					require.Equal(t, canon(p.typed), canon(got), "frame %d", i)
				}
				if f.Type == TypeData {
					v, done, err := asm.Add(f.Payload, f.Flags)
					require.NoError(t, err)
					require.Equal(t, p.value != "", done, "frame %d completes a value", i)
					if done {
						got, err := DecodeValue(p.enc, v, gene.Limits{})
						require.NoError(t, err)
						require.Equal(t, p.value, gene.Format(got))
					}
				}
			}
			_, err = r.ReadFrame()
			require.ErrorIs(t, err, io.EOF, "trailing bytes after the vector's frames")
		})
	}
}

// canon makes decoded payloads comparable: Gene values inside them are
// compared by their text.
func canon(x any) any {
	if o, ok := x.(Open); ok {
		meta := gene.Format(gene.PropMap(o.Meta...))
		o.Meta = nil
		return struct {
			Open
			Meta string
		}{o, meta}
	}
	return x
}

// typedDecoders maps frame types to the parse function the vectors check;
// handshake files add theirs.
var typedDecoders = map[Type]func(Frame) (any, error){
	TypeCredit: func(f Frame) (any, error) { return ParseCredit(f.Payload) },
	TypeReset:  func(f Frame) (any, error) { return ParseReason(f.Payload) },
	TypeReject: func(f Frame) (any, error) { return ParseReason(f.Payload) },
	TypeGoAway: func(f Frame) (any, error) { return ParseGoAway(f.Payload) },
	TypePing:   func(f Frame) (any, error) { return ParsePing(f.Payload) },
	TypePong:   func(f Frame) (any, error) { return ParsePing(f.Payload) },
}

func decodeTyped(f Frame) (any, error) {
	d, ok := typedDecoders[f.Type]
	if !ok {
		return nil, fmt.Errorf("no typed decoder for %s", f.Type)
	}
	return d(f)
}

const (
	vectorsMarker    = "<!-- vectors -->\n"
	vectorsEndMarker = "<!-- /vectors -->"
)

// vectorsSection is what PROTOCOL.md holds after the marker.
func vectorsSection() string {
	var sb strings.Builder
	for _, v := range allVectors() {
		fmt.Fprintf(&sb, "\n### `%s`\n\n%s\n\n<!-- vector: %s -->\n```\n%s```\n", v.name, v.doc, v.name, v.render())
	}
	return sb.String()
}

func writeVectors(t *testing.T) {
	for _, v := range allVectors() {
		head := "# " + v.name + ": " + v.doc + "\n"
		require.NoError(t, os.WriteFile(vectorPath(v.name), []byte(head+v.render()), 0o644))
	}
	doc, err := os.ReadFile("../PROTOCOL.md")
	require.NoError(t, err)
	i := bytes.Index(doc, []byte(vectorsMarker))
	require.GreaterOrEqual(t, i, 0, "PROTOCOL.md has no %q", vectorsMarker)
	j := bytes.Index(doc, []byte(vectorsEndMarker))
	require.Greater(t, j, i, "PROTOCOL.md has no %q after %q", vectorsEndMarker, vectorsMarker)
	// The section between the markers is rewritten; what follows it
	// (appendix A) is kept.
	out := append(doc[:i+len(vectorsMarker):i+len(vectorsMarker)], vectorsSection()...)
	out = append(append(out, '\n'), doc[j:]...)
	require.NoError(t, os.WriteFile("../PROTOCOL.md", out, 0o644))
}

var vectorBlock = regexp.MustCompile("(?s)<!-- vector: ([a-z0-9-]+) -->\n```\n(.*?)```")

// TestProtocolDocShowsVectors checks that PROTOCOL.md shows every vector
// with the same bytes as its file.
func TestProtocolDocShowsVectors(t *testing.T) {
	doc, err := os.ReadFile("../PROTOCOL.md")
	require.NoError(t, err)
	shown := map[string][]byte{}
	for _, m := range vectorBlock.FindAllStringSubmatch(string(doc), -1) {
		shown[m[1]] = parseHex(t, m[2])
	}
	for _, v := range allVectors() {
		t.Run(v.name, func(t *testing.T) {
			b, ok := shown[v.name]
			require.True(t, ok, "PROTOCOL.md does not show vector %s", v.name)
			data, err := os.ReadFile(vectorPath(v.name))
			require.NoError(t, err)
			require.Equal(t, hexBytes(parseHex(t, string(data))), hexBytes(b))
		})
	}
}
