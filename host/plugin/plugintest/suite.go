package plugintest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/store"
	"github.com/genehost/genehost/host/store/natsstore"
	"github.com/genehost/genehost/host/store/natsstore/natstest"
	"github.com/genehost/genehost/proto"
)

// RunSuite runs the behaviour suite every plugin runtime must pass against
// rt. fixture returns the Source of the named fixture plugin, built with the
// given limits and grants (it may call t.Fatal, or t.Skip when a toolchain
// the fixture needs is missing).
//
// The fixtures a runtime provides, by name. "Sends" means Host.TrySend or
// Host.Send on the link the values arrived on; values are Gene text.
//
//   - echo: Receive sends each value back, in order, unchanged (meta
//     included). Its control operations are its own; the suite calls none.
//   - counter: counts the values this instance has seen; after each one it
//     sends (count N).
//   - kv: (set ^key K ^value V) stores V under the string K in the Store and
//     sends (ok); (get ^key K) sends (value V), or (missing) when K is
//     absent. V may be any value and comes back identical. Without the KV
//     grant Receive fails with an error containing "not granted".
//   - kvatomic: the Store's atomic operations, values stored as binary
//     Gene documents. (put ^key K ^value V) sends (ok); (get ^key K) sends
//     (value V) or (missing); (cas ^key K ^expect E ^value W) compares
//     and swaps (an absent ^expect: expect K absent; an absent ^value:
//     delete on a match) and sends (cas B), whether it applied; (incr
//     ^key K ^by N) (^by default 1) sends (n NEW); (cas-add ^key K) adds 1
//     with a read-cas loop and sends (n NEW). A failed store call is
//     answered with (error MESSAGE), the host's message.
//   - control: Control op "add" with arg [a b] (integers) returns a + b;
//     any other op fails with an error containing "unknown op NAME".
//   - throws: Receive fails with an error containing "boom". Control
//     "ping" returns pong.
//   - panics: Receive panics (Wasm: the guest panics or traps; JS: a
//     runtime TypeError); the call fails. Control "ping" returns pong.
//   - loops: Receive never returns (a busy loop), so Limits.CallTimeout
//     interrupts it and the call fails with plugin.ErrTimeout. Control
//     "ping" returns pong.
//   - hog: Receive allocates memory without bound; the call must fail
//     within Limits (Wasm: MemoryPages; JS: CallTimeout). Control "ping"
//     returns pong.
//   - lifecycle: Open logs "open ID"; Closed logs "close ID REASON";
//     the value (info) sends (link ^interface I ^direction D) with the
//     link's Interface and Direction as strings.
//   - timer: every value sets a 10ms timer (Host.SetTimer); Timer(id)
//     sends (tick id) on the last link a value arrived on. Without the
//     Timers grant, the value is answered with (error "MESSAGE") where
//     MESSAGE contains "not granted", and Receive succeeds.
//   - paused: the first value makes Receive return plugin.Pause and set a
//     timer; Timer calls Host.Resume on that link. Later values return
//     plugin.Continue.
//
// A "ping" answered with pong proves that a fresh instance of a module
// whose previous instance failed still works.
func RunSuite(t *testing.T, rt plugin.Runtime, fixture func(t *testing.T, name string, limits plugin.Limits, grants plugin.Grants) *plugin.Source) {
	s := &suite{rt: rt, fixture: fixture}
	t.Run("echo", s.echo)
	t.Run("counter", s.counter)
	// The key-value fixtures run on both backends: the same plugin code,
	// unchanged, on the embedded database and on NATS JetStream.
	for _, b := range []string{"embedded", "nats"} {
		sb := *s
		sb.backend = b
		t.Run("kv/"+b, sb.kv)
		t.Run("kvatomic/"+b, sb.kvatomic)
	}
	t.Run("control", s.control)
	t.Run("throws", s.throws)
	t.Run("panics", s.panics)
	t.Run("loops", s.loops)
	t.Run("hog", s.hog)
	t.Run("lifecycle", s.lifecycle)
	t.Run("timer", s.timer)
	t.Run("paused", s.paused)
}

type suite struct {
	backend string // "embedded" (default) or "nats": what s.host stores in
	rt      plugin.Runtime
	fixture func(t *testing.T, name string, limits plugin.Limits, grants plugin.Grants) *plugin.Source
}

