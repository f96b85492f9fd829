package gene

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Test helpers, prefixed mt so they do not clash with other test files.

// mtProps builds a prop map from alternating keys and values.
func mtProps(kv ...any) Value {
	ps := make([]Prop, 0, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		ps = append(ps, Prop{Key: kv[i].(string), Value: kv[i+1].(Value)})
	}
	return PropMap(ps...)
}

// mtNode builds a node with a head, props from alternating keys and values,
// and a body.
func mtNode(head Value, kv []any, body ...Value) Value {
	return NodeValue(&Node{Head: head, HasHead: true, Props: mtProps(kv...).Props(), Body: body})
}

func mtBig(s string) *big.Int {
	b, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic("bad big int " + s)
	}
	return b
}

// Types used by the mapping tests.

type mtColor string

type mtBlob []byte

// mtByteHook is a byte with hooks, so a slice of it is a list, not bytes.
type mtByteHook byte

func (b mtByteHook) MarshalGene() (Value, error) { return Symbol(fmt.Sprint("b", int(b))), nil }

func (b *mtByteHook) UnmarshalGene(v Value) error {
	_, err := fmt.Sscanf(v.Str(), "b%d", b)
	return err
}

type mtPoint struct {
	X, Y int
}

type mtTagged struct {
	Name    string `gene:"full-name"`
	Skip    int    `gene:"-"`
	Dash    int    `gene:"-,"`
	Note    string `gene:",omitempty"`
	When    time.Time
	Later   time.Time `gene:",omitzero"`
	UserID  int
	private int //nolint:unused // must never be mapped
}

type mtRequest struct {
	Kind Sym    `gene:",head"`
	ID   int    `gene:"id"`
	Path string `gene:"path"`
	Args []int  `gene:",body"`
}

type mtDoc struct {
	Tag  Sym            `gene:",head"`
	Meta map[string]any `gene:",meta"`
	Text string         `gene:"text"`
}

type mtCelsius float64

func (c mtCelsius) MarshalGene() (Value, error) {
	return Gene(Symbol("celsius"), Float(float64(c))), nil
}

func (c *mtCelsius) UnmarshalGene(v Value) error {
	n := v.Node()
	if n == nil || !n.Head.IsSymbol("celsius") || len(n.Body) != 1 {
		return errors.New("want (celsius <float>)")
	}
	f, ok := n.Body[0].AsFloat()
	if !ok {
		return errors.New("want a float body")
	}
	*c = mtCelsius(f)
	return nil
}

// mapping is one row of the Go to Gene mapping, checked both ways.
type mapping struct {
	name string
	goV  any   // the Go value; Unmarshal into a new value of its type gives it back
	gene Value // what Marshal gives
}

func mtTime(t *testing.T, s string) time.Time {
	tm, err := time.Parse(time.RFC3339Nano, s)
	require.NoError(t, err)
	return tm
}

