package gene

import (
	"encoding/json"
	"errors"
	"io"
	"math"
	"math/big"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUnmarshalMapping(t *testing.T) {
	for _, row := range mappingRows(t) {
		t.Run(row.name, func(t *testing.T) {
			dst := reflect.New(reflect.TypeOf(row.goV))
			require.NoError(t, Unmarshal(row.gene, dst.Interface()))
			if want, ok := row.goV.(Value); ok {
				// A Value passes through: the very same handle.
				got := dst.Elem().Interface().(Value)
				assert.True(t, Equal(want, got))
				assert.Equal(t, row.gene, got)
				return
			}
			assert.Equal(t, row.goV, dst.Elem().Interface())
		})
	}
}

// mtUnmarshal unmarshals src into a new T.
func mtUnmarshal[T any](t *testing.T, src Value) T {
	t.Helper()
	var out T
	require.NoError(t, Unmarshal(src, &out))
	return out
}

func TestUnmarshalOneWay(t *testing.T) {
	t.Run("int into float when exact", func(t *testing.T) {
		assert.Equal(t, 3.0, mtUnmarshal[float64](t, Int(3)))
		assert.Equal(t, float32(-16777216), mtUnmarshal[float32](t, Int(-1<<24)))
		assert.Equal(t, math.Ldexp(1, 100), mtUnmarshal[float64](t, BigInt(mtBig("1267650600228229401496703205376"))))
		assert.Equal(t, float32(math.Ldexp(1, 100)), mtUnmarshal[float32](t, BigInt(mtBig("1267650600228229401496703205376"))))
		assert.Equal(t, -math.Ldexp(1, 63), mtUnmarshal[float64](t, Int(math.MinInt64)))
	})
	t.Run("symbol into string", func(t *testing.T) {
		assert.Equal(t, "get", mtUnmarshal[string](t, Symbol("get")))
		assert.Equal(t, mtColor("red"), mtUnmarshal[mtColor](t, Symbol("red")))
	})
	t.Run("big int into uint64", func(t *testing.T) {
		assert.Equal(t, uint64(math.MaxUint64), mtUnmarshal[uint64](t, BigInt(mtBig("18446744073709551615"))))
	})
	t.Run("big.Int into existing pointer", func(t *testing.T) {
		b := big.NewInt(1)
		keep := b
		require.NoError(t, Unmarshal(Int(-9), &b))
		assert.Same(t, keep, b)
		assert.Equal(t, "-9", b.String())
	})
	t.Run("date is midnight UTC", func(t *testing.T) {
		got := mtUnmarshal[time.Time](t, Date(Temporal{Year: 2026, Month: 11, Day: 24}))
		assert.Equal(t, time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC), got)
	})
	t.Run("datetime without offset is UTC", func(t *testing.T) {
		got := mtUnmarshal[time.Time](t, DateTime(Temporal{Year: 2026, Month: 1, Day: 2, Hour: 3, Micro: 7}))
		assert.Equal(t, time.Date(2026, 1, 2, 3, 0, 0, 7000, time.UTC), got)
	})
	t.Run("datetime with offset and zone name", func(t *testing.T) {
		got := mtUnmarshal[time.Time](t, DateTime(Temporal{Year: 2026, Month: 7, Day: 1, Hour: 12, HasOffset: true, Offset: 120, Zone: "Europe/Paris"}))
		name, off := got.Zone()
		assert.Equal(t, "Europe/Paris", name)
		assert.Equal(t, 7200, off)
		assert.True(t, got.Equal(time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC)))
	})
	t.Run("datetime with zone only loads the zone", func(t *testing.T) {
		got := mtUnmarshal[time.Time](t, DateTime(Temporal{Year: 2026, Month: 7, Day: 1, Hour: 12, Zone: "UTC"}))
		assert.True(t, got.Equal(time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)))
	})
	t.Run("nil leaves scalars and structs unchanged", func(t *testing.T) {
		type all struct {
			B bool
			I int
			U uint
			F float64
			S string
			Y Sym
			R Rune
			N big.Int
			T time.Time
			P mtPoint
			A [1]int
		}
		want := all{B: true, I: 1, U: 2, F: 3, S: "s", Y: "y", R: 'r', N: *big.NewInt(4), T: time.Unix(5, 0).UTC(), P: mtPoint{X: 6}, A: [1]int{7}}
		src := mtProps("b", Nil(), "i", Nil(), "u", Void(), "f", Nil(), "s", Nil(), "y", Nil(), "r", Nil(), "n", Nil(), "t", Nil(), "p", Nil(), "a", Nil())
		got := want
		require.NoError(t, Unmarshal(src, &got))
		assert.Equal(t, want, got)
		require.NoError(t, Unmarshal(Nil(), &got))
		assert.Equal(t, want, got)
	})
	t.Run("nil clears pointers, slices, maps, interfaces, bytes, Props", func(t *testing.T) {
		type all struct {
			P  *int
			L  []int
			M  map[string]int
			I  any
			By []byte
			Ps Props
			V  Value
		}
		one := 1
		got := all{P: &one, L: []int{1}, M: map[string]int{"a": 1}, I: 1, By: []byte{1}, Ps: Props{{"a", Int(1)}}, V: Int(1)}
		require.NoError(t, Unmarshal(mtProps("p", Nil(), "l", Nil(), "m", Void(), "i", Nil(), "by", Nil(), "ps", Nil(), "v", Void()), &got))
		assert.Equal(t, all{V: Void()}, got)
	})
	t.Run("empty list gives an empty slice, not nil", func(t *testing.T) {
		got := mtUnmarshal[[]int](t, List())
		assert.NotNil(t, got)
		assert.Empty(t, got)
	})
	t.Run("frozen list into slice", func(t *testing.T) {
		assert.Equal(t, []int{1}, mtUnmarshal[[]int](t, List(Int(1)).Freeze()))
	})
	t.Run("slice is refilled, reusing its array", func(t *testing.T) {
		type p struct{ A, B int }
		s := make([]p, 1, 4)
		s[0] = p{A: 9, B: 9}
		backing := &s[:4][0]
		require.NoError(t, Unmarshal(List(mtProps("a", Int(1)), mtProps("b", Int(2))), &s))
		assert.Equal(t, []p{{A: 1}, {B: 2}}, s, "old elements are zeroed before decoding")
		assert.Same(t, backing, &s[0])
	})
	t.Run("general map with string keys into string map", func(t *testing.T) {
		got := mtUnmarshal[map[string]int](t, Map(Entry{String("a"), Int(1)}, Entry{Symbol("b"), Int(2)}))
		assert.Equal(t, map[string]int{"a": 1, "b": 2}, got)
	})
	t.Run("prop map into map with any keys gives Sym keys", func(t *testing.T) {
		got := mtUnmarshal[map[any]int](t, mtProps("a", Int(1)))
		assert.Equal(t, map[any]int{Sym("a"): 1}, got)
	})
	t.Run("maps and structs are updated in place", func(t *testing.T) {
		m := map[string]int{"keep": 1, "a": 0}
		require.NoError(t, Unmarshal(mtProps("a", Int(2)), &m))
		assert.Equal(t, map[string]int{"keep": 1, "a": 2}, m)
		p := mtPoint{X: 1, Y: 2}
		require.NoError(t, Unmarshal(mtProps("y", Int(5)), &p))
		assert.Equal(t, mtPoint{X: 1, Y: 5}, p)
	})
	t.Run("unknown props are ignored", func(t *testing.T) {
		assert.Equal(t, mtPoint{X: 1}, mtUnmarshal[mtPoint](t, mtProps("x", Int(1), "z", Int(3), "X", Int(4))))
	})
	t.Run("node head, meta and body are optional", func(t *testing.T) {
		got := mtUnmarshal[mtRequest](t, NodeValue(&Node{Props: Props{{"id", Int(1)}}}))
		assert.Equal(t, mtRequest{ID: 1, Args: []int{}}, got)
		doc := mtUnmarshal[mtDoc](t, Gene(Symbol("p")))
		assert.Equal(t, mtDoc{Tag: "p"}, doc)
	})
	t.Run("node struct ignores head and body it has no field for", func(t *testing.T) {
		type metaOnly struct {
			Meta Props `gene:",meta"`
			N    int
		}
		got := mtUnmarshal[metaOnly](t, NodeValue(&Node{Head: Symbol("x"), HasHead: true, Meta: Props{{"m", True}}, Props: Props{{"n", Int(1)}}, Body: []Value{Int(1)}}))
		assert.Equal(t, metaOnly{Meta: Props{{"m", True}}, N: 1}, got)
	})
	t.Run("Props are copied", func(t *testing.T) {
		src := mtProps("a", Int(1))
		got := mtUnmarshal[Props](t, src)
		got.Set("a", Int(2))
		assert.True(t, Equal(mtProps("a", Int(1)), src))
	})
	t.Run("bytes are copied", func(t *testing.T) {
		src := Bytes([]byte{1, 2})
		got := mtUnmarshal[[]byte](t, src)
		got[0] = 9
		assert.Equal(t, []byte{1, 2}, src.Bytes())
	})
	t.Run("embedded pointer is allocated", func(t *testing.T) {
		type outer struct {
			*MtB
			Extra int
		}
		got := mtUnmarshal[outer](t, mtProps("x", Int(4), "extra", Int(1)))
		require.NotNil(t, got.MtB)
		assert.Equal(t, outer{MtB: &MtB{X: 4}, Extra: 1}, got)
	})
	t.Run("unexported embedded struct is filled", func(t *testing.T) {
		type outer struct {
			mtb
			Z int
		}
		assert.Equal(t, outer{mtb{Y: 5}, 6}, mtUnmarshal[outer](t, mtProps("y", Int(5), "z", Int(6))))
	})
	t.Run("any holding a pointer is decoded into", func(t *testing.T) {
		p := &mtPoint{}
		var x any = p
		require.NoError(t, Unmarshal(mtProps("x", Int(2)), &x))
		assert.Same(t, p, x)
		assert.Equal(t, 2, p.X)
	})
	t.Run("any holding a value is replaced", func(t *testing.T) {
		var x any = mtPoint{}
		require.NoError(t, Unmarshal(mtProps("x", Int(2)), &x))
		assert.Equal(t, map[string]any{"x": int64(2)}, x)
	})
	t.Run("Unmarshaler gets nil for a value field", func(t *testing.T) {
		var h mtRecorder
		require.NoError(t, Unmarshal(Nil(), &h))
		assert.True(t, h.called)
		var p *mtRecorder
		require.NoError(t, Unmarshal(Nil(), &p))
		assert.Nil(t, p, "a nil pointer stays nil without calling the hook")
	})
}

