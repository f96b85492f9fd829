package host_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host"
	"github.com/genehost/genehost/tests/testenv"
)

// TestClientWrittenFromProtocolMD runs testdata/pyclient.py, a client
// written from PROTOCOL.md alone (Python standard library), against the
// host: it must interoperate.
func TestClientWrittenFromProtocolMD(t *testing.T) {
	py := testenv.NeedTool(t, "python3", "the independent client testdata/pyclient.py cannot run (tools/test-tools.sh installs it under CI=true)")
	_, ua, _ := serve(t, host.Config{}, map[string]host.Handler{"echo": host.Echo}, nil)
	values := []string{`(hello ^from "python")`, `[1 2.5 "three" #"4"]`, `{^nested {^map true}}`}
	out, err := exec.Command(py, append([]string{"testdata/pyclient.py", strings.TrimPrefix(ua, "unix://"), "echo"}, values...)...).CombinedOutput()
	require.NoError(t, err, "%s", out)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	require.Len(t, lines, len(values), "%s", out)
	for i, v := range values {
		assert.True(t, gene.Equal(gene.MustParse(v), gene.MustParse(lines[i])), "got %s want %s", lines[i], v)
	}
}
