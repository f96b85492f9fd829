package worker_test

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/worker/workertest"
)

// TestMain makes this test binary the worker process of its own tests.
func TestMain(m *testing.M) {
	workertest.ServeIfWorker()
	os.Exit(m.Run())
}

// jsFixture loads host/jsrt/testdata/NAME/handler.js.
func jsFixture(t *testing.T, name string, l plugin.Limits, g plugin.Grants) *plugin.Source {
	t.Helper()
	src := jsFixtureTB(t, name)
	src.Limits, src.Grants = l, g
	return src
}

func jsFixtureTB(t testing.TB, name string) *plugin.Source {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "jsrt", "testdata", name))
	require.NoError(t, err)
	code, err := os.ReadFile(filepath.Join(dir, "handler.js"))
	require.NoError(t, err)
	return &plugin.Source{Name: name, Dir: dir, Entry: "handler.js", Code: code, Hash: name}
}

// jsSource makes a plugin from handler.js text in a temporary folder.
func jsSource(t *testing.T, name, code string, l plugin.Limits, g plugin.Grants) *plugin.Source {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "handler.js"), []byte(code), 0o644))
	return &plugin.Source{Name: name, Dir: dir, Entry: "handler.js", Code: []byte(code), Hash: name, Limits: l, Grants: g}
}

// Wasm fixtures are the Go guests of host/wasmrt/testdata, built as
// host/wasmrt's tests build them and cached under the same names, so
// either package's run reuses the other's builds.
var (
	wasmMu   sync.Mutex
	wasmHash string
)

func wasmFixture(t *testing.T, name string, l plugin.Limits, g plugin.Grants) *plugin.Source {
	t.Helper()
	src := wasmFixtureTB(t, name)
	src.Limits, src.Grants = l, g
	return src
}

func wasmFixtureTB(t testing.TB, name string) *plugin.Source {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	wasmMu.Lock()
	defer wasmMu.Unlock()
	if wasmHash == "" {
		wasmHash = hashSources(t, root)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "genehost", "wasmrt-fixtures")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	out := filepath.Join(dir, name+"-"+wasmHash+".wasm")
	code, err := os.ReadFile(out)
	if err != nil {
		tmp := out + ".tmp-worker"
		cmd := exec.Command(goTool(), "build", "-buildmode=c-shared", "-o", tmp, "./host/wasmrt/testdata/"+name)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
		msg, err := cmd.CombinedOutput()
		require.NoError(t, err, "build fixture %s: %s", name, msg)
		require.NoError(t, os.Rename(tmp, out))
		code, err = os.ReadFile(out)
		require.NoError(t, err)
	}
	sum := sha256.Sum256(code)
	return &plugin.Source{Name: name, Entry: name + ".wasm", Code: code, Hash: hex.EncodeToString(sum[:])}
}

// hashSources hashes what a Wasm fixture is built from, as host/wasmrt's
// fixture_test.go does.
func hashSources(t testing.TB, root string) string {
	h := sha256.New()
	h.Write([]byte(runtime.Version()))
	for _, dir := range []string{"go.mod", "gene", "abi", "sdk/wasm", "host/wasmrt/testdata"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !(strings.HasSuffix(path, ".go") || strings.HasSuffix(path, ".mod")) || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, path)
			h.Write([]byte(rel))
			h.Write([]byte{0})
			h.Write(b)
			return nil
		})
		require.NoError(t, err)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}