type mtRecorder struct{ called bool }

func (r *mtRecorder) UnmarshalGene(Value) error { r.called = true; return nil }

func TestUnmarshalAny(t *testing.T) {
	huge := mtBig("1267650600228229401496703205376")
	node := Gene(Symbol("f"), Int(1))
	gmap := Map(Entry{Int(1), True})
	date := Date(Temporal{Year: 2026, Month: 1, Day: 2})
	cases := []struct {
		name string
		src  Value
		want any
	}{
		{"nil", Nil(), nil},
		{"void", Void(), nil},
		{"bool", True, true},
		{"int", Int(-3), int64(-3)},
		{"big int", BigInt(huge), huge},
		{"float", Float(1.5), 1.5},
		{"string", String("s"), "s"},
		{"symbol", Symbol("s"), Sym("s")},
		{"char", Char('c'), Rune('c')},
		{"bytes", Bytes([]byte{1}), []byte{1}},
		{"empty bytes", Bytes(nil), []byte{}},
		{"datetime", DateTime(Temporal{Year: 2026, Month: 1, Day: 2, HasOffset: true}), time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)},
		{"list", List(Int(1), List(String("x"))), []any{int64(1), []any{"x"}}},
		{"props", mtProps("a", Int(1), "b", mtProps()), map[string]any{"a": int64(1), "b": map[string]any{}}},
		{"general map stays a Value", gmap, gmap},
		{"node stays a Value", node, node},
		{"date stays a Value", date, date},
		{"regex stays a Value", RegexValue("a+", "i"), RegexValue("a+", "i")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got any = "previous"
			require.NoError(t, Unmarshal(c.src, &got))
			if v, ok := c.want.(Value); ok {
				require.IsType(t, Value{}, got)
				assert.True(t, Equal(v, got.(Value)))
				return
			}
			assert.Equal(t, c.want, got)
		})
	}
}

