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
// Go plugins are built into the default cache directory.
func Check(ctx context.Context, dir string, runtimes map[string]plugin.Runtime) []error {
	d, err := Open(ctx, Options{Dir: dir, Runtimes: runtimes, Registry: discard{}})
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

// discard is a Registry that keeps nothing.
type discard struct{}

func (discard) Register(*host.Manifest, host.Handler) error { return nil }
func (discard) Replace(*host.Manifest, host.Handler) error  { return nil }
func (discard) Unregister(string) error                     { return nil }
func (discard) Emit(string, gene.Value)                     {}