// host returns a Host with grants g whose store is the suite's backend:
// on "nats", a JetStream server of the test's own (natstest), so that no
// two tests share a bucket.
func (s *suite) host(t *testing.T, g plugin.Grants) *Host {
	if s.backend != "nats" {
		return New(t, g)
	}
	url := natstest.Start(t).URL()
	return NewOn(t, g, func() (store.Backend, error) {
		return natsstore.Open(t.Context(), natsstore.Config{Servers: []string{url}})
	})
}

// waitLong bounds anything the suite waits for that should take
// milliseconds, generously, for loaded CI machines.
const waitLong = 10 * time.Second

// module compiles the named fixture; it is closed when t ends.
func (s *suite) module(t *testing.T, name string, l plugin.Limits, g plugin.Grants) plugin.Module {
	t.Helper()
	src := s.fixture(t, name, l, g)
	require.NotNil(t, src, "fixture %s", name)
	m, err := s.rt.Compile(t.Context(), src)
	require.NoError(t, err, "compile fixture %s", name)
	t.Cleanup(func() { m.Close(context.Background()) })
	return m
}

// instance instantiates m on h; it is closed when t ends.
func instance(t *testing.T, m plugin.Module, h plugin.Host) plugin.Instance {
	t.Helper()
	in, err := m.Instantiate(t.Context(), h)
	require.NoError(t, err, "instantiate")
	t.Cleanup(func() { in.Close(context.Background()) })
	return in
}

// open opens a send+recv data link on in.
func open(t *testing.T, in plugin.Instance, id plugin.LinkID) {
	t.Helper()
	require.NoError(t, in.Open(t.Context(), plugin.LinkInfo{
		ID: id, Interface: "suite", Direction: proto.DirSendRecv, Peer: "test",
	}), "open link %d", id)
}

// deliver hands values to in on link and requires success and Continue.
func deliver(t *testing.T, in plugin.Instance, link plugin.LinkID, vs ...gene.Value) {
	t.Helper()
	flow, err := in.Receive(t.Context(), link, vs)
	require.NoError(t, err, "Receive on link %d", link)
	require.Equal(t, plugin.Continue, flow)
}

// requireSent requires that h recorded exactly want on link, each value
// gene.Equal and identical in order and meta.
func requireSent(t *testing.T, h *Host, link plugin.LinkID, want ...gene.Value) {
	t.Helper()
	got := h.Sent(link)
	require.Len(t, got, len(want), "values sent on link %d: %v", link, got)
	for i := range want {
		require.True(t, gene.Equal(want[i], got[i]), "value %d sent on link %d:\nwant %#v\n got %#v", i, link, want[i], got[i])
		if where := diff(want[i], got[i], "value"); where != "" {
			t.Fatalf("value %d sent on link %d is Equal but not identical: %s", i, link, where)
		}
	}
}

func ping(t *testing.T, in plugin.Instance) {
	t.Helper()
	v, err := in.Control(t.Context(), 0, "ping", gene.Nil())
	require.NoError(t, err, "ping")
	require.True(t, gene.Equal(gene.MustParse("pong"), v), "ping answered %#v", v)
}

func (s *suite) echo(t *testing.T) {
	m := s.module(t, "echo", plugin.Limits{}, plugin.Grants{})
	h := New(t, plugin.Grants{})
	in := instance(t, m, h)
	open(t, in, 1)

	t.Run("every kind", func(t *testing.T) {
		v := everyKind()
		deliver(t, in, 1, v)
		requireSent(t, h, 1, v)
	})
	t.Run("batch in order", func(t *testing.T) {
		batch := parseAll(`1 1.0 "1" '1' one nil void`)
		open(t, in, 2)
		deliver(t, in, 2, batch...)
		requireSent(t, h, 2, batch...)
	})
	t.Run("each kind alone", func(t *testing.T) {
		// Top-level scalars take paths that nesting does not (a JS
		// handler gets them as arguments, not as elements).
		for i, v := range everyKind().Node().Body {
			link := plugin.LinkID(100 + i)
			open(t, in, link)
			deliver(t, in, link, v)
			requireSent(t, h, link, v)
		}
	})
}

