// Command wasm-echo is the Go-to-Wasm echo plugin of the benchmark: it
// sends every value back on the link it came from. The host builds it
// (GOOS=wasip1) from this source when the plugin directory loads.
//
// It takes the values undecoded (guest.ReceivedHandler) and sends each
// back as the bytes it arrived in, which the host passes on without
// decoding: no Gene decode or encode runs in the guest.
package main

import "github.com/genehost/genehost/sdk/wasm/guest"

type echo struct{ guest.Base }

func (echo) Received(l guest.Link, r *guest.Received) (guest.Flow, error) {
	for i := range r.Len() {
		if err := l.SendEncoded(r.Bytes(i)); err != nil {
			return guest.Continue, err
		}
	}
	return guest.Continue, nil
}

func init() { guest.Register(echo{}) }

func main() {}
