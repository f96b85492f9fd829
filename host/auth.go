package host

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/proto"
)

// Tokens returns a Config.Authorize function that requires, for each
// interface named in tokens, the OPEN's metadata to carry ^token with that
// exact string, on data and control links alike. Interfaces not named are
// open to every client that can reach the socket.
//
// The comparison takes the same time whatever the token given: both sides
// are hashed with SHA-256 and the digests compared with
// subtle.ConstantTimeCompare, so neither the secret's content nor its
// length shows in how long a refusal takes.
//
// Used as Config.Authorize, it also decides what a control link on $sys
// sees: an interface named in tokens is listed by $sys interfaces, and its
// events are sent, only to a $sys link whose OPEN carries its token.
func Tokens(tokens map[string]string) func(iface string, sub proto.Sub, meta gene.Props) error {
	want := make(map[string][sha256.Size]byte, len(tokens))
	for k, v := range tokens {
		want[k] = sha256.Sum256([]byte(v))
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
		if !tokenMatches(v.Str(), w) {
			return errors.New("wrong ^token")
		}
		return nil
	}
}

// tokenMatches compares got with the digest of the secret in constant
// time (the time depends on len(got) only, which the client knows).
func tokenMatches(got string, want [sha256.Size]byte) bool {
	g := sha256.Sum256([]byte(got))
	return subtle.ConstantTimeCompare(g[:], want[:]) == 1
}
