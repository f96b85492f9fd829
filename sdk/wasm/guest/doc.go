// Package guest is the Go SDK for genehost WebAssembly plugins. A plugin
// is an ordinary Go main package built with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o plugin.wasm .
//
// that registers a Handler from an init function:
//
//	func init() { guest.Register(echo{}) }
//
//	type echo struct{ guest.Base }
//
//	func (echo) Values(l guest.Link, vs []gene.Value) (guest.Flow, error) {
//		for _, v := range vs {
//			if err := l.Send(v); err != nil {
//				return guest.Continue, err
//			}
//		}
//		return guest.Continue, nil
//	}
//
//	func main() {}
//
// A handler that passes values on without looking at most of them can
// take them undecoded by implementing ReceivedHandler: each value's
// bytes, decoded only on demand, and sent back with Link.SendEncoded as
// the bytes they came in, which the host passes on without decoding.
//
// The package hides the ABI (ABI.md at the repository root): it exports
// the version marker, the exchange buffer and the callbacks with
// go:wasmexport, decodes the Gene values the host delivers, and turns host
// status codes into errors that match the abi package's sentinels
// (abi.ErrNoCredit, abi.ErrNotGranted, ...) with errors.Is.
//
// # Concurrency
//
// The host calls one instance from one thread at a time and never
// re-enters it, so handlers need no locks. Link, Log, KV and the timer
// functions may only be called while a callback runs (they are host calls
// on behalf of that callback); goroutines a handler starts run only while
// the callback that started them blocks.
//
// # Failures
//
// An error returned from a callback fails that callback: the host reports
// it with plugin, callback and link. A panic is not recovered: the Go
// runtime prints it to stderr (which the host logs) and exits, and the
// host discards the instance; the next callback runs on a fresh one.
//
// Outside a wasip1 build the package compiles (so tools and vet work) but
// every host call fails with ErrNotWasm.
package guest
