package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/client"
	"github.com/genehost/genehost/proto"
)

func init() {
	commands["bench"] = command{summary: "measure round trips and streams against a live host (percentiles, msgs/s)", run: runBench}
}

func runBench(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &cli{name: "bench", stdin: stdin, stdout: stdout, stderr: stderr}
	fs := c.newFlags("bench [flags] [ADDR] IFACE [VALUE]", `
Measure interface IFACE of a running host with VALUE (Gene text, or JSON
with --json; default "hello"), then print what was measured: the count,
the time, values per second and, where replies come back, the latency
percentiles (min, p50, p90, p99, max). It stops after --count values or
--duration, whichever comes first.

--mode rtt (the default) opens --links send+recv links; on each, one
request at a time: send VALUE, wait for the reply. The latency is the
round trip.

--mode stream sends and receives as fast as the host's flow control lets
on each link. On a send+recv interface it sends --count values while it
reads the replies (one per value, in order, as echo does): the latency is
from sending a value to its reply, under load. On a "recv" interface it
only sends, and the count is done when the host took every value; on a
"send" interface it only receives.

Speed is for comparing setups on one machine (a plugin's cost, Unix socket
against TCP, JavaScript against WebAssembly); BENCHMARKS.md has the
project's recorded numbers and how they are made.

`+addrHelp+"\n"+metaHelp+tlsHelp, `
  genehost bench - echo
  genehost bench - echo --links 4 --duration 5s
  genehost bench - echo '[1 2 3]' --mode stream --count 100000
  genehost bench tcp://127.0.0.1:7470 kv '(get ^key "a")' --count 5000
  genehost bench - echo --json '{"n": 1}' --format json`)
	mode := fs.String("mode", "rtt", "rtt (one request at a time per link) or stream (as fast as flow control lets)")
	count := fs.Int("count", 10000, "stop after this many values (across links); 0: until --duration")
	duration := fs.Duration("duration", 10*time.Second, "stop after this long; 0: until --count")
	links := fs.Int("links", 1, "how many links run at once (each on its own goroutine, one connection)")
	asJSON := addJSONFlag(fs)
	format := fs.String("format", "text", "text, or json: one JSON document with the results (durations in nanoseconds)")
	cf := addClientFlags(fs)
	a, code, ok := cf.parse(c, fs, args, 1, 2, "[ADDR] IFACE [VALUE]")
	if !ok {
		return code
	}
	t, md, pos := a.target, a.meta, a.pos
	switch {
	case *mode != "rtt" && *mode != "stream":
		return c.usageErr("--mode %q: want rtt or stream", *mode)
	case *format != "text" && *format != "json":
		return c.usageErr("--format %q: want text or json", *format)
	case *count < 0 || *duration < 0 || (*count == 0 && *duration == 0):
		return c.usageErr("--count and --duration bound the run: give at least one, neither negative")
	case *links < 1:
		return c.usageErr("--links %d: at least 1", *links)
	}
	v := gene.String("hello")
	if len(pos) == 2 {
		var err error
		if v, err = (syntax{json: *asJSON}).one("VALUE", []byte(pos[1])); err != nil {
			return c.usageErr("%v", err)
		}
	}
	ctx, conn, done, err := connect(0, t)
	if err != nil {
		return c.fail(err)
	}
	defer done()
	b := bench{conn: conn, iface: pos[0], meta: md, value: v, links: *links, stream: *mode == "stream"}
	if *count > 0 {
		b.budget.Store(int64(*count))
	} else {
		b.budget.Store(-1)
	}
	res, err := b.run(ctx, *duration)
	if err != nil {
		return c.fail(err)
	}
	res.Address = t.addr
	if *format == "json" {
		out, err := json.Marshal(res)
		if err != nil {
			return c.fail(err)
		}
		fmt.Fprintf(stdout, "%s\n", out)
		return exitOK
	}
	res.print(stdout)
	return exitOK
}

