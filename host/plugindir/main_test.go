package plugindir_test

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/genehost/genehost/host/worker/workertest"
)

// TestMain fails the run when goroutines started by the tests outlive
// them: every instance, timer, pool rebuilder and watcher has an owner
// that stops it.
//
// The test binary is also the worker process of plugins with ^isolation
// "process" (workertest): started as one, it serves and exits.
func TestMain(m *testing.M) {
	workertest.ServeIfWorker()
	code := m.Run()
	if code == 0 {
		if leaked := leakedGoroutines(); leaked != "" {
			fmt.Fprintf(os.Stderr, "leaked goroutines:\n%s\n", leaked)
			code = 1
		}
	}
	os.Exit(code)
}

// ours reports whether a goroutine's stack runs code of genehost or of
// the libraries the plugins run on.
func ours(stack string) bool {
	for _, s := range []string{"genehost/genehost/", "dop251/goja", "tetratelabs/wazero", "fsnotify", "go.etcd.io/bbolt"} {
		if strings.Contains(stack, s) {
			return true
		}
	}
	return false
}

// leakedGoroutines waits up to 5s for goroutines of ours to end
// and returns the stacks of those left.
func leakedGoroutines() string {
	deadline := time.Now().Add(5 * time.Second)
	for {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		var leaked []string
		for _, g := range strings.Split(string(buf), "\n\n") {
			if ours(g) && !strings.Contains(g, "leakedGoroutines") && !strings.Contains(g, "testing.(*M).") {
				leaked = append(leaked, g)
			}
		}
		if len(leaked) == 0 {
			return ""
		}
		if time.Now().After(deadline) {
			return strings.Join(leaked, "\n\n")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