func mappingRows(t *testing.T) []mapping {
	huge := mtBig("1267650600228229401496703205376") // 2^100
	when := mtTime(t, "2026-11-24T09:30:15.25+01:00")
	return []mapping{
		{"bool", true, True},
		{"int", -5, Int(-5)},
		{"int8", int8(-128), Int(-128)},
		{"int16", int16(32767), Int(32767)},
		{"int32 and rune", 'x', Int('x')},
		{"int64", int64(math.MinInt64), Int(math.MinInt64)},
		{"uint", uint(7), Int(7)},
		{"uint8", uint8(255), Int(255)},
		{"uint16", uint16(65535), Int(65535)},
		{"uint32", uint32(math.MaxUint32), Int(math.MaxUint32)},
		{"uint64 past int64", uint64(math.MaxUint64), BigInt(mtBig("18446744073709551615"))},
		{"uintptr", uintptr(9), Int(9)},
		{"big.Int", *mtBig("1267650600228229401496703205376"), BigInt(huge)},
		{"*big.Int", huge, BigInt(huge)},
		{"small *big.Int", big.NewInt(5), Int(5)},
		{"float64", 2.5, Float(2.5)},
		{"float32", float32(0.5), Float(0.5)},
		{"float64 inf", math.Inf(-1), Float(math.Inf(-1))},
		{"string", "héllo", String("héllo")},
		{"named string", mtColor("red"), String("red")},
		{"Sym", Sym("get"), Symbol("get")},
		{"Rune", Rune('é'), Char('é')},
		{"bytes", []byte("hi"), Bytes([]byte("hi"))},
		{"empty bytes", []byte{}, Bytes(nil)},
		{"named bytes", mtBlob{0xca, 0xfe}, Bytes([]byte{0xca, 0xfe})},
		{"list of byte-sized ints with hooks", []mtByteHook{1}, List(Symbol("b1"))},
		{"time with offset", when, DateTime(Temporal{Year: 2026, Month: 11, Day: 24, Hour: 9, Minute: 30, Second: 15, Micro: 250000, HasOffset: true, Offset: 60})},
		{"time UTC", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), DateTime(Temporal{Year: 2026, Month: 1, Day: 2, Hour: 3, Minute: 4, Second: 5, HasOffset: true})},
		{"duration", 1500 * time.Millisecond, Int(1_500_000_000)},
		{"slice", []int{1, 2}, List(Int(1), Int(2))},
		{"empty slice", []string{}, List()},
		{"array", [2]string{"a", "b"}, List(String("a"), String("b"))},
		{"slice of any", []any{int64(1), "x", Sym("s"), nil}, List(Int(1), String("x"), Symbol("s"), Nil())},
		{"string map sorted", map[string]int{"b": 2, "a": 1, "c": 3}, mtProps("a", Int(1), "b", Int(2), "c", Int(3))},
		{"Sym map", map[Sym]bool{"on": true}, mtProps("on", True)},
		{"int map sorted by Compare", map[int]string{10: "x", -1: "y", 2: "z"},
			Map(Entry{Int(-1), String("y")}, Entry{Int(2), String("z")}, Entry{Int(10), String("x")})},
		{"Rune map", map[Rune]int{'b': 2, 'a': 1}, Map(Entry{Char('a'), Int(1)}, Entry{Char('b'), Int(2)})},
		{"empty string map", map[string]int{}, PropMap()},
		{"struct", mtPoint{X: 1, Y: -2}, mtProps("x", Int(1), "y", Int(-2))},
		{"struct tags", mtTagged{Name: "Ada", Dash: 4, When: when, UserID: 7},
			mtProps("full-name", String("Ada"), "-", Int(4), "when", DateTime(Temporal{Year: 2026, Month: 11, Day: 24, Hour: 9, Minute: 30, Second: 15, Micro: 250000, HasOffset: true, Offset: 60}), "userID", Int(7))},
		{"node struct", mtRequest{Kind: "request", ID: 42, Path: "/x", Args: []int{1, 2}},
			mtNode(Symbol("request"), []any{"id", Int(42), "path", String("/x")}, Int(1), Int(2))},
		{"node struct with meta", mtDoc{Tag: "p", Meta: map[string]any{"lang": "en"}, Text: "hi"},
			NodeValue(&Node{Head: Symbol("p"), HasHead: true, Meta: Props{{"lang", String("en")}}, Props: Props{{"text", String("hi")}}})},
		{"pointer", &mtPoint{X: 3}, mtProps("x", Int(3), "y", Int(0))},
		{"nil pointer", (*mtPoint)(nil), Nil()},
		{"Value", List(Symbol("as"), Int(1)).Freeze(), List(Symbol("as"), Int(1)).Freeze()},
		{"Value node untouched", Gene(Symbol("f"), Int(1)), Gene(Symbol("f"), Int(1))},
		{"Props", Props{{"b", Int(1)}, {"a", Int(2)}}, mtProps("b", Int(1), "a", Int(2))},
		{"Marshaler", mtCelsius(21.5), Gene(Symbol("celsius"), Float(21.5))},
		{"Marshaler in a list", []mtCelsius{1}, List(Gene(Symbol("celsius"), Float(1)))},
	}
}

func TestMarshalMapping(t *testing.T) {
	for _, row := range mappingRows(t) {
		t.Run(row.name, func(t *testing.T) {
			got, err := Marshal(row.goV)
			require.NoError(t, err)
			assert.True(t, Equal(row.gene, got), "want %s, got %s", Format(row.gene), Format(got))
			// Format also checks the order of props and the meta, which Equal ignores.
			assert.Equal(t, Format(row.gene), Format(got))
		})
	}
}