// bench is one run of genehost bench.
type bench struct {
	conn   *client.Conn
	iface  string
	meta   gene.Props
	value  gene.Value
	links  int
	stream bool
	// budget is the values left to send (across links); -1: no limit.
	budget atomic.Int64
}

// take reserves one value of the budget.
func (b *bench) take() bool {
	for {
		n := b.budget.Load()
		if n < 0 {
			return true
		}
		if n == 0 {
			return false
		}
		if b.budget.CompareAndSwap(n, n-1) {
			return true
		}
	}
}

// benchResult is what a run measured.
type benchResult struct {
	Interface string          `json:"interface"`
	Address   string          `json:"address"`
	Mode      string          `json:"mode"` // rtt, stream, send (recv interface), recv (send interface)
	Links     int             `json:"links"`
	Bytes     int             `json:"value_bytes"` // of the value as Gene text
	Count     int             `json:"count"`
	Elapsed   time.Duration   `json:"elapsed_ns"`
	PerSecond float64         `json:"msgs_per_second"`
	Latency   *latencySummary `json:"latency_ns,omitempty"`
}

// latencySummary are the percentiles of the latencies measured.
type latencySummary struct {
	Min time.Duration `json:"min"`
	P50 time.Duration `json:"p50"`
	P90 time.Duration `json:"p90"`
	P99 time.Duration `json:"p99"`
	Max time.Duration `json:"max"`
}

func summarize(ds []time.Duration) *latencySummary {
	if len(ds) == 0 {
		return nil
	}
	slices.Sort(ds)
	at := func(q float64) time.Duration { return ds[int(q*float64(len(ds)-1)+0.5)] }
	return &latencySummary{Min: ds[0], P50: at(0.50), P90: at(0.90), P99: at(0.99), Max: ds[len(ds)-1]}
}

func (r benchResult) print(w io.Writer) {
	what := map[string]string{"rtt": "round trips", "stream": "values streamed both ways", "send": "values sent", "recv": "values received"}[r.Mode]
	fmt.Fprintf(w, "bench %s at %s: %s, %d link(s), values of %d bytes\n", r.Interface, r.Address, what, r.Links, r.Bytes)
	fmt.Fprintf(w, "%d %s in %s: %.0f msgs/s\n", r.Count, what, roundDuration(r.Elapsed), r.PerSecond)
	if l := r.Latency; l != nil {
		fmt.Fprintf(w, "latency: min %s  p50 %s  p90 %s  p99 %s  max %s\n",
			roundDuration(l.Min), roundDuration(l.P50), roundDuration(l.P90), roundDuration(l.P99), roundDuration(l.Max))
	}
}

