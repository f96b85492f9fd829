package main

import (
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
)

// scaffolds holds the files `genehost new` writes. Go sources are stored
// as .txt so that they are not part of this package's build.
//
//go:embed scaffold
var scaffolds embed.FS

func init() {
	commands["new"] = command{summary: "create a plugin folder (js, ts or go) that echoes every value, with a test", run: runNew}
}

var pluginNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$`)

func runNew(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &cli{name: "new", stdin: stdin, stdout: stdout, stderr: stderr}
	fs := c.newFlags("new [flags] js|ts|go NAME", `
Create the folder NAME (in the current directory, or under --dir) holding a
working plugin served as interface NAME: it replies to every value with the
value it received. Edit it, and a running 'genehost serve' whose plugin
directory holds it reloads it.

  js   plugin.gene, handler.js (checked by tsc with // @ts-check),
       handler.test.js, and the declarations genehost.d.ts and
       genehost-test.d.ts
  ts   the same in TypeScript: handler.ts, handler.test.ts and a
       tsconfig.json; genehost bundles the TypeScript when it loads it
  go   plugin.gene, main.go, main_test.go and go.mod; genehost builds it
       to WebAssembly itself (the Go toolchain must be on PATH). go.mod
       points at .genehost, the guest SDK sources of this genehost, so
       go build and go test work offline

Every kind has a passing test: 'genehost test NAME' runs it (go test for
Go). Each also gets test.sh, a test that serves the plugin with genehost on
a temporary socket and checks the reply (GENEHOST=path/to/genehost to use
another binary than the one on PATH).

NAME is 1 to 128 letters, digits, '-', '_' and '.', starting with a letter
or digit. An existing folder is never overwritten.`, `
  genehost new js hello
  genehost new ts hello-ts && genehost test hello-ts
  genehost new go counter --dir ./plugins && genehost check ./plugins
  (cd plugins/counter && GENEHOST=$(command -v genehost) ./test.sh)`)
	dir := fs.String("dir", ".", "the directory to create the plugin folder in (a plugin directory)")
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 2 {
		return c.usageErr("want js|ts|go NAME, got %d arguments", len(pos))
	}
	kind, name := pos[0], pos[1]
	if kind != "js" && kind != "ts" && kind != "go" {
		return c.usageErr("the plugin kind is js, ts or go, got %q", kind)
	}
	if !pluginNameRE.MatchString(name) {
		return c.usageErr("plugin name %q: use 1 to 128 letters, digits, '-', '_' and '.', starting with a letter or digit", name)
	}
	target := filepath.Join(*dir, name)
	files, err := scaffold(kind, name)
	if err != nil {
		return c.fail(err)
	}
	if err := writeScaffold(target, files); err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(stdout, "created %s (%s plugin, interface %q):\n", target, kind, name)
	for _, f := range files {
		if !strings.HasPrefix(f.name, ".genehost/") {
			fmt.Fprintf(stdout, "  %s\n", filepath.Join(target, f.name))
		}
	}
	return exitOK
}

type scaffoldFile struct {
	name string
	mode os.FileMode
	data []byte
}

// scaffold returns the files of a new plugin of kind js or go.
func scaffold(kind, name string) ([]scaffoldFile, error) {
	goVersion := strings.TrimPrefix(runtime.Version(), "go")
	if parts := strings.SplitN(goVersion, ".", 3); len(parts) >= 2 {
		goVersion = parts[0] + "." + parts[1]
	}
	subst := strings.NewReplacer("{{NAME}}", name, "{{GOVERSION}}", goVersion)
	var out []scaffoldFile
	add := func(path, as string, mode os.FileMode) error {
		b, err := scaffolds.ReadFile(path)
		if err != nil {
			return err
		}
		out = append(out, scaffoldFile{name: as, mode: mode, data: []byte(subst.Replace(string(b)))})
		return nil
	}
	err := fs.WalkDir(scaffolds, "scaffold/"+kind, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		return add(p, strings.TrimSuffix(d.Name(), ".txt"), 0o644)
	})
	if err != nil {
		return nil, err
	}
	if err := add("scaffold/test.sh", "test.sh", 0o755); err != nil {
		return nil, err
	}
	extra, err := scaffoldSDK(kind, goVersion)
	if err != nil {
		return nil, err
	}
	return append(out, extra...), nil
}

// writeScaffold creates dir (which must not exist) with files.
func writeScaffold(dir string, files []scaffoldFile) error {
	if _, err := os.Lstat(dir); err == nil {
		return fmt.Errorf("%s already exists; choose another name or --dir", dir)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	// Write into a temporary folder and rename it into place, so that a
	// watching 'genehost serve' sees the plugin appear whole.
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".new-")
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := os.MkdirAll(filepath.Join(tmp, filepath.Dir(f.name)), 0o755); err != nil {
			os.RemoveAll(tmp)
			return err
		}
		if err := os.WriteFile(filepath.Join(tmp, f.name), f.data, f.mode); err != nil {
			os.RemoveAll(tmp)
			return err
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	return nil
}
