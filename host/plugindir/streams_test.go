package plugindir_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
)

// streamsPlugin declares its publish, broadcast and ack requests for the host
// to answer (^streams), and answers everything that reaches it with
// (plugin ^got HEAD), so a reply tells who answered.
var streamsPlugin = map[string]string{
	"plugin.gene": `{^direction "send+recv" ^isolation "none" ^grants {^streams true}
	 ^instances "pool" ^pool 1
	 ^messages {^pub {^from "client" ^schema any} ^cast {^from "client" ^schema any}
	            ^join {^from "client" ^schema any} ^listen {^from "client" ^schema any}
	            ^ack {^from "client" ^schema any}}
	 ^streams {^publish "pub" ^broadcast "cast" ^ack "ack"}}`,
	"handler.js": `module.exports = {
  values(link, values) {
    for (const v of values) {
      const head = v.head.name;
      if (head === 'join') genehost.streams.attach(link, 't', 'g', {});
      if (head === 'listen') genehost.topics.subscribe(link, 'news');
      link.send(new Gene(gene.sym('plugin'), {got: head}, []));
    }
  },
};
`,
}

// TestStreamRequestsServedByHost: the publishes and broadcasts a plugin
// declares are answered by the host, in the queue's shapes, with the
// client's ^id, bad ones answered with errors; a reply goes before the
// message its publish makes for the same link; a quiet ack is not
// answered.
//
// On NATS JetStream a batch of publishes only is answered once durable
// while the next batches are served (plugin.PublishStarter); the replies
// keep their order.
func TestStreamRequestsServedByHost(t *testing.T) {
	t.Run("embedded", func(t *testing.T) { testStreamRequests(t, options{store: true, streams: true}) })
	t.Run("nats", func(t *testing.T) { testStreamRequests(t, options{store: true, natsStreams: true}) })
}

func testStreamRequests(t *testing.T, o options) {
	dir := t.TempDir()
	writePlugin(t, dir, "sq", streamsPlugin)
	e, err := openDir(t, dir, o)
	require.NoError(t, err)
	listener := e.mustOpen(t, "sq")
	listener.send(t, gene.MustParse(`(listen)`))
	listener.expect(t, `(plugin ^got "listen")`)
	consumer := e.mustOpen(t, "sq")
	consumer.send(t, gene.MustParse(`(join)`))
	consumer.expect(t, `(plugin ^got "join")`)

	p := e.mustOpen(t, "sq")
	p.send(t, gene.MustParse(`(pub ^topic "t" ^value {^n 1} ^id 7)`))
	p.expect(t, `(published ^topic "t" ^seq 1 ^id 7)`)
	consumer.expect(t, `(message ^topic "t" ^group "g" ^seq 1 ^value {^n 1} ^attempt 1)`)
	p.send(t, gene.MustParse(`(cast ^topic "news" ^value "hi" ^id "c")`))
	p.expect(t, `(broadcasted ^topic "news" ^receivers 1 ^id "c")`)
	listener.expect(t, `(message ^topic "news" ^value "hi")`)

	p.send(t, gene.MustParse(`(pub ^topic "a b" ^value 1 ^id 1)`), gene.MustParse(`(pub ^topic "t")`), gene.MustParse(`(cast ^topic 3 ^value 1)`))
	for _, want := range []string{
		`(error ^code "bad-request" ^message "plugin: invalid stream, group or topic name: topic \"a b\": want 1 to 128 of A-Z a-z 0-9 _ . -" ^id 1)`,
		`(error ^code "bad-request" ^message "(pub ...) needs ^value")`,
		`(error ^code "bad-request" ^message "^topic must be a string")`,
	} {
		p.expect(t, want)
	}

	// A consumer's own publish: its reply first, then the message.
	consumer.send(t, gene.MustParse(`(pub ^topic "t" ^value 2)`))
	consumer.expect(t, `(published ^topic "t" ^seq 2)`)
	consumer.expect(t, `(message ^topic "t" ^group "g" ^seq 2 ^value 2 ^attempt 1)`)

	// Acks: a quiet one is not answered, not even when it fails; the
	// answer that comes next is the loud ack's.
	consumer.send(t, gene.MustParse(`(ack ^topic "t" ^group "g" ^seq 1 ^quiet true)`),
		gene.MustParse(`(ack ^topic "t" ^group "g" ^seq 99 ^quiet true ^id 1)`),
		gene.MustParse(`(ack ^topic 3 ^quiet true)`),
		gene.MustParse(`(ack ^topic "t" ^group "g" ^seq 2 ^quiet false ^id 2)`))
	consumer.expect(t, `(acked ^topic "t" ^group "g" ^seq 2 ^id 2)`)
	consumer.send(t, gene.MustParse(`(ack ^topic "t" ^group "g" ^seq 99)`))
	consumer.expect(t, `(error ^code "not-delivered" ^message "t/g: message 99 has not been delivered")`)

	// Many batches of publishes one after the other, a broadcast among
	// them: every reply comes, in order.
	for i := range 40 {
		if i == 20 {
			p.send(t, gene.MustParse(`(cast ^topic "news" ^value 0 ^id "c")`))
			continue
		}
		p.send(t, gene.MustParse(fmt.Sprintf(`(pub ^topic "u" ^value %d ^id %d)`, i, i)))
	}
	seq := 0
	for i := range 40 {
		if i == 20 {
			p.expect(t, `(broadcasted ^topic "news" ^receivers 1 ^id "c")`)
			continue
		}
		seq++
		p.expect(t, fmt.Sprintf(`(published ^topic "u" ^seq %d ^id %d)`, seq, i))
	}

	// Publishes, then a request the plugin answers: its reply comes
	// last. (The publishes that arrive in one batch with it go to the
	// plugin with it, and it answers them: (plugin ^got "pub").) Whether
	// the plugin's batch meets publishes still in flight depends on how
	// the requests fall into batches, so this checks the order without
	// forcing that case.
	for i := range 20 {
		p.send(t, gene.MustParse(fmt.Sprintf(`(pub ^topic "u" ^value %d ^id %d)`, i, i)))
	}
	p.send(t, gene.MustParse(`(join)`))
	byPlugin := false
	for i := range 20 {
		got := gene.Format(p.recv(t))
		if got == `(plugin ^got "pub")` {
			byPlugin = true
			continue
		}
		require.False(t, byPlugin, "a publish answered by the host after one the plugin answered: %s", got)
		seq++
		require.Equal(t, fmt.Sprintf(`(published ^topic "u" ^seq %d ^id %d)`, seq, i), got)
	}
	p.expect(t, `(plugin ^got "join")`)
}