func (s *suite) counter(t *testing.T) {
	m := s.module(t, "counter", plugin.Limits{}, plugin.Grants{})
	h := New(t, plugin.Grants{})
	a, b := instance(t, m, h), instance(t, m, h)
	open(t, a, 1)
	open(t, b, 2)
	deliver(t, a, 1, sym("x"), sym("y"))
	deliver(t, b, 2, sym("z"))
	deliver(t, a, 1, sym("w"))
	requireSent(t, h, 1, count(1), count(2), count(3))
	requireSent(t, h, 2, count(1))
}

func count(n int) gene.Value { return gene.MustParse(fmt.Sprintf("(count %d)", n)) }

func tick(id uint64) gene.Value { return gene.MustParse(fmt.Sprintf("(tick %d)", id)) }

func (s *suite) kv(t *testing.T) {
	const stored = `[1 "two" {^three 3.0} -98765432109876543210 (x @m 1 'y')]`
	set := func(k, v string) gene.Value { return gene.MustParse(fmt.Sprintf("(set ^key %q ^value %s)", k, v)) }
	get := func(k string) gene.Value { return gene.MustParse(fmt.Sprintf("(get ^key %q)", k)) }
	ok, missing := gene.MustParse("(ok)"), gene.MustParse("(missing)")
	value := func(v string) gene.Value { return gene.MustParse("(value " + v + ")") }

	t.Run("set get missing", func(t *testing.T) {
		m := s.module(t, "kv", plugin.Limits{}, plugin.Grants{KV: true})
		h := s.host(t, plugin.Grants{KV: true})
		in := instance(t, m, h)
		open(t, in, 1)
		deliver(t, in, 1, set("alpha", stored), get("alpha"), get("beta"))
		deliver(t, in, 1, set("alpha", "2"), get("alpha"))
		requireSent(t, h, 1, ok, value(stored), missing, ok, value("2"))
	})
	t.Run("shared across instances and durable", func(t *testing.T) {
		m := s.module(t, "kv", plugin.Limits{}, plugin.Grants{KV: true})
		h := s.host(t, plugin.Grants{KV: true})
		a, b := instance(t, m, h), instance(t, m, h)
		open(t, a, 1)
		open(t, b, 2)
		deliver(t, a, 1, set("shared", stored))
		deliver(t, b, 2, get("shared"))
		requireSent(t, h, 2, value(stored))

		// A new version of the plugin, after the database was closed and
		// reopened as by a restart, still finds it.
		require.NoError(t, a.Close(t.Context()))
		require.NoError(t, b.Close(t.Context()))
		reopenStore(t, h)
		m2 := s.module(t, "kv", plugin.Limits{}, plugin.Grants{KV: true})
		c := instance(t, m2, h)
		open(t, c, 3)
		deliver(t, c, 3, get("shared"))
		requireSent(t, h, 3, value(stored))
	})
	t.Run("not granted", func(t *testing.T) {
		m := s.module(t, "kv", plugin.Limits{}, plugin.Grants{})
		h := New(t, plugin.Grants{})
		in := instance(t, m, h)
		open(t, in, 1)
		_, err := in.Receive(t.Context(), 1, []gene.Value{get("alpha")})
		require.Error(t, err)
		require.Contains(t, err.Error(), "not granted")
		require.Empty(t, h.Sent(1))
	})
}

