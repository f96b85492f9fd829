// Package host owns the genehost host: the listeners (Unix sockets, TCP,
// TLS), the registry of interfaces, and everything a host does on their
// links: the handshake, directions, schema checks, the overflow policies
// and stall timeout of the manifest, the control sub-interface (the
// standard operations manifest, ping, health, stats, pause and resume,
// declared operations, events) and the daemon-wide $sys interface, and
// graceful shutdown.
//
// It is usable as a Go library without any plugin: an interface is a
// Manifest (ParseManifest) plus a Handler, registered on a Server:
//
//	srv := host.New(host.Config{})
//	m, _ := host.ParseManifest(gene.MustParse(`{^name "echo" ^direction "send+recv"}`))
//	srv.Register(m, host.Echo)
//	srv.Listen(host.ListenerConfig{Address: "unix:///run/genehost.sock"})
//	...
//	srv.Shutdown(ctx)
//
// Plugins plug into the same seam: host/plugindir adapts the JavaScript
// (host/jsrt) and WebAssembly (host/wasmrt) runtimes to Handler. One
// transport after its handshake is run by host/internal/session, which the
// Go client (host/client) shares. The wire protocol is PROTOCOL.md; the
// control operations are its appendix A.
//
// Goroutines: each listener has one accept loop; each transport has a
// reader and a writer goroutine (plus a short-lived one per link while
// values wait for its handler). Shutdown and Close stop them all.
package host
