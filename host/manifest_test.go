package host

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/proto"
)

const kvManifest = `{^name "kv" ^version "1.0.0" ^description "A durable key-value store"
 ^direction "send+recv"
 ^validate true
 ^defs {^Key (string ^min-len 1)}
 ^messages {
   ^set {^from "client" ^doc "store a value"
         ^schema (gene ^head set ^props {^key (ref Key) ^value any})
         ^examples [(set ^key "a" ^value 1)] ^replies ["ok"]}
   ^get {^from "client" ^schema (gene ^head get ^props {^key (ref Key)}) ^replies ["ok" "error"]}
   ^ok  {^from "server" ^schema (gene ^head ok)}}
 ^control {^reset {^doc "delete every key" ^result int}}
 ^flow {^window 64 ^window-bytes 1048576 ^overflow "drop-oldest" ^queue 8 ^stall-timeout-ms 2500}}`

func TestParseManifest(t *testing.T) {
	m, err := ParseManifest(gene.MustParse(kvManifest))
	require.NoError(t, err)
	require.Equal(t, "kv", m.Name)
	require.Equal(t, proto.DirSendRecv, m.Direction)
	require.Len(t, m.Messages, 4, "the three declared and the standard error reply")
	require.Equal(t, proto.DirRecv, m.Messages[0].From)
	require.Equal(t, proto.DirSend, m.Messages[2].From)
	require.Equal(t, []string{"ok"}, m.Messages[0].Replies)
	require.Equal(t, []string{"ok", "error"}, m.Messages[1].Replies, "the standard error reply may be named though the host declares it")
	require.Equal(t, ErrorMessage, m.Messages[3].Name)
	require.Equal(t, proto.DirSend, m.Messages[3].From)
	require.NoError(t, m.Messages[3].Schema.Validate(gene.MustParse(`(error ^code "bad-request" ^message "no ^key" ^id 7)`)))
	require.NoError(t, m.Messages[3].Schema.Validate(gene.MustParse(`(error ^code "x" ^message "y")`)))
	require.Error(t, m.Messages[3].Schema.Validate(gene.MustParse(`(error ^message "no code")`)))
	require.Equal(t, DropOldest, m.Flow.Overflow)
	require.Equal(t, 8, m.Flow.Queue)
	op, ok := m.Operation("reset")
	require.True(t, ok)
	require.Equal(t, "delete every key", op.Doc)
	require.Nil(t, op.Args)

	// Incoming values are checked against the client's messages.
	require.NoError(t, m.CheckIncoming(gene.MustParse(`(set ^key "a" ^value [1 2])`)))
	require.NoError(t, m.CheckIncoming(gene.MustParse(`(get ^key "a")`)))
	err = m.CheckIncoming(gene.MustParse(`(set ^key "" ^value 1)`))
	require.ErrorContains(t, err, "^key")
	require.Error(t, m.CheckIncoming(gene.MustParse(`(ok)`)), "server messages are not accepted from clients")

	// The Gene form reads back to the same manifest, with the same hash.
	require.Regexp(t, `^sha256:[0-9a-f]{64}$`, m.Hash())
	again, err := ParseManifest(gene.MustParse(gene.Format(m.Value())))
	require.NoError(t, err)
	require.Equal(t, m.Hash(), again.Hash())
	require.True(t, gene.Equal(m.Value(), again.Value()))
}

func TestParseManifestErrorReply(t *testing.T) {
	// A sink's server sends nothing: no error reply is declared.
	m, err := ParseManifest(gene.MustParse(`{^name "sink" ^direction "recv"}`))
	require.NoError(t, err)
	require.Empty(t, m.Messages)
	// A plugin's own error message is kept as written.
	m, err = ParseManifest(gene.MustParse(`{^name "q" ^direction "send"
	  ^messages {^error {^from "server" ^schema (gene ^head error ^props {^code (enum "full")})}}}`))
	require.NoError(t, err)
	require.Len(t, m.Messages, 1)
	require.Error(t, m.Messages[0].Schema.Validate(gene.MustParse(`(error ^code "other")`)))
}

func TestParseManifestMinimal(t *testing.T) {
	m, err := ParseManifest(gene.MustParse(`{^name "echo" ^direction "send+recv"}`))
	require.NoError(t, err)
	require.NoError(t, m.CheckIncoming(gene.MustParse(`(anything 1 2)`)))
	require.Equal(t, Block, m.Flow.Overflow)
}

func TestParseManifestErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"not a map", `[1]`, "want a prop map"},
		{"no name", `{^direction "send"}`, "at ^name"},
		{"bad name", `{^name "a b" ^direction "send"}`, `character ' ' is not allowed`},
		{"no direction", `{^name "x"}`, "at ^direction: missing"},
		{"bad direction", `{^name "x" ^direction "both"}`, "at ^direction"},
		{"wrong type", `{^name "x" ^direction "send" ^version 2}`, "version"},
		{"bad from", `{^name "x" ^direction "send+recv" ^messages {^m {^from "me"}}}`, `at ^messages/^m/^from: want "client" or "server"`},
		{"from against direction", `{^name "x" ^direction "send" ^messages {^m {^from "client"}}}`, `at ^messages/^m/^from: the client cannot send`},
		{"unknown message key", `{^name "x" ^direction "send" ^messages {^m {^from "server" ^shema int}}}`, "shema"},
		{"bad schema", `{^name "x" ^direction "send" ^messages {^m {^from "server" ^schema strng}}}`, "at ^messages/^m/^schema"},
		{"bad example", `{^name "x" ^direction "send" ^messages {^m {^from "server" ^schema int ^examples [1 "two"]}}}`, "at ^messages/^m/^examples/[1]"},
		{"standard op", `{^name "x" ^direction "send" ^control {^ping {}}}`, "standard control operation"},
		{"bad op schema", `{^name "x" ^direction "send" ^control {^op {^args (int ^min "x")}}}`, "at ^control/^op/^args"},
		{"bad overflow", `{^name "x" ^direction "send" ^flow {^overflow "spill"}}`, "unknown overflow policy"},
		{"negative window", `{^name "x" ^direction "send" ^flow {^window -1}}`, "must not be negative"},
		{"max below initial", `{^name "x" ^direction "send" ^flow {^window 10 ^max-window 5}}`, "below ^window"},
		{"reply not declared", `{^name "x" ^direction "send+recv" ^messages {^q {^from "client" ^replies ["nope"]}}}`, `at ^messages/^q/^replies/[0]: "nope" is not a message of this manifest`},
		{"reply from the client", `{^name "x" ^direction "send+recv" ^messages {^q {^from "client" ^replies ["q"]}}}`, `at ^messages/^q/^replies/[0]: "q" is a message from the client`},
		{"reply named twice", `{^name "x" ^direction "send+recv" ^messages {^q {^from "client" ^replies ["error" "error"]}}}`, `at ^messages/^q/^replies/[1]: "error" is named twice`},
		{"replies on a server message", `{^name "x" ^direction "send+recv" ^messages {^a {^from "server" ^replies ["error"]}}}`, `at ^messages/^a/^replies: only a message from the client has replies`},
		{"replies not names", `{^name "x" ^direction "send+recv" ^messages {^q {^from "client" ^replies "ok"}}}`, `replies`},
		{"bad def", `{^name "x" ^direction "send" ^defs {^A (ref B)}}`, "at ^defs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseManifest(gene.MustParse(tt.src))
			require.ErrorIs(t, err, ErrManifest)
			require.ErrorContains(t, err, tt.want)
		})
	}
}