func (s *suite) kvatomic(t *testing.T) {
	m := s.module(t, "kvatomic", plugin.Limits{}, plugin.Grants{KV: true})
	h := s.host(t, plugin.Grants{KV: true})
	in := instance(t, m, h)
	open(t, in, 1)
	// ask sends one request on link 1 and returns the reply as text.
	ask := func(req string) string {
		t.Helper()
		before := len(h.Sent(1))
		deliver(t, in, 1, gene.MustParse(req))
		sent := h.Sent(1)
		require.Len(t, sent, before+1, "one reply to %s", req)
		return gene.Format(sent[before])
	}
	requireError := func(reply string, want ...string) {
		t.Helper()
		require.True(t, strings.HasPrefix(reply, "(error "), "want (error MESSAGE), got %s", reply)
		for _, w := range want {
			require.Contains(t, reply, w)
		}
	}

	t.Run("incr", func(t *testing.T) {
		require.Equal(t, "(n 1)", ask(`(incr ^key "c")`), "absent counts as 0")
		require.Equal(t, "(n 6)", ask(`(incr ^key "c" ^by 5)`))
		require.Equal(t, "(n -4)", ask(`(incr ^key "c" ^by -10)`))
		require.Equal(t, "(n -4)", ask(`(incr ^key "c" ^by 0)`))
		require.Equal(t, "(value -4)", ask(`(get ^key "c")`), "the counter reads back as an integer")
		require.Equal(t, "(ok)", ask(`(put ^key "p" ^value 40)`))
		require.Equal(t, "(n 42)", ask(`(incr ^key "p" ^by 2)`), "a put integer is a counter")
	})
	t.Run("incr refuses a non-integer and leaves it", func(t *testing.T) {
		for i, v := range []string{`"x"`, `1.0`, `nil`, `[1]`, `123456789012345678901234567890`} {
			key := fmt.Sprintf("bad%d", i)
			require.Equal(t, "(ok)", ask(fmt.Sprintf(`(put ^key %q ^value %s)`, key, v)))
			requireError(ask(fmt.Sprintf(`(incr ^key %q)`, key)), "not an integer", key)
			require.Equal(t, "(value "+v+")", ask(fmt.Sprintf(`(get ^key %q)`, key)), "unchanged")
		}
	})
	t.Run("incr overflow", func(t *testing.T) {
		require.Equal(t, "(ok)", ask(`(put ^key "max" ^value 9223372036854775806)`))
		require.Equal(t, "(n 9223372036854775807)", ask(`(incr ^key "max")`))
		requireError(ask(`(incr ^key "max")`), "overflows")
		require.Equal(t, "(value 9223372036854775807)", ask(`(get ^key "max")`), "unchanged")
		require.Equal(t, "(ok)", ask(`(put ^key "min" ^value -9223372036854775807)`))
		require.Equal(t, "(n -9223372036854775808)", ask(`(incr ^key "min" ^by -1)`))
		requireError(ask(`(incr ^key "min" ^by -1)`), "overflows")
		require.Equal(t, "(n -1)", ask(`(incr ^key "min" ^by 9223372036854775807)`), "-2^63 + 2^63-1")
	})
	t.Run("cas", func(t *testing.T) {
		require.Equal(t, "(cas false)", ask(`(cas ^key "k" ^expect 1 ^value 2)`), "expecting a value of an absent key")
		require.Equal(t, "(missing)", ask(`(get ^key "k")`))
		require.Equal(t, "(cas true)", ask(`(cas ^key "k" ^value 1)`), "expecting absent, absent")
		require.Equal(t, "(cas false)", ask(`(cas ^key "k" ^value 5)`), "expecting absent, present")
		require.Equal(t, "(cas false)", ask(`(cas ^key "k" ^expect 2 ^value 5)`), "conflict")
		require.Equal(t, "(cas false)", ask(`(cas ^key "k" ^expect 1.0 ^value 5)`), "1.0 is not 1: encodings differ")
		require.Equal(t, "(value 1)", ask(`(get ^key "k")`), "a conflict changes nothing")
		require.Equal(t, "(cas true)", ask(`(cas ^key "k" ^expect 1 ^value {^a [1 "two"]})`))
		require.Equal(t, "(cas true)", ask(`(cas ^key "k" ^expect {^a [1 "two"]} ^value 2)`), "structured values compare by encoding")
		require.Equal(t, "(n 3)", ask(`(incr ^key "k")`), "cas writes the form incr reads")
		require.Equal(t, "(cas true)", ask(`(cas ^key "k" ^expect 3)`), "no ^value: delete on a match")
		require.Equal(t, "(missing)", ask(`(get ^key "k")`))
		require.Equal(t, "(cas false)", ask(`(cas ^key "k" ^expect 3)`))
		require.Equal(t, "(cas true)", ask(`(cas ^key "k")`), "absent to absent: applies, changes nothing")
		require.Equal(t, "(missing)", ask(`(get ^key "k")`))
		require.Equal(t, "(cas true)", ask(`(cas ^key "k" ^value nil)`), "nil is a value")
		require.Equal(t, "(cas false)", ask(`(cas ^key "k" ^value 1)`), "a stored nil is present")
		require.Equal(t, "(cas true)", ask(`(cas ^key "k" ^expect nil ^value 1)`))
	})
	t.Run("not granted", func(t *testing.T) {
		m := s.module(t, "kvatomic", plugin.Limits{}, plugin.Grants{})
		h := New(t, plugin.Grants{})
		in := instance(t, m, h)
		open(t, in, 1)
		deliver(t, in, 1, gene.MustParse(`(incr ^key "c")`), gene.MustParse(`(cas ^key "c" ^value 1)`))
		sent := h.Sent(1)
		require.Len(t, sent, 2)
		for _, v := range sent {
			requireError(gene.Format(v), "not granted")
		}
	})
	t.Run("concurrent instances lose nothing", func(t *testing.T) {
		// Two instances of one module (as a pool, or per-link instances)
		// and an instance of another version of the plugin, each on its
		// own goroutine, add to the same counters with incr and with a
		// read-cas loop.
		const each = 150
		m2 := s.module(t, "kvatomic", plugin.Limits{}, plugin.Grants{KV: true})
		ins := []plugin.Instance{instance(t, m, h), instance(t, m, h), instance(t, m2, h)}
		errs := make(chan error, len(ins))
		for i, in := range ins {
			link := plugin.LinkID(10 + i)
			open(t, in, link)
			go func() {
				errs <- func() error {
					for j := range each {
						for _, req := range []string{`(incr ^key "shared")`, `(cas-add ^key "shared-cas")`} {
							if _, err := in.Receive(t.Context(), link, []gene.Value{gene.MustParse(req)}); err != nil {
								return fmt.Errorf("instance %d request %d %s: %w", i, j, req, err)
							}
						}
					}
					return nil
				}()
			}()
		}
		for range ins {
			require.NoError(t, <-errs)
		}
		want := fmt.Sprintf("(value %d)", each*len(ins))
		require.Equal(t, want, ask(`(get ^key "shared")`))
		require.Equal(t, want, ask(`(get ^key "shared-cas")`))
		for i := range ins {
			for _, v := range h.Sent(plugin.LinkID(10 + i)) {
				n := v.Node()
				require.True(t, n != nil && n.Head.IsSymbol("n"), "instance %d replied %s", i, gene.Format(v))
			}
		}
	})
}