// run opens the links, runs them until the budget is spent or duration
// passes, and sums up.
func (b *bench) run(ctx context.Context, duration time.Duration) (benchResult, error) {
	dir, err := interfaceDirection(ctx, b.conn, b.iface, b.meta)
	if err != nil {
		return benchResult{}, err
	}
	mode := "rtt"
	switch {
	case dir == proto.DirSend:
		mode = "recv"
	case dir == proto.DirRecv:
		mode = "send"
	case b.stream:
		mode = "stream"
	}
	if mode != "rtt" && !b.stream {
		return benchResult{}, fmt.Errorf("interface %q is %q: no round trips; --mode stream measures what it %s", b.iface, dir, map[string]string{"recv": "sends", "send": "takes"}[mode])
	}
	ls := make([]*client.Link, 0, b.links)
	defer func() {
		for _, l := range ls {
			l.Reset(proto.CodeCancelled, "bench done")
		}
	}()
	for range b.links {
		l, err := b.conn.Open(ctx, b.iface, dir, client.LinkOptions{Meta: b.meta})
		if err != nil {
			return benchResult{}, err
		}
		ls = append(ls, l)
	}
	start := time.Now()
	rctx, cancel := ctx, context.CancelFunc(func() {})
	if duration > 0 {
		rctx, cancel = context.WithTimeout(ctx, duration)
	}
	defer cancel()
	type linkResult struct {
		n    int
		lat  []time.Duration
		err  error
		link int
	}
	results := make([]linkResult, len(ls))
	var wg sync.WaitGroup
	for i, l := range ls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var r linkResult
			switch mode {
			case "rtt":
				r.n, r.lat, r.err = b.roundTrips(rctx, l)
			case "stream":
				r.n, r.lat, r.err = b.streamBoth(rctx, l)
			case "send":
				r.n, r.err = b.sendOnly(rctx, l)
			case "recv":
				r.n, r.err = b.recvOnly(rctx, l)
			}
			r.link = i + 1
			results[i] = r
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if ctx.Err() != nil {
		return benchResult{}, ctx.Err() // interrupted
	}
	res := benchResult{Interface: b.iface, Mode: mode, Links: len(ls), Bytes: len(gene.AppendText(nil, b.value)), Elapsed: elapsed}
	var lat []time.Duration
	for _, r := range results {
		if r.err != nil && !errors.Is(r.err, context.DeadlineExceeded) {
			return benchResult{}, fmt.Errorf("link %d after %d values: %w", r.link, r.n, r.err)
		}
		res.Count += r.n
		lat = append(lat, r.lat...)
	}
	res.PerSecond = float64(res.Count) / elapsed.Seconds()
	res.Latency = summarize(lat)
	return res, nil
}

// roundTrips sends one value and waits for its reply, while the budget
// and ctx last.
func (b *bench) roundTrips(ctx context.Context, l *client.Link) (int, []time.Duration, error) {
	var lat []time.Duration
	for b.take() {
		start := time.Now()
		if err := l.Send(ctx, b.value); err != nil {
			return len(lat), lat, err
		}
		if _, err := l.Recv(ctx); err != nil {
			return len(lat), lat, err
		}
		lat = append(lat, time.Since(start))
	}
	return len(lat), lat, nil
}

// streamBoth sends values as fast as credit allows while it reads the
// replies, one per value in order; a reply's latency is from its value's
// send.
func (b *bench) streamBoth(ctx context.Context, l *client.Link) (int, []time.Duration, error) {
	sent := make(chan time.Time, 1<<16)
	sendErr := make(chan error, 1)
	go func() {
		defer close(sent)
		for b.take() {
			at := time.Now()
			if err := l.Send(ctx, b.value); err != nil {
				sendErr <- err
				return
			}
			select {
			case sent <- at:
			case <-ctx.Done():
				return
			}
		}
	}()
	var lat []time.Duration
	for at := range sent {
		if _, err := l.Recv(ctx); err != nil {
			// The sender stops at ctx's end too; drain what it queued.
			for range sent {
			}
			return len(lat), lat, err
		}
		lat = append(lat, time.Since(at))
	}
	select {
	case err := <-sendErr:
		return len(lat), lat, err
	default:
	}
	return len(lat), lat, ctx.Err()
}

// sendOnly sends values as fast as credit allows, then closes its side and
// waits until the host has taken them all (it ends the link).
func (b *bench) sendOnly(ctx context.Context, l *client.Link) (int, error) {
	n := 0
	for b.take() {
		if err := l.Send(ctx, b.value); err != nil {
			return n, err
		}
		n++
	}
	if err := l.CloseSend(ctx); err != nil {
		return n, err
	}
	select {
	case <-l.Done():
		return n, l.Err()
	case <-ctx.Done():
		return n, ctx.Err()
	}
}

// recvOnly receives values until the budget or ctx ends, or the host ends
// the link.
func (b *bench) recvOnly(ctx context.Context, l *client.Link) (int, error) {
	n := 0
	for b.take() {
		if _, err := l.Recv(ctx); err != nil {
			if errors.Is(err, io.EOF) {
				return n, nil
			}
			return n, err
		}
		n++
	}
	return n, nil
}
