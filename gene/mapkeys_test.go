package gene

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReadCompositeKeysLimit(t *testing.T) {
	text := AppendText(nil, compositeKeyMap(DefaultMaxCompositeKeys, false))
	_, err := Parse(text)
	require.NoError(t, err, "the default limit itself reads")

	over := AppendText(nil, compositeKeyMap(DefaultMaxCompositeKeys+1, false))
	_, err = Parse(over)
	var le *LimitError
	require.ErrorAs(t, err, &le)
	require.Equal(t, "MaxCompositeKeys", le.Limit)
	require.Equal(t, DefaultMaxCompositeKeys, le.Max)
	at := strings.Index(string(over), "[4096]")
	require.Equal(t, "gene: value exceeds MaxCompositeKeys (4096) at 1:"+itoa(at+1), err.Error())

	_, err = ParseWith(over, ReadOptions{Limits: Limits{MaxCompositeKeys: -1}})
	require.NoError(t, err, "a negative limit means none")

	// Only lists, prop maps, general maps and nodes count.
	small := []byte(`{{[1] : a {^a 1} : b {{1 : 2}} : c (x) : d 1 : e "s" : f x : g #B16#00 : h 2026-01-02 : i}}`)
	_, err = ParseWith(small, ReadOptions{Limits: Limits{MaxCompositeKeys: 4}})
	require.NoError(t, err)
	_, err = ParseWith(small, ReadOptions{Limits: Limits{MaxCompositeKeys: 3}})
	require.ErrorAs(t, err, &le)
	require.Equal(t, "gene: value exceeds MaxCompositeKeys (3) at 1:36", err.Error())

	// The same limit binds the stream readers.
	f := NewFeeder(ReadOptions{Limits: Limits{MaxCompositeKeys: 3}})
	f.Feed(append(small, '\n'))
	_, _, err = f.Next()
	require.ErrorIs(t, err, ErrLimit)
}

func TestBinaryDuplicateCompositeKeyNamesIt(t *testing.T) {
	// Duplicates past the linear scan, found through the hash index, with
	// keys equal under Equal but written differently.
	es := make([]Entry, 0, 40)
	for i := range 30 {
		es = append(es, Entry{Key: List(Int(int64(i)), PropMap(Prop{"a", Int(1)}, Prop{"b", Int(2)})), Value: Int(int64(i))})
	}
	es = append(es, Entry{Key: List(Int(7), PropMap(Prop{"b", Int(2)}, Prop{"a", Int(1)})), Value: Nil()})
	_, _, err := DecodeBinary(AppendBinary(nil, Map(es...)), BinaryOptions{})
	require.ErrorIs(t, err, ErrBinary)
	require.ErrorContains(t, err, "duplicate map key [7 {^b 2 ^a 1}] (key 30; key 7 of the map at offset 0 is the same)")

	text := AppendText(nil, Map(es...))
	_, err = Parse(text)
	require.ErrorIs(t, err, ErrSyntax)
	require.ErrorContains(t, err, "duplicate key [7 {^b 2 ^a 1}] in the general map opened at 1:1")
}

func TestDuplicateKey(t *testing.T) {
	for _, n := range []int{3, 100} {
		es := make([]Entry, n)
		for i := range es {
			es[i] = Entry{Key: List(Int(int64(i))), Value: Int(1)}
		}
		i, j := DuplicateKey(es)
		require.Equal(t, [2]int{-1, -1}, [2]int{i, j}, "unique keys")
		es = append(es, Entry{Key: List(Int(1)), Value: Int(2)})
		i, j = DuplicateKey(es)
		require.Equal(t, [2]int{n, 1}, [2]int{i, j})
	}
	negZero := Float(0)
	negZero.n |= 1 << 63
	i, j := DuplicateKey([]Entry{{Key: Float(0)}, {Key: negZero}})
	require.Equal(t, [2]int{1, 0}, [2]int{i, j}, "0.0 and -0.0 are the same key")
}

func TestEqualLargeMapsInAnyOrder(t *testing.T) {
	for _, n := range []int{5, 20, 3000} {
		v, rev := compositeKeyMap(n, false), compositeKeyMap(n, true)
		require.True(t, Equal(v, rev), "n=%d", n)
		require.Equal(t, Hash(v), Hash(rev))
		require.Zero(t, Compare(v, rev))

		// One value differs, or one key.
		es := append([]Entry(nil), rev.Entries()...)
		es[n/2].Value = Int(-1)
		require.False(t, Equal(v, Map(es...)), "n=%d value", n)
		es = append([]Entry(nil), rev.Entries()...)
		es[n/2].Key = List(Int(-1))
		require.False(t, Equal(v, Map(es...)), "n=%d key", n)
		require.False(t, Equal(Map(es...), v), "n=%d key", n)

		// Prop maps the same way.
		ps := make(Props, n)
		rs := make(Props, n)
		for i := range ps {
			ps[i] = Prop{Key: "k" + itoa(i), Value: Int(int64(i))}
			rs[n-1-i] = ps[i]
		}
		require.True(t, Equal(PropMap(ps...), PropMap(rs...)), "n=%d props", n)
		rs[0] = Prop{Key: "other", Value: rs[0].Value}
		require.False(t, Equal(PropMap(ps...), PropMap(rs...)), "n=%d props", n)
	}
	// A nan key equals nothing, not even in the same map.
	nan := Map(Entry{Key: List(Float(nanF())), Value: Int(1)})
	require.False(t, Equal(nan, nan))
}

func nanF() float64 {
	z := 0.0
	return z / z
}
