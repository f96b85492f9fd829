package plugindir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

// TypeScript and ES-module handlers are bundled with esbuild's Go API into
// the one CommonJS script the JavaScript runtime runs:
//
//   - an ^entry ending in .ts, .mts, .cts or .mjs (handler.ts is the
//     default entry when the folder has no handler.js), or a .js entry
//     that uses import or export statements, is bundled; a plain
//     CommonJS handler.js is run as it is (its require calls load the
//     folder's files at run time);
//   - imports resolve to files of the plugin folder, packages of its own
//     node_modules included; a file that resolves (after symlinks)
//     outside the folder, or a host module ("fs"), is an error naming the
//     importing file and line;
//   - the script carries an inline source map, so the file:line of a
//     thrown error and of a HANDLER_ERROR names the .ts line;
//   - a module whose default export is the handler (export default
//     {...}) works as well as named exports (export function values).
//
// The bundle is made when the folder is loaded, so hot reload rebuilds
// it whenever any file of the folder changes.

// bundledExt are the entry extensions that are always bundled.
var bundledExt = []string{".ts", ".mts", ".cts", ".mjs"}

// esmSyntax finds a top-level import or export statement in a .js file.
var esmSyntax = regexp.MustCompile(`(?m)^\s*(import\s*[\w{*'"]|export\s*[\w{*])`)

// NeedsBundle reports whether the JavaScript entry name, holding code, is
// bundled before it runs (see bundle).
func NeedsBundle(name string, code []byte) bool {
	ext := strings.ToLower(filepath.Ext(name))
	for _, e := range bundledExt {
		if ext == e {
			return true
		}
	}
	return ext == ".js" && esmSyntax.Match(code)
}

// defaultExport makes module.exports the default export when the entry
// has one, so that `export default {values() {...}}` is the handler.
const defaultExport = `if (module.exports && module.exports.__esModule && module.exports.default) module.exports = module.exports.default;`

// Bundle bundles the JavaScript or TypeScript entry of the plugin folder
// dir into one CommonJS script with an inline source map. Errors name the
// file, line and column of each problem, one a line.
func Bundle(dir, entry string) ([]byte, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	root := abs
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		root = r
	}
	res := api.Build(api.BuildOptions{
		EntryPoints:    []string{filepath.Join(abs, entry)},
		AbsWorkingDir:  abs,
		Outfile:        filepath.Join(abs, entry+".bundle.js"),
		Bundle:         true,
		Write:          false,
		Format:         api.FormatCommonJS,
		Platform:       api.PlatformNeutral,
		MainFields:     []string{"module", "main"},
		Target:         api.ES2022,
		Sourcemap:      api.SourceMapInline,
		SourcesContent: api.SourcesContentExclude,
		Footer:         map[string]string{"js": defaultExport},
		LogLevel:       api.LogLevelSilent,
		Plugins:        []api.Plugin{insideOnly(root)},
	})
	if len(res.Errors) > 0 {
		return nil, bundleError(abs, res.Errors)
	}
	for _, f := range res.OutputFiles {
		if strings.HasSuffix(f.Path, ".js") {
			return f.Contents, nil
		}
	}
	return nil, fmt.Errorf("bundle %s: esbuild wrote no script", filepath.Join(dir, entry))
}

// insideOnly refuses to load a file that resolves outside root, so that an
// import cannot read a host file into the plugin.
func insideOnly(root string) api.Plugin {
	return api.Plugin{Name: "genehost-plugin-folder", Setup: func(b api.PluginBuild) {
		b.OnLoad(api.OnLoadOptions{Filter: ".*"}, func(a api.OnLoadArgs) (api.OnLoadResult, error) {
			real := a.Path
			if r, err := filepath.EvalSymlinks(a.Path); err == nil {
				real = r
			}
			rel, err := filepath.Rel(root, real)
			if a.Namespace == "file" && (err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator))) {
				return api.OnLoadResult{}, fmt.Errorf("%s resolves to %s, %w %s", a.Path, real, ErrOutsideFolder, root)
			}
			return api.OnLoadResult{}, nil // esbuild loads it
		})
	}}
}

// ErrBundle matches the error of a JavaScript or TypeScript plugin that
// does not bundle.
var ErrBundle = errors.New("bundle failed")

// bundleError renders esbuild's errors as "DIR/file.ts:3:7: text" lines.
func bundleError(dir string, msgs []api.Message) error {
	var b strings.Builder
	for i, m := range msgs {
		if i > 0 {
			b.WriteByte('\n')
		}
		if l := m.Location; l != nil {
			file := l.File
			if !filepath.IsAbs(file) {
				file = filepath.Join(dir, file)
			}
			fmt.Fprintf(&b, "%s:%d:%d: ", file, l.Line, l.Column+1)
		}
		b.WriteString(m.Text)
		if strings.HasPrefix(m.Text, "Could not resolve") {
			// esbuild's notes here suggest bundling for Node.js.
			b.WriteString(" (plugins get no host modules; imports resolve to files of the plugin folder and packages of its node_modules)")
			continue
		}
		for _, n := range m.Notes {
			if n.Text != "" {
				b.WriteString(" (" + n.Text + ")")
			}
		}
	}
	return fmt.Errorf("%w: %s", ErrBundle, b.String())
}

// readEntry reads a JavaScript entry of the plugin folder dir, bundled
// when NeedsBundle says so.
func readEntry(dir, entry string) ([]byte, error) {
	code, err := ReadInFolder(dir, entry)
	if err != nil || !NeedsBundle(entry, code) {
		return code, err
	}
	return Bundle(dir, entry)
}

// fileExists reports whether name is a regular file in dir.
func fileExists(dir, name string) bool {
	fi, err := os.Stat(filepath.Join(dir, name))
	return err == nil && fi.Mode().IsRegular()
}

// isJSEntry reports whether an ^entry names JavaScript or TypeScript.
func isJSEntry(name string) bool {
	return strings.HasSuffix(name, ".js") || slices.Contains(bundledExt, strings.ToLower(filepath.Ext(name)))
}
