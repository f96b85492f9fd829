package plugins_test

import (
	"testing"

	"github.com/genehost/genehost/gene"
)

// benchRig is a rig for a benchmark: one link open, store granted.
func benchRig(b *testing.B, name string) *rig {
	b.Helper()
	p, m := compile(b, name)
	r := newRig(b, p, m, newDB(b))
	r.open(1)
	return r
}

// benchValues delivers v on link 1 b.N times, one value per callback, and
// reports values per second.
func benchValues(b *testing.B, r *rig, v gene.Value) {
	b.Helper()
	vs := []gene.Value{v}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := r.in.Receive(b.Context(), 1, vs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "values/s")
}

// runDueTimers runs the timers that have come due, as the host would
// between callbacks (the queue writes group positions from a timer).
func runDueTimers(b *testing.B, r *rig) {
	for {
		select {
		case id := <-r.h.Timers:
			r.in.Timer(b.Context(), id)
		default:
			return
		}
	}
}

// The recording host keeps every value sent, so each benchmark measures
// the plugin and its runtime plus an append.

func BenchmarkEchoJS(b *testing.B) {
	benchValues(b, benchRig(b, "echo"), gene.MustParse(`(hello ^to "world" ^n 1)`))
}

func BenchmarkKVGet(b *testing.B) {
	r := benchRig(b, "kv")
	if _, err := r.in.Receive(b.Context(), 1, []gene.Value{gene.MustParse(`(set ^key "user/ada" ^value {^name "Ada" ^born 1815})`)}); err != nil {
		b.Fatal(err)
	}
	benchValues(b, r, gene.MustParse(`(get ^key "user/ada" ^id 1)`))
}

// BenchmarkKVSet includes the store's durable commit (an fsync) per set.
func BenchmarkKVSet(b *testing.B) {
	benchValues(b, benchRig(b, "kv"), gene.MustParse(`(set ^key "user/ada" ^value {^name "Ada" ^born 1815})`))
}

// BenchmarkQueuePublish includes one durable commit per publish.
func BenchmarkQueuePublish(b *testing.B) {
	benchValues(b, benchRig(b, "queue"), gene.MustParse(`(publish ^topic "bench" ^value {^n 1})`))
}

// BenchmarkQueuePublishBatch delivers 16 publishes per callback, as a
// producer with 16 requests in flight does: one durable commit for all.
func BenchmarkQueuePublishBatch(b *testing.B) {
	r := benchRig(b, "queue")
	batch := make([]gene.Value, 16)
	for i := range batch {
		batch[i] = gene.MustParse(`(publish ^topic "bench" ^value {^n 1})`)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := r.in.Receive(b.Context(), 1, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "values/s")
}

// BenchmarkQueueDeliver measures a consumer's round: an ack, its reply,
// and the next message read from the log and pushed, plus the group's
// position written behind by a timer. Messages are published with the
// timer stopped.
func BenchmarkQueueDeliver(b *testing.B) {
	r := benchRig(b, "queue")
	batch := make([]gene.Value, 16)
	for i := range batch {
		batch[i] = gene.MustParse(`(publish ^topic "t" ^value {^n 1})`)
	}
	published := int64(0)
	publish := func() {
		if _, err := r.in.Receive(b.Context(), 1, batch); err != nil {
			b.Fatal(err)
		}
		published += int64(len(batch))
	}
	publish()
	r.open(2)
	if _, err := r.in.Receive(b.Context(), 2, []gene.Value{gene.MustParse(`(subscribe ^topic "t" ^group "g" ^prefetch 1)`)}); err != nil {
		b.Fatal(err)
	}
	seq := int64(1)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if seq+1 > published {
			b.StopTimer()
			publish()
			b.StartTimer()
		}
		ack := gene.MustParse(`(ack ^topic "t" ^group "g" ^seq 1)`)
		ack.Node().Props.Set("seq", gene.Int(seq))
		if _, err := r.in.Receive(b.Context(), 2, []gene.Value{ack}); err != nil {
			b.Fatal(err)
		}
		runDueTimers(b, r)
		seq++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "messages/s")
}

// BenchmarkQueueAckBatch is BenchmarkQueueDeliver with a consumer that
// acknowledges 16 messages per batch.
func BenchmarkQueueAckBatch(b *testing.B) {
	r := benchRig(b, "queue")
	const n = 16
	batch := make([]gene.Value, n)
	for i := range batch {
		batch[i] = gene.MustParse(`(publish ^topic "t" ^value {^n 1})`)
	}
	published := int64(0)
	publish := func() {
		if _, err := r.in.Receive(b.Context(), 1, batch); err != nil {
			b.Fatal(err)
		}
		published += n
	}
	publish()
	publish()
	r.open(2)
	if _, err := r.in.Receive(b.Context(), 2, []gene.Value{gene.MustParse(`(subscribe ^topic "t" ^group "g" ^prefetch 16)`)}); err != nil {
		b.Fatal(err)
	}
	seq := int64(1)
	acks := make([]gene.Value, n)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if seq+2*n > published {
			b.StopTimer()
			publish()
			b.StartTimer()
		}
		for i := range acks {
			acks[i] = gene.MustParse(`(ack ^topic "t" ^group "g" ^seq 1)`)
			acks[i].Node().Props.Set("seq", gene.Int(seq))
			seq++
		}
		if _, err := r.in.Receive(b.Context(), 2, acks); err != nil {
			b.Fatal(err)
		}
		runDueTimers(b, r)
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "messages/s")
}

func BenchmarkWebAPI(b *testing.B) {
	r := benchRig(b, "web")
	benchValues(b, r, gene.MustParse(`(request ^id 1 ^method "GET" ^path "/api/echo" ^query {^a "1"} ^headers {^accept "*/*"})`))
}
