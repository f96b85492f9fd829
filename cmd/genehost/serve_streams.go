package main

import (
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/store"
	"github.com/genehost/genehost/host/store/natsstore"
)

// streamBackend is the streams capability of the backend that holds
// plugin state, closed before the backend.
type streamBackend interface {
	plugin.StreamBackend
	Close() error
}

// openStreams returns the streams of backend b: the embedded streams over
// the database, or JetStream streams and core NATS topics on the NATS
// connection (nil for a backend without streams: the grant then fails
// when used).
func openStreams(b store.Backend) streamBackend {
	switch b := b.(type) {
	case *store.DB:
		return store.NewStreams(b)
	case *natsstore.Backend:
		return natsstore.NewStreams(b)
	}
	return nil
}