func TestMarshalOneWay(t *testing.T) {
	type inner struct{ A int }
	var nilMap map[string]int
	cases := []struct {
		name string
		in   any
		want string
	}{
		{"nil", nil, "nil"},
		{"nil interface in list", []any{nil}, "[nil]"},
		{"nil slice is the empty list", []int(nil), "[]"},
		{"nil map is the empty prop map", nilMap, "{}"},
		{"nil general map", map[int]int(nil), "{{}}"},
		{"nil bytes", []byte(nil), "#B16#"},
		{"float32 widens", float32(0.1), fmt.Sprint(float64(float32(0.1)))},
		{"nanoseconds are cut to microseconds", time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC), "2026-01-02T03:04:05.123456Z"},
		{"offset not whole minutes goes to UTC", time.Date(1900, 1, 1, 0, 0, 0, 0, time.FixedZone("LMT", 17)), "1899-12-31T23:59:43Z"},
		{"negative offset", time.Date(2026, 1, 2, 3, 4, 0, 0, time.FixedZone("", -(5*3600+30*60))), "2026-01-02T03:04:00-05:30"},
		{"time in a struct by value", struct{ At time.Time }{time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)}, "{^at 2026-01-02T00:00:00Z}"},
		{"any holding a struct", any(inner{A: 1}), "{^a 1}"},
		{"pointer to pointer", func() any { p := &inner{A: 2}; return &p }(), "{^a 2}"},
		{"map of any keys", map[any]int{"s": 1, 2: 2, Sym("y"): 3}, `{{2 : 2 "s" : 1 y : 3}}`},
		{"uint64 that fits", uint64(12), "12"},
		{"big.Int in struct", struct{ N big.Int }{*big.NewInt(-3)}, "{^n -3}"},
		{"nil Marshaler pointer", (*mtCelsius)(nil), "nil"},
		{"Marshaler through pointer receiver on addressable field", &struct{ T mtPtrHook }{T: mtPtrHook{N: 1}}, "{^t hook-1}"},
		{"pointer-receiver Marshaler on non-addressable value is not called", struct{ T mtPtrHook }{T: mtPtrHook{N: 1}}, "{^t {^n 1}}"},
		{"nil Value", Value{}, "nil"},
		{"empty Props", Props(nil), "{}"},
		{"node with nil body", mtRequest{Kind: "r"}, "(r ^id 0 ^path \"\")"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Marshal(c.in)
			require.NoError(t, err)
			assert.Equal(t, c.want, Format(got))
		})
	}
}

type mtPtrHook struct{ N int }

func (h *mtPtrHook) MarshalGene() (Value, error) { return Symbol(fmt.Sprint("hook-", h.N)), nil }

func TestMarshalOmit(t *testing.T) {
	type opts struct {
		S   string         `gene:"s,omitempty"`
		N   int            `gene:"n,omitempty"`
		F   float64        `gene:"f,omitempty"`
		B   bool           `gene:"b,omitempty"`
		P   *int           `gene:"p,omitempty"`
		L   []int          `gene:"l,omitempty"`
		M   map[string]int `gene:"m,omitempty"`
		A   [0]int         `gene:"a,omitempty"`
		I   any            `gene:"i,omitempty"`
		V   Value          `gene:"v,omitempty"`
		VL  Value          `gene:"vl,omitempty"`
		St  mtPoint        `gene:"st,omitempty"` // structs are never empty
		Z   mtPoint        `gene:"z,omitzero"`
		T   time.Time      `gene:"t,omitzero"`
		Loc *mtZeroer      `gene:"loc,omitzero"`
	}
	got, err := Marshal(opts{VL: List(), Loc: &mtZeroer{}})
	require.NoError(t, err)
	assert.Equal(t, "{^st {^x 0 ^y 0}}", Format(got))

	one := 1
	got, err = Marshal(opts{S: "s", N: 1, F: 0.5, B: true, P: &one, L: []int{1}, M: map[string]int{"k": 1},
		I: 0, V: Int(0), VL: List(Nil()), Z: mtPoint{X: 1}, T: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Loc: &mtZeroer{set: true}})
	require.NoError(t, err)
	assert.Equal(t, `{^s "s" ^n 1 ^f 0.5 ^^b ^p 1 ^l [1] ^m {^k 1} ^i 0 ^v 0 ^vl [nil] ^st {^x 0 ^y 0} ^z {^x 1 ^y 0} ^t 2026-01-01T00:00:00Z ^loc {}}`, Format(got))

	// An omitempty head leaves a node without head.
	type headless struct {
		H    Sym   `gene:",head,omitempty"`
		Body []int `gene:",body"`
	}
	got, err = Marshal(headless{Body: []int{1}})
	require.NoError(t, err)
	require.Equal(t, KindNode, got.Kind())
	assert.False(t, got.Node().HasHead)
	assert.Equal(t, 1, got.Len())
}

// mtZeroer has an IsZero method that omitzero must use.
type mtZeroer struct{ set bool }

func (z *mtZeroer) IsZero() bool { return !z.set }

func TestLowerCamel(t *testing.T) {
	for in, want := range map[string]string{
		"Name":       "name",
		"ID":         "id",
		"UserID":     "userID",
		"HTTPServer": "httpServer",
		"X509Cert":   "x509Cert",
		"X":          "x",
		"URLPath":    "urlPath",
		"ÉtéTime":    "étéTime",
		"already":    "already",
	} {
		t.Run(in, func(t *testing.T) { assert.Equal(t, want, lowerCamel(in)) })
	}
}

