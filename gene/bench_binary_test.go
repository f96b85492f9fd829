package gene

import (
	"encoding/json"
	"strconv"
	"testing"
)

// The binary benchmarks run beside encoding/json on the same data, so the
// ratios can be read off one run:
//
//	go test ./gene -run '^$' -bench 'Binary|Ref$' -benchmem -count 6
//
// Every benchmark reports MB/s of the JSON form (SetBytes is the JSON
// length) and values/s, so binary and JSON figures compare directly.

var binBenchSink Value

// binBenchRecord is record i of the large document: the request message
// with varying fields.
func binBenchRecord(i int) Value {
	methods := [...]string{"get", "put", "post", "delete"}
	return binNode(Symbol("request"), true, Props{
		{"id", Int(int64(i))},
		{"method", String(methods[i%len(methods)])},
		{"path", String("/users/" + strconv.Itoa(i*7919%100000))},
		{"headers", PropMap(Prop{"accept", String("application/json")})},
		{"body", List(Int(int64(i%1000)), Float(float64(i)*0.25), String("x"+strconv.Itoa(i)))},
	}, nil)
}

// binBenchJSON is the JSON form of a request record: the head as "$head",
// props as members, lists as arrays.
func binBenchJSON(v Value) any {
	switch v.Kind() {
	case KindNode:
		n := v.Node()
		m := map[string]any{"$head": n.Head.Str()}
		for _, p := range n.Props {
			m[p.Key] = binBenchJSON(p.Value)
		}
		return m
	case KindProps:
		m := map[string]any{}
		for _, p := range v.Props() {
			m[p.Key] = binBenchJSON(p.Value)
		}
		return m
	case KindList:
		var a []any
		for _, e := range v.List() {
			a = append(a, binBenchJSON(e))
		}
		return a
	case KindInt:
		i, _ := v.AsInt()
		return i
	case KindFloat:
		f, _ := v.AsFloat()
		return f
	}
	return v.Str()
}

// binBenchCount counts the values in v (every scalar, container and node;
// prop keys are not values), the unit of values/s.
func binBenchCount(v Value) int {
	n := 1
	switch v.Kind() {
	case KindNode:
		nd := v.Node()
		if nd.HasHead {
			n += binBenchCount(nd.Head)
		}
		for _, p := range nd.Props {
			n += binBenchCount(p.Value)
		}
		for _, e := range nd.Body {
			n += binBenchCount(e)
		}
	case KindProps:
		for _, p := range v.Props() {
			n += binBenchCount(p.Value)
		}
	case KindList:
		for _, e := range v.List() {
			n += binBenchCount(e)
		}
	}
	return n
}

type binBenchData struct {
	value  Value
	bin    []byte
	json   []byte
	jv     any
	values int
}

func newBinBenchData(v Value) binBenchData {
	jv := binBenchJSON(v)
	js, err := json.Marshal(jv)
	if err != nil {
		panic(err)
	}
	return binBenchData{value: v, bin: AppendBinary(nil, v), json: js, jv: jv, values: binBenchCount(v)}
}

func binBenchSmall() binBenchData { return newBinBenchData(binRequestMessage()) }

// binBenchLarge is a list of records whose JSON form is about 1 MB.
func binBenchLarge() binBenchData {
	recs := make([]Value, 8500)
	for i := range recs {
		recs[i] = binBenchRecord(i)
	}
	return newBinBenchData(List(recs...))
}

func (d *binBenchData) report(b *testing.B) {
	b.ReportMetric(float64(d.values)*float64(b.N)/b.Elapsed().Seconds(), "values/s")
}

func benchBinaryDecode(b *testing.B, d binBenchData) {
	b.SetBytes(int64(len(d.json)))
	b.ReportAllocs()
	for b.Loop() {
		v, _, err := DecodeBinary(d.bin, BinaryOptions{})
		if err != nil {
			b.Fatal(err)
		}
		binBenchSink = v
	}
	d.report(b)
}

func benchBinaryEncode(b *testing.B, d binBenchData) {
	b.SetBytes(int64(len(d.json)))
	b.ReportAllocs()
	buf := make([]byte, 0, len(d.bin))
	for b.Loop() {
		buf = AppendBinary(buf[:0], d.value)
	}
	d.report(b)
}

func benchJSONDecode(b *testing.B, d binBenchData) {
	b.SetBytes(int64(len(d.json)))
	b.ReportAllocs()
	for b.Loop() {
		var v any
		if err := json.Unmarshal(d.json, &v); err != nil {
			b.Fatal(err)
		}
	}
	d.report(b)
}

func benchJSONEncode(b *testing.B, d binBenchData) {
	b.SetBytes(int64(len(d.json)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(d.jv); err != nil {
			b.Fatal(err)
		}
	}
	d.report(b)
}

func BenchmarkBinaryDecodeSmall(b *testing.B)  { benchBinaryDecode(b, binBenchSmall()) }
func BenchmarkBinaryDecodeLarge(b *testing.B)  { benchBinaryDecode(b, binBenchLarge()) }
func BenchmarkBinaryEncodeSmall(b *testing.B)  { benchBinaryEncode(b, binBenchSmall()) }
func BenchmarkBinaryEncodeLarge(b *testing.B)  { benchBinaryEncode(b, binBenchLarge()) }
func BenchmarkJSONDecodeSmallRef(b *testing.B) { benchJSONDecode(b, binBenchSmall()) }
func BenchmarkJSONDecodeLargeRef(b *testing.B) { benchJSONDecode(b, binBenchLarge()) }
func BenchmarkJSONEncodeSmallRef(b *testing.B) { benchJSONEncode(b, binBenchSmall()) }
func BenchmarkJSONEncodeLargeRef(b *testing.B) { benchJSONEncode(b, binBenchLarge()) }
func BenchmarkBinarySizeLarge(b *testing.B) {
	d := binBenchLarge()
	b.SetBytes(int64(len(d.json)))
	for b.Loop() {
		if BinarySize(d.value) != len(d.bin) {
			b.Fatal("size")
		}
	}
}

// TestBinaryBenchData checks the benchmark inputs are what their names say.
func TestBinaryBenchData(t *testing.T) {
	small, large := binBenchSmall(), binBenchLarge()
	if len(small.json) < 90 || len(small.json) > 130 {
		t.Errorf("small JSON is %d bytes, want about 100", len(small.json))
	}
	if len(large.json) < 900<<10 || len(large.json) > 1200<<10 {
		t.Errorf("large JSON is %d bytes, want about 1 MB", len(large.json))
	}
	for _, d := range []binBenchData{small, large} {
		v, _, err := DecodeBinary(d.bin, BinaryOptions{})
		if err != nil || !Equal(v, d.value) {
			t.Fatalf("benchmark data does not round trip: %v", err)
		}
	}
	t.Logf("small: %d bytes binary, %d JSON, %d values; large: %d bytes binary, %d JSON, %d values",
		len(small.bin), len(small.json), small.values, len(large.bin), len(large.json), large.values)
}
