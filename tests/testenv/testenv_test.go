package testenv

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestSkipOrFail runs a missing-tool test in a child process with CI unset
// and with CI=true: it must skip in the first and fail in the second.
func TestSkipOrFail(t *testing.T) {
	if os.Getenv("GENEHOST_TESTENV_CHILD") != "" {
		NeedTool(t, "genehost-no-such-tool", "the child of TestSkipOrFail")
		t.Log("unreachable")
		return
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	run := func(ci string) (string, error) {
		cmd := exec.Command(self, "-test.run=^TestSkipOrFail$", "-test.v")
		env := []string{"GENEHOST_TESTENV_CHILD=1"}
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "CI=") {
				env = append(env, kv)
			}
		}
		if ci != "" {
			env = append(env, "CI="+ci)
		}
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	for _, ci := range []string{"", "false", "1"} {
		out, err := run(ci)
		if err != nil || !strings.Contains(out, "--- SKIP") || strings.Contains(out, "unreachable") {
			t.Errorf("CI=%q: want a skip, got %v:\n%s", ci, err, out)
		}
	}
	out, err := run("true")
	if err == nil || !strings.Contains(out, "--- FAIL") || !strings.Contains(out, "genehost-no-such-tool not found") || strings.Contains(out, "unreachable") {
		t.Errorf("CI=true: want a failure, got %v:\n%s", err, out)
	}
}
