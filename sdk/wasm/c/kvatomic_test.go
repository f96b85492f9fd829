package c_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/plugin/plugintest"
)

// TestHeaderCounterAndErrorHelpers drives what the suite does not reach
// in genehost.h: gh_kv_get_int reading what gh_kv_incr (and a put of a
// document) stored, and gh_write_error with and without the request's
// ^id (gh_request_id).
func TestHeaderCounterAndErrorHelpers(t *testing.T) {
	requireToolchain(t)
	h := plugintest.New(t, plugin.Grants{KV: true})
	in := plugintest.Start(t, newRuntime(t), source(t, "kvatomic", plugin.Limits{}, plugin.Grants{KV: true}), h)
	ask := func(req string) string {
		t.Helper()
		before := len(h.Sent(1))
		_, err := in.Receive(t.Context(), 1, []gene.Value{gene.MustParse(req)})
		require.NoError(t, err)
		sent := h.Sent(1)
		require.Len(t, sent, before+1)
		return gene.Format(sent[before])
	}
	require.Equal(t, "(status 7)", ask(`(int ^key "c")`), "absent: GH_NOT_FOUND")
	require.Equal(t, "(n -9223372036854775807)", ask(`(incr ^key "c" ^by -9223372036854775807)`))
	require.Equal(t, "(int -9223372036854775807)", ask(`(int ^key "c")`), "the widest counter")
	require.Equal(t, "(ok)", ask(`(put ^key "p" ^value 5)`))
	require.Equal(t, "(int 5)", ask(`(int ^key "p")`), "a put document of an integer")
	require.Equal(t, "(ok)", ask(`(put ^key "s" ^value "five")`))
	require.Equal(t, "(status 8)", ask(`(int ^key "s")`), "anything else: GH_BAD_VALUE")
	require.Equal(t, "(ok)", ask(`(put ^key "s" ^value "a string longer than any integer document")`))
	require.Equal(t, "(status 8)", ask(`(int ^key "s")`))

	require.Equal(t, `(error ^code "bad-request" ^message "kvatomic: unknown request" ^id [1 "two"])`, ask(`(frob ^id [1 "two"])`))
	require.Equal(t, `(error ^code "bad-request" ^message "kvatomic: unknown request")`, ask(`(frob ^key "k")`))
}
