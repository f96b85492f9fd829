package host_test

import (
	"testing"

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
