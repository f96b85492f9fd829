package examples_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/tests/testenv"
)

// TestCounterJSTypecheck checks counter-js/handler.js against
// sdk/js/genehost.d.ts with tsc, as its // @ts-check line asks editors to.
// sdk/js/typecheck.sh installs the pinned tsc when it is not there yet.
func TestCounterJSTypecheck(t *testing.T) {
	for _, tool := range []string{"node", "npm"} {
		testenv.NeedTool(t, tool, "the TypeScript check needs Node.js and npm (sdk/js/typecheck.sh then installs tsc; tools/test-tools.sh installs them under CI=true)")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	sdk := filepath.Join(repoRoot, "sdk", "js")
	bin := filepath.Join(sdk, "node_modules", "typescript", "bin", "tsc")
	if _, err := os.Stat(bin); err != nil {
		// sdk/js's own test may install tsc at the same moment: try twice.
		out, err := exec.CommandContext(ctx, "bash", filepath.Join(sdk, "typecheck.sh")).CombinedOutput()
		if err != nil {
			out, err = exec.CommandContext(ctx, "bash", filepath.Join(sdk, "typecheck.sh")).CombinedOutput()
		}
		require.NoError(t, err, "sdk/js/typecheck.sh:\n%s", out)
	}

	// The options of sdk/js/tsconfig.json; the handler's /// <reference>
	// brings in the declarations.
	tsc := exec.CommandContext(ctx, "node", bin,
		"--noEmit", "--allowJs", "--checkJs", "--strict", "--noUnusedLocals",
		"--lib", "es2022", "--target", "es2022", "--module", "commonjs",
		filepath.Join("plugins", "counter-js", "handler.js"))
	out, err := tsc.CombinedOutput()
	require.NoError(t, err, "tsc plugins/counter-js/handler.js:\n%s", out)
}
