package flow

import (
	"github.com/genehost/genehost/proto"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestControlLimiter(t *testing.T) {
	l := NewControlLimiter(100, 200)
	now := time.Unix(1000, 0)
	for i := range 200 {
		require.NoError(t, l.Take(now), "frame %d of the burst", i)
	}
	err := l.Take(now)
	require.ErrorIs(t, err, &proto.Error{Code: proto.CodeCalm})
	assert.Contains(t, err.Error(), "faster than 100 per second (burst 200)")

	// 100 ms refill 10 tokens.
	now = now.Add(100 * time.Millisecond)
	for range 10 {
		require.NoError(t, l.Take(now))
	}
	require.Error(t, l.Take(now))

	// A steady 100 per second is never refused.
	for i := range 1000 {
		now = now.Add(10 * time.Millisecond)
		require.NoError(t, l.Take(now), "steady frame %d", i)
	}
	// A long pause refills only up to the burst.
	now = now.Add(time.Hour)
	for range 200 {
		require.NoError(t, l.Take(now))
	}
	require.Error(t, l.Take(now))
}

func TestCounts(t *testing.T) {
	assert.False(t, Counts(proto.TypeData, false))
	assert.False(t, Counts(proto.TypeHello, false))
	assert.True(t, Counts(proto.TypePing, false))
	assert.True(t, Counts(proto.TypeOpen, false))
	assert.True(t, Counts(0x40, false), "skipped unknown frames count")
	assert.False(t, Counts(proto.TypeCredit, true), "a free CREDIT (Credit.Receive) takes no token")
	assert.True(t, Counts(proto.TypeCredit, false), "a CREDIT that is not free counts")
	l := NewControlLimiter(0, 0)
	assert.Equal(t, float64(proto.DefaultControlBurst), l.tokens)
}
