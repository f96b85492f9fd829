package plugindir

import (
	"github.com/genehost/genehost/host"
	"github.com/genehost/genehost/host/plugin"
)

var _ plugin.RoomHost = (*inst)(nil)

// Room implements plugin.RoomHost: the room of one of the plugin's open
// links, as the host's link reports it.
func (x *inst) Room(link plugin.LinkID) (plugin.Room, bool) {
	l, err := x.v.e.link(link)
	if err != nil {
		return plugin.Room{}, false
	}
	rl, ok := l.(host.RoomLink)
	if !ok {
		return plugin.Room{}, false
	}
	r, ok := rl.Room()
	return plugin.Room(r), ok
}
