package main

import (
	"fmt"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// natsPeer is an embedded NATS server on TCP loopback (NATS has no Unix
// socket listener for clients).
type natsPeer struct {
	srv *server.Server
}

func startNATS() (*natsPeer, error) { return startNATSWith("") }

// startNATSWith starts the server, with JetStream storing its files in
// jsDir when jsDir is not empty.
func startNATSWith(jsDir string) (*natsPeer, error) {
	srv, err := server.NewServer(&server.Options{
		Host:   "127.0.0.1",
		Port:   server.RANDOM_PORT,
		NoLog:  true,
		NoSigs: true,
		// The default 64 MiB pending limit per client is kept; the
		// subscribers below lift only their own client-side limits.
		JetStream: jsDir != "",
		StoreDir:  jsDir,
	})
	if err != nil {
		return nil, fmt.Errorf("nats server: %w", err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		return nil, fmt.Errorf("nats server: not ready after 10s")
	}
	return &natsPeer{srv: srv}, nil
}

func (p *natsPeer) Close() {
	p.srv.Shutdown()
	p.srv.WaitForShutdown()
}

// connect opens one client connection.
func (p *natsPeer) connect() (*nats.Conn, error) {
	nc, err := nats.Connect(p.srv.ClientURL(), nats.NoReconnect())
	if err != nil {
		return nil, fmt.Errorf("nats connect: %w", err)
	}
	return nc, nil
}
