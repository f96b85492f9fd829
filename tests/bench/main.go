// Command bench measures genehost against gRPC-go and NATS on loopback,
// in one process run on one machine, and prints one table: for each
// scenario of issue 7 the median genehost figure, the median peer
// figure, their ratio, the target and whether it is met.
//
//	go run ./tests/bench            # from the repository root (make bench-peers)
//	go run ./tests/bench -quick     # a short smoke run
//
// Every figure is the median of -runs runs; the runs of genehost and of
// its peers are interleaved so that a disturbance of the machine hits
// both. Scenarios that measure host memory run the server in a child
// process (this program again, with -child) so that the client's memory
// is not counted.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/genehost/genehost/host/worker/workertest"
)

// config is what the flags set.
type config struct {
	runs       int           // runs per figure; the median is reported
	quick      bool          // short smoke run
	dur        time.Duration // length of one timed run
	scenarios  map[int]bool  // which scenarios to run; empty means all
	cpuprofile string        // write a CPU profile of the whole run here
	trials     string        // run only the trials whose name contains this
	memprofile string        // directory for heap profiles of the child hosts
	links      int           // scenario 5: idle data links in total
	transports int           // scenario 5: transports they are spread over
	subs       int           // scenario 4: subscribers
	verbose    bool
}

func main() {
	// This program is also the worker process of the JavaScript plugins
	// it serves (^isolation "process"), as genehost is.
	workertest.ServeIfWorker()
	var (
		cfg   config
		only  string
		child string
		sock  string
	)
	flag.IntVar(&cfg.runs, "runs", 5, "timed runs per figure; each figure is their median")
	flag.BoolVar(&cfg.quick, "quick", false, "short smoke run: 3 runs of 100ms, 1,000 idle links, 20 subscribers")
	flag.DurationVar(&cfg.dur, "d", time.Second, "length of one timed run")
	flag.StringVar(&only, "scenarios", "", "comma-separated scenario numbers to run (default all)")
	flag.StringVar(&cfg.cpuprofile, "cpuprofile", "", "write a CPU profile of the run to this file")
	flag.StringVar(&cfg.trials, "trials", "", "run only the timed trials whose name contains this (e.g. genehost, to profile one side)")
	flag.StringVar(&cfg.memprofile, "memprofile", "", "directory to write heap profiles of the child hosts in (scenarios 5 and 6)")
	flag.IntVar(&cfg.links, "links", 10000, "scenario 5: idle data links in total")
	flag.IntVar(&cfg.transports, "transports", 100, "scenario 5: transports the idle links are spread over")
	flag.IntVar(&cfg.subs, "subs", 100, "scenario 4: subscribers")
	flag.BoolVar(&cfg.verbose, "v", false, "log each run")
	flag.StringVar(&child, "child", "", "internal: run as the server child process of a memory scenario")
	flag.StringVar(&sock, "sock", "", "internal: the child's socket path")
	flag.Parse()

	if child != "" {
		if err := runChild(child, sock); err != nil {
			fmt.Fprintln(os.Stderr, "bench child:", err)
			os.Exit(1)
		}
		return
	}

	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if cfg.quick {
		if !set["runs"] {
			cfg.runs = 3
		}
		if !set["d"] {
			cfg.dur = 100 * time.Millisecond
		}
		if !set["links"] {
			cfg.links = 1000
		}
		if !set["transports"] {
			cfg.transports = 10
		}
		if !set["subs"] {
			cfg.subs = 20
		}
	}
	var err error
	if cfg.scenarios, err = parseScenarios(only); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	if cfg.runs < 1 || cfg.dur <= 0 || cfg.links < 1 || cfg.transports < 1 || cfg.links < cfg.transports || cfg.subs < 1 {
		fmt.Fprintln(os.Stderr, "bench: -runs, -d, -links, -transports and -subs must be positive, and -links at least -transports")
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func parseScenarios(s string) (map[int]bool, error) {
	m := map[int]bool{}
	if s == "" {
		return m, nil
	}
	for _, f := range strings.Split(s, ",") {
		var n int
		if _, err := fmt.Sscanf(strings.TrimSpace(f), "%d", &n); err != nil || n < 1 || n > 7 {
			return nil, fmt.Errorf("-scenarios: %q is not a scenario number 1-7", f)
		}
		m[n] = true
	}
	return m, nil
}

func run(ctx context.Context, cfg config) error {
	dir, err := os.MkdirTemp("", "genehost-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	if cfg.cpuprofile != "" {
		f, err := os.Create(cfg.cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	b := &bench{cfg: cfg, dir: dir}
	start := time.Now()
	for _, s := range scenarios {
		if len(cfg.scenarios) > 0 && !cfg.scenarios[s.num] {
			continue
		}
		if ctx.Err() != nil {
			break
		}
		b.logf("scenario %d: %s", s.num, s.name)
		if err := s.run(ctx, b); err != nil {
			b.note(fmt.Sprintf("scenario %d (%s) failed: %v", s.num, s.name, err))
		}
	}
	fmt.Printf("genehost vs gRPC and NATS: %d runs per figure (median), %v per run; GOMAXPROCS %d, %s/%s, %s; took %v\n\n",
		cfg.runs, cfg.dur, runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, runtime.Version(), time.Since(start).Round(time.Second))
	b.print(os.Stdout)
	return ctx.Err()
}

// scenario is one numbered scenario of issue 7.
type scenario struct {
	num  int
	name string
	run  func(ctx context.Context, b *bench) error
}

var scenarios = []scenario{
	{1, "round trip, one in flight", scenarioRoundTrip},
	{2, "round trip, 32 in flight on one transport", scenarioPipelined},
	{3, "one-way stream, decoded on receive", scenarioStream},
	{4, "fan-out to subscribers", scenarioFanOut},
	{5, "idle scale", scenarioIdle},
	{6, "flood to a handler that never consumes", scenarioFlood},
	{7, "hot reload under load", scenarioReload},
}
