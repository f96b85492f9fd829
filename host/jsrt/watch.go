package jsrt

import (
	"errors"
	"fmt"

	"github.com/dop251/goja"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugin"
)

// Store watches: genehost.kv.watch(prefix, callback) opens a watch through
// the host (plugin.WatchHost); when its changes are waiting the host calls
// Timer with the watch's id, and Timer hands them to the callback
// (deliverWatch).

func (in *instance) watchHost(what string) plugin.WatchHost {
	wh, ok := in.host.(plugin.WatchHost)
	if !ok {
		in.throw(what, fmt.Errorf("%w: this host does not deliver store watches", plugin.ErrNotGranted))
	}
	return wh
}

// nativeKVWatch opens a watch of the keys starting with the prefix and
// returns its id.
func (in *instance) nativeKVWatch(call goja.FunctionCall) goja.Value {
	const what = "genehost.kv.watch"
	var prefix []byte
	if v := call.Argument(0); !goja.IsUndefined(v) && !goja.IsNull(v) {
		prefix = in.key(what+" prefix", v)
	}
	id, err := in.watchHost(what).Watch(prefix)
	if err != nil {
		if errors.Is(err, plugin.ErrNotGranted) {
			err = fmt.Errorf("the key-value store is not granted to this plugin (grant kv in its config): %w", err)
		}
		in.throw(what, err)
	}
	return in.vm.ToValue(id)
}

func (in *instance) nativeKVUnwatch(call goja.FunctionCall) goja.Value {
	in.watchHost("genehost.kv.unwatch").Unwatch(uint64(call.Argument(0).ToInteger()))
	return goja.Undefined()
}

// deliverWatch reads every waiting change of watch id and calls cb with
// them: an array of {key, value} for puts and {key, deleted: true} for
// deletes, oldest first, and whether changes were lost before them.
func (in *instance) deliverWatch(id uint64, cb goja.Callable) error {
	const what = "genehost.kv.watch"
	wh := in.watchHost(what)
	var items []any
	lost := false
	for {
		cs, l, err := wh.WatchNext(id, 0)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		lost = lost || l
		if len(cs) == 0 && !l {
			break
		}
		for _, c := range cs {
			o := in.vm.NewObject()
			o.Set("key", string(c.Key))
			if c.Deleted {
				o.Set("deleted", true)
			} else {
				g, _, err := gene.DecodeBinaryDoc(c.Value, gene.BinaryOptions{})
				if err != nil {
					return fmt.Errorf("%s: key %q: %w", what, c.Key, err)
				}
				o.Set("value", in.c.toJS(g))
			}
			items = append(items, o)
		}
	}
	if len(items) == 0 && !lost {
		return nil
	}
	in.cur.handler = "genehost.kv.watch callback"
	_, err := in.settle(cb(goja.Undefined(), in.vm.NewArray(items...), in.vm.ToValue(lost)))
	return err
}
