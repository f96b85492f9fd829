package plugins_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugin"
)

func kvRig(t *testing.T) (*rig, *db) {
	p, m := compile(t, "kv")
	d := newDB(t)
	r := newRig(t, p, m, d)
	r.open(1)
	return r, d
}

func TestKVSetGetDel(t *testing.T) {
	r, _ := kvRig(t)
	r.send(1, `(set ^key "user/ada" ^value {^name "Ada" ^born 1815} ^id 1)
		(get ^key "user/ada" ^id 2)
		(get ^key "user/bob")
		(set ^key "user/ada" ^value 2 ^id "two")
		(get ^key "user/ada")
		(del ^key "user/ada" ^id [3])
		(del ^key "user/ada")
		(get ^key "user/ada")`)
	requireValues(t, `(ok ^key "user/ada" ^id 1)
		(value ^key "user/ada" ^value {^name "Ada" ^born 1815} ^id 2)
		(not-found ^key "user/bob")
		(ok ^key "user/ada" ^id "two")
		(value ^key "user/ada" ^value 2)
		(ok ^key "user/ada" ^existed true ^id [3])
		(ok ^key "user/ada" ^existed false)
		(not-found ^key "user/ada")`, r.sent(1))
}

func TestKVEveryKind(t *testing.T) {
	r, _ := kvRig(t)
	const stored = `[nil void true -98765432109876543210 1.0 -0.5 "s" 'c' sym
		{^a [1 2]} {{1 : "one"}} (n ^p 1 @m 2 child) #[1] #B16#00ff #"a+"i 2026-11-24 09:30:15.25+01:00 2026-11-24T09:30:00Z]`
	r.send(1, fmt.Sprintf(`(set ^key "k" ^value %s) (get ^key "k")`, stored))
	got := r.sent(1)
	require.Len(t, got, 2)
	v, _ := got[1].Get("value")
	want := gene.MustParse(stored)
	require.True(t, gene.Equal(want, v), "got %s", gene.Format(v))
	require.Equal(t, gene.Format(want), gene.Format(v), "meta and frozen marks survive")
}

func TestKVScanPages(t *testing.T) {
	r, _ := kvRig(t)
	var b strings.Builder
	for _, k := range []string{"a/3", "a/1", "b/1", "a/5", "a/2", "a/4", "ab"} {
		fmt.Fprintf(&b, "(set ^key %q ^value %q)\n", k, "v"+k)
	}
	r.send(1, b.String())
	r.h.Sent(1) // the 7 oks
	r.send(1, `(scan ^prefix "a/" ^limit 2 ^id 1)`)
	r.send(1, `(scan ^prefix "a/" ^after "a/2" ^limit 2)`)
	r.send(1, `(scan ^prefix "a/" ^after "a/4" ^limit 2)`)
	r.send(1, `(scan ^prefix "zz")`)
	r.send(1, `(scan ^limit 3)`)
	requireValues(t, `(entries ^prefix "a/" ^entries [{^key "a/1" ^value "va/1"} {^key "a/2" ^value "va/2"}] ^more true ^next "a/2" ^id 1)
		(entries ^prefix "a/" ^entries [{^key "a/3" ^value "va/3"} {^key "a/4" ^value "va/4"}] ^more true ^next "a/4")
		(entries ^prefix "a/" ^entries [{^key "a/5" ^value "va/5"}] ^more false)
		(entries ^prefix "zz" ^entries [] ^more false)
		(entries ^prefix "" ^entries [{^key "a/1" ^value "va/1"} {^key "a/2" ^value "va/2"} {^key "a/3" ^value "va/3"}] ^more true ^next "a/3")`,
		r.sent(1)[7:])
}

func TestKVScanByteBudget(t *testing.T) {
	r, _ := kvRig(t)
	big := strings.Repeat("x", 100<<10) // three of these exceed a page's 256 KiB
	for i := range 4 {
		r.send(1, fmt.Sprintf(`(set ^key "big/%d" ^value %q)`, i, big))
	}
	r.send(1, `(scan ^prefix "big/" ^limit 1000)`)
	got := r.sent(1)
	require.Len(t, got, 5)
	page := got[4]
	es, _ := page.Get("entries")
	more, _ := page.Get("more")
	require.Equal(t, 3, len(es.List()), "a page stops once it holds 256 KiB")
	require.Equal(t, "true", gene.Format(more))
}