type mtBase struct {
	ID   int
	Name string
}

type mtOuter struct {
	mtBase
	Name  string `gene:"name"`
	Extra int
}

type mtA struct{ X, OnlyA int }
type mtB struct{ X int }
type mtTaggedA struct {
	X int `gene:"x"`
}
type mtMyInt int
type mtHeadBase struct {
	Op Sym `gene:",head"`
}

func TestMarshalEmbedded(t *testing.T) {
	cases := []struct {
		name string
		in   any
		want string
	}{
		{"flattened, outer field hides inner", mtOuter{mtBase: mtBase{ID: 1, Name: "in"}, Name: "out", Extra: 2}, `{^id 1 ^name "out" ^extra 2}`},
		{"clash at same depth drops both", struct {
			mtA
			mtB
		}{mtA{X: 1, OnlyA: 2}, mtB{X: 3}}, `{^onlyA 2}`},
		{"tagged wins at same depth", struct {
			mtTaggedA
			mtB
		}{mtTaggedA{X: 1}, mtB{X: 3}}, `{^x 1}`},
		{"tagged embedded struct is a field", struct {
			MtB `gene:"b"`
		}{MtB{X: 1}}, `{^b {^x 1}}`},
		{"tagged unexported embedded struct is skipped", struct {
			mtB `gene:"b"`
		}{mtB{X: 1}}, `{}`},
		{"nil embedded pointer is skipped", struct {
			*mtBase
			Extra int
		}{Extra: 1}, `{^extra 1}`},
		{"embedded pointer", struct {
			*mtBase
		}{&mtBase{ID: 4}}, `{^id 4 ^name ""}`},
		{"unexported embedded struct is flattened", struct {
			mtb
			Z int
		}{mtb{Y: 5}, 6}, `{^y 5 ^z 6}`},
		{"embedded unexported non-struct is skipped", struct{ mtMyInt }{7}, `{}`},
		{"embedded exported non-struct", struct{ MtInt }{7}, `{^mtInt 7}`},
		{"embedded head makes a node", struct {
			mtHeadBase
			N int
		}{mtHeadBase{Op: "add"}, 1}, `(add ^n 1)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Marshal(c.in)
			require.NoError(t, err)
			assert.Equal(t, c.want, Format(got))
		})
	}
}

type mtb struct{ Y int }

// MtB is exported so that embedding it makes an exported field.
type MtB struct{ X int }

// MtInt is exported so that embedding it makes an exported field.
type MtInt int

type mtCycle struct {
	N    int
	Next *mtCycle
}

type mtFailHook struct{}

var errMtHook = errors.New("hook failed")

func (mtFailHook) MarshalGene() (Value, error) { return Value{}, errMtHook }

type mtNestedHook struct{}

func (mtNestedHook) MarshalGene() (Value, error) {
	return Marshal(struct{ C []chan int }{C: []chan int{nil}})
}

func TestMarshalErrors(t *testing.T) {
	cyc := &mtCycle{N: 1}
	cyc.Next = cyc
	selfList := []any{nil}
	selfList[0] = selfList
	cases := []struct {
		name string
		in   any
		msg  string
		path string
	}{
		{"chan field", struct{ C chan int }{}, "gene: unsupported Go type chan int at .c", ".c"},
		{"func in list", []any{1, func() {}}, "gene: unsupported Go type func() at [1]", "[1]"},
		{"complex", complex(1, 2), "gene: unsupported Go type complex128", ""},
		{"map value", map[string]any{"k": complex64(1)}, "gene: unsupported Go type complex64 at .k", ".k"},
		{"general map value", map[int]any{3: make(chan int)}, "gene: unsupported Go type chan int at [3]", "[3]"},
		{"general map key", map[any]int{complex(1, 0): 1}, "gene: unsupported Go type complex128 at (key)", "(key)"},
		{"node head", struct {
			H func() `gene:",head"`
		}{}, "gene: unsupported Go type func() at (head)", "(head)"},
		{"node body", mtRequest2{Args: []any{1, make(chan int)}}, "gene: unsupported Go type chan int at [1]", "[1]"},
		{"node meta", struct {
			M map[string]any `gene:",meta"`
		}{M: map[string]any{"doc": func() {}}}, "gene: unsupported Go type func() at @doc", "@doc"},
		{"hook error", struct{ H mtFailHook }{}, "gene: cannot marshal Go value of type gene.mtFailHook at .h: hook failed", ".h"},
		{"nested Marshal error in hook keeps its path", []any{mtNestedHook{}}, "gene: unsupported Go type chan int at [0].c[0]", "[0].c[0]"},
		{"body not a list", struct {
			B int `gene:",body"`
		}{B: 1}, "gene: cannot marshal Go value of type int: the ,body field struct.B gave int, not a list", ""},
		{"meta not props", struct {
			M []int `gene:",meta"`
		}{M: []int{1}}, "gene: cannot marshal Go value of type []int: the ,meta field struct.M gave list, not props", ""},
		{"invalid rune", []Rune{0xD800}, "gene: cannot marshal Go value of type gene.Rune at [0]: invalid char U+D800", "[0]"},
		{"year out of range", struct{ T time.Time }{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}, "gene: cannot marshal Go value of type time.Time at .t: year 10000 is outside 0..9999", ".t"},
		{"keys equal after marshal", map[any]int{1: 1, int64(1): 2}, "gene: cannot marshal Go value of type map[interface {}]int: two keys give the same Gene key 1", ""},
		{"unknown tag option", struct {
			A int `gene:"a,omitempti"`
		}{}, `gene: cannot marshal Go value of type struct { A int "gene:\"a,omitempti\"" }: struct field struct.A: unknown option "omitempti" in tag "a,omitempti"`, ""},
		{"two heads", struct {
			A Sym `gene:",head"`
			B Sym `gene:",head"`
		}{}, "fields A and B are both tagged ,head", ""},
		{"key on a head", struct {
			A Sym `gene:"a,head"`
		}{}, `a ,head field takes no key (tag "a,head")`, ""},
		{"head and body", struct {
			A []int `gene:",head,body"`
		}{}, "options ,head and ,body exclude each other", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Marshal(c.in)
			require.Error(t, err)
			if strings.HasPrefix(c.msg, "gene: ") {
				assert.Equal(t, c.msg, err.Error())
			} else {
				assert.Contains(t, err.Error(), c.msg)
			}
			var ute *UnsupportedTypeError
			var me *MarshalError
			switch {
			case errors.As(err, &ute):
				assert.Equal(t, c.path, ute.Path)
			case errors.As(err, &me):
				assert.Equal(t, c.path, me.Path)
			default:
				t.Fatalf("unexpected error type %T", err)
			}
		})
	}

	t.Run("hook error wraps", func(t *testing.T) {
		_, err := Marshal(mtFailHook{})
		require.ErrorIs(t, err, errMtHook)
	})
	t.Run("cycle through pointer", func(t *testing.T) {
		_, err := Marshal(cyc)
		var me *MarshalError
		require.ErrorAs(t, err, &me)
		assert.Contains(t, err.Error(), "cycle through *gene.mtCycle")
		assert.True(t, strings.HasPrefix(me.Path, ".next.next.next"), me.Path)
	})
	t.Run("cycle through slice", func(t *testing.T) {
		_, err := Marshal(selfList)
		require.ErrorContains(t, err, "cycle through []interface {}")
	})
	t.Run("deep but acyclic is fine", func(t *testing.T) {
		var head *mtCycle
		for i := 0; i < 2*cycleCheckDepth; i++ {
			head = &mtCycle{N: i, Next: head}
		}
		v, err := Marshal(head)
		require.NoError(t, err)
		n, _ := v.Get("n")
		assert.True(t, Equal(Int(2*cycleCheckDepth-1), n))
	})
}

type mtRequest2 struct {
	Kind Sym   `gene:",head"`
	Args []any `gene:",body"`
}

// TestCodersConcurrentFirstUse builds the coders of fresh types from many
// goroutines at once; run with -race.
func TestCodersConcurrentFirstUse(t *testing.T) {
	type leaf struct {
		A string `gene:"a"`
		B []int
	}
	type tree struct {
		Op   Sym `gene:",head"`
		Leaf *leaf
		Kids []*tree `gene:",body"`
	}
	in := tree{Op: "root", Leaf: &leaf{A: "x", B: []int{1}}, Kids: []*tree{{Op: "kid", Kids: []*tree{}}}}
	const workers = 8
	var wg sync.WaitGroup
	errs := make([]error, workers)
	outs := make([]tree, workers)
	for i := range workers {
		wg.Go(func() {
			v, err := Marshal(in)
			if err == nil {
				err = Unmarshal(v, &outs[i])
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i := range workers {
		require.NoError(t, errs[i])
		assert.Equal(t, in, outs[i])
	}
	assert.Same(t, cachedStruct(reflect.TypeFor[tree]()), cachedStruct(reflect.TypeFor[tree]()))
}