// reopenStore closes h's database and opens it again from its file, as a
// host restart would.
func reopenStore(t *testing.T, h *Host) {
	t.Helper()
	require.NotNil(t, h.store, "reopenStore needs the KV grant")
	require.NoError(t, h.store.Close())
	h.store = h.open()
}

func (s *suite) control(t *testing.T) {
	m := s.module(t, "control", plugin.Limits{}, plugin.Grants{})
	in := instance(t, m, New(t, plugin.Grants{}))
	for _, c := range []struct {
		name string
		a, b int64
	}{{"small", 2, 3}, {"negative", -7, 7}, {"large", 1 << 40, 1 << 41}} {
		t.Run("add "+c.name, func(t *testing.T) {
			v, err := in.Control(t.Context(), 0, "add", gene.MustParse(fmt.Sprintf("[%d %d]", c.a, c.b)))
			require.NoError(t, err)
			require.True(t, gene.Equal(gene.MustParse(fmt.Sprint(c.a+c.b)), v), "add %d %d returned %#v", c.a, c.b, v)
		})
	}
	t.Run("unknown op", func(t *testing.T) {
		_, err := in.Control(t.Context(), 0, "frobnicate", gene.Nil())
		require.Error(t, err)
		require.Contains(t, err.Error(), "unknown op frobnicate")
	})
}

func (s *suite) throws(t *testing.T) {
	m := s.module(t, "throws", plugin.Limits{}, plugin.Grants{})
	h := New(t, plugin.Grants{})
	in := instance(t, m, h)
	open(t, in, 1)
	_, err := in.Receive(t.Context(), 1, []gene.Value{sym("x")})
	require.Error(t, err)
	require.Contains(t, err.Error(), "boom")
	require.Empty(t, h.Sent(1))
	ping(t, instance(t, m, h))
}

