package plugindir

import (
	"context"
	"fmt"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host"
	"github.com/genehost/genehost/proto"
)

// A plugin folder that does not load and has no good version to serve is
// not left out: it is registered as a failed interface of its folder's
// name, whose handler is a failedPlugin. The host asks a handler for its
// health before it accepts a data link, so every data link is refused with
// PLUGIN_FAILED and the load error, while $sys interfaces, health and
// stats show the error and control links on it get its events ("loaded"
// once the folder is fixed). Nothing new is needed from the host: a failed
// interface is an ordinary registration with a placeholder manifest.

// failedPlugin is the handler of a plugin that failed to load. Its
// health is Failed with the load error as the reason.
type failedPlugin struct {
	name string
	err  string
}

var (
	_ host.Handler        = (*failedPlugin)(nil)
	_ host.HealthReporter = (*failedPlugin)(nil)
	_ host.StatsReporter  = (*failedPlugin)(nil)
)

func (f *failedPlugin) refusal() error {
	return proto.Errorf(proto.CodePluginFailed, "interface %q is failed: %s", f.name, f.err)
}

// Open implements host.Handler. The host refuses data links on a failed
// interface before calling Open; this only guards the contract.
func (f *failedPlugin) Open(context.Context, host.Link) error { return f.refusal() }

// Receive implements host.Handler; it is never reached (Open refuses).
func (f *failedPlugin) Receive(context.Context, host.Link, []gene.Value) error {
	return f.refusal()
}

// Closed implements host.Handler.
func (f *failedPlugin) Closed(host.Link, error) {}

// Health implements host.HealthReporter: failed, with the load error.
func (f *failedPlugin) Health() (host.Health, string) { return host.Failed, f.err }

// Stats implements host.StatsReporter: the load error and generation 0
// (no version ever loaded).
func (f *failedPlugin) Stats() gene.Value {
	return gene.PropMap(
		gene.Prop{Key: "generation", Value: gene.Int(0)},
		gene.Prop{Key: "load-error", Value: gene.String(f.err)},
	)
}

// failedManifest is the placeholder manifest of a plugin that failed to
// load: its description says so and why. Its direction is send+recv so
// that a data link in any direction meets the failure (PLUGIN_FAILED)
// rather than a direction it cannot know.
func failedManifest(name string, loadErr string) (*host.Manifest, error) {
	return host.ParseManifest(gene.PropMap(
		gene.Prop{Key: "name", Value: gene.String(name)},
		gene.Prop{Key: "version", Value: gene.String("")},
		gene.Prop{Key: "description", Value: gene.String("This plugin failed to load and serves nothing until its folder is fixed: " + loadErr)},
		gene.Prop{Key: "direction", Value: gene.String("send+recv")},
	))
}

// setBroken records that plugin name has no good version because of err:
// it is registered as a failed interface (or the failed interface gets
// the new error) and (event ^type "load-failed" ^interface N ^error E) is
// emitted (on $sys's control links, and the interface's when it was
// failed already). A name the host refuses as an interface name stays
// listed by Plugins only. Called with loadMu held.
func (d *Dir) setBroken(name string, err error) {
	d.mu.Lock()
	d.broken[name] = err
	registered := d.failedIfaces[name]
	d.mu.Unlock()
	m, merr := failedManifest(name, err.Error())
	if merr == nil {
		h := &failedPlugin{name: name, err: err.Error()}
		if registered {
			merr = d.opts.Registry.Replace(m, h)
		} else {
			merr = d.opts.Registry.Register(m, h)
		}
	}
	if merr != nil {
		d.log.Warn("the failed plugin cannot be listed as an interface", "interface", name, "error", merr)
	} else {
		d.mu.Lock()
		if d.failedIfaces == nil {
			d.failedIfaces = map[string]bool{}
		}
		d.failedIfaces[name] = true
		d.mu.Unlock()
	}
	d.opts.Registry.Emit(name, event("load-failed", name, gene.Prop{Key: "error", Value: gene.String(err.Error())}))
}

// registerFirst registers the first good version of a plugin: it replaces
// the failed interface registered under its name, if any. Called with
// loadMu held.
func (d *Dir) registerFirst(v *version) error {
	name := v.cfg.Name
	d.mu.Lock()
	failed := d.failedIfaces[name]
	d.mu.Unlock()
	if !failed {
		return d.opts.Registry.Register(v.cfg.Manifest, v)
	}
	if err := d.opts.Registry.Replace(v.cfg.Manifest, v); err != nil {
		return err
	}
	d.mu.Lock()
	delete(d.failedIfaces, name)
	d.mu.Unlock()
	return nil
}

// removeBroken handles the removal of a folder that never loaded:
// its failed interface is unregistered and, when it was known,
// (event ^type "removed") is emitted. Called with loadMu held.
func (d *Dir) removeBroken(name string, known bool) error {
	d.mu.Lock()
	registered := d.failedIfaces[name]
	delete(d.failedIfaces, name)
	d.mu.Unlock()
	var err error
	if registered {
		if uerr := d.opts.Registry.Unregister(name); uerr != nil {
			err = fmt.Errorf("plugindir: unregister %q: %w", name, uerr)
		}
	}
	if known || registered {
		d.log.Info("failed plugin removed", "interface", name)
		d.opts.Registry.Emit(name, event("removed", name))
	}
	return err
}