func TestKVWatchAcrossLinks(t *testing.T) {
	r, _ := kvRig(t)
	r.open(2)
	r.send(2, `(watch ^prefix "user/" ^id "w")`)
	r.send(1, `(set ^key "user/ada" ^value 1) (set ^key "other" ^value 2) (del ^key "user/ada") (del ^key "user/none")`)
	r.waitSent(2, 3) // the store's changes reach the watcher after the writer's replies
	r.send(2, `(unwatch ^prefix "user/") (unwatch ^prefix "user/")`)
	r.send(1, `(set ^key "user/bob" ^value 3)`)
	requireValues(t, `(watching ^prefix "user/" ^id "w")
		(changed ^key "user/ada" ^value 1 ^prefix "user/")
		(deleted ^key "user/ada" ^prefix "user/")
		(unwatched ^prefix "user/" ^existed true)
		(unwatched ^prefix "user/" ^existed false)`, r.sent(2))
	requireValues(t, `(ok ^key "user/ada") (ok ^key "other") (ok ^key "user/ada" ^existed true)
		(ok ^key "user/none" ^existed false) (ok ^key "user/bob")`, r.sent(1))

	// A link watching a prefix of its own writes sees them after the reply;
	// overlapping watches push once.
	r.send(1, `(watch) (watch ^prefix "us") (set ^key "user/cy" ^value 4)`)
	requireValues(t, `(watching ^prefix "") (watching ^prefix "us") (ok ^key "user/cy")
		(changed ^key "user/cy" ^value 4 ^prefix "")`, r.waitSent(1, 9)[5:])
}

func TestKVControl(t *testing.T) {
	r, _ := kvRig(t)
	r.open(2)
	r.send(2, `(watch ^prefix "b")`)
	r.send(1, `(set ^key "a" ^value 1) (set ^key "b" ^value 2) (set ^key "c" ^value 3)`)
	n, err := r.control(0, "count", "")
	require.NoError(t, err)
	require.Equal(t, "3", gene.Format(n))
	n, err = r.control(0, "reset", "")
	require.NoError(t, err)
	require.Equal(t, "3", gene.Format(n))
	n, err = r.control(0, "count", "")
	require.NoError(t, err)
	require.Equal(t, "0", gene.Format(n))
	r.send(1, `(get ^key "a")`)
	requireValues(t, `(not-found ^key "a")`, r.sent(1)[3:])
	requireValues(t, `(watching ^prefix "b") (changed ^key "b" ^value 2 ^prefix "b") (deleted ^key "b" ^prefix "b")`, r.waitSent(2, 3))
	_, err = r.control(0, "compact", "")
	require.ErrorContains(t, err, "unknown op compact")
}

func TestKVDurable(t *testing.T) {
	p, m := compile(t, "kv")
	d := newDB(t)
	a := newRig(t, p, m, d)
	a.open(1)
	a.send(1, `(set ^key "kept" ^value {^across "restarts"}) (set ^key "gone" ^value 1) (del ^key "gone")`)
	require.NoError(t, a.in.Close(t.Context()))

	// A restart: the database is closed and reopened, the plugin compiled
	// and instantiated afresh.
	d.reopen()
	_, m2 := compile(t, "kv")
	b := newRig(t, p, m2, d)
	b.open(7)
	b.send(7, `(get ^key "kept") (get ^key "gone")`)
	requireValues(t, `(value ^key "kept" ^value {^across "restarts"}) (not-found ^key "gone")`, b.sent(7))
	n, err := b.control(0, "count", "")
	require.NoError(t, err)
	require.Equal(t, "1", gene.Format(n))
}

func TestKVBackpressure(t *testing.T) {
	r, _ := kvRig(t)
	r.h.SetCredit(1, 1)
	flow := r.send(1, `(set ^key "a" ^value 1) (get ^key "a") (get ^key "b")`)
	require.Equal(t, plugin.Pause, flow, "replies that met no credit pause the link")
	requireValues(t, `(ok ^key "a")`, r.sent(1))
	r.fireTimers(20 * time.Millisecond)
	require.Len(t, r.h.Sent(1), 1, "nothing more is sent without credit")
	require.Empty(t, r.h.Resumed())

	r.h.SetCredit(1, -1)
	got := r.waitSent(1, 3)
	requireValues(t, `(ok ^key "a") (value ^key "a" ^value 1) (not-found ^key "b")`, got)
	require.Eventually(t, func() bool {
		r.fireTimers(5 * time.Millisecond)
		return len(r.h.Resumed()) == 1
	}, 5*time.Second, time.Millisecond)
	require.Equal(t, []plugin.LinkID{1}, r.h.Resumed())
	require.Equal(t, plugin.Continue, r.send(1, `(get ^key "a")`))
}

