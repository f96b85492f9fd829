package plugins_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/client"
	"github.com/genehost/genehost/proto"
)

// TestImpatientClientsAreNoCrash: clients of the shipped pool plugins
// (kv in Go, queue in JavaScript, one instance each) that reset their link
// at once, mid-request, or close their connection, crash nothing: health
// stays serving, no crash is counted, and the watcher and the subscriber
// that stayed, whose state lives in that one instance, keep getting their
// pushes.
func TestImpatientClientsAreNoCrash(t *testing.T) {
	s := serve(t, t.TempDir())
	c := s.dial(t)

	watcher := openLink(t, c, "kv")
	watcher.request(t, `(watch ^prefix "k/")`, `(watching ^prefix "k/")`)
	consumer := openLink(t, c, "queue")
	consumer.request(t, `(subscribe ^topic "t" ^group "g")`, `(subscribed ^topic "t" ^group "g" ^acked 0)`)

	requests := map[string]string{"kv": `(set ^key "k/x" ^value 1)`, "queue": `(publish ^topic "t" ^value 0)`}
	for i := 0; i < 10; i++ {
		for iface, req := range requests {
			l, err := c.Open(ctxT(t), iface, proto.DirSendRecv, client.LinkOptions{})
			if err != nil {
				continue
			}
			if i%2 == 1 {
				_ = l.TrySend(gene.MustParse(req)) // mid-request
			}
			l.Reset(proto.CodeCancelled, "impatient")
		}
		if i%5 == 0 {
			hc := s.dial(t)
			_, err := hc.Open(ctxT(t), "kv", proto.DirSendRecv, client.LinkOptions{})
			require.NoError(t, err)
			_, err = hc.Open(ctxT(t), "queue", proto.DirSendRecv, client.LinkOptions{})
			require.NoError(t, err)
			require.NoError(t, hc.Close())
		}
	}

	for _, iface := range []string{"kv", "queue"} {
		ctl := control(t, c, iface)
		status, why, err := ctl.Health(ctxT(t))
		require.NoError(t, err)
		require.Equal(t, "serving", status, "%s: %s", iface, why)
		st, err := ctl.Stats(ctxT(t))
		require.NoError(t, err)
		require.Contains(t, gene.Format(st), "^crashes 0", "%s: %s", iface, gene.Format(st))
	}

	// The instances kept their state: the watch and the subscription
	// still deliver.
	w := openLink(t, c, "kv")
	w.request(t, `(set ^key "k/after" ^value 2)`, `(ok ^key "k/after")`)
	for seen := false; !seen; {
		select {
		case v := <-watcher.pushes:
			if strings.Contains(gene.Format(v), `"k/after"`) {
				require.Equal(t, `(changed ^key "k/after" ^value 2 ^prefix "k/")`, gene.Format(v))
				seen = true
			}
		case <-ctxT(t).Done():
			t.Fatal("the watcher got no push for k/after")
		}
	}
	p := openLink(t, c, "queue")
	got, err := p.Request(ctxT(t), gene.MustParse(`(publish ^topic "t" ^value "after")`))
	require.NoError(t, err)
	seq, _ := got.Get("seq")
	for {
		select {
		case v := <-consumer.pushes:
			if s, _ := v.Get("seq"); gene.Equal(s, seq) {
				val, _ := v.Get("value")
				require.Equal(t, `"after"`, gene.Format(val), "%s", gene.Format(v))
				return
			}
		case <-ctxT(t).Done():
			t.Fatalf("the subscriber got no message %s", gene.Format(seq))
		}
	}
}
