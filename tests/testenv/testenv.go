// Package testenv decides what a test does when the machine lacks something
// it needs (a tool on PATH, root): locally it skips, so a developer without
// clang, Node.js or python3 still gets a green run of what can run; with
// the environment variable CI set to "true" it fails, because the CI
// machine is set up to run every test (make test installs the tools, CI
// runs as root) and a skip there would hide a test that never ran.
package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// CI reports whether the environment variable CI is "true".
func CI() bool { return os.Getenv("CI") == "true" }

// Skipf skips t with the formatted reason, or fails t with it under
// CI=true.
func Skipf(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if CI() {
		t.Fatalf("%s [CI=true: this test must run here, not skip; make test installs its tools]", msg)
	}
	t.Skip(msg)
}

// NeedTool returns the path of tool on PATH. When there is none it skips t
// (fails it under CI=true), saying why the test needs it.
func NeedTool(t testing.TB, tool, why string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		Skipf(t, "%s not found: %s", tool, why)
	}
	return p
}

// NeedRoot skips t (fails it under CI=true) unless the process runs as
// root, saying why the test needs it.
func NeedRoot(t testing.TB, why string) {
	t.Helper()
	if os.Geteuid() != 0 {
		Skipf(t, "not root: %s", why)
	}
}
