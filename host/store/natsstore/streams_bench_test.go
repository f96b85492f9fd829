package natsstore_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/store/natsstore/natstest"
)

// The fan-out benchmarks are scenario 4 of tests/bench without the host's
// links: one publisher (16 publishes awaiting their acknowledgement, the
// slowest consumer at most fanOutWindow messages behind) and fanOutSubs
// consumers, each in a group of its own, acknowledging every message. Run
// both to compare natsstore's delivery with JetStream used directly on
// the same server:
//
//	go test -run NONE -bench FanOut -benchtime 3s ./host/store/natsstore/
const (
	fanOutSubs     = 100
	fanOutWindow   = 64
	fanOutInflight = 16
	fanOutPrefetch = 256
)

var fanOutPayload = make([]byte, 64)

// fanOutSink is a consumer: what it is sent goes to a goroutine that
// acknowledges it, as a client does.
type fanOutSink struct {
	id   plugin.LinkID
	done chan struct{}
	q    chan uint64
	got  atomic.Int64
}

func (s *fanOutSink) ID() plugin.LinkID     { return s.id }
func (s *fanOutSink) Done() <-chan struct{} { return s.done }
func (s *fanOutSink) TrySend(d *plugin.Delivery) error {
	return s.Send(context.Background(), d)
}

func (s *fanOutSink) Send(ctx context.Context, d *plugin.Delivery) error {
	select {
	case s.q <- d.Seq:
		s.got.Add(1)
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.done:
		return plugin.ErrNoCredit
	}
}

// fanOut publishes for b.N messages with publish and reports deliveries/s;
// slowest is the count of the slowest consumer.
func fanOut(b *testing.B, slowest func() int64, publish func(n int) error) {
	var sent atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	cpu0 := cpuTime()
	start := time.Now()
	for w := 0; w < fanOutInflight; w++ {
		wg.Go(func() {
			for {
				n := sent.Add(1)
				if n > int64(b.N) {
					return
				}
				for n-slowest() > fanOutWindow {
					time.Sleep(100 * time.Microsecond)
				}
				if err := publish(int(n)); err != nil {
					failed.CompareAndSwap(nil, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err, ok := failed.Load().(error); ok {
		b.Fatal(err)
	}
	for deadline := time.Now().Add(time.Minute); slowest() < int64(b.N); time.Sleep(100 * time.Microsecond) {
		if time.Now().After(deadline) {
			b.Fatalf("the slowest consumer got %d of %d", slowest(), b.N)
		}
	}
	b.ReportMetric(float64(b.N)*fanOutSubs/time.Since(start).Seconds(), "deliveries/s")
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N*fanOutSubs), "cpu-ns/delivery")
}

// cpuTime is the CPU time the process used so far (user and system), the
// server's included: a figure less moved by other load than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

var fanOutRun atomic.Int64

func BenchmarkFanOutNatsstore(b *testing.B) {
	st := openStreams(b, natstest.Start(b), "bench")
	stream := fmt.Sprintf("s%d", fanOutRun.Add(1))
	sinks := make([]*fanOutSink, fanOutSubs)
	var wg sync.WaitGroup
	for i := range sinks {
		k := &fanOutSink{id: plugin.LinkID(i + 1), done: make(chan struct{}), q: make(chan uint64, fanOutPrefetch)}
		sinks[i] = k
		group := fmt.Sprintf("g%d", i)
		if _, err := st.Attach(k, stream, group, plugin.AttachOptions{Prefetch: fanOutPrefetch}); err != nil {
			b.Fatal(err)
		}
		wg.Go(func() {
			for {
				select {
				case <-k.done:
					return
				case seq := <-k.q:
					if err := st.Ack(stream, group, seq); err != nil {
						b.Error(err)
					}
				}
			}
		})
	}
	defer func() {
		for _, k := range sinks {
			close(k.done)
		}
		wg.Wait()
	}()
	slowest := func() int64 {
		low := sinks[0].got.Load()
		for _, k := range sinks[1:] {
			low = min(low, k.got.Load())
		}
		return low
	}
	b.ResetTimer()
	fanOut(b, slowest, func(int) error {
		_, err := st.Publish([]plugin.StreamEntry{{Stream: stream, Value: fanOutPayload}})
		return err
	})
}

func BenchmarkFanOutJetStream(b *testing.B) {
	srv := natstest.Start(b)
	pub, err := nats.Connect(srv.URL())
	if err != nil {
		b.Fatal(err)
	}
	defer pub.Close()
	js, err := pub.JetStream(nats.PublishAsyncMaxPending(fanOutInflight))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := js.AddStream(&nats.StreamConfig{Name: "BENCH", Subjects: []string{"bench.>"}, Storage: nats.FileStorage}); err != nil {
		b.Fatal(err)
	}
	subject := fmt.Sprintf("bench.%d", fanOutRun.Add(1))
	got := make([]atomic.Int64, fanOutSubs)
	for i := range got {
		nc, err := nats.Connect(srv.URL())
		if err != nil {
			b.Fatal(err)
		}
		defer nc.Close()
		sjs, err := nc.JetStream()
		if err != nil {
			b.Fatal(err)
		}
		sub, err := sjs.Subscribe(subject, func(m *nats.Msg) {
			_ = m.Ack()
			got[i].Add(1)
		}, nats.Durable(fmt.Sprintf("g%d", i)), nats.BindStream("BENCH"), nats.ManualAck(), nats.AckExplicit(), nats.DeliverAll(), nats.MaxAckPending(fanOutPrefetch))
		if err != nil {
			b.Fatal(err)
		}
		defer sub.Unsubscribe()
		_ = sub.SetPendingLimits(-1, -1)
	}
	slowest := func() int64 {
		low := got[0].Load()
		for i := 1; i < len(got); i++ {
			low = min(low, got[i].Load())
		}
		return low
	}
	var mu sync.Mutex // PublishAsync from one goroutine, as the peer does
	b.ResetTimer()
	fanOut(b, slowest, func(int) error {
		mu.Lock()
		defer mu.Unlock()
		_, err := js.PublishAsync(subject, fanOutPayload, nats.StallWait(30*time.Second))
		return err
	})
	<-js.PublishAsyncComplete()
}
