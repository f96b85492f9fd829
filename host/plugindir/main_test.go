package plugindir_test

import (
	"os"
	"testing"

	"github.com/genehost/genehost/host/internal/leakcheck"
	"github.com/genehost/genehost/host/worker/workertest"
)

// TestMain fails the run when goroutines or file descriptors opened by
// the tests outlive them (leakcheck.Main): every instance, timer, pool
// rebuilder, watcher and store has an owner that stops or closes it.
//
// The test binary is also the worker process of plugins with ^isolation
// "process" (workertest): started as one, it serves and exits.
func TestMain(m *testing.M) {
	workertest.ServeIfWorker()
	os.Exit(leakcheck.Main(m))
}
