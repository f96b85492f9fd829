package gene

import (
	"math"
	"math/big"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValueSize(t *testing.T) {
	// The handle stays small so lists of values are dense.
	require.LessOrEqual(t, int(sizeofValue), 24)
}

func TestConstructorsAndAccessors(t *testing.T) {
	require.Equal(t, KindNil, Value{}.Kind())
	require.True(t, Nil().IsNil())

	i, ok := Int(-17).AsInt()
	require.True(t, ok)
	require.Equal(t, int64(-17), i)

	huge, _ := new(big.Int).SetString("123456789012345678901234567890", 10)
	b := BigInt(huge)
	require.True(t, b.IsBig())
	_, ok = b.AsInt()
	require.False(t, ok)
	require.Equal(t, huge.String(), b.BigInt().String())
	require.False(t, BigInt(big.NewInt(5)).IsBig(), "small big.Int takes the fast path")
	require.True(t, Equal(Int(5), BigInt(big.NewInt(5))))

	require.Equal(t, "héllo", String("héllo").Str())
	require.True(t, Symbol("set!").IsSymbol("set!"))
	require.Equal(t, "", Int(1).Str())

	l := List(Int(1), String("two"), Symbol("three"))
	require.Equal(t, 3, l.Len())
	require.Equal(t, KindSymbol, l.List()[2].Kind())
	require.Nil(t, List().List())

	pm := PropMap(Prop{"name", String("Ada")}, Prop{"age", Int(36)})
	v, ok := pm.Get("age")
	require.True(t, ok)
	require.True(t, Equal(Int(36), v))

	n := NodeValue(&Node{Head: Symbol("point"), HasHead: true, Props: Props{{"x", Int(1)}}, Body: []Value{Symbol("c")}})
	v, ok = n.Get("x")
	require.True(t, ok)
	require.True(t, Equal(Int(1), v))
	require.Equal(t, 1, n.Len())

	require.Equal(t, []byte("Hello"), Bytes([]byte("Hello")).Bytes())
	require.Equal(t, "i", RegexValue(`[a-z]+\d`, "i").Regex().Flags)

	d := Date(Temporal{Year: 2026, Month: 11, Day: 24, Hour: 9})
	tp, ok := d.Temporal()
	require.True(t, ok)
	require.Equal(t, 0, tp.Hour, "Date keeps only the date part")
}

func TestEqual(t *testing.T) {
	huge, _ := new(big.Int).SetString("-123456789012345678901234567890", 10)
	tests := []struct {
		name string
		a, b Value
		want bool
	}{
		{"int vs float", Int(1), Float(1), false},
		{"nan", Float(math.NaN()), Float(math.NaN()), false},
		{"zero signs", Float(0), Float(math.Copysign(0, -1)), true},
		{"big", BigInt(huge), BigInt(new(big.Int).Set(huge)), true},
		{"big vs small", BigInt(huge), Int(-1), false},
		{"string vs symbol", String("a"), Symbol("a"), false},
		{"props order", PropMap(Prop{"a", Int(1)}, Prop{"b", Int(2)}), PropMap(Prop{"b", Int(2)}, Prop{"a", Int(1)}), true},
		{"props differ", PropMap(Prop{"a", Int(1)}), PropMap(Prop{"a", Int(2)}), false},
		{"map order", Map(Entry{String("k"), Int(1)}, Entry{Int(2), List(Symbol("x"))}),
			Map(Entry{Int(2), List(Symbol("x"))}, Entry{String("k"), Int(1)}), true},
		{"frozen", List(Int(1)), List(Int(1)).Freeze(), false},
		{"meta ignored",
			NodeValue(&Node{Head: Symbol("p"), HasHead: true, Meta: Props{{"doc", String("x")}}}),
			NodeValue(&Node{Head: Symbol("p"), HasHead: true}), true},
		{"no head vs nil head", NodeValue(&Node{}), NodeValue(&Node{HasHead: true}), false},
		{"char", Char('é'), Char('é'), true},
		{"void", Void(), Nil(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Equal(tt.a, tt.b))
			if tt.want {
				assert.Equal(t, Hash(tt.a), Hash(tt.b), "equal values hash alike")
				assert.Zero(t, Compare(tt.a, tt.b))
			} else if tt.name != "nan" {
				assert.NotZero(t, Compare(tt.a, tt.b))
			}
		})
	}
}

func TestCompareTotalOrder(t *testing.T) {
	vals := []Value{
		Float(math.NaN()), Float(math.Inf(1)), Float(-1.5), Int(3), Int(-2), String("b"), String("a"),
		Nil(), Bool(true), Bool(false), List(Int(1), Int(2)), List(Int(1)), Symbol("z"),
	}
	slices.SortFunc(vals, Compare)
	var kinds []Kind
	for _, v := range vals {
		kinds = append(kinds, v.Kind())
	}
	require.True(t, slices.IsSorted(kinds))
	f, _ := vals[len(vals)-1].AsFloat()
	_ = f
	// Within floats nan sorts after +inf.
	var floats []float64
	for _, v := range vals {
		if x, ok := v.AsFloat(); ok {
			floats = append(floats, x)
		}
	}
	require.Equal(t, -1.5, floats[0])
	require.True(t, math.IsInf(floats[1], 1))
	require.True(t, math.IsNaN(floats[2]))
	i0, _ := vals[3].AsInt()
	require.Equal(t, int64(-2), i0)
}
