// Package natstest runs NATS servers with JetStream inside a test process
// (github.com/nats-io/nats-server/v2, linked only by tests): one server,
// or a cluster of several, each storing in a temporary directory of the
// test and shut down when it ends. The NATS backend's tests, the plugin
// conformance suite and the end-to-end tests of several hosts use it.
package natstest

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// ready bounds how long a server may take to start or a cluster to elect
// its JetStream leader, generously for loaded machines.
const ready = 30 * time.Second

// Server is one running server.
type Server struct {
	*server.Server
}

// URL is the server's client URL (nats://127.0.0.1:PORT).
func (s *Server) URL() string { return s.ClientURL() }

func options(t testing.TB, name string) *server.Options {
	return &server.Options{
		ServerName: name, Host: "127.0.0.1", Port: -1,
		JetStream: true, StoreDir: t.TempDir(),
		NoLog: true, NoSigs: true,
	}
}

func start(t testing.TB, o *server.Options) *Server {
	t.Helper()
	s, err := server.NewServer(o)
	if err != nil {
		t.Fatalf("natstest: %v", err)
	}
	s.Start()
	t.Cleanup(func() {
		s.Shutdown()
		s.WaitForShutdown()
	})
	if !s.ReadyForConnections(ready) {
		t.Fatalf("natstest: server %s did not start within %s", o.ServerName, ready)
	}
	return &Server{s}
}

// Start runs one server with JetStream on a free loopback port.
func Start(t testing.TB) *Server {
	t.Helper()
	return start(t, options(t, "genehost-test"))
}

// Cluster is n servers routed to each other, JetStream clustered.
type Cluster struct {
	Servers []*Server
}

// URLs are the client URLs of the servers still running, comma-separated.
func (c *Cluster) URLs() string {
	var us []string
	for _, s := range c.Servers {
		if s.Running() {
			us = append(us, s.URL())
		}
	}
	return strings.Join(us, ",")
}

// StartCluster runs n servers (n >= 3 keeps a JetStream quorum through the
// loss of one) and waits until JetStream has a meta leader.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	c := &Cluster{}
	var routes []*url.URL
	for i := range n {
		o := options(t, fmt.Sprintf("genehost-test-%d", i+1))
		o.Cluster = server.ClusterOpts{Name: "genehost-test", Host: "127.0.0.1", Port: -1}
		o.Routes = routes
		s := start(t, o)
		c.Servers = append(c.Servers, s)
		if i == 0 {
			u, err := url.Parse("nats://" + s.ClusterAddr().String())
			if err != nil {
				t.Fatalf("natstest: cluster address: %v", err)
			}
			routes = []*url.URL{u}
		}
	}
	deadline := time.Now().Add(ready)
	for {
		leader := false
		routed := true
		for _, s := range c.Servers {
			leader = leader || s.JetStreamIsLeader()
			routed = routed && s.NumRoutes() >= n-1
		}
		if leader && routed {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("natstest: a cluster of %d did not elect a JetStream leader within %s", n, ready)
		}
		time.Sleep(20 * time.Millisecond) // polling the servers' own state, not a guess at timing
	}
}
