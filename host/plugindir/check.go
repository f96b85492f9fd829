package plugindir

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host"
	"github.com/genehost/genehost/host/plugin"
)

// ErrNoPlugins: Check found no plugin to load.
var ErrNoPlugins = errors.New("plugindir: no plugins found")

// IsPluginFolder reports whether path is one plugin folder (it holds a
// plugin.gene) rather than a plugin directory of such folders.
func IsPluginFolder(path string) bool {
	fi, err := os.Stat(filepath.Join(path, ConfigFile))
	return err == nil && !fi.IsDir()
}

// Check loads plugins as Open would (config, build, compile, one test
// instance) without serving anything, and returns one error per plugin
// that does not load, naming the file and, where known, the line. path
// is either one plugin folder (IsPluginFolder) or a plugin directory,
// whose every folder is loaded. Finding no plugin at all is an error too
// (matching ErrNoPlugins). It is what `genehost check` runs. Go plugins
// are built into the default cache directory (Options.CacheDir) unless
// an option says otherwise.
func Check(ctx context.Context, path string, runtimes map[string]plugin.Runtime, opts ...CheckOption) []error {
	o := Options{Dir: path, Runtimes: runtimes, Registry: discard{}}
	if IsPluginFolder(path) {
		abs, err := filepath.Abs(path)
		if err != nil {
			return []error{fmt.Errorf("plugindir: %w", err)}
		}
		o.Dir, o.only = filepath.Dir(abs), filepath.Base(abs)
	}
	for _, opt := range opts {
		opt(&o)
	}
	d, err := Open(ctx, o)
	var errs []error
	if err != nil {
		var j interface{ Unwrap() []error }
		if errors.As(err, &j) {
			errs = j.Unwrap()
		} else {
			errs = []error{err}
		}
	}
	if d != nil {
		if len(d.Plugins()) == 0 {
			errs = append(errs, fmt.Errorf("%w in %s: a plugin is a folder holding %s (see the plugin format in plugins/README.md)", ErrNoPlugins, path, ConfigFile))
		}
		d.Close()
	}
	return errs
}

// CheckOption is a setting of one Check call.
type CheckOption func(*Options)

// CheckCacheDir makes Check build Go plugins into dir (as
// Options.CacheDir does for Open) instead of the default cache directory.
func CheckCacheDir(dir string) CheckOption { return func(o *Options) { o.CacheDir = dir } }

// discard is a Registry that keeps nothing.
type discard struct{}

func (discard) Register(*host.Manifest, host.Handler) error { return nil }
func (discard) Replace(*host.Manifest, host.Handler) error  { return nil }
func (discard) Unregister(string) error                     { return nil }
func (discard) Emit(string, gene.Value)                     {}
