package wasmrt

import (
	"fmt"

	"github.com/genehost/genehost/abi"
	"github.com/genehost/genehost/host/plugin"
)

// watchBuf holds a watch's changes fetched from the host that did not fit
// the guest's buffer yet.
type watchBuf struct {
	changes []plugin.Change
	lost    bool
}

// watchHost is the instance's host as a plugin.WatchHost, or an error
// saying why watches are not available.
func (in *instance) watchHost() (plugin.WatchHost, error) {
	wh, ok := in.host.(plugin.WatchHost)
	if !ok {
		return nil, fmt.Errorf("%w: this host does not deliver store watches", plugin.ErrNotGranted)
	}
	return wh, nil
}

// ghKVWatch is gh_kv_watch: open a watch of the keys starting with
// [pptr, +plen). Its changes wake the guest as gh_on_timer(id).
func (in *instance) ghKVWatch(stack []uint64) {
	const fn = abi.ImportKVWatch
	prefix, ok := in.read64(stack, fn, uint32(stack[0]), uint32(stack[1]))
	if !ok {
		return
	}
	wh, err := in.watchHost()
	if err != nil {
		ret64(stack, -int64(in.fail(fn, 0, err)))
		return
	}
	id, err := wh.Watch(prefix)
	switch {
	case err != nil:
		ret64(stack, -int64(in.fail(fn, 0, err)))
	case id == 0 || id > 1<<63-1:
		ret64(stack, -int64(in.fail(fn, 0, fmt.Errorf("host returned watch id %d, outside 1..2^63-1", id))))
	default:
		ret64(stack, int64(id))
	}
}

// ghKVWatchNext is gh_kv_watch_next: write the watch's waiting changes as
// records to [optr, +ocap), as many whole records as fit.
func (in *instance) ghKVWatchNext(stack []uint64) {
	const fn = abi.ImportKVWatchNext
	id := stack[0]
	optr, ocap := uint32(stack[1]), uint32(stack[2])
	if _, ok := in.read64(stack, fn, optr, ocap); !ok {
		return
	}
	if ocap < 8 {
		in.lastErr = fmt.Sprintf("%s: %d bytes offered; a record needs 8 or more", fn, ocap)
		ret64(stack, -int64(abi.ShortBuffer))
		return
	}
	wh, err := in.watchHost()
	if err != nil {
		ret64(stack, -int64(in.fail(fn, 0, err)))
		return
	}
	if in.watched == nil {
		in.watched = map[uint64]*watchBuf{}
	}
	b := in.watched[id]
	if b == nil {
		b = &watchBuf{}
		in.watched[id] = b
	}
	if len(b.changes) == 0 && !b.lost {
		ch, lost, err := wh.WatchNext(id, 0)
		if err != nil {
			delete(in.watched, id)
			ret64(stack, -int64(in.fail(fn, 0, err)))
			return
		}
		b.changes, b.lost = ch, lost
	}
	in.scratch = in.scratch[:0]
	if b.lost {
		in.scratch = abi.AppendScanRecord(in.scratch, nil, nil)
		b.lost = false
	}
	n := 0
	for _, c := range b.changes {
		if uint64(len(in.scratch)+abi.WatchRecordSize(c.Key, c.Value, c.Deleted)) > uint64(ocap) {
			break
		}
		in.scratch = abi.AppendWatchRecord(in.scratch, c.Key, c.Value, c.Deleted)
		n++
	}
	b.changes = b.changes[n:]
	if len(in.scratch) == 0 && len(b.changes) > 0 {
		in.lastErr = fmt.Sprintf("%s: the next record needs more than the %d bytes offered", fn, ocap)
		ret64(stack, -int64(abi.ShortBuffer))
		return
	}
	if len(b.changes) == 0 {
		delete(in.watched, id)
	}
	in.mem.Write(optr, in.scratch) // in range: checked above
	ret64(stack, int64(len(in.scratch)))
}

// ghKVUnwatch is gh_kv_unwatch.
func (in *instance) ghKVUnwatch(stack []uint64) {
	delete(in.watched, stack[0])
	if wh, err := in.watchHost(); err == nil {
		wh.Unwatch(stack[0])
	}
}
