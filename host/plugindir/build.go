package plugindir

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/genehost/genehost"
)

// Go plugins are built with the Go toolchain found on PATH:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -o OUT .
//
// (-trimpath: no host path ends up in the module, so the same sources give
// the same module wherever the cache is, and the Wasm compilation cache,
// keyed by content, is hit.)
//
// in the plugin folder, one of three ways:
//
//   - inside the genehost module (the nearest go.mod is genehost's): as a
//     package of the module, against the sources on disk;
//   - inside another module (the user's go.mod): with -modfile pointing at
//     a copy of that go.mod that adds `require github.com/genehost/genehost
//     v0.0.0` and `replace github.com/genehost/genehost => SRC`, where SRC
//     is the guest sources embedded in this binary (package genehost,
//     GuestSources) written out once under CacheDir/src/HASH. A go.mod that
//     already replaces genehost is used as it is;
//   - in a folder with no go.mod above it: the folder's .go files are built
//     as a module of their own the same way.
//
// So a plugin builds without network access to a published genehost
// module, against exactly the gene, abi and guest SDK of the running
// genehost. GOTOOLCHAIN=local and GOWORK=off keep the go command from
// downloading toolchains or following a workspace. Outputs are cached in
// CacheDir/go/KEY.wasm, KEY hashing the Go version, the plugin's .go files,
// go.mod and go.sum, and the genehost sources it builds against.

// Build builds the Go plugin in folder dir to the WebAssembly module out.
// It is what `genehost build` runs; it does not use the cache.
func Build(ctx context.Context, dir, out string) error {
	b := builder{cacheDir: defaultCacheDir()}
	return b.build(ctx, dir, out)
}

func defaultCacheDir() string {
	if c, err := os.UserCacheDir(); err == nil {
		return filepath.Join(c, "genehost", "plugins")
	}
	return filepath.Join(os.TempDir(), "genehost-plugins")
}

// buildCached builds the Go plugin in dir unless the cache holds a build
// of the same sources, and returns the path of the module.
func (d *Dir) buildCached(ctx context.Context, dir string) (string, error) {
	b := builder{cacheDir: d.opts.CacheDir}
	b.progress = func(built bool, took time.Duration) {
		if !built {
			// The first build with a Go version compiles its runtime and
			// the guest SDK for wasip1: long enough to say so.
			d.log.Info("building Go plugin to WebAssembly (a first build compiles the Go runtime for wasip1: up to a minute or two)", "dir", dir)
			return
		}
		d.log.Info("built Go plugin", "dir", dir, "took", took.Round(time.Millisecond))
	}
	return b.cached(ctx, dir)
}

type builder struct {
	cacheDir string
	// progress, when set, is told before (built false) and after a build
	// that the cache did not hold.
	progress func(built bool, took time.Duration)
}

// modKind is how a plugin folder is built.
type modKind int

const (
	inRepo modKind = iota // a package of the genehost module
	inUser                // inside the user's own module
	bare                  // no go.mod above the folder
)

// locate finds the module the folder belongs to.
func locate(dir string) (kind modKind, root string, err error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return 0, "", err
	}
	for d := abs; ; d = filepath.Dir(d) {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil {
			if modulePath(b) == genehost.ModulePath {
				return inRepo, d, nil
			}
			return inUser, d, nil
		}
		if filepath.Dir(d) == d {
			return bare, abs, nil
		}
	}
}

// modulePath returns the module line of a go.mod.
func modulePath(gomod []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(gomod))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == "module" {
			return strings.Trim(f[1], `"`)
		}
	}
	return ""
}

var (
	goVersionOnce sync.Once
	goVersion     string
	goVersionErr  error
)

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// toolchain returns `go env GOVERSION` ("go1.26.8").
func toolchain(ctx context.Context) (string, error) {
	goVersionOnce.Do(func() {
		cmd := exec.CommandContext(ctx, goTool(), "env", "GOVERSION")
		cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
		out, err := cmd.Output()
		if err != nil {
			goVersionErr = fmt.Errorf("%w: the Go toolchain is needed to build Go plugins: %v", ErrBuild, err)
			return
		}
		goVersion = strings.TrimSpace(string(out))
	})
	return goVersion, goVersionErr
}

// cached returns the cached build of dir, building it when missing.
func (b builder) cached(ctx context.Context, dir string) (string, error) {
	key, err := b.key(ctx, dir)
	if err != nil {
		return "", err
	}
	out := filepath.Join(b.cacheDir, "go", key+".wasm")
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	start := time.Now()
	if b.progress != nil {
		b.progress(false, 0)
	}
	if err := b.build(ctx, dir, out); err != nil {
		return "", err
	}
	if b.progress != nil {
		b.progress(true, time.Since(start))
	}
	return out, nil
}

