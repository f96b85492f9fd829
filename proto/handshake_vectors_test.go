package proto

import (
	"time"

	"github.com/genehost/genehost/gene"
)

// The handshake, link and value vectors: their payloads are Gene text or
// Gene binary.

var vecHello = Hello{
	Version:   1,
	Encodings: []Encoding{EncodingBinary, EncodingText},
	Name:      "genehost-go/0.1.0",
	Keepalive: 30 * time.Second,
	Window:    64 << 20,
	Limits:    Limits{MaxMessageBytes: 4 << 20},
}

// vecRefusal is the GOAWAY the host's own Negotiate makes, with the host's
// default settings, for a HELLO that offers only json/1: the vector is
// what genehost sends (host/raw_test.go compares it with the bytes a
// running host writes).
var vecRefusal = func() GoAway {
	_, err := Negotiate(Hello{Version: Version, Encodings: []Encoding{"json/1"}, Window: 1 << 20}, Config{})
	e := err.(*Error)
	return GoAway{Code: e.Code, Text: e.Msg}
}()

var vecWelcome = Welcome{
	Version:   1,
	Encoding:  EncodingBinary,
	Name:      "genehost/0.1.0",
	Keepalive: 30 * time.Second,
	Window:    64 << 20,
	Limits: Limits{
		MaxFrameBytes: 65536, MaxMessageBytes: 4 << 20, MaxLinks: 1024,
		MaxDepth: 256, MaxElements: 1 << 20, MaxStringBytes: 16 << 20, MaxIntDigits: 4096,
	},
}

var vecOpen = Open{
	Interface: "kv",
	Sub:       SubData,
	Direction: DirSendRecv,
	Credit:    Grant{Msgs: 64, Bytes: 1 << 20},
	Meta:      gene.Props{{Key: "token", Value: gene.String("s3cret")}},
}

var vecAccept = Accept{
	Credit:       Grant{Msgs: 128, Bytes: 4 << 20},
	ManifestHash: "sha256:5a1d0c9e",
}

const vecValueText = `(put ^key "a" 1)`

func mustOpenFrame(link uint32, o Open) []byte {
	b, err := AppendOpenFrame(nil, link, o)
	if err != nil {
		panic(err)
	}
	return b
}

func init() {
	v := gene.MustParse(vecValueText)
	extraVectors = append(extraVectors,
		vector{
			name: "client-hello", doc: "What a client writes first: its preface, then HELLO offering both encodings (binary preferred), a 30 s keepalive, a 64 MiB transport window, and a 4 MiB limit on values.",
			preface: true,
			parts: []vecPart{
				{what: "preface", bytes: Preface[:]},
				{what: "HELLO", bytes: AppendHelloFrame(nil, vecHello), typed: vecHello, text: true},
			},
		},
		vector{
			name: "host-welcome", doc: "The host's answer: its preface, then WELCOME choosing gene-binary/1 and stating every limit in force.",
			preface: true,
			parts: []vecPart{
				{what: "preface", bytes: Preface[:]},
				{what: "WELCOME", bytes: AppendWelcomeFrame(nil, vecWelcome), typed: vecWelcome, text: true},
			},
		},
		vector{
			name: "host-refusal", doc: "The host refuses a HELLO that offered only `json/1`: its preface, then GOAWAY with last link 0, code 4 (UNSUPPORTED_ENCODING) and a text naming what each side supports, then it closes. These are the bytes genehost writes with its default settings (`host/raw_rules_test.go` checks it).",
			preface: true,
			parts: []vecPart{
				{what: "preface", bytes: Preface[:]},
				{
					what:  "GOAWAY last 0: UNSUPPORTED_ENCODING",
					bytes: AppendGoAwayFrame(nil, vecRefusal),
					typed: vecRefusal,
					text:  true,
				},
			},
		},
		vector{
			name: "open", doc: "The client opens link 1 on the data sub-interface of `kv`, both ways, granting 64 values and 1 MiB for what it receives, with a token in the metadata.",
			parts: []vecPart{{what: "OPEN link 1", bytes: mustOpenFrame(1, vecOpen), typed: vecOpen, text: true}},
		},
		vector{
			name: "accept", doc: "The host accepts link 1, granting 128 values and 4 MiB for what it receives, with the manifest's hash.",
			parts: []vecPart{{what: "ACCEPT link 1", bytes: AppendAcceptFrame(nil, 1, vecAccept), typed: vecAccept, text: true}},
		},
		vector{
			name: "data-text", doc: "The value `" + vecValueText + "` on link 1 in one DATA frame, encoding gene-text/1.",
			parts: []vecPart{{
				what: "DATA link 1", bytes: AppendFrame(nil, TypeData, 0, 1, []byte(vecValueText)), text: true,
				enc: EncodingText, value: vecValueText,
			}},
		},
		vector{
			name: "data-binary", doc: "The same value in one DATA frame, encoding gene-binary/1: node with head, props and body (`ce 0b`), head symbol `put`, one prop `key` = string `a`, one body value 1.",
			parts: []vecPart{{
				what: "DATA link 1", bytes: AppendFrame(nil, TypeData, 0, 1, gene.AppendBinary(nil, v)),
				note: "ce 0b | 63 'put' | 01 03 'key' 41 'a' | 01 01", enc: EncodingBinary, value: vecValueText,
			}},
		},
	)
	typedDecoders[TypeHello] = func(f Frame) (any, error) { return ParseHello(f.Payload) }
	typedDecoders[TypeWelcome] = func(f Frame) (any, error) { return ParseWelcome(f.Payload) }
	typedDecoders[TypeOpen] = func(f Frame) (any, error) { return ParseOpen(f.Payload, SideClient) }
	typedDecoders[TypeAccept] = func(f Frame) (any, error) { return ParseAccept(f.Payload, true) }
}
