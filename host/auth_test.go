package host_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host"
	"github.com/genehost/genehost/host/client"
	"github.com/genehost/genehost/proto"
)

func TestPerInterfaceTokenIsRequiredInOpen(t *testing.T) {
	_, ua, ta := serve(t, host.Config{Authorize: host.Tokens(map[string]string{"vault": "s3cret"})},
		map[string]host.Handler{"vault": host.Echo, "public": host.Echo}, nil)
	ctx := ctxT(t)
	for _, addr := range []string{ua, ta} {
		c := dial(t, addr, client.Config{})
		for _, tc := range []struct {
			name string
			meta gene.Props
			want string
		}{
			{"no token", nil, "requires ^token"},
			{"wrong token", gene.Props{{Key: "token", Value: gene.String("guess")}}, "wrong ^token"},
			{"not a string", gene.Props{{Key: "token", Value: gene.Int(1)}}, "must be a string"},
		} {
			_, err := c.Open(ctx, "vault", proto.DirSendRecv, client.LinkOptions{Meta: tc.meta})
			var oe *client.OpenError
			require.ErrorAs(t, err, &oe, tc.name)
			assert.Equal(t, proto.CodeUnauthorized, oe.Code(), tc.name)
			assert.Contains(t, err.Error(), tc.want, tc.name)
			_, err = c.Control(ctx, "vault", client.LinkOptions{Meta: tc.meta})
			require.ErrorAs(t, err, &oe, "control links need the token too: %s", tc.name)
		}
		l, err := c.Open(ctx, "vault", proto.DirSendRecv, client.LinkOptions{Meta: gene.Props{{Key: "token", Value: gene.String("s3cret")}}})
		require.NoError(t, err)
		v, err := l.Request(ctx, gene.MustParse("(open sesame)"))
		require.NoError(t, err)
		assert.True(t, v.Node().Head.IsSymbol("open"))
		_, err = c.Open(ctx, "public", proto.DirSendRecv, client.LinkOptions{})
		require.NoError(t, err, "interfaces without a token stay open")
	}
}

// TestTokensCompareWholeSecrets: only the exact secret passes; a prefix, an
// extension, a token of another length, an empty one or one differing in
// its last byte is refused the same way (the comparison is of SHA-256
// digests, so no length shortcut exists).
func TestTokensCompareWholeSecrets(t *testing.T) {
	auth := host.Tokens(map[string]string{"vault": "s3cret"})
	tok := func(s string) gene.Props { return gene.Props{{Key: "token", Value: gene.String(s)}} }
	require.NoError(t, auth("vault", proto.SubData, tok("s3cret")))
	for _, bad := range []string{"", "s", "s3cre", "s3cret\n", "s3cret ", "s3creT", "S3cret", "s3cret-and-more", string(make([]byte, 4096))} {
		assert.EqualError(t, auth("vault", proto.SubData, tok(bad)), "wrong ^token", "%q", bad)
	}
	require.NoError(t, auth("other", proto.SubData, nil), "an interface without a token is open")
}

// TestSysShowsOnlyWhatTheClientMayOpen: with tokens, $sys interfaces lists
// a protected interface, a $sys control link gets its events and an
// UNKNOWN_INTERFACE refusal names it, only when that link's OPEN carried
// the interface's token.
func TestSysShowsOnlyWhatTheClientMayOpen(t *testing.T) {
	s, ua, ta := serve(t, host.Config{Authorize: host.Tokens(map[string]string{"vault": "s3cret", "safe": "other"})},
		map[string]host.Handler{"vault": host.Echo, "safe": host.Echo, "public": host.Echo}, nil)
	ctx := ctxT(t)
	tok := func(s string) gene.Props { return gene.Props{{Key: "token", Value: gene.String(s)}} }
	names := func(sys *client.Control) []string {
		t.Helper()
		list, err := sys.Call(ctx, "interfaces", gene.Void())
		require.NoError(t, err)
		var out []string
		for _, i := range list.List() {
			n, _ := i.Get("name")
			out = append(out, n.Str())
		}
		return out
	}
	for _, addr := range []string{ua, ta} {
		c := dial(t, addr, client.Config{})
		anon, err := c.Control(ctx, host.SysInterface, client.LinkOptions{})
		require.NoError(t, err)
		wrong, err := c.Control(ctx, host.SysInterface, client.LinkOptions{Meta: tok("guess")})
		require.NoError(t, err)
		holder, err := c.Control(ctx, host.SysInterface, client.LinkOptions{Meta: tok("s3cret")})
		require.NoError(t, err)
		assert.Equal(t, []string{"public"}, names(anon))
		assert.Equal(t, []string{"public"}, names(wrong))
		assert.Equal(t, []string{"public", "vault"}, names(holder), "a token shows its own interface only")

		// Events about a protected interface go to its token holders.
		s.Emit("vault", gene.MustParse(`(event ^type "reloaded" ^interface "vault" ^generation 2)`))
		s.Emit("public", gene.MustParse(`(event ^type "reloaded" ^interface "public" ^generation 2)`))
		for _, ctl := range []*client.Control{anon, wrong} {
			select {
			case ev := <-ctl.Events():
				assert.Equal(t, `(event ^type "reloaded" ^interface "public" ^generation 2)`, gene.Format(ev))
			case <-ctx.Done():
				t.Fatal("no event")
			}
		}
		for _, want := range []string{"vault", "public"} {
			select {
			case ev := <-holder.Events():
				i, _ := ev.Get("interface")
				assert.Equal(t, want, i.Str())
			case <-ctx.Done():
				t.Fatal("no event")
			}
		}
		for _, ctl := range []*client.Control{anon, wrong} {
			select {
			case ev := <-ctl.Events():
				t.Fatalf("a client without the token got %s", gene.Format(ev))
			case <-time.After(50 * time.Millisecond):
			}
		}

		// A refusal for an unknown name lists only what the client may open.
		_, err = c.Open(ctx, "nope", proto.DirSendRecv, client.LinkOptions{})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "[public]")
		_, err = c.Open(ctx, "nope", proto.DirSendRecv, client.LinkOptions{Meta: tok("other")})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "[public safe]")
	}
}
