package plugintest

import (
	"math"

	"github.com/genehost/genehost/host/plugin"
)

var _ plugin.RoomHost = (*Host)(nil)

// Room implements plugin.RoomHost: a link's room is its credit as
// SetCredit left it (unlimited when not set), none once closed, so a
// runtime that answers sends ahead of the host is tested against the
// same credit.
func (h *Host) Room(link plugin.LinkID) (plugin.Room, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.closed[link]; ok {
		return plugin.Room{}, false
	}
	r := plugin.Room{Values: math.MaxUint64, Bytes: math.MaxUint64, MaxValue: math.MaxUint64}
	if n, limited := h.credit[link]; limited {
		r.Values = uint64(n)
	}
	return r, true
}
