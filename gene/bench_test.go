package gene

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"sync"
	"testing"
)

// The codec's benchmarks run beside encoding/json on the same documents,
// so the ratios can be read off one run (BENCHMARKS.md, "Codec"):
//
//	go test ./gene -run '^$' -bench . -benchmem -count 6
//
// Two documents: small, a request message of about 100 bytes of JSON; and
// large, a list of 8500 such records, about 1 MB of JSON. encoding/json
// decodes the equivalent JSON into any and encodes that any back.
//
// Every benchmark sets its bytes to the length of the JSON form, so MB/s
// compares the same information across formats (the Gene text is a little
// shorter than the JSON, the binary form much shorter); text benchmarks also
// report text-MB/s, over the Gene text's own length. values/s counts every
// scalar, container and node of the document (prop keys are not values).

var benchSink Value

// benchDoc is one benchmark document in every form.
type benchDoc struct {
	value  Value
	text   []byte // canonical Gene text
	bin    []byte // binary encoding
	json   []byte // the equivalent JSON
	jv     any    // the JSON decoded into any
	values int
}

func newBenchDoc(v Value) *benchDoc {
	jv := benchJSON(v)
	js, err := json.Marshal(jv)
	if err != nil {
		panic(err)
	}
	return &benchDoc{value: v, text: AppendText(nil, v), bin: AppendBinary(nil, v), json: js, jv: jv, values: benchCount(v)}
}

var (
	benchSmall = sync.OnceValue(func() *benchDoc { return newBenchDoc(binRequestMessage()) })
	benchLarge = sync.OnceValue(func() *benchDoc {
		recs := make([]Value, 8500)
		for i := range recs {
			recs[i] = benchRecord(i)
		}
		return newBenchDoc(List(recs...))
	})
)

// benchRecord is record i of the large document: the request message with
// varying fields.
func benchRecord(i int) Value {
	methods := [...]string{"get", "put", "post", "delete"}
	return binNode(Symbol("request"), true, Props{
		{"id", Int(int64(i))},
		{"method", String(methods[i%len(methods)])},
		{"path", String("/users/" + strconv.Itoa(i*7919%100000))},
		{"headers", PropMap(Prop{"accept", String("application/json")})},
		{"body", List(Int(int64(i%1000)), Float(float64(i)*0.25), String("x"+strconv.Itoa(i)))},
	}, nil)
}