func TestKVWatcherLags(t *testing.T) {
	r, _ := kvRig(t)
	r.open(2)
	r.send(2, `(watch ^prefix "k/")`)
	r.h.SetCredit(2, 0)
	const n = 300                // more than a link's outbox holds
	for i := 0; i < n; i += 60 { // in batches of a link's window, as the host delivers
		var b strings.Builder
		for j := i; j < i+60; j++ {
			fmt.Fprintf(&b, "(set ^key \"k/%03d\" ^value %d)\n", j, j)
		}
		r.send(1, b.String())
	}
	require.Len(t, r.h.Sent(1), n, "the writer is not held back by a slow watcher")
	r.fireTimers(20 * time.Millisecond) // the store's changes reach the plugin, which queues what it cannot send
	r.h.SetCredit(2, -1)
	got := r.waitSent(2, 1+256+1)
	r.fireTimers(20 * time.Millisecond)
	got = r.sent(2)
	require.Len(t, got, 1+256+1)
	requireValues(t, `(changed ^key "k/000" ^value 0 ^prefix "k/")`, got[1:2])
	requireValues(t, `(changed ^key "k/255" ^value 255 ^prefix "k/")`, got[256:257])
	requireValues(t, `(lagged ^prefix "k/")`, got[257:])

	// Pushes resume after the notice.
	r.send(1, `(set ^key "k/new" ^value 1)`)
	requireValues(t, `(changed ^key "k/new" ^value 1 ^prefix "k/")`, r.waitSent(2, 259)[258:])
}

func TestKVBadRequests(t *testing.T) {
	r, _ := kvRig(t)
	for _, text := range []string{`(frob ^id 1)`, `42`, `(get)`, `(get ^key "")`, `(set ^key "a")`, `(scan ^limit 0)`} {
		_, err := r.sendRaw(1, gene.MustParse(text))
		require.NoError(t, err, "a bad request is answered, not a failed callback: %s", text)
	}
	got := r.sent(1)
	require.Len(t, got, 6)
	for i, v := range got {
		require.True(t, v.Node().Head.IsSymbol("error"), "reply %d: %s", i, gene.Format(v))
		code, _ := v.Get("code")
		require.Equal(t, "bad-request", code.Str(), "reply %d: %s", i, gene.Format(v))
	}
	id, _ := got[0].Get("id")
	require.Equal(t, "1", gene.Format(id))
	msg, _ := got[0].Get("message")
	require.Contains(t, msg.Str(), `unknown request "frob"`)
}

func TestKVNotGranted(t *testing.T) {
	p, m := compile(t, "kv")
	r := newRig(t, p, m, nil)
	r.open(1)
	r.send(1, `(get ^key "a" ^id 1)`)
	got := r.sent(1)
	require.Len(t, got, 1)
	code, _ := got[0].Get("code")
	require.Equal(t, "not-granted", code.Str(), gene.Format(got[0]))
}

func TestKVIncr(t *testing.T) {
	r, _ := kvRig(t)
	r.open(2)
	r.send(2, `(watch ^prefix "hits")`)
	r.send(1, `(incr ^key "hits" ^id 1)
		(incr ^key "hits" ^by 41)
		(incr ^key "hits" ^by -50)
		(get ^key "hits")
		(set ^key "name" ^value "Ada")
		(incr ^key "name" ^id 2)
		(get ^key "name")
		(set ^key "max" ^value 9223372036854775806)
		(incr ^key "max")
		(incr ^key "max" ^id 3)
		(get ^key "max")
		(set ^key "f" ^value 1.0)
		(incr ^key "f")`)
	requireValues(t, `(value ^key "hits" ^value 1 ^id 1)
		(value ^key "hits" ^value 42)
		(value ^key "hits" ^value -8)
		(value ^key "hits" ^value -8)
		(ok ^key "name")
		(error ^code "not-integer" ^message "key \"name\" holds a string, not an integer" ^id 2)
		(value ^key "name" ^value "Ada")
		(ok ^key "max")
		(value ^key "max" ^value 9223372036854775807)
		(error ^code "overflow" ^message "key \"max\" holds 9223372036854775807: adding 1 leaves the 64-bit range" ^id 3)
		(value ^key "max" ^value 9223372036854775807)
		(ok ^key "f")
		(error ^code "not-integer" ^message "key \"f\" holds a float, not an integer")`, r.sent(1))
	requireValues(t, `(watching ^prefix "hits")
		(changed ^key "hits" ^value 1 ^prefix "hits")
		(changed ^key "hits" ^value 42 ^prefix "hits")
		(changed ^key "hits" ^value -8 ^prefix "hits")`, r.waitSent(2, 4))

	// A ^by the manifest lets through but the plugin cannot add (the host
	// checks the schema first, so only a raw delivery gets here).
	_, err := r.sendRaw(1, gene.MustParse(`(incr ^key "hits" ^by 1.5)`))
	require.NoError(t, err)
	got := r.sent(1)
	requireValues(t, `(error ^code "bad-request" ^message "^by must be an integer within the 64-bit range, got a float")`, got[len(got)-1:])
}