func (s *suite) panics(t *testing.T) {
	m := s.module(t, "panics", plugin.Limits{}, plugin.Grants{})
	h := New(t, plugin.Grants{})
	in := instance(t, m, h)
	open(t, in, 1)
	_, err := in.Receive(t.Context(), 1, []gene.Value{sym("x")})
	require.Error(t, err)
	require.False(t, errors.Is(err, plugin.ErrTimeout), "a panic is not a timeout: %v", err)
	ping(t, instance(t, m, h))
}

func (s *suite) loops(t *testing.T) {
	const timeout = 300 * time.Millisecond
	m := s.module(t, "loops", plugin.Limits{CallTimeout: timeout}, plugin.Grants{})
	h := New(t, plugin.Grants{})
	in := instance(t, m, h)
	open(t, in, 1)
	start := time.Now()
	_, err := in.Receive(t.Context(), 1, []gene.Value{sym("x")})
	took := time.Since(start)
	require.Error(t, err)
	require.ErrorIs(t, err, plugin.ErrTimeout)
	assert.GreaterOrEqual(t, took, timeout, "interrupted before its deadline")
	assert.Less(t, took, timeout+waitLong, "interrupted long after its deadline")

	t.Run("fresh instance works", func(t *testing.T) {
		ping(t, instance(t, m, h))
	})
	t.Run("context deadline interrupts too", func(t *testing.T) {
		m := s.module(t, "loops", plugin.Limits{CallTimeout: waitLong}, plugin.Grants{})
		in := instance(t, m, h)
		open(t, in, 2)
		ctx, cancel := context.WithTimeout(t.Context(), timeout)
		defer cancel()
		start := time.Now()
		_, err := in.Receive(ctx, 2, []gene.Value{sym("x")})
		require.Error(t, err)
		assert.Less(t, time.Since(start), waitLong, "the callback outlived its context")
	})
}

func (s *suite) hog(t *testing.T) {
	l := plugin.Limits{CallTimeout: 500 * time.Millisecond, MemoryPages: 64}
	m := s.module(t, "hog", l, plugin.Grants{})
	h := New(t, plugin.Grants{})
	in := instance(t, m, h)
	open(t, in, 1)
	start := time.Now()
	_, err := in.Receive(t.Context(), 1, []gene.Value{sym("x")})
	require.Error(t, err)
	assert.Less(t, time.Since(start), l.CallTimeout+waitLong)
	ping(t, instance(t, m, h))
}

func (s *suite) lifecycle(t *testing.T) {
	m := s.module(t, "lifecycle", plugin.Limits{}, plugin.Grants{})
	h := New(t, plugin.Grants{})
	in := instance(t, m, h)
	for _, c := range []struct {
		id        plugin.LinkID
		iface     string
		direction proto.Direction
	}{{7, "life", proto.DirSendRecv}, {8, "feed", proto.DirSend}} {
		t.Run(c.direction.String(), func(t *testing.T) {
			require.NoError(t, in.Open(t.Context(), plugin.LinkInfo{ID: c.id, Interface: c.iface, Direction: c.direction, Peer: "test"}))
			requireLog(t, h, c.id, fmt.Sprintf("open %d", c.id))
			deliver(t, in, c.id, gene.MustParse("(info)"))
			requireSent(t, h, c.id, gene.MustParse(fmt.Sprintf("(link ^interface %q ^direction %q)", c.iface, c.direction.String())))
			in.Closed(t.Context(), c.id, errors.New("bye"))
			requireLog(t, h, c.id, fmt.Sprintf("close %d bye", c.id))
		})
	}
}

// requireLog requires a log line "LEVEL link msg" for any level.
func requireLog(t *testing.T, h *Host, link plugin.LinkID, msg string) {
	t.Helper()
	re := regexp.MustCompile(fmt.Sprintf(`^\w+ %d %s$`, link, regexp.QuoteMeta(msg)))
	logs := h.Logs()
	for _, l := range logs {
		if re.MatchString(l) {
			return
		}
	}
	t.Fatalf("no log line %q tagged with link %d; logs: %q", msg, link, logs)
}

