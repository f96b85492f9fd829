package tests

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/tests/testenv"
)

// TestManifestAsyncAPIValidates runs the official AsyncAPI parser
// (@asyncapi/parser, tools/asyncapi/validate.js, installed by
// tools/test-tools.sh) over what 'genehost manifest ADDR IFACE --format
// asyncapi' prints for every shipped interface: no error, no warning.
// (host/asyncapi_test.go checks the export's edge cases, and that the
// parser does refuse a bad document.)
func TestManifestAsyncAPIValidates(t *testing.T) {
	node := testenv.NeedTool(t, "node", "the AsyncAPI parser runs on Node.js (tools/test-tools.sh installs it under CI=true)")
	script := filepath.Join(repoRoot, "tools", "asyncapi", "validate.js")
	if _, err := os.Stat(filepath.Join(repoRoot, "tools", "asyncapi", "node_modules", "@asyncapi", "parser", "package.json")); err != nil {
		testenv.Skipf(t, "@asyncapi/parser is not installed in tools/asyncapi/node_modules: run bash tools/test-tools.sh (make test-tools)")
	}
	_, addr := serveUI(t, "--ui", "127.0.0.1:0")
	dir := t.TempDir()
	var files []string
	for _, iface := range shippedInterfaces(t) {
		doc := ok(t, nil, "", "manifest", addr, iface, "--format", "asyncapi")
		f := filepath.Join(dir, iface+".asyncapi.json")
		require.NoError(t, os.WriteFile(f, []byte(doc), 0o644))
		files = append(files, f)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, node, append([]string{script}, files...)...).CombinedOutput()
	require.NoError(t, err, "the AsyncAPI parser refuses genehost's export:\n%s", out)
	for _, f := range files {
		assert.Contains(t, string(out), f+": 0 errors, 0 warnings, document parsed")
	}
}
