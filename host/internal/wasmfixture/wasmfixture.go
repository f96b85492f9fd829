// Package wasmfixture builds the Go guests of host/wasmrt/testdata for
// tests. Builds are cached under the user cache directory, keyed by a hash
// of everything that goes into them (the Go version and the sources of the
// fixture, the SDK, abi and gene), so a second run costs nothing, a
// changed source rebuilds, and every package's tests share the builds.
package wasmfixture

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/genehost/genehost/host/plugin"
)

var (
	mu         sync.Mutex
	locks      = map[string]*sync.Mutex{}
	sourceHash string
	sourceErr  error
	sourceOnce sync.Once
)

// repoRoot finds the module root from the package directory.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

// hashSources hashes the Go version and every .go file of the packages a
// guest is built from.
func hashSources(root string) (string, error) {
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
		if err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// Wasm returns the bytes of the fixture host/wasmrt/testdata/NAME,
// building it when the cache has no build of the current sources.
func Wasm(t testing.TB, name string) []byte {
	t.Helper()
	root := repoRoot(t)
	sourceOnce.Do(func() { sourceHash, sourceErr = hashSources(root) })
	if sourceErr != nil {
		t.Fatalf("hash fixture sources: %v", sourceErr)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "genehost", "wasmrt-fixtures")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, name+"-"+sourceHash+".wasm")

	mu.Lock()
	l := locks[name]
	if l == nil {
		l = &sync.Mutex{}
		locks[name] = l
	}
	mu.Unlock()
	l.Lock()
	defer l.Unlock()

	if b, err := os.ReadFile(out); err == nil {
		return b
	}
	// The temporary name is the process's: test binaries of several
	// packages may build the same fixture at once.
	tmp := fmt.Sprintf("%s.tmp%d", out, os.Getpid())
	cmd := exec.Command(goTool(), "build", "-buildmode=c-shared", "-o", tmp, "./host/wasmrt/testdata/"+name)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build fixture %s: %v\n%s", name, err, msg)
	}
	if err := os.Rename(tmp, out); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Source wraps Wasm bytes as a plugin.Source named name, hashed by its
// bytes.
func Source(name string, code []byte, l plugin.Limits, g plugin.Grants) *plugin.Source {
	sum := sha256.Sum256(code)
	return &plugin.Source{
		Name:   name,
		Entry:  name + ".wasm",
		Code:   code,
		Hash:   hex.EncodeToString(sum[:]),
		Limits: l,
		Grants: g,
	}
}