func TestKVCas(t *testing.T) {
	r, _ := kvRig(t)
	r.open(2)
	r.send(2, `(watch ^prefix "k")`)
	r.send(1, `(cas ^key "k" ^expect 1 ^value 2 ^id 1)
		(cas ^key "k" ^value {^a 1 ^b [x]} ^id 2)
		(cas ^key "k" ^value 0)
		(cas ^key "k" ^expect {^b [x] ^a 1} ^value 3)
		(cas ^key "k" ^expect 3.0 ^value 4)
		(cas ^key "k" ^expect 3)
		(get ^key "k")
		(cas ^key "k" ^expect 3)
		(cas ^key "k")
		(set ^key "k" ^value nan)
		(cas ^key "k" ^expect nan ^value 5)
		(incr ^key "k")`)
	requireValues(t, `(conflict ^key "k" ^id 1)
		(ok ^key "k" ^id 2)
		(conflict ^key "k" ^value {^a 1 ^b [x]})
		(ok ^key "k")
		(conflict ^key "k" ^value 3)
		(ok ^key "k")
		(not-found ^key "k")
		(conflict ^key "k")
		(ok ^key "k")
		(ok ^key "k")
		(ok ^key "k")
		(value ^key "k" ^value 6)`, r.sent(1))
	requireValues(t, `(watching ^prefix "k")
		(changed ^key "k" ^value {^a 1 ^b [x]} ^prefix "k")
		(changed ^key "k" ^value 3 ^prefix "k")
		(deleted ^key "k" ^prefix "k")
		(changed ^key "k" ^value nan ^prefix "k")
		(changed ^key "k" ^value 5 ^prefix "k")
		(changed ^key "k" ^value 6 ^prefix "k")`, r.waitSent(2, 7))
}

// TestKVAtomicAcrossInstances: two instances of the plugin (as during a
// hot reload, when the old and the new version serve links side by side)
// add to one counter with incr and with cas loops, each on its own
// goroutine, and no update is lost.
func TestKVAtomicAcrossInstances(t *testing.T) {
	p, m := compile(t, "kv")
	d := newDB(t)
	const each = 200
	rigs := []*rig{newRig(t, p, m, d), newRig(t, p, m, d)}
	errs := make(chan error, len(rigs))
	for i, r := range rigs {
		r.open(1)
		go func() {
			errs <- func() error {
				for j := range each {
					if _, err := r.sendRaw(1, gene.MustParse(`(incr ^key "n")`)); err != nil {
						return err
					}
					// A client's cas loop: read, then cas from what was read
					// until it applies.
					var cur int64
					present := false // the first cas expects the key absent
					for attempt := 0; ; attempt++ {
						if attempt > 1000 {
							return fmt.Errorf("rig %d op %d: cas never applied", i, j)
						}
						req := fmt.Sprintf(`(cas ^key "c" ^expect %d ^value %d)`, cur, cur+1)
						if !present {
							req = `(cas ^key "c" ^value 1)`
						}
						n := len(r.h.Sent(1))
						if _, err := r.sendRaw(1, gene.MustParse(req)); err != nil {
							return err
						}
						reply := r.h.Sent(1)[n]
						if reply.Node().Head.IsSymbol("ok") {
							break
						}
						v, ok := reply.Get("value")
						cur, present = mustInt(v), ok
					}
				}
				return nil
			}()
		}()
	}
	for range rigs {
		require.NoError(t, <-errs)
	}
	r := rigs[0]
	before := len(r.h.Sent(1))
	r.send(1, `(get ^key "n") (get ^key "c")`)
	requireValues(t, fmt.Sprintf(`(value ^key "n" ^value %d) (value ^key "c" ^value %d)`, each*len(rigs), each*len(rigs)), r.sent(1)[before:])
}

func mustInt(v gene.Value) int64 {
	n, _ := v.AsInt()
	return n
}