// key hashes what goes into a build of dir.
func (b builder) key(ctx context.Context, dir string) (string, error) {
	ver, err := toolchain(ctx)
	if err != nil {
		return "", err
	}
	kind, root, err := locate(dir)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%d\x00", ver, kind)
	if err := hashGoFiles(h, dir, true); err != nil {
		return "", err
	}
	switch kind {
	case inRepo:
		for _, sub := range []string{"gene", "abi", "sdk/wasm/guest"} {
			if err := hashGoFiles(h, filepath.Join(root, sub), true); err != nil {
				return "", err
			}
		}
		if err := hashFile(h, filepath.Join(root, "go.mod")); err != nil {
			return "", err
		}
	case inUser:
		for _, f := range []string{"go.mod", "go.sum"} {
			if err := hashFile(h, filepath.Join(root, f)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return "", err
			}
		}
		h.Write([]byte(embeddedHash()))
	case bare:
		h.Write([]byte(embeddedHash()))
	}
	return hex.EncodeToString(h.Sum(nil))[:32], nil
}

func hashFile(h interface{ Write([]byte) (int, error) }, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	fmt.Fprintf(h, "%s\x00%d\x00", filepath.Base(path), len(b))
	h.Write(b)
	return nil
}

// hashGoFiles hashes the .go files (and go.mod, go.sum) under dir, test
// files excepted; nested directories only when deep.
func hashGoFiles(h interface{ Write([]byte) (int, error) }, dir string, deep bool) error {
	return filepath.WalkDir(dir, func(path string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		n := de.Name()
		if de.IsDir() {
			if path != dir && (!deep || strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_") || n == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !(strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go") || n == "go.mod" || n == "go.sum") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		fmt.Fprintf(h, "%s\x00%d\x00", filepath.ToSlash(rel), len(b))
		h.Write(b)
		return nil
	})
}

var embeddedHash = sync.OnceValue(func() string {
	h := sha256.New()
	fs.WalkDir(genehost.GuestSources, ".", func(path string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() || strings.HasSuffix(path, "_test.go") {
			return err
		}
		b, _ := genehost.GuestSources.ReadFile(path)
		fmt.Fprintf(h, "%s\x00%d\x00", path, len(b))
		h.Write(b)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:32]
})

// guestModule writes the embedded genehost sources as a module under the
// cache (once per content) and returns its directory.
func (b builder) guestModule(ctx context.Context) (string, error) {
	dst := filepath.Join(b.cacheDir, "src", embeddedHash())
	if _, err := os.Stat(filepath.Join(dst, "go.mod")); err == nil {
		return dst, nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dst), "tmp-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	err = fs.WalkDir(genehost.GuestSources, ".", func(path string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() || strings.HasSuffix(path, "_test.go") {
			return err
		}
		data, err := genehost.GuestSources.ReadFile(path)
		if err != nil {
			return err
		}
		p := filepath.Join(tmp, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		return os.WriteFile(p, data, 0o644)
	})
	if err != nil {
		return "", fmt.Errorf("write the genehost guest sources: %w", err)
	}
	ver, err := toolchain(ctx)
	if err != nil {
		return "", err
	}
	gomod := fmt.Sprintf("module %s\n\ngo %s\n", genehost.ModulePath, goLine(ver))
	if err := os.WriteFile(filepath.Join(tmp, "go.mod"), []byte(gomod), 0o644); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, dst); err != nil {
		if _, serr := os.Stat(filepath.Join(dst, "go.mod")); serr == nil {
			return dst, nil // another process wrote it first
		}
		return "", err
	}
	return dst, nil
}

// goLine turns "go1.26.8" into "1.26" for a go.mod's go line.
func goLine(ver string) string {
	v := strings.TrimPrefix(ver, "go")
	if i := strings.IndexFunc(v, func(r rune) bool { return r != '.' && (r < '0' || r > '9') }); i >= 0 {
		v = v[:i]
	}
	parts := strings.SplitN(v, ".", 3)
	if len(parts) >= 2 {
		return parts[0] + "." + parts[1]
	}
	return v
}