// nextTimer waits for h to report a timer.
func nextTimer(t *testing.T, h *Host) uint64 {
	t.Helper()
	select {
	case id := <-h.Timers:
		return id
	case <-time.After(waitLong):
		t.Fatal("no timer fired")
		return 0
	}
}

func (s *suite) timer(t *testing.T) {
	t.Run("fires", func(t *testing.T) {
		m := s.module(t, "timer", plugin.Limits{}, plugin.Grants{Timers: true})
		h := New(t, plugin.Grants{Timers: true})
		in := instance(t, m, h)
		open(t, in, 1)
		open(t, in, 2)
		deliver(t, in, 1, sym("x"))
		id := nextTimer(t, h)
		in.Timer(t.Context(), id)
		requireSent(t, h, 1, tick(id))

		// The tick goes to the last link a value arrived on.
		deliver(t, in, 2, sym("y"))
		id2 := nextTimer(t, h)
		require.NotEqual(t, id, id2, "timer ids are unique")
		in.Timer(t.Context(), id2)
		requireSent(t, h, 2, tick(id2))
		requireSent(t, h, 1, tick(id))
	})
	t.Run("not granted", func(t *testing.T) {
		m := s.module(t, "timer", plugin.Limits{}, plugin.Grants{})
		h := New(t, plugin.Grants{})
		in := instance(t, m, h)
		open(t, in, 1)
		deliver(t, in, 1, sym("x"))
		sent := h.Sent(1)
		require.Len(t, sent, 1)
		n := sent[0].Node()
		require.NotNil(t, n, "want (error MESSAGE), got %#v", sent[0])
		require.True(t, n.Head.IsSymbol("error"), "want (error MESSAGE), got %#v", sent[0])
		require.Len(t, n.Body, 1)
		require.Equal(t, gene.KindString, n.Body[0].Kind())
		require.Contains(t, n.Body[0].Str(), "not granted")
	})
}

func (s *suite) paused(t *testing.T) {
	m := s.module(t, "paused", plugin.Limits{}, plugin.Grants{Timers: true})
	h := New(t, plugin.Grants{Timers: true})
	in := instance(t, m, h)
	open(t, in, 5)
	flow, err := in.Receive(t.Context(), 5, []gene.Value{sym("first")})
	require.NoError(t, err)
	require.Equal(t, plugin.Pause, flow)
	require.Empty(t, h.Resumed())
	in.Timer(t.Context(), nextTimer(t, h))
	require.Equal(t, []plugin.LinkID{5}, h.Resumed())
	deliver(t, in, 5, sym("second"))
}

// Values.

func sym(s string) gene.Value { return gene.Symbol(s) }

// parseAll reads several top-level values.
func parseAll(text string) []gene.Value {
	vs, err := gene.ParseAll([]byte(text), gene.ReadOptions{})
	if err != nil {
		panic(err)
	}
	return vs
}

// everyKindText is a node holding a value of every kind, in the corners a
// runtime's mapping is likely to get wrong: integers around 2^53 and past
// int64, integral and negative-zero floats, chars beside one-letter strings
// and symbols, general maps with non-string keys, frozen forms, meta.
const everyKindText = `(all ^big 123456789012345678901234567890 ^one 1.0 ^nested [[[3]]] @doc "every kind"
  nil void true false
  0 -17 9007199254740991 -9007199254740991 9007199254740992 9007199254740993
  9223372036854775807 -9223372036854775808
  123456789012345678901234567890 -98765432109876543210
  1.0 0.0 -0.0 -2.0 3.25 6.02e23 9007199254740992.0 inf -inf
  "" "a" "héllo\n\"wörld\" 😀" 'a' 'é' '😀' '\n'
  a set! + a.b
  [] [1 2.0 "three" 'c' d void] #[1 2]
  {} {^name "Ada" ^age 36 ^^admin} #{^a 1}
  {{}} {{"k" : 1  2 : [x]  k : 'k'  2.0 : "float key"  [1 2] : {^z 0}  nil : nil}}
  () (nil x) (void) #([f] ^p 1 x)
  (point ^x 1 ^y 2.0 @doc "origin" @@flag child (inner @line 3))
  #B16#48656c6c6f #B16# #B16#00ff80
  #"[a-z]+\d"i #"""a "quoted" \/ part"""
  2026-11-24 09:30:15.25+01:00 23:59
  2026-11-24T09:30:00Z 1999-12-31T23:59:59.999999-05:30[Asia/Kolkata] 2026-01-02T03:04:05)`

