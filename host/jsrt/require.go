package jsrt

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/dop251/goja"
	"github.com/dop251/goja_nodejs/require"
)

// newRegistry returns a require registry that loads only files inside dir
// (after resolving symlinks), so a handler can split its code into files
// but cannot read anything else through require.
func newRegistry(dir string) *require.Registry {
	root := dir
	if r, err := filepath.EvalSymlinks(dir); err == nil {
		root = r
	}
	loader := func(path string) ([]byte, error) {
		real := path
		if r, err := filepath.EvalSymlinks(path); err == nil {
			real = r
		}
		if !inside(root, real) {
			return nil, fmt.Errorf("%s is outside the plugin folder %s", path, dir)
		}
		b, err := os.ReadFile(real)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, require.ModuleFileDoesNotExistError
		case err != nil:
			// A directory reads as an error too; let the resolver try
			// index.js and package.json.
			if fi, serr := os.Stat(real); serr == nil && fi.IsDir() {
				return nil, require.ModuleFileDoesNotExistError
			}
			return nil, err
		}
		return b, nil
	}
	return require.NewRegistry(require.WithLoader(loader))
}

func inside(root, path string) bool {
	rel, err := filepath.Rel(root, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// isRelative reports whether a require name is a path ("./x", "../x"),
// the only kind a handler may require.
func isRelative(name string) bool {
	return name == "." || name == ".." || strings.HasPrefix(name, "./") || strings.HasPrefix(name, "../")
}

// requireFunc returns the require function handlers see: it refuses host
// modules ("fs", "net", "node:child_process", any bare name) with a clear
// error, and loads relative paths through the plugin's registry.
func (in *instance) requireFunc(rm *require.RequireModule) func(goja.FunctionCall) goja.Value {
	return func(call goja.FunctionCall) goja.Value {
		name := call.Argument(0).String()
		if !isRelative(name) {
			panic(in.vm.NewGoError(fmt.Errorf("require(%q): host modules are not available to genehost plugins; only files inside the plugin folder can be required, as './name.js'", name)))
		}
		v, err := rm.Require(name)
		if err != nil {
			var ex *goja.Exception
			if errors.As(err, &ex) {
				panic(ex) // an exception thrown by the required file's code
			}
			if errors.Is(err, require.InvalidModuleError) {
				err = errors.New("no such file in the plugin folder")
			}
			panic(in.vm.NewGoError(fmt.Errorf("require(%q): %w", name, err)))
		}
		return v
	}
}
