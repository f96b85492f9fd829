package main

import (
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/store"
)

// streamBackend is the streams capability of the backend that holds
// plugin state, closed before the backend.
type streamBackend interface {
	plugin.StreamBackend
	Close() error
}

// openStreams returns the streams of backend b: the embedded streams over
// the database (nil for a backend without streams: the grant then fails
// when used).
func openStreams(b store.Backend) streamBackend {
	if db, ok := b.(*store.DB); ok {
		return store.NewStreams(db)
	}
	return nil
}