// everyKind returns everyKindText plus what the text notation cannot
// write: a prop holding void, symbols that read as other kinds.
func everyKind() gene.Value {
	v := gene.MustParse(everyKindText)
	n := *v.Node()
	n.Body = append(n.Body[:len(n.Body):len(n.Body)],
		gene.PropMap(gene.Prop{Key: "gone", Value: gene.Void()}, gene.Prop{Key: "kept", Value: gene.Int(1)}),
		gene.Symbol("nil"), gene.Symbol("1.0"), gene.Symbol("true"),
	)
	return gene.NodeValue(&n)
}

// diff describes the first place where a and b differ in anything a
// lossless runtime must keep but gene.Equal ignores: meta, entry order,
// the sign of a zero float. It returns "" when they are identical. It is
// only meaningful once gene.Equal(a, b) holds.
func diff(a, b gene.Value, path string) string {
	if a.Kind() != b.Kind() || a.Frozen() != b.Frozen() {
		return fmt.Sprintf("%s: kind %v frozen %v, want kind %v frozen %v", path, b.Kind(), b.Frozen(), a.Kind(), a.Frozen())
	}
	switch a.Kind() {
	case gene.KindFloat:
		fa, _ := a.AsFloat()
		fb, _ := b.AsFloat()
		if math.Signbit(fa) != math.Signbit(fb) {
			return fmt.Sprintf("%s: float %v, want %v", path, fb, fa)
		}
	case gene.KindList:
		for i := range a.List() {
			if d := diff(a.List()[i], b.List()[i], fmt.Sprintf("%s[%d]", path, i)); d != "" {
				return d
			}
		}
	case gene.KindProps:
		return diffProps(a.Props(), b.Props(), path, "^")
	case gene.KindMap:
		ea, eb := a.Entries(), b.Entries()
		for i := range ea {
			if !gene.Equal(ea[i].Key, eb[i].Key) {
				return fmt.Sprintf("%s: map entry %d has key %#v, want %#v (order lost)", path, i, eb[i].Key, ea[i].Key)
			}
			if d := diff(ea[i].Key, eb[i].Key, fmt.Sprintf("%s{key %d}", path, i)); d != "" {
				return d
			}
			if d := diff(ea[i].Value, eb[i].Value, fmt.Sprintf("%s{%d}", path, i)); d != "" {
				return d
			}
		}
	case gene.KindNode:
		na, nb := a.Node(), b.Node()
		if d := diff(na.Head, nb.Head, path+".head"); d != "" {
			return d
		}
		if d := diffProps(na.Props, nb.Props, path, "^"); d != "" {
			return d
		}
		if len(na.Meta) != len(nb.Meta) {
			return fmt.Sprintf("%s: meta %v, want %v", path, nb.Meta, na.Meta)
		}
		for i := range na.Meta {
			if na.Meta[i].Key != nb.Meta[i].Key || !gene.Equal(na.Meta[i].Value, nb.Meta[i].Value) {
				return fmt.Sprintf("%s: meta %v, want %v", path, nb.Meta, na.Meta)
			}
		}
		if d := diffProps(na.Meta, nb.Meta, path, "@"); d != "" {
			return d
		}
		for i := range na.Body {
			if d := diff(na.Body[i], nb.Body[i], fmt.Sprintf("%s[%d]", path, i)); d != "" {
				return d
			}
		}
	}
	return ""
}

func diffProps(a, b gene.Props, path, sigil string) string {
	var ka, kb []string
	for i := range a {
		ka, kb = append(ka, a[i].Key), append(kb, b[i].Key)
	}
	if strings.Join(ka, " ") != strings.Join(kb, " ") {
		return fmt.Sprintf("%s: keys in order %v, want %v", path, kb, ka)
	}
	for i := range a {
		if d := diff(a[i].Value, b[i].Value, path+sigil+a[i].Key); d != "" {
			return d
		}
	}
	return ""
}