// Round trips of nested shapes: Marshal then Unmarshal gives the value back.

type mtAddress struct {
	Street string
	City   string `gene:"city"`
	Zip    *string
}

type mtPerson struct {
	Name     string
	Age      int
	Emails   []string
	Home     *mtAddress
	Work     mtAddress
	Tags     map[string][]int
	Scores   map[int]float64
	Friends  []*mtPerson
	Extra    any
	Raw      Value
	Born     time.Time
	Avatar   []byte
	Balance  *big.Int
	Nickname *string `gene:",omitempty"`
}

type mtExpr struct {
	Op   Sym              `gene:",head"`
	Meta map[string]Value `gene:",meta"`
	Line int              `gene:"line,omitempty"`
	Args []mtArg          `gene:",body"`
}

// mtArg is an int, a string or a nested expression; its hooks pick.
type mtArg struct {
	Int  int
	Str  string
	Expr *mtExpr
}

func (a mtArg) MarshalGene() (Value, error) {
	switch {
	case a.Expr != nil:
		return Marshal(a.Expr)
	case a.Str != "":
		return String(a.Str), nil
	}
	return Int(int64(a.Int)), nil
}

func (a *mtArg) UnmarshalGene(v Value) error {
	switch v.Kind() {
	case KindNode:
		a.Expr = new(mtExpr)
		return Unmarshal(v, a.Expr)
	case KindString:
		a.Str = v.Str()
		return nil
	}
	return Unmarshal(v, &a.Int)
}

