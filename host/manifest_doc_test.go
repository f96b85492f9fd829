package host_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host"
	"github.com/genehost/genehost/proto"
)

// TestManifestDocExamples parses every ```gene manifest block of
// MANIFEST.md with ParseManifest, so the document cannot drift from the
// parser, and checks that the canonical form the host serves parses back
// to the same manifest (same hash). The schema blocks and the table of
// schema forms are checked by gene/schema's manifest_doc_test.go.
func TestManifestDocExamples(t *testing.T) {
	b, err := os.ReadFile("../MANIFEST.md")
	require.NoError(t, err)
	var blocks []string
	var cur *strings.Builder
	for _, l := range strings.Split(string(b), "\n") {
		switch {
		case cur == nil && strings.TrimSpace(l) == "```gene manifest":
			cur = &strings.Builder{}
		case cur != nil && strings.TrimSpace(l) == "```":
			blocks = append(blocks, cur.String())
			cur = nil
		case cur != nil:
			cur.WriteString(l + "\n")
		}
	}
	require.GreaterOrEqual(t, len(blocks), 4, "MANIFEST.md has fewer ```gene manifest blocks than expected")
	for _, src := range blocks {
		v, err := gene.Parse([]byte(src))
		require.NoError(t, err, "%s", src)
		m, err := host.ParseManifest(v)
		require.NoError(t, err, "%s", src)
		again, err := host.ParseManifest(m.Value())
		require.NoError(t, err, "the canonical form of %s", src)
		require.Equal(t, m.Hash(), again.Hash(), "the canonical form of %s parses to another manifest", src)
		if m.Direction.Sends(proto.SideHost) {
			_, ok := findMessage(m, host.ErrorMessage)
			require.True(t, ok, "%s: a manifest whose server sends declares the standard error reply", m.Name)
		}
	}
}

func findMessage(m *host.Manifest, name string) (host.Message, bool) {
	for _, msg := range m.Messages {
		if msg.Name == name {
			return msg, true
		}
	}
	return host.Message{}, false
}
