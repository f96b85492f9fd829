package jsrt

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugin"
)

// TestKVWatch: genehost.kv.watch hands the callback the changes of the
// watched keys (puts with their values, deletes), made by this instance or
// any other writer of the store, once the host wakes the instance; unwatch
// ends it.
func TestKVWatch(t *testing.T) {
	p := load(t, `let seen = [], id;
module.exports = { control: {
  watch: (prefix) => { id = genehost.kv.watch(prefix, (changes, lost) => { seen.push(...changes); if (lost) seen.push('lost'); }); return id; },
  unwatch: () => genehost.kv.unwatch(id),
  put: (kv) => genehost.kv.put(kv[0], kv[1]),
  del: (k) => genehost.kv.delete(k),
  seen: () => { const s = seen; seen = []; return s; },
  noCallback() { try { genehost.kv.watch('x'); } catch (e) { return e.message; } },
} };`, plugin.Limits{}, plugin.Grants{KV: true})
	call := p.control
	require.Equal(t, `"genehost.kv.watch: callback must be a function"`, call("noCallback", "nil"))
	call("watch", `"user/"`)
	call("put", `["user/ada" {^born 1815}]`)
	call("put", `["other" 1]`)
	// Another writer of the same store (another instance, another host).
	s, err := p.host.Store()
	require.NoError(t, err)
	_, err = s.Delete([]byte("user/ada"))
	require.NoError(t, err)
	want := []string{`{^key "user/ada" ^value {^born 1815}}`, `{^key "user/ada" ^deleted true}`}
	var got []string
	deadline := time.After(10 * time.Second)
	for len(got) < len(want) {
		select {
		case id := <-p.host.Timers:
			p.in.Timer(t.Context(), id)
		case <-deadline:
			t.Fatalf("the watch callback saw %q", got)
		}
		v, err := p.in.Control(t.Context(), 0, "seen", gene.Nil())
		require.NoError(t, err)
		for _, c := range v.List() {
			got = append(got, gene.Format(c))
		}
	}
	for i := range want {
		want[i] = gene.Format(gene.MustParse(want[i]))
	}
	require.Equal(t, want, got)
	call("unwatch", "nil")
	call("put", `["user/bob" 1]`)
	select {
	case id := <-p.host.Timers:
		t.Fatalf("a wake after unwatch: %d", id)
	default:
	}
	assert.Equal(t, `[]`, call("seen", "nil"))
}