type mtEmbedded struct {
	mtBase
	mtHeadBase
	Name  string `gene:"name"`
	Flags []string
}

func TestRoundTrip(t *testing.T) {
	zip := "75001"
	cases := []struct {
		name string
		in   any
		text string // the Gene text of the marshaled value, where short
	}{
		{"nested structs", &mtPerson{
			Name: "Ada", Age: 36, Emails: []string{"a@x"},
			Home:    &mtAddress{Street: "1 rue", City: "Paris", Zip: &zip},
			Work:    mtAddress{City: "London"},
			Tags:    map[string][]int{"b": {2}, "a": {}},
			Scores:  map[int]float64{2: 0.5, 1: 1},
			Friends: []*mtPerson{{Name: "Bob", Emails: []string{}, Tags: map[string][]int{}, Scores: map[int]float64{}, Friends: []*mtPerson{}, Born: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), Avatar: []byte{}}},
			Extra:   []any{int64(1), "two", Sym("three"), map[string]any{"k": 1.5}},
			Raw:     Gene(Symbol("keep"), Int(1)),
			Born:    time.Date(1815, 12, 10, 8, 0, 0, 0, time.FixedZone("", -3600)),
			Avatar:  []byte{0xff},
			Balance: mtBig("-99999999999999999999999"),
		}, ""},
		{"node-shaped with meta and nested hooks", &mtExpr{
			Op: "add", Meta: map[string]Value{"src": String("a.gene")}, Line: 3,
			Args: []mtArg{{Int: 1}, {Str: "x"}, {Expr: &mtExpr{Op: "neg", Args: []mtArg{{Int: 2}}}}},
		}, `(add @src "a.gene" ^line 3 1 "x" (neg 2))`},
		{"embedded structs", &mtEmbedded{mtBase: mtBase{ID: 1}, mtHeadBase: mtHeadBase{Op: "op"}, Name: "shown", Flags: []string{"f"}},
			`(op ^id 1 ^name "shown" ^flags ["f"])`},
		{"pointers to pointers", func() any { i := 5; p := &i; return &p }(), "5"},
		{"interfaces", &[]any{nil, true, int64(1), 1.5, "s", Sym("y"), Rune('c'), []any{}, map[string]any{}}, `[nil true 1 1.5 "s" y 'c' [] {}]`},
		{"map of structs", &map[string]mtPoint{"o": {}, "p": {X: 1, Y: 2}}, `{^o {^x 0 ^y 0} ^p {^x 1 ^y 2}}`},
		{"general map with struct values", &map[Rune]mtPoint{'a': {X: 1}}, `{{'a' : {^x 1 ^y 0}}}`},
		{"array of arrays", &[2][2]int{{1, 2}, {3, 4}}, "[[1 2] [3 4]]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, err := Marshal(c.in)
			require.NoError(t, err)
			if c.text != "" {
				assert.Equal(t, c.text, Format(v))
			}
			back := reflect.New(reflect.TypeOf(c.in).Elem())
			require.NoError(t, UnmarshalWith(v, back.Interface(), UnmarshalOptions{DisallowUnknown: true}))
			if p, ok := c.in.(*mtPerson); ok {
				// time.Time keeps its location by pointer; compare instants and offsets.
				got := back.Interface().(*mtPerson)
				require.True(t, p.Born.Equal(got.Born))
				_, wantOff := p.Born.Zone()
				_, gotOff := got.Born.Zone()
				require.Equal(t, wantOff, gotOff)
				got.Born = p.Born
			}
			assert.Equal(t, c.in, back.Interface())
			again, err := Marshal(back.Interface())
			require.NoError(t, err)
			assert.Equal(t, Format(v), Format(again))
		})
	}
}