// build runs the go command for dir, writing out atomically.
func (b builder) build(ctx context.Context, dir, out string) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if out, err = filepath.Abs(out); err != nil {
		return err
	}
	ver, err := toolchain(ctx)
	if err != nil {
		return err
	}
	kind, root, err := locate(dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrBuild, dir, err)
	}
	scratch, err := os.MkdirTemp(filepath.Dir(out), ".build-")
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrBuild, dir, err)
	}
	defer os.RemoveAll(scratch)
	tmpOut := filepath.Join(scratch, "plugin.wasm")
	args := []string{"build", "-buildmode=c-shared", "-trimpath", "-o", tmpOut}
	workDir := dir
	if kind != inRepo {
		src, err := b.guestModule(ctx)
		if err != nil {
			return fmt.Errorf("%w: %s: %v", ErrBuild, dir, err)
		}
		var gomod []byte
		if kind == inUser {
			if gomod, err = os.ReadFile(filepath.Join(root, "go.mod")); err != nil {
				return fmt.Errorf("%w: %s: %v", ErrBuild, dir, err)
			}
			if sum, err := os.ReadFile(filepath.Join(root, "go.sum")); err == nil {
				if err := os.WriteFile(filepath.Join(scratch, "go.sum"), sum, 0o644); err != nil {
					return fmt.Errorf("%w: %s: %v", ErrBuild, dir, err)
				}
			}
		} else {
			// A bare folder: its Go files become a module of their own.
			workDir = filepath.Join(scratch, "src")
			if err := copyGoFiles(dir, workDir); err != nil {
				return fmt.Errorf("%w: %s: %v", ErrBuild, dir, err)
			}
			gomod = fmt.Appendf(nil, "module genehost.plugin/%s\n\ngo %s\n", filepath.Base(dir), goLine(ver))
		}
		gomod = withGenehost(gomod, src, goLine(ver))
		modfile := filepath.Join(scratch, "go.mod")
		if err := os.WriteFile(modfile, gomod, 0o644); err != nil {
			return fmt.Errorf("%w: %s: %v", ErrBuild, dir, err)
		}
		if kind == bare {
			if err := os.Rename(modfile, filepath.Join(workDir, "go.mod")); err != nil {
				return fmt.Errorf("%w: %s: %v", ErrBuild, dir, err)
			}
		} else {
			args = append(args, "-modfile="+modfile)
		}
	}
	args = append(args, ".")
	cmd := exec.CommandContext(ctx, goTool(), args...)
	cmd.Dir = workDir
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0", "GOWORK=off", "GOTOOLCHAIN=local")
	msg, err := cmd.CombinedOutput()
	if err != nil {
		text := strings.TrimSpace(string(msg))
		if kind == bare {
			text = strings.ReplaceAll(text, workDir, dir)
		}
		return fmt.Errorf("%w: %s: %v\n%s", ErrBuild, dir, err, rootPaths(text, dir))
	}
	if err := os.Rename(tmpOut, out); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrBuild, dir, err)
	}
	return nil
}

// rootPaths rewrites the file names the go command printed relative to
// its working directory ("./main.go:3:15: ...") to name the file in the
// plugin folder dir, so that each error line says which file it is about
// whatever directory the host runs in.
func rootPaths(text, dir string) string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "./") {
			lines[i] = dir + string(filepath.Separator) + l[len("./"):]
		}
	}
	return strings.Join(lines, "\n")
}

// withGenehost adds to a go.mod the require and replace that point
// genehost at src, unless it already replaces genehost. The embedded
// sources' go.mod carries the toolchain's version goVer, so an older go
// line is raised to it (the go command refuses a main module older than a
// dependency).
func withGenehost(gomod []byte, src, goVer string) []byte {
	hasReq := false
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(gomod))
	for sc.Scan() {
		line := sc.Text()
		f := strings.Fields(strings.TrimSpace(line))
		if len(f) == 2 && f[0] == "go" && versionLess(f[1], goVer) {
			line = "go " + goVer
		}
		lines = append(lines, line)
		for i, w := range f {
			if w != genehost.ModulePath {
				continue
			}
			if f[0] == "replace" || i == 0 && strings.Contains(line, "=>") {
				return gomod
			}
			hasReq = true
		}
	}
	out := []byte(strings.Join(lines, "\n") + "\n")
	if !hasReq {
		out = fmt.Appendf(out, "\nrequire %s v0.0.0\n", genehost.ModulePath)
	}
	return fmt.Appendf(out, "\nreplace %s => %s\n", genehost.ModulePath, src)
}

func copyGoFiles(from, to string) error {
	if err := os.MkdirAll(to, 0o755); err != nil {
		return err
	}
	ents, err := os.ReadDir(from)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") {
			continue
		}
		b, err := ReadInFolder(from, e.Name()) // never a symlink out of the folder
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// versionLess compares Go versions "1.24" and "1.26.1" numerically.
func versionLess(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) || i < len(pb); i++ {
		var x, y int
		if i < len(pa) {
			fmt.Sscan(pa[i], &x)
		}
		if i < len(pb) {
			fmt.Sscan(pb[i], &y)
		}
		if x != y {
			return x < y
		}
	}
	return false
}
