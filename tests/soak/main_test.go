package soak

import (
	"os"
	"testing"

	"github.com/genehost/genehost/host/worker/workertest"
)

// TestMain lets the test binary be the worker process of the plugins the
// soak serves with ^isolation "process" (JavaScript's default).
func TestMain(m *testing.M) {
	workertest.ServeIfWorker()
	os.Exit(m.Run())
}