type mtIntOnly struct {
	N int `gene:"n"`
}

type mtHeaders struct {
	Headers map[string]string `gene:"headers"`
}

type mtFailUnmarshal struct{}

func (*mtFailUnmarshal) UnmarshalGene(Value) error { return errMtHook }

func TestUnmarshalErrors(t *testing.T) {
	type withChan struct{ C chan int }
	// Request is the struct of the error example in the package's brief.
	type Request struct {
		ID   int    `gene:"id"`
		Path string `gene:"path"`
	}
	type deep struct {
		Items []mtIntOnly `gene:"items"`
	}
	cases := []struct {
		name string
		src  Value
		dst  any
		msg  string
		path string
	}{
		{"the brief's example", mtProps("id", String("42")), &Request{},
			"gene: cannot unmarshal string into Go struct field Request.id (int) at .id: want int", ".id"},
		{"float into int", Float(1), new(int), "gene: cannot unmarshal float into Go value of type int: want int", ""},
		{"int overflows int8", List(Int(1), Int(300)), new([]int8), "gene: cannot unmarshal int into Go value of type int8 at [1]: want int from -128 to 127", "[1]"},
		{"big into int64", BigInt(mtBig("9223372036854775808")), new(int64), "gene: cannot unmarshal int into Go value of type int64: want int from -9223372036854775808 to 9223372036854775807", ""},
		{"negative into uint", mtProps("n", Int(-1)), &struct{ N uint16 }{}, "gene: cannot unmarshal int into Go struct field struct.n (uint16) at .n: want int from 0 to 65535", ".n"},
		{"big into uint64", BigInt(mtBig("18446744073709551616")), new(uint64), "gene: cannot unmarshal int into Go value of type uint64: want int from 0 to 18446744073709551615", ""},
		{"inexact int into float32", Int(1<<24 + 1), new(float32), "gene: cannot unmarshal int into Go value of type float32: want float, or an int that float32 holds exactly", ""},
		{"inexact int into float64", Int(1<<53 + 1), new(float64), "gene: cannot unmarshal int into Go value of type float64: want float, or an int that float64 holds exactly", ""},
		{"float too large for float32", Float(1e300), new(float32), "gene: cannot unmarshal float into Go value of type float32: want float in the range of float32", ""},
		{"string into float", String("1.5"), new(float64), "gene: cannot unmarshal string into Go value of type float64: want float", ""},
		{"int into bool", Int(1), new(bool), "gene: cannot unmarshal int into Go value of type bool: want bool", ""},
		{"char into string", Char('a'), new(string), "gene: cannot unmarshal char into Go value of type string: want string or symbol", ""},
		{"string into Sym", String("a"), new(Sym), "gene: cannot unmarshal string into Go value of type gene.Sym: want symbol", ""},
		{"string into Rune", String("a"), new(Rune), "gene: cannot unmarshal string into Go value of type gene.Rune: want char", ""},
		{"list into bytes", List(Int(1)), new([]byte), "gene: cannot unmarshal list into Go value of type []uint8: want bytes", ""},
		{"float into big.Int", Float(1), new(big.Int), "gene: cannot unmarshal float into Go value of type big.Int: want int", ""},
		{"time of day into time.Time", mtProps("at", Time(Temporal{Hour: 9})), &struct{ At time.Time }{}, "gene: cannot unmarshal time into Go struct field struct.at (time.Time) at .at: want datetime or date", ".at"},
		{"unknown zone", DateTime(Temporal{Year: 2026, Month: 1, Day: 1, Zone: "No/Such_Zone"}), new(time.Time), `gene: cannot unmarshal into Go value of type time.Time: datetime zone "No/Such_Zone": unknown time zone No/Such_Zone`, ""},
		{"unknown zone inside any", List(DateTime(Temporal{Year: 2026, Month: 1, Day: 1, Zone: "No/Such_Zone"})), new(any), `gene: cannot unmarshal into Go value of type interface {} at [0]: datetime zone "No/Such_Zone": unknown time zone No/Such_Zone`, "[0]"},
		{"nil embedded pointer to unexported struct", mtProps("op", Int(1)), new(mtEmbedsPtr), "gene: cannot unmarshal into Go value of type gene.mtEmbedsPtr at .op: cannot set embedded pointer to unexported struct gene.mtPoint3", ".op"},
		{"string into slice", String("a"), new([]int), "gene: cannot unmarshal string into Go value of type []int: want list", ""},
		{"array length", List(Int(1)), new([2]int), "gene: cannot unmarshal list into Go value of type [2]int: want list of 2", ""},
		{"list into map", List(), new(map[string]int), "gene: cannot unmarshal list into Go value of type map[string]int: want props or map", ""},
		{"map value", mtProps("a", String("x")), new(map[string]int), "gene: cannot unmarshal string into Go value of type int at .a: want int", ".a"},
		{"general map key", Map(Entry{String("k"), Int(1)}), new(map[int]int), `gene: cannot unmarshal string into Go value of type int at ["k"]: want int`, `["k"]`},
		{"general map value", Map(Entry{Int(7), String("x")}), new(map[int]int), `gene: cannot unmarshal string into Go value of type int at [7]: want int`, `[7]`},
		{"prop key into int-keyed map", mtProps("a", Int(1)), new(map[int]int), "gene: cannot unmarshal symbol into Go value of type int at .a: want int", ".a"},
		{"node into props struct", Gene(Symbol("p")), new(mtPoint), "gene: cannot unmarshal node into Go value of type gene.mtPoint: want props", ""},
		{"props into node struct", mtProps(), new(mtRequest), "gene: cannot unmarshal props into Go value of type gene.mtRequest: want node", ""},
		{"nested struct kind", mtProps("work", List()), new(mtPerson), "gene: cannot unmarshal list into Go struct field mtPerson.work (gene.mtAddress) at .work: want props", ".work"},
		{"headers example", mtProps("headers", mtProps("accept", Int(1))), new(mtHeaders), "gene: cannot unmarshal int into Go struct field mtHeaders.headers (string) at .headers.accept: want string or symbol", ".headers.accept"},
		{"list index then field", mtProps("items", List(mtProps("n", Int(0)), mtProps(), mtProps(), mtProps("n", String("x")))), new(deep),
			"gene: cannot unmarshal string into Go struct field mtIntOnly.n (int) at .items[3].n: want int", ".items[3].n"},
		{"head", Gene(String("request")), new(mtRequest), "gene: cannot unmarshal string into Go struct field mtRequest.Kind (gene.Sym) at (head): want symbol", "(head)"},
		{"body element", Gene(Symbol("r"), Int(1), String("2")), new(mtRequest), "gene: cannot unmarshal string into Go struct field mtRequest.Args (int) at [1]: want int", "[1]"},
		{"meta entry", NodeValue(&Node{Head: Symbol("d"), HasHead: true, Meta: Props{{"doc", Int(1)}}}), new(mtExprStrictMeta), "gene: cannot unmarshal int into Go struct field mtStrictMeta.doc (string) at @doc: want string or symbol", "@doc"},
		{"node prop", mtNode(Symbol("r"), []any{"id", True}), new(mtRequest), "gene: cannot unmarshal bool into Go struct field mtRequest.id (int) at .id: want int", ".id"},
		{"hook error", List(Nil(), Int(1)), new([]mtFailUnmarshal), "gene: cannot unmarshal into Go value of type gene.mtFailUnmarshal at [0]: hook failed", "[0]"},
		{"nested Unmarshal error in hook keeps its path", mtProps("e", Gene(Symbol("x"), String("bad"), List())), new(struct{ E mtArg }),
			"gene: cannot unmarshal list into Go struct field mtExpr.Args (int) at .e[1]: want int", ".e[1]"},
		{"chan destination", mtProps("c", Int(1)), new(withChan), "gene: unsupported Go type chan int at .c", ".c"},
		{"non-empty interface", Int(1), new(io.Reader), "gene: cannot unmarshal int into Go value of type io.Reader: want nil (the interface names no concrete type to decode into)", ""},
		{"bad tag", mtProps(), &struct {
			A int `gene:",bogus"`
		}{}, `struct field struct.A: unknown option "bogus"`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Unmarshal(c.src, c.dst)
			require.Error(t, err)
			if c.msg[:6] == "gene: " {
				assert.Equal(t, c.msg, err.Error())
			} else {
				assert.Contains(t, err.Error(), c.msg)
			}
			var ute *UnmarshalTypeError
			var ue *UnmarshalError
			var ust *UnsupportedTypeError
			switch {
			case errors.As(err, &ute):
				assert.Equal(t, c.path, ute.Path)
			case errors.As(err, &ue):
				assert.Equal(t, c.path, ue.Path)
			case errors.As(err, &ust):
				assert.Equal(t, c.path, ust.Path)
			default:
				t.Fatalf("unexpected error type %T", err)
			}
		})
	}

	t.Run("type error fields", func(t *testing.T) {
		err := Unmarshal(mtProps("id", String("42")), &Request{})
		var ute *UnmarshalTypeError
		require.ErrorAs(t, err, &ute)
		assert.Equal(t, UnmarshalTypeError{Path: ".id", Want: "int", Got: KindString, GoType: reflect.TypeFor[int](), Struct: "Request", Field: "id"}, *ute)
	})
	t.Run("hook error wraps", func(t *testing.T) {
		require.ErrorIs(t, Unmarshal(Int(1), &mtFailUnmarshal{}), errMtHook)
	})
	t.Run("invalid destinations", func(t *testing.T) {
		var nilPtr *int
		for _, c := range []struct {
			dst any
			msg string
		}{
			{nil, "gene: Unmarshal(nil)"},
			{1, "gene: Unmarshal(non-pointer int)"},
			{nilPtr, "gene: Unmarshal(nil *int)"},
		} {
			err := Unmarshal(Int(1), c.dst)
			var ie *InvalidUnmarshalError
			require.ErrorAs(t, err, &ie)
			assert.Equal(t, c.msg, err.Error())
		}
	})
}

