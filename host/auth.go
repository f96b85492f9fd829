package host

import (
	"crypto/subtle"
	"errors"
	"fmt"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/proto"
)

// Tokens returns a Config.Authorize function that requires, for each
// interface named in tokens, the OPEN's metadata to carry ^token with that
// exact string (compared in constant time), on data and control links
// alike. Interfaces not named are open to every client that can reach the
// socket.
func Tokens(tokens map[string]string) func(iface string, sub proto.Sub, meta gene.Props) error {
	want := make(map[string][]byte, len(tokens))
	for k, v := range tokens {
		want[k] = []byte(v)
	}
	return func(iface string, _ proto.Sub, meta gene.Props) error {
		w, ok := want[iface]
		if !ok {
			return nil
		}
		v, ok := meta.Get("token")
		if !ok {
			return errors.New("this interface requires ^token in the link's metadata")
		}
		if v.Kind() != gene.KindString {
			return fmt.Errorf("^token must be a string, got %s", v.Kind())
		}
		if subtle.ConstantTimeCompare([]byte(v.Str()), w) != 1 {
			return errors.New("wrong ^token")
		}
		return nil
	}
}
