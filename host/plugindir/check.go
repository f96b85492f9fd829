package plugindir

import (
	"context"
	"errors"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host"
	"github.com/genehost/genehost/host/plugin"
)

// Check loads every plugin folder of dir as Open would (config, build,
// compile, one test instance) without serving anything, and returns one
// error per plugin that does not load. It is what `genehost check` runs.
// Go plugins are built into the default cache directory
// (Options.CacheDir) unless an option says otherwise.
func Check(ctx context.Context, dir string, runtimes map[string]plugin.Runtime, opts ...CheckOption) []error {
	o := Options{Dir: dir, Runtimes: runtimes, Registry: discard{}}
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