type mtPoint3 struct{ Op int }

type mtEmbedsPtr struct {
	*mtPoint3
}

type mtStrictMeta struct {
	Doc string `gene:"doc"`
}

type mtExprStrictMeta struct {
	Op   Sym          `gene:",head"`
	Meta mtStrictMeta `gene:",meta"`
}

func TestUnmarshalDisallowUnknown(t *testing.T) {
	strict := UnmarshalOptions{DisallowUnknown: true}
	cases := []struct {
		name string
		src  Value
		dst  any
		msg  string
		path string
	}{
		{"prop", mtProps("x", Int(1), "z", Int(2)), new(mtPoint), "gene: cannot unmarshal into Go value of type gene.mtPoint at .z: unknown field", ".z"},
		{"nested prop", List(mtProps("x", Int(1), "Y", Int(2))), new([]mtPoint), "gene: cannot unmarshal into Go value of type gene.mtPoint at [0].Y: unknown field", "[0].Y"},
		{"node prop", mtNode(Symbol("r"), []any{"nope", Int(1)}), new(mtRequest), "gene: cannot unmarshal into Go value of type gene.mtRequest at .nope: unknown field", ".nope"},
		{"head without head field", Gene(Symbol("x")), new(struct {
			B []int `gene:",body"`
		}), "gene: cannot unmarshal into Go value of type struct { B []int \"gene:\\\",body\\\"\" } at (head): unknown field", "(head)"},
		{"body without body field", NodeValue(&Node{Body: []Value{Int(1)}}), new(struct {
			H Sym `gene:",head"`
		}), "gene: cannot unmarshal into Go value of type struct { H gene.Sym \"gene:\\\",head\\\"\" } at [0]: unknown field", "[0]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.NoError(t, Unmarshal(c.src, c.dst), "ignored by default")
			err := UnmarshalWith(c.src, c.dst, strict)
			require.ErrorIs(t, err, ErrUnknownField)
			assert.Equal(t, c.msg, err.Error())
			var ue *UnmarshalError
			require.ErrorAs(t, err, &ue)
			assert.Equal(t, c.path, ue.Path)
		})
	}
	t.Run("meta is never unknown", func(t *testing.T) {
		var r mtRequest
		src := NodeValue(&Node{Head: Symbol("r"), HasHead: true, Meta: Props{{"doc", True}}})
		require.NoError(t, UnmarshalWith(src, &r, strict))
	})
}