// benchJSON is the JSON form of a request record: the head as "$head",
// props as members, lists as arrays.
func benchJSON(v Value) any {
	switch v.Kind() {
	case KindNode:
		n := v.Node()
		m := map[string]any{"$head": n.Head.Str()}
		for _, p := range n.Props {
			m[p.Key] = benchJSON(p.Value)
		}
		return m
	case KindProps:
		m := map[string]any{}
		for _, p := range v.Props() {
			m[p.Key] = benchJSON(p.Value)
		}
		return m
	case KindList:
		var a []any
		for _, e := range v.List() {
			a = append(a, benchJSON(e))
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

// benchCount counts the values in v, the unit of values/s.
func benchCount(v Value) int {
	n := 1
	switch v.Kind() {
	case KindNode:
		nd := v.Node()
		if nd.HasHead {
			n += benchCount(nd.Head)
		}
		for _, p := range nd.Props {
			n += benchCount(p.Value)
		}
		for _, e := range nd.Body {
			n += benchCount(e)
		}
	case KindProps:
		for _, p := range v.Props() {
			n += benchCount(p.Value)
		}
	case KindList:
		for _, e := range v.List() {
			n += benchCount(e)
		}
	}
	return n
}

// benchDocs runs f on each document as a sub-benchmark, and reports the
// JSON MB/s, values/s and, when text is set, text-MB/s.
func benchDocs(b *testing.B, text bool, f func(b *testing.B, d *benchDoc)) {
	for _, c := range []struct {
		name string
		doc  func() *benchDoc
	}{{"small", benchSmall}, {"large", benchLarge}} {
		b.Run(c.name, func(b *testing.B) {
			d := c.doc()
			b.SetBytes(int64(len(d.json)))
			b.ReportAllocs()
			f(b, d)
			sec := b.Elapsed().Seconds()
			b.ReportMetric(float64(d.values)*float64(b.N)/sec, "values/s")
			if text {
				b.ReportMetric(float64(len(d.text))*float64(b.N)/sec/1e6, "text-MB/s")
			}
		})
	}
}

func BenchmarkDecodeText(b *testing.B) {
	benchDocs(b, true, func(b *testing.B, d *benchDoc) {
		for b.Loop() {
			v, err := Parse(d.text)
			if err != nil {
				b.Fatal(err)
			}
			benchSink = v
		}
	})
}

func BenchmarkDecodeBinary(b *testing.B) {
	benchDocs(b, false, func(b *testing.B, d *benchDoc) {
		for b.Loop() {
			v, _, err := DecodeBinary(d.bin, BinaryOptions{})
			if err != nil {
				b.Fatal(err)
			}
			benchSink = v
		}
	})
}

func BenchmarkDecodeJSON(b *testing.B) {
	benchDocs(b, false, func(b *testing.B, d *benchDoc) {
		for b.Loop() {
			var v any
			if err := json.Unmarshal(d.json, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkEncodeText(b *testing.B) {
	benchDocs(b, true, func(b *testing.B, d *benchDoc) {
		e := NewEncoder(io.Discard, WriteOptions{})
		for b.Loop() {
			if err := e.Encode(d.value); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkEncodeBinary(b *testing.B) {
	benchDocs(b, false, func(b *testing.B, d *benchDoc) {
		buf := make([]byte, 0, len(d.bin))
		for b.Loop() {
			buf = AppendBinary(buf[:0], d.value)
		}
	})
}

func BenchmarkEncodeJSON(b *testing.B) {
	benchDocs(b, false, func(b *testing.B, d *benchDoc) {
		for b.Loop() {
			if _, err := json.Marshal(d.jv); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// benchStreamLen is how many small messages a stream benchmark reads.
const benchStreamLen = 1000

// BenchmarkDecodeTextStream reads a stream of small messages, one per
// line, with a Decoder: the socket case.
func BenchmarkDecodeTextStream(b *testing.B) {
	d := benchSmall()
	stream := bytes.Repeat(append(d.text[:len(d.text):len(d.text)], '\n'), benchStreamLen)
	benchStream(b, d, func() error {
		dec := NewDecoder(bytes.NewReader(stream), ReadOptions{})
		for {
			v, err := dec.Decode()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			benchSink = v
		}
	})
}

// BenchmarkDecodeJSONStream reads the same stream as JSON with a
// json.Decoder into any.
func BenchmarkDecodeJSONStream(b *testing.B) {
	d := benchSmall()
	stream := bytes.Repeat(append(d.json[:len(d.json):len(d.json)], '\n'), benchStreamLen)
	benchStream(b, d, func() error {
		dec := json.NewDecoder(bytes.NewReader(stream))
		for {
			var v any
			err := dec.Decode(&v)
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
		}
	})
}

func benchStream(b *testing.B, d *benchDoc, read func() error) {
	b.SetBytes(int64(len(d.json) * benchStreamLen))
	b.ReportAllocs()
	for b.Loop() {
		if err := read(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(d.values*benchStreamLen)*float64(b.N)/b.Elapsed().Seconds(), "values/s")
}

// BenchmarkEncodeJSONView measures AppendJSON, the JSON view of
// gene/JSON.md (genehost fmt --to json).
func BenchmarkEncodeJSONView(b *testing.B) {
	benchDocs(b, false, func(b *testing.B, d *benchDoc) {
		buf := AppendJSON(nil, d.value)
		for b.Loop() {
			buf = AppendJSON(buf[:0], d.value)
		}
	})
}

func BenchmarkBinarySize(b *testing.B) {
	benchDocs(b, false, func(b *testing.B, d *benchDoc) {
		for b.Loop() {
			if BinarySize(d.value) != len(d.bin) {
				b.Fatal("size")
			}
		}
	})
}

// TestBenchDocuments checks the benchmark documents are what their names
// say and read back from every form.
func TestBenchDocuments(t *testing.T) {
	small, large := benchSmall(), benchLarge()
	if len(small.json) < 90 || len(small.json) > 130 {
		t.Errorf("small JSON is %d bytes, want about 100", len(small.json))
	}
	if len(large.json) < 900<<10 || len(large.json) > 1200<<10 {
		t.Errorf("large JSON is %d bytes, want about 1 MB", len(large.json))
	}
	for _, d := range []*benchDoc{small, large} {
		v, _, err := DecodeBinary(d.bin, BinaryOptions{})
		if err != nil || !Equal(v, d.value) {
			t.Fatalf("benchmark data does not round trip through binary: %v", err)
		}
		v, err = Parse(d.text)
		if err != nil || !Equal(v, d.value) {
			t.Fatalf("benchmark data does not round trip through text: %v", err)
		}
		var jv any
		if err := json.Unmarshal(d.json, &jv); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("small: %d bytes text, %d binary, %d JSON, %d values; large: %d bytes text, %d binary, %d JSON, %d values",
		len(small.text), len(small.bin), len(small.json), small.values,
		len(large.text), len(large.bin), len(large.json), large.values)
}
