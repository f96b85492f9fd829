// Package natstest runs NATS servers with JetStream inside a test process
// (github.com/nats-io/nats-server/v2, linked only by tests): one server,
// or a cluster of several, each storing in a temporary directory of the
// test and shut down when it ends. The NATS backend's tests, the plugin
// conformance suite and the end-to-end tests of several hosts use it.
package natstest

import (
	"fmt"
	"net"
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
	opts *server.Options
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

// launch starts a server that the end of the test shuts down.
func launch(t testing.TB, o *server.Options) *Server {
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
	return &Server{s, o}
}

// Restart shuts s down and starts a server in its place: the same port
// and store, so clients reconnect to what it kept (its streams, consumers
// and acknowledged positions) and lose what it held only in memory.
func (s *Server) Restart(t testing.TB) *Server {
	t.Helper()
	o := s.opts.Clone()
	o.Port = s.Addr().(*net.TCPAddr).Port
	s.Shutdown()
	s.WaitForShutdown()
	return start(t, o)
}

// waitReady waits until s accepts clients.
func waitReady(t testing.TB, s *Server) {
	t.Helper()
	if !s.ReadyForConnections(ready) {
		t.Fatalf("natstest: server %s did not start within %s", s.Name(), ready)
	}
}

func start(t testing.TB, o *server.Options) *Server {
	t.Helper()
	s := launch(t, o)
	waitReady(t, s)
	return s
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
// loss of one), each routed to all the others, and waits until every one
// accepts clients and JetStream has a meta leader.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	ports := freePorts(t, n)
	var routes []*url.URL
	for _, p := range ports {
		routes = append(routes, &url.URL{Scheme: "nats", Host: fmt.Sprintf("127.0.0.1:%d", p)})
	}
	c := &Cluster{}
	for i := range n {
		o := options(t, fmt.Sprintf("genehost-test-%d", i+1))
		o.Cluster = server.ClusterOpts{Name: "genehost-test", Host: "127.0.0.1", Port: ports[i]}
		o.Routes = routes
		c.Servers = append(c.Servers, launch(t, o))
	}
	for _, s := range c.Servers {
		waitReady(t, s)
	}
	deadline := time.Now().Add(ready)
	for {
		leader := false
		for _, s := range c.Servers {
			leader = leader || s.JetStreamIsLeader()
		}
		if leader {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("natstest: a cluster of %d did not elect a JetStream leader within %s", n, ready)
		}
		time.Sleep(20 * time.Millisecond) // polling the servers' own state, not a guess at timing
	}
}

// freePorts finds n free loopback ports for the cluster routes, which
// every server must know before any starts.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var ls []net.Listener
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("natstest: %v", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}