// Benchmarks against encoding/json on the same struct. json produces and
// consumes text, Marshal and Unmarshal a Value tree, so the ...Text variants
// add the Gene writer for a like-for-like comparison of the output side.

type benchItem struct {
	SKU   string  `json:"sku" gene:"sku"`
	Qty   int     `json:"qty" gene:"qty"`
	Price float64 `json:"price" gene:"price"`
}

type benchOrder struct {
	ID       int64             `json:"id" gene:"id"`
	Customer string            `json:"customer" gene:"customer"`
	Paid     bool              `json:"paid" gene:"paid"`
	Note     string            `json:"note,omitempty" gene:"note,omitempty"`
	Tags     []string          `json:"tags" gene:"tags"`
	Items    []benchItem       `json:"items" gene:"items"`
	Attrs    map[string]string `json:"attrs" gene:"attrs"`
}

func benchValue() benchOrder {
	return benchOrder{
		ID: 1234567, Customer: "Ada Lovelace", Paid: true,
		Tags:  []string{"priority", "gift"},
		Items: []benchItem{{"A-1", 2, 9.5}, {"B-22", 1, 120}, {"C-333", 10, 0.25}},
		Attrs: map[string]string{"channel": "web", "region": "eu"},
	}
}

func BenchmarkMarshalStruct(b *testing.B) {
	o := benchValue()
	b.Run("gene", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Marshal(&o); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("geneText", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			v, err := Marshal(&o)
			if err != nil {
				b.Fatal(err)
			}
			buf = AppendText(buf[:0], v)
		}
	})
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(&o); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkUnmarshalStruct(b *testing.B) {
	o := benchValue()
	v, err := Marshal(&o)
	require.NoError(b, err)
	js, err := json.Marshal(&o)
	require.NoError(b, err)
	b.Run("gene", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var out benchOrder
			if err := Unmarshal(v, &out); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var out benchOrder
			if err := json.Unmarshal(js, &out); err != nil {
				b.Fatal(err)
			}
		}
	})
}
